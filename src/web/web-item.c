/*
 * /item/TOKEN: the page a meeting request's link opens, and the answer
 * (Accept, Tentative, Decline) posted back to it.
 *
 * A token is bound to one user's item. For anyone else it does not exist:
 * the same 404 page as an unknown token, so a token cannot be probed.
 */
#include "web-private.h"
#include "web-html.h"
#include "web-tz.h"
#include "cal.h"
#include "log.h"
#include "pool.h"
#include "server.h"

#include <string.h>

#define WEB_COMMENT_MAX 2000

int web_item_lookup(struct web_ctx *ctx, struct store_cal_item *item_r)
{
	int ret = store_cal_item_lookup_token(ctx->srv->store, ctx->route.token,
					      ctx->pool, item_r);

	if (ret < 0) {
		log_error("web", "item lookup failed: %s",
			  store_last_error_detail(ctx->srv->store));
		web_send_message(ctx, 503, "Try again later",
				 "The calendar cannot be read right now.");
		return -1;
	}
	if (ret == 0 || item_r->user_id != ctx->user.id) {
		web_send_not_found(ctx);
		return 0;
	}
	return 1;
}

static bool web_item_cancelled(const char *status)
{
	return status != NULL && strcmp(status, "CANCELLED") == 0;
}

struct web_conflicts {
	struct web_ctx *ctx;
	int64_t self_id;
	time_t start, end;
	struct buffer list;
	unsigned int count;
};

static void web_conflict_occurrence(void *context, const struct store_cal_item *item,
				    time_t start, time_t end)
{
	struct web_conflicts *c = context;

	if (end <= start)
		end = start + 1;
	if (start >= c->end || end <= c->start)
		return;
	if (c->count++ > 0)
		buffer_append_str(&c->list, ", ");
	html_printf(&c->list, "<span>%s (%s–%s)</span>",
		    item->summary != NULL ? item->summary : "(no title)",
		    web_format_time(c->ctx->pool, c->ctx->tz, start),
		    web_format_time(c->ctx->pool, c->ctx->tz, end));
}

static void web_conflict_item(void *context, const struct store_cal_item *item)
{
	struct web_conflicts *c = context;

	if (item->id == c->self_id || web_item_cancelled(item->status) ||
	    (item->partstat != NULL && strcmp(item->partstat, "DECLINED") == 0))
		return;
	cal_expand(c->ctx->pool, item, c->start, c->end, web_conflict_occurrence, c);
}

/* Other items of the viewer that overlap [start, end), as HTML, or NULL. */
static const char *web_item_conflicts(struct web_ctx *ctx, int64_t self_id,
				      time_t start, time_t end)
{
	struct web_conflicts c;

	memset(&c, 0, sizeof(c));
	c.ctx = ctx;
	c.self_id = self_id;
	c.start = start;
	c.end = end > start ? end : start + 1;
	buffer_init_pool(&c.list, ctx->pool, 0);
	if (store_cal_item_list(ctx->srv->store, ctx->user.id, c.start, c.end,
				ctx->pool, web_conflict_item, &c) < 0)
		return NULL;
	return c.count > 0 ? c.list.data : NULL;
}

static const char *web_partstat_label(const char *partstat)
{
	if (partstat == NULL)
		return "No answer yet";
	if (strcmp(partstat, "ACCEPTED") == 0)
		return "Accepted";
	if (strcmp(partstat, "TENTATIVE") == 0)
		return "Tentative";
	if (strcmp(partstat, "DECLINED") == 0)
		return "Declined";
	if (strcmp(partstat, "DELEGATED") == 0)
		return "Delegated";
	return "No answer yet";
}

static void web_item_when(struct web_ctx *ctx, const struct cal_item_view *view,
			  const struct web_tz *tz, const char *whose)
{
	struct buffer *out = ctx->out;
	struct tm st, et;
	const char *sabbr, *eabbr;

	if (view->all_day) {
		html_printf(out, "%s", web_format_date(ctx->pool, web_tz_utc(), view->start));
		if (view->end > view->start + 86400)
			html_printf(out, " – %s", web_format_date(ctx->pool, web_tz_utc(),
								  view->end - 86400));
		html_printf(out, " (all day)");
		return;
	}
	web_tz_localtime(tz, view->start, &st, &sabbr);
	web_tz_localtime(tz, view->end > view->start ? view->end : view->start, &et, &eabbr);
	if (st.tm_year == et.tm_year && st.tm_yday == et.tm_yday) {
		/* "Tue 3 Dec 2030, 09:00–10:00 CET" */
		html_printf(out, "<span class=\"time\">%s, %s–%s %s</span>",
			    web_format_date(ctx->pool, tz, view->start),
			    web_format_time(ctx->pool, tz, view->start),
			    web_format_time(ctx->pool, tz, view->end), eabbr);
	} else {
		html_printf(out, "<span class=\"time\">%s – %s</span>",
			    web_format_datetime(ctx->pool, tz, view->start),
			    web_format_datetime(ctx->pool, tz, view->end));
	}
	html_printf(out, " <span class=\"hint\">(%s, %s)</span>", whose, web_tz_name(tz));
}

