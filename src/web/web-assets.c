/*
 * The web access's style sheet, script and icon, served from the binary:
 * no CDN, no framework, nothing fetched from elsewhere. Pages work without
 * the script; it only tells the server the browser's time zone.
 */
#include "web-private.h"

#include <stdio.h>
#include <string.h>

static const char web_css[] =
":root{--bg:#f5f6f8;--fg:#1b1f24;--muted:#57606a;--card:#fff;--line:#d6dae0;"
"--accent:#0b5cad;--accent-fg:#fff;--accent-soft:#e4eefa;--ok:#176f2c;--warn:#8a5300;"
"--bad:#b42318;--focus:#f0a500;--radius:10px;font-size:16px}\n"
"@media (prefers-color-scheme:dark){:root{--bg:#111418;--fg:#e8eaed;--muted:#a9b1ba;"
"--card:#1b1f24;--line:#343a42;--accent:#79b8ff;--accent-fg:#0b1a2b;--accent-soft:#1d2b3a;"
"--ok:#6fdc8c;--warn:#f2c069;--bad:#ff8a80}}\n"
"*{box-sizing:border-box}\n"
"html{-webkit-text-size-adjust:100%}\n"
"body{margin:0;background:var(--bg);color:var(--fg);font:1rem/1.5 system-ui,-apple-system,"
"'Segoe UI',Roboto,'Noto Sans',sans-serif;min-height:100vh;display:flex;flex-direction:column}\n"
"a{color:var(--accent)}a:hover{text-decoration-thickness:2px}\n"
":focus-visible{outline:3px solid var(--focus);outline-offset:2px}\n"
".skip{position:absolute;left:-999px;top:0;background:var(--card);padding:.5rem 1rem;z-index:10}"
".skip:focus{left:.5rem}\n"
".top{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.25rem;padding:.6rem 1rem;"
"background:var(--card);border-bottom:1px solid var(--line)}\n"
".brand{font-weight:700;font-size:1.15rem;color:var(--fg);text-decoration:none}"
".logo{color:var(--accent)}\n"
".top nav ul{display:flex;flex-wrap:wrap;gap:.25rem;margin:0;padding:0;list-style:none}\n"
".top nav a{display:block;padding:.4rem .75rem;border-radius:999px;text-decoration:none;color:var(--fg)}"
".top nav a:hover{background:var(--accent-soft)}"
".top nav a[aria-current=page]{background:var(--accent);color:var(--accent-fg)}\n"
".logout{margin-left:auto;display:flex;align-items:center;gap:.5rem}"
".who{color:var(--muted);font-size:.9rem;overflow-wrap:anywhere}\n"
"main{flex:1;width:100%;max-width:72rem;margin:0 auto;padding:1rem}\n"
".foot{color:var(--muted);font-size:.8rem;text-align:center;padding:1rem}\n"
"h1{font-size:1.5rem;margin:.2rem 0 .8rem;line-height:1.25}h2{font-size:1.15rem;margin:1.2rem 0 .5rem}\n"
".card{background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:1.25rem;"
"margin-bottom:1rem}.narrow{max-width:26rem;margin:2rem auto}\n"
".stack{display:flex;flex-direction:column;gap:.35rem}.stack button{margin-top:.8rem}\n"
"label{font-weight:600}\n"
"input,textarea,select{font:inherit;color:inherit;background:var(--bg);border:1px solid var(--muted);"
"border-radius:6px;padding:.55rem .65rem;width:100%}\n"
"textarea{min-height:5rem;resize:vertical}\n"
"button,.button{font:inherit;cursor:pointer;border-radius:6px;border:1px solid var(--line);"
"background:var(--card);color:var(--fg);padding:.55rem 1rem;text-decoration:none;display:inline-block}\n"
"button.primary,.button.primary{background:var(--accent);color:var(--accent-fg);border-color:var(--accent);"
"font-weight:600}\n"
"button.link{border:0;background:none;color:var(--accent);padding:.2rem;text-decoration:underline}\n"
".error{color:var(--bad);font-weight:600}.hint{color:var(--muted)}\n"
".notice{background:var(--accent-soft);border-radius:6px;padding:.6rem .8rem}\n"
".cancelled{color:var(--bad);font-weight:700}\n"
".layout{display:grid;grid-template-columns:14rem 1fr;gap:1rem;align-items:start}\n"
"@media (max-width:48rem){.layout{grid-template-columns:1fr}.logout{margin-left:0}"
".folders{padding:.5rem}.folders ul{display:flex;flex-wrap:wrap;gap:.25rem}}\n"
".folders ul{list-style:none;margin:0;padding:0}.folders a{display:flex;justify-content:space-between;"
"gap:.5rem;padding:.45rem .6rem;border-radius:6px;text-decoration:none;color:var(--fg)}"
".folders a:hover{background:var(--accent-soft)}.folders a[aria-current=page]{background:var(--accent-soft);"
"font-weight:700}.count{color:var(--muted);font-variant-numeric:tabular-nums}\n"
".quota{color:var(--muted);font-size:.85rem;margin:.5rem .6rem 0}.quota.over{color:inherit}\n"
".msglist{list-style:none;margin:0;padding:0}.msglist li{border-bottom:1px solid var(--line)}"
".msglist a{display:grid;grid-template-columns:minmax(0,13rem) minmax(0,1fr) auto;gap:.75rem;"
"align-items:baseline;padding:.6rem .4rem;text-decoration:none;color:var(--fg)}"
".msglist a:hover{background:var(--accent-soft)}"
".msglist .unseen{font-weight:700}.msglist .date{color:var(--muted);white-space:nowrap;"
"font-variant-numeric:tabular-nums;text-align:right}.msglist .from,.msglist .subj{min-width:0;overflow:hidden;"
"text-overflow:ellipsis;white-space:nowrap}.msglist .flag{color:var(--warn)}"
".msglist .folder{font-weight:400;border:1px solid var(--line);border-radius:999px;padding:0 .4rem;"
"font-size:.8rem}\n"
"@media (max-width:36rem){.msglist a{grid-template-columns:minmax(0,1fr) auto;grid-template-areas:"
"'from date' 'subj subj';gap:.1rem .5rem}.msglist .from{grid-area:from}.msglist .date{grid-area:date}"
".msglist .subj{grid-area:subj}}\n"
".folders .compose{display:block;text-align:center;margin-bottom:.6rem}.folders .searchbar input{flex:1 1 auto;min-width:0;width:100%}"
".folders .searchbar{margin-bottom:.6rem}.folders .more{margin-top:.6rem;border-top:1px solid var(--line);"
"padding-top:.4rem}\n"
".searchbar{display:flex;gap:.5rem;flex-wrap:wrap;margin-bottom:.8rem}.searchbar input{flex:1 1 12rem;width:auto}"
".searchbar select{width:auto}\n"
".toolbar form{display:inline-flex;gap:.35rem;align-items:center;margin:0}.toolbar select{width:auto;max-width:12rem}\n"
".inline-form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:.3rem 0}.inline-form input{width:auto;flex:1 1 10rem}\n"
".folder-admin{list-style:none;padding:0}.folder-admin li{border-bottom:1px solid var(--line);padding:.5rem 0}\n"
".compose label.check{font-weight:400;display:block}.kept{border:1px solid var(--line);border-radius:6px}\n"
".compose .from{margin:0}\n"
".outbox{list-style:none;padding:0}.outbox li{border-bottom:1px solid var(--line);padding:.5rem 0;"
"overflow-wrap:anywhere}\n"
".meeting-answer p{margin:0 0 .4rem}\n"
".htmlbody.fitted{resize:none;overflow:hidden}\n"
".pager{display:flex;justify-content:space-between;align-items:center;gap:1rem;margin-top:.8rem}\n"
".headers{display:grid;grid-template-columns:auto 1fr;gap:.2rem .8rem;margin:0 0 1rem}"
".headers dt{color:var(--muted)}.headers dd{margin:0;overflow-wrap:anywhere}\n"
".prose{white-space:pre-wrap;overflow-wrap:anywhere}\n"
".plain{white-space:pre-wrap;overflow-wrap:anywhere;font:.95rem/1.5 ui-monospace,'DejaVu Sans Mono',monospace;"
"margin:0}\n"
".htmlbody{width:100%;height:70vh;display:block;border:1px solid var(--line);border-radius:6px;background:#fff;resize:vertical}\n"
".attachments{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5rem}"
".attachments a{display:inline-block;border:1px solid var(--line);border-radius:6px;padding:.4rem .7rem}\n"
".meeting dl{display:grid;grid-template-columns:auto 1fr;gap:.35rem 1rem;margin:0}"
".meeting dt{color:var(--muted);font-weight:600}.meeting dd{margin:0;overflow-wrap:anywhere}\n"
".attendees{list-style:none;margin:0;padding:0}.attendees li{display:flex;gap:.5rem;flex-wrap:wrap}\n"
".badge{display:inline-block;border-radius:999px;padding:0 .55rem;font-size:.8rem;font-weight:700;"
"border:1px solid currentColor}.badge.ACCEPTED{color:var(--ok)}.badge.DECLINED{color:var(--bad)}"
".badge.TENTATIVE,.badge.NEEDS-ACTION{color:var(--warn)}\n"
".conflict{color:var(--warn);font-weight:600}\n"
".answer{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.6rem}.answer button{min-width:7rem}\n"
".agenda{list-style:none;margin:0;padding:0}.agenda li{display:grid;grid-template-columns:9rem 1fr;gap:.75rem;"
"padding:.55rem 0;border-bottom:1px solid var(--line)}.agenda .when{color:var(--muted);"
"font-variant-numeric:tabular-nums}\n"
".week{display:grid;grid-template-columns:repeat(7,minmax(0,1fr));gap:.5rem}"
".day{background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:.5rem;"
"min-height:8rem}.day h2{font-size:.95rem;margin:0 0 .4rem}.day.today{border-color:var(--accent);"
"border-width:2px}.day ul{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:.3rem}"
".day li{background:var(--accent-soft);border-radius:6px;padding:.25rem .4rem;font-size:.9rem;"
"overflow-wrap:anywhere}\n"
"@media (max-width:48rem){.week{grid-template-columns:1fr}.day{min-height:0}}\n"
".toolbar{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin-bottom:.8rem}\n"
".grid2{display:grid;grid-template-columns:1fr 1fr;gap:.8rem}@media (max-width:36rem){.grid2{grid-template-columns:1fr}}\n"
".calhead{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:.5rem}"
".calhead h1{margin:.2rem 0}.views ul{display:flex;flex-wrap:wrap;gap:.25rem;list-style:none;margin:0;padding:0}"
".views a{display:block;padding:.35rem .8rem;border:1px solid var(--line);border-radius:999px;text-decoration:none}"
".views a[aria-current=page]{background:var(--accent);color:var(--accent-fg);border-color:var(--accent)}\n"
".goto{display:inline-flex;gap:.35rem;align-items:center;margin:0}.goto input{width:auto}\n"
".tgrid{display:grid;grid-template-rows:auto auto auto;column-gap:.2rem;max-height:75vh;overflow:auto;"
"border:1px solid var(--line);border-radius:6px;position:relative}"
".tgrid.cols-1{grid-template-columns:3.2rem minmax(0,1fr)}"
".tgrid.cols-7{grid-template-columns:3.2rem repeat(7,minmax(0,1fr))}"
".tg-hours,.tg-day{display:grid;grid-row:1/4;grid-template-rows:subgrid;min-width:0}"
".tg-head{position:sticky;top:0;z-index:2;background:var(--card);margin:0;font-size:.9rem;padding:.3rem;"
"border-bottom:1px solid var(--line);text-align:center}.tg-day.today .tg-head{font-weight:800;"
"border-bottom:3px solid var(--accent)}"
".tg-allday{list-style:none;margin:0;padding:.2rem;min-height:1.7rem;border-bottom:1px solid var(--line);"
"font-size:.8rem;display:flex;flex-direction:column;gap:.15rem}.tg-hours .tg-allday{color:var(--muted);text-align:right}"
".tg-slots{list-style:none;margin:0;padding:0;display:grid;grid-template-rows:repeat(96,.65rem);"
"grid-template-columns:repeat(60,minmax(0,1fr));background:repeating-linear-gradient(to bottom,var(--line) 0 1px,"
"transparent 1px 2.6rem)}.tg-hours .tg-slots{background:none;grid-template-columns:1fr}"
".tg-hours .tg-slots li{font-size:.75rem;color:var(--muted);text-align:right;padding-right:.3rem;"
"font-variant-numeric:tabular-nums}"
".tg-slots .ev{margin:1px;background:var(--accent-soft);border-left:3px solid var(--accent);border-radius:4px;"
"padding:.1rem .3rem;font-size:.78rem;overflow:hidden;min-width:0;line-height:1.25;overflow-wrap:anywhere}"
".tg-slots .ev .when{display:block;font-variant-numeric:tabular-nums}.tg-slots .empty{display:none}"
".ev.allday{background:var(--accent-soft);border-radius:4px;padding:.05rem .3rem;overflow-wrap:anywhere}"
".cancelled-ev{text-decoration:line-through}.more{font-size:.8rem}\n"
"@media (max-width:48rem){.tgrid.cols-7{display:block;max-height:none;border:0}.tgrid.cols-7 .tg-hours{display:none}"
".tgrid.cols-7 .tg-day{display:block;border:1px solid var(--line);border-radius:6px;margin-bottom:.5rem}"
".tgrid.cols-7 .tg-head{position:static;text-align:left}.tgrid.cols-7 .tg-allday{min-height:0;border:0}"
".tgrid.cols-7 .tg-slots{display:flex;flex-direction:column;gap:.25rem;background:none;padding:.25rem}"
".tgrid.cols-7 .tg-slots .empty{display:block;padding:0;color:var(--muted)}"
".tgrid.cols-7 .tg-slots .ev .when{display:inline}}\n"
".month{width:100%;table-layout:fixed;border-collapse:collapse}.month th{font-size:.85rem;padding:.3rem}"
".month abbr{text-decoration:none}"
".month td{vertical-align:top;border:1px solid var(--line);height:6.5rem;padding:.2rem;overflow:hidden}"
".month td.out{background:var(--bg)}.month .dnum{display:inline-block;min-width:1.7rem;text-align:center;"
"font-weight:700;text-decoration:none;border-radius:999px}.month td.today .dnum{background:var(--accent);"
"color:var(--accent-fg)}.month ul{list-style:none;margin:0;padding:0}"
".month .ev{font-size:.78rem;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}\n"
"@media (max-width:36rem){.month td{height:4.5rem;padding:.1rem}.month .ev .when,.month .ev .badge{display:none}"
".month .ev{font-size:.7rem}}\n"
".errors{border:2px solid var(--bad);border-radius:6px;padding:.2rem .8rem;margin-bottom:.8rem}"
".errors ul{margin:.2rem 0 .5rem}.errors a{color:var(--bad)}\n"
"label.check{font-weight:400;display:inline-flex;gap:.4rem;align-items:center}label.check input{width:auto}"
"label.past{font-weight:700}\n"
".repeat{border:1px solid var(--line);border-radius:6px;padding:.5rem .8rem;display:flex;flex-direction:column;gap:.4rem}"
".repeat legend{font-weight:600}.repeat-end{display:flex;flex-wrap:wrap;gap:.4rem .6rem;align-items:center}"
".repeat-end input[type=number]{width:5.5rem}.repeat-end input[type=date]{width:auto}\n"
"button.danger{color:var(--bad);border-color:var(--bad)}.organizer form{margin:0}\n"
".freebusy ul{padding-left:1.2rem}.busy{font-variant-numeric:tabular-nums}q.comment{font-style:italic}\n"
".empty{color:var(--muted);padding:1rem 0}\n"
".sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}\n";

