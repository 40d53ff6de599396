/*
 * The web access's style sheet, script and icon, served from the binary:
 * no CDN, no framework, nothing fetched from elsewhere. Pages work without
 * the script; it only tells the server the browser's time zone.
 */
#include "web-private.h"

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
".msglist{list-style:none;margin:0;padding:0}.msglist li{border-bottom:1px solid var(--line)}"
".msglist a{display:grid;grid-template-columns:minmax(8rem,14rem) 1fr auto;gap:.75rem;padding:.6rem .4rem;"
"text-decoration:none;color:var(--fg)}.msglist a:hover{background:var(--accent-soft)}"
".msglist .unseen{font-weight:700}.msglist .date{color:var(--muted);white-space:nowrap;"
"font-variant-numeric:tabular-nums}.msglist .from,.msglist .subj{overflow:hidden;text-overflow:ellipsis;"
"white-space:nowrap}\n"
"@media (max-width:36rem){.msglist a{grid-template-columns:1fr auto}.msglist .subj{grid-column:1/3}}\n"
".pager{display:flex;justify-content:space-between;align-items:center;gap:1rem;margin-top:.8rem}\n"
".headers{display:grid;grid-template-columns:auto 1fr;gap:.2rem .8rem;margin:0 0 1rem}"
".headers dt{color:var(--muted)}.headers dd{margin:0;overflow-wrap:anywhere}\n"
".prose{white-space:pre-wrap;overflow-wrap:anywhere}\n"
".plain{white-space:pre-wrap;overflow-wrap:anywhere;font:.95rem/1.5 ui-monospace,'DejaVu Sans Mono',monospace;"
"margin:0}\n"
".htmlbody{width:100%;height:70vh;border:1px solid var(--line);border-radius:6px;background:#fff;resize:vertical}\n"
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
"})();\n";

static const char web_favicon[] =
"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\">"
"<rect width=\"64\" height=\"64\" rx=\"14\" fill=\"#0b5cad\"/>"
"<path d=\"M12 20h40v26H12z\" fill=\"#fff\"/>"
"<path d=\"M12 20l20 15 20-15\" fill=\"none\" stroke=\"#0b5cad\" stroke-width=\"4\"/></svg>";

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
	web_security_headers(req, NULL);
	web_response_header(req, "Cache-Control", "public, max-age=3600");
	req->status = 200;
	web_response_send(req);
}