static void web_item_render(struct web_ctx *ctx, const struct store_cal_item *item,
			    const struct cal_item_view *view, const char *error)
{
	struct buffer *out = ctx->out;
	const char *answered = web_form_get(&ctx->query, "answered");
	bool cancelled = web_item_cancelled(view->status);
	const struct web_tz *org_tz = view->tzid != NULL ? web_tz_get(view->tzid) : NULL;
	const char *conflicts;

	buffer_reset(out);
	web_page_begin(ctx, view->summary != NULL ? view->summary : "Meeting",
		       WEB_NAV_CALENDAR);
	html_printf(out, "<article class=\"card meeting\" aria-labelledby=\"meeting-title\">\n"
		    "<p class=\"hint\">Meeting request</p>\n"
		    "<h1 id=\"meeting-title\">%s</h1>\n",
		    view->summary != NULL && *view->summary != '\0' ?
		    view->summary : "(no title)");
	if (cancelled)
		html_printf(out, "<p class=\"cancelled\" role=\"status\">This meeting has been"
			    " cancelled. It can no longer be accepted.</p>\n");
	if (error != NULL)
		html_printf(out, "<p class=\"error\" role=\"alert\">%s</p>\n", error);
	else if (web_form_get(&ctx->query, "updated") != NULL && view->i_am_organizer)
		html_printf(out, "<p class=\"notice\" role=\"status\">The meeting has been"
			    " changed. The attendees have been sent the update.</p>\n");
	else if (answered != NULL && view->my_partstat != NULL)
		html_printf(out, "<p class=\"notice\" role=\"status\">Your answer has been saved:"
			    " <strong>%s</strong>. The organizer has been told.</p>\n",
			    web_partstat_label(view->my_partstat));

	html_printf(out, "<dl>\n<dt>When</dt>\n<dd>");
	web_item_when(ctx, view, ctx->tz, "your time");
	if (!view->all_day) {
		html_printf(out, "<br>\n");
		web_item_when(ctx, view, org_tz != NULL ? org_tz : web_tz_utc(),
			      "organizer's time");
	}
	html_printf(out, "</dd>\n");
	if (view->recurrence != NULL)
		html_printf(out, "<dt>Repeats</dt><dd>%s</dd>\n", view->recurrence);
	if (view->location != NULL && *view->location != '\0')
		html_printf(out, "<dt>Where</dt><dd>%s</dd>\n", view->location);
	html_printf(out, "<dt>Organizer</dt><dd>");
	if (view->organizer_name != NULL && *view->organizer_name != '\0')
		html_printf(out, "%s &lt;%s&gt;", view->organizer_name, view->organizer);
	else
		html_printf(out, "%s", view->organizer != NULL ? view->organizer : "unknown");
	html_printf(out, "</dd>\n");
	if (view->attendee_count > 0) {
		html_printf(out, "<dt>Attendees</dt><dd><ul class=\"attendees\">\n");
		for (unsigned int i = 0; i < view->attendee_count; i++) {
			const struct cal_attendee *a = &view->attendees[i];
			const char *ps = a->partstat != NULL ? a->partstat : "NEEDS-ACTION";

			html_printf(out, "<li><span>%s%s%s%s</span> <span class=\"badge %s\">%s</span>",
				    a->name != NULL ? a->name : "",
				    a->name != NULL ? " <" : "", a->address,
				    a->name != NULL ? ">" : "", ps, web_partstat_label(ps));
			/* what they said with their answer (the organizer's
			   copy keeps it) */
			if (view->i_am_organizer && a->comment != NULL && *a->comment != '\0')
				html_printf(out, " <q class=\"comment\">%s</q>", a->comment);
			html_printf(out, "</li>\n");
		}
		html_printf(out, "</ul></dd>\n");
	}
	if (!view->i_am_organizer) {
		const char *ps = view->my_partstat != NULL ? view->my_partstat : "NEEDS-ACTION";

		html_printf(out, "<dt>Your answer</dt><dd><span class=\"badge %s\">%s</span></dd>\n",
			    ps, web_partstat_label(ps));
	}
	conflicts = cancelled ? NULL :
		web_item_conflicts(ctx, item->id, view->start, view->end);
	if (conflicts != NULL)
		html_printf(out, "<dt>Your calendar</dt><dd class=\"conflict\">Conflicts with %S</dd>\n",
			    conflicts);
	else if (!cancelled)
		html_printf(out, "<dt>Your calendar</dt><dd>No conflicts</dd>\n");
	html_printf(out, "</dl>\n");
	if (view->description != NULL && *view->description != '\0')
		html_printf(out, "<h2>Description</h2>\n<p class=\"prose\">%s</p>\n",
			    view->description);

	if (!cancelled && !view->i_am_organizer) {
		html_printf(out, "<form method=\"post\" action=\"/item/%q\" class=\"stack respond\">\n"
			    "<h2 id=\"answer-title\">Answer</h2>\n", ctx->route.token);
		web_page_csrf_field(ctx);
		html_printf(out,
			"<label for=\"comment\">Comment for the organizer (optional)</label>\n"
			"<textarea id=\"comment\" name=\"comment\" maxlength=\"%u\" rows=\"2\"></textarea>\n"
			"<div class=\"answer\" role=\"group\" aria-labelledby=\"answer-title\">\n"
			"<button type=\"submit\" name=\"answer\" value=\"accept\" class=\"primary\">Accept</button>\n"
			"<button type=\"submit\" name=\"answer\" value=\"tentative\">Tentative</button>\n"
			"<button type=\"submit\" name=\"answer\" value=\"decline\">Decline</button>\n"
			"</div>\n</form>\n", (unsigned int)WEB_COMMENT_MAX);
	}
	if (!cancelled && view->i_am_organizer) {
		/* the organizer's: Edit and Cancel meeting (the server checks
		   again on each POST) */
		html_printf(out, "<div class=\"answer organizer\">\n"
			    "<a class=\"button primary\" href=\"/item/%q/edit\" data-key=\"e\">Edit</a>\n"
			    "<form method=\"post\" action=\"/item/%q/cancel\">\n",
			    ctx->route.token, ctx->route.token);
		web_page_csrf_field(ctx);
		html_printf(out, "<button type=\"submit\" class=\"danger\">Cancel meeting</button>\n"
			    "</form>\n</div>\n");
	}
	html_printf(out, "</article>\n<p><a href=\"/calendar/week?date=%s\">Back to the calendar</a></p>\n",
		    web_format_ymd(ctx->pool, ctx->tz, view->start));
	web_page_end(ctx);
}