static const char web_js[] =
"/* infostore: tell the server the browser's time zone, so that times\n"
"   show in it. Pages work without this. */\n"
"(function () {\n"
"  try {\n"
"    var z = Intl.DateTimeFormat().resolvedOptions().timeZone;\n"
"    if (!z) return;\n"
"    var v = 'infostore-tz=' + encodeURIComponent(z);\n"
"    if (document.cookie.split('; ').indexOf(v) >= 0) return;\n"
"    document.cookie = v + '; Path=/; Max-Age=31536000; SameSite=Lax' +\n"
"      (location.protocol === 'https:' ? '; Secure' : '');\n"
"    if (document.body && document.body.hasAttribute('data-tz-reload')) location.reload();\n"
"  } catch (e) { }\n"
"})();\n"
"/* The HTML of a message in its frame, as tall as it is: no scrolling\n"
"   inside scrolling on a phone. The frame runs no script; without this\n"
"   one it keeps a fixed height and scrolls. */\n"
"(function () {\n"
"  function fit(f) {\n"
"    try {\n"
"      var d = f.contentDocument;\n"
"      if (!d || !d.documentElement) return;\n"
"      f.style.height = (d.documentElement.scrollHeight + 2) + 'px';\n"
"      f.classList.add('fitted');\n"
"    } catch (e) { }\n"
"  }\n"
"  function watch(f) {\n"
"    fit(f);\n"
"    try {\n"
"      if (window.ResizeObserver && f.contentDocument && f.contentDocument.body)\n"
"        new ResizeObserver(function () { fit(f); }).observe(f.contentDocument.body);\n"
"    } catch (e) { }\n"
"  }\n"
"  var frames = document.querySelectorAll('iframe.htmlbody');\n"
"  for (var i = 0; i < frames.length; i++) {\n"
"    (function (f) {\n"
"      f.addEventListener('load', function () { watch(f); });\n"
"      if (f.contentDocument && f.contentDocument.readyState === 'complete' &&\n"
"          f.contentDocument.location.href !== 'about:blank') watch(f);\n"
"    })(frames[i]);\n"
"  }\n"
"  window.addEventListener('resize', function () {\n"
"    for (var i = 0; i < frames.length; i++) fit(frames[i]);\n"
"  });\n"
"})();\n"
"/* The hour grid opens at the first event of the day, or at 07:00. */\n"
"(function () {\n"
"  var g = document.querySelector('.tgrid');\n"
"  if (!g || g.scrollHeight <= g.clientHeight) return;\n"
"  var mark = g.querySelector('.tg-hours .r29'), evs = g.querySelectorAll('.tg-slots .ev');\n"
"  var top = g.getBoundingClientRect().top, y = mark ? mark.getBoundingClientRect().top : top;\n"
"  for (var i = 0; i < evs.length; i++) y = Math.min(y, evs[i].getBoundingClientRect().top);\n"
"  var head = g.querySelector('.tg-head');\n"
"  g.scrollTop = y - top - (head ? head.offsetHeight : 0) - 4;\n"
"})();\n"
"/* Keys for the common actions, as in Gmail and Outlook on the web:\n"
"   c compose, r reply, a reply all, f forward, # delete, u mark unread,\n"
"   / search. Never while typing in a field. Each key clicks the page's\n"
"   own link or button (data-key), so it does exactly what that does. */\n"
"document.addEventListener('keydown', function (e) {\n"
"  if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented || e.isComposing) return;\n"
"  var t = e.target, tag = t && t.tagName;\n"
"  if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' ||\n"
"      (t && t.isContentEditable)) {\n"
"    if (e.key === 'Escape' && t.blur) t.blur();\n"
"    return;\n"
"  }\n"
"  if (e.key === '/') {\n"
"    var q = document.querySelector('input[type=search]');\n"
"    if (q) { e.preventDefault(); q.focus(); }\n"
"    return;\n"
"  }\n"
"  if (e.key.length !== 1) return;\n"
"  var el = document.querySelector('[data-key=\"' + (e.key === '\"' ? '' : e.key) + '\"]');\n"
"  if (el) { e.preventDefault(); el.click(); }\n"
"});\n";