void web_item_page(struct web_ctx *ctx)
{
	struct store_cal_item item;
	struct cal_item_view view;

	if (web_item_lookup(ctx, &item) <= 0)
		return;
	if (cal_item_view(ctx->pool, &item, ctx->user.address, &view) < 0) {
		web_send_message(ctx, 500, "Cannot show this meeting",
				 "This calendar item could not be read.");
		return;
	}
	web_item_render(ctx, &item, &view, NULL);
	web_send_html(ctx, 200);
}

static int web_answer_parse(const char *value, enum cal_partstat *answer_r)
{
	if (value == NULL)
		return -1;
	if (strcmp(value, "accept") == 0 || strcmp(value, "Accept") == 0)
		*answer_r = CAL_PARTSTAT_ACCEPTED;
	else if (strcmp(value, "tentative") == 0 || strcmp(value, "Tentative") == 0)
		*answer_r = CAL_PARTSTAT_TENTATIVE;
	else if (strcmp(value, "decline") == 0 || strcmp(value, "Decline") == 0)
		*answer_r = CAL_PARTSTAT_DECLINED;
	else
		return -1;
	return 0;
}

void web_item_post(struct web_ctx *ctx)
{
	struct store_cal_item item;
	struct cal_item_view view;
	enum cal_partstat answer;
	const char *comment = web_form_get(&ctx->form, "comment");
	const char *error = NULL;

	if (!web_csrf_ok(ctx)) {
		web_send_message(ctx, 403, "Forbidden",
				 "This form has expired. Please go back, reload the page and try again.");
		return;
	}
	if (web_item_lookup(ctx, &item) <= 0)
		return;
	if (cal_item_view(ctx->pool, &item, ctx->user.address, &view) < 0) {
		web_send_message(ctx, 500, "Cannot show this meeting",
				 "This calendar item could not be read.");
		return;
	}
	if (web_answer_parse(web_form_get(&ctx->form, "answer"), &answer) < 0) {
		error = "Please choose Accept, Tentative or Decline.";
	} else if (comment != NULL && strlen(comment) > WEB_COMMENT_MAX) {
		error = "The comment is too long.";
	} else if (web_item_cancelled(view.status) && answer != CAL_PARTSTAT_DECLINED) {
		error = "This meeting has been cancelled. It can no longer be accepted.";
	} else if (cal_respond(ctx->srv->store, ctx->srv->conf, &ctx->user, item.id,
			       answer, comment != NULL && *comment != '\0' ? comment : NULL,
			       &error) == 0) {
		log_info("web", "answered meeting user=%s answer=%s",
			 log_value(ctx->user.address), cal_partstat_name(answer));
		web_send_redirect(ctx, 303, p_printf(ctx->pool, "/item/%s?answered=1",
						     ctx->route.token));
		return;
	}
	web_item_render(ctx, &item, &view, error);
	web_send_html(ctx, web_item_cancelled(view.status) ? 409 : 400);
}