static const char web_favicon[] =
"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\">"
"<rect width=\"64\" height=\"64\" rx=\"14\" fill=\"#0b5cad\"/>"
"<path d=\"M12 20h40v26H12z\" fill=\"#fff\"/>"
"<path d=\"M12 20l20 15 20-15\" fill=\"none\" stroke=\"#0b5cad\" stroke-width=\"4\"/></svg>";

/*
 * Where an event sits in the calendar's hour grid, as classes (the
 * policy allows no style attributes): rN starts it at quarter hour row N,
 * hN makes it N rows tall, lnL-K puts it in column K of L side by side
 * (the grid has 60 columns: every L up to 6 divides them).
 */
static void web_asset_grid_css(struct buffer *out)
{
	char rule[96];
	int n;

	for (int i = 1; i <= 96; i++) {
		n = snprintf(rule, sizeof(rule), ".r%d{grid-row-start:%d}.h%d{grid-row-end:span %d}",
			     i, i, i, i);
		buffer_append(out, rule, (size_t)n);
	}
	for (int lanes = 1; lanes <= 6; lanes++) {
		for (int k = 0; k < lanes; k++) {
			n = snprintf(rule, sizeof(rule), ".ln%d-%d{grid-column:%d/span %d}",
				     lanes, k, k * (60 / lanes) + 1, 60 / lanes);
			buffer_append(out, rule, (size_t)n);
		}
	}
	buffer_append(out, "\n", 1);
}

void web_asset_send(struct web_ctx *ctx)
{
	struct web_request *req = ctx->req;
	const char *data;

	switch (ctx->route.id) {
	case WEB_ROUTE_STATIC_CSS:
		data = web_css;
		req->content_type = "text/css; charset=utf-8";
		break;
	case WEB_ROUTE_STATIC_JS:
		data = web_js;
		req->content_type = "text/javascript; charset=utf-8";
		break;
	default:
		data = web_favicon;
		req->content_type = "image/svg+xml";
		break;
	}
	buffer_append(ctx->out, data, strlen(data));
	if (ctx->route.id == WEB_ROUTE_STATIC_CSS)
		web_asset_grid_css(ctx->out);
	web_security_headers(req, NULL);
	web_response_header(req, "Cache-Control", "public, max-age=3600");
	req->status = 200;
	web_response_send(req);
}
