/*
 * The calendar: set-up, the link into the web access, the columns the
 * store keeps for an item, and `infostore calendar list`.
 */
#include "cal-private.h"
#include "deliver.h"
#include "imip.h"
#include "imip-item.h"
#include "imip-itip.h"
#include "pool.h"
#include "store.h"
#include "strutil.h"

#include <string.h>
#include <sysexits.h>

void cal_init(const struct conf *conf)
{
	(void)conf;
	imip_init();
	deliver_set_hook(cal_deliver_hook, NULL);
}

void cal_deinit(void)
{
	deliver_set_hook(NULL, NULL);
	imip_deinit();
}

void cal_tz_names(struct pool *pool, const char *const **names_r,
		  unsigned int *count_r)
{
	imip_tz_names(pool, names_r, count_r);
}

bool cal_tz_known(const char *name)
{
	return imip_zone_known(name);
}

const char *cal_item_link(struct pool *pool, const struct conf *conf,
			  const char *token)
{
	/* link_base is PROTOCOL//HOST[:PORT] as conf_load() validated it
	   against the listeners: never a protocol nobody answers on */
	if (conf->link_base == NULL || token == NULL)
		return NULL;
	return p_printf(pool, "%s/item/%s", conf->link_base, token);
}

static const char *const cal_partstat_names[] = {
	[CAL_PARTSTAT_NEEDS_ACTION] = "NEEDS-ACTION",
	[CAL_PARTSTAT_ACCEPTED] = "ACCEPTED",
	[CAL_PARTSTAT_TENTATIVE] = "TENTATIVE",
	[CAL_PARTSTAT_DECLINED] = "DECLINED",
	[CAL_PARTSTAT_DELEGATED] = "DELEGATED",
};

const char *cal_partstat_name(enum cal_partstat partstat)
{
	return cal_partstat_names[partstat];
}

int cal_partstat_parse(const char *name, enum cal_partstat *partstat_r)
{
	for (size_t i = 0; i < sizeof(cal_partstat_names) / sizeof(*cal_partstat_names); i++) {
		if (name != NULL && strcmp(name, cal_partstat_names[i]) == 0) {
			*partstat_r = (enum cal_partstat)i;
			return 0;
		}
	}
	return -1;
}

enum conf_calendar_format cal_user_format(const struct conf *conf,
					  const struct store_user *user)
{
	enum conf_calendar_format format;

	if (user->calendar_format != NULL &&
	    conf_calendar_format_parse(user->calendar_format, &format) == 0)
		return format;
	return conf != NULL ? conf->imap_pop3_format : CONF_CALENDAR_FORMAT_BOTH;
}

bool cal_is_organizer(const struct store_cal_item *item, const char *address)
{
	return item->organizer != NULL && address != NULL &&
		str_iequal(item->organizer, address);
}

const char *cal_header_text(struct pool *pool, const char *text, size_t max)
{
	size_t len = text != NULL ? strlen(text) : 0;
	char *out;

	if (len > max) {
		len = max;
		/* do not cut a UTF-8 sequence */
		while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
			len--;
	}
	out = p_strndup(pool, text != NULL ? text : "", len);
	for (char *p = out; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	return out;
}

size_t cal_header_block_size(const unsigned char *data, size_t size)
{
	for (size_t i = 0; i + 1 < size; i++) {
		if (data[i] != '\n')
			continue;
		if (data[i + 1] == '\n')
			return i + 2;
		if (data[i + 1] == '\r' && i + 2 < size && data[i + 2] == '\n')
			return i + 3;
	}
	return size;
}

int cal_item_fill(struct pool *pool, struct store_cal_item *item,
		  const char *ical, const char *owner, const char **error_r)
{
	struct imip_item_info info;

	if (imip_item_info(pool, ical, owner, &info, error_r) < 0)
		return -1;
	item->ical = ical;
	item->uid = info.uid;
	item->sequence = info.sequence;
	item->dtstart = info.dtstart;
	item->dtend = info.dtend;
	item->all_day = info.all_day;
	item->summary = info.summary;
	item->location = info.location;
	item->organizer = info.organizer;
	/* no ORGANIZER: the owner's own appointment (RFC 5545 3.8.4.3 wants
	   one only in a meeting), answered by nobody */
	if (item->organizer == NULL || cal_is_organizer(item, owner)) {
		item->partstat = NULL;
		item->status = info.status;
		return 0;
	}
	item->partstat = info.partstat != NULL ? info.partstat : "NEEDS-ACTION";
	/* an invitation not yet accepted shows as tentative (as Outlook
	   puts it in the calendar) */
	if (strcmp(info.status, "CANCELLED") == 0)
		item->status = "CANCELLED";
	else if (strcmp(item->partstat, "NEEDS-ACTION") == 0 ||
		 strcmp(item->partstat, "TENTATIVE") == 0 ||
		 strcmp(info.status, "TENTATIVE") == 0)
		item->status = "TENTATIVE";
	else
		item->status = "CONFIRMED";
	return 0;
}

/* --- calendar list --- */

struct cal_list_ctx {
	const struct conf *conf;
	const char *owner;
	struct pool *pool;
	FILE *out;
};

/* "bob@example.test=ACCEPTED,carol@...=NEEDS-ACTION" for the series */
static const char *cal_list_attendees(struct pool *pool, const struct store_cal_item *item)
{
	struct imip_calendar *cal;
	const struct imip_event *ev;
	const char *error, *out = "";

	if (imip_parse(pool, item->ical, strlen(item->ical), &cal, &error) < 0)
		return "-";
	ev = cal->master != NULL ? cal->master : &cal->events[0];
	for (unsigned int i = 0; i < ev->attendee_count; i++) {
		const struct imip_attendee *a = &ev->attendees[i];

		if (str_iequal(a->address, item->organizer != NULL ? item->organizer : ""))
			continue;
		out = p_printf(pool, "%s%s%s=%s", out, *out == '\0' ? "" : ",",
			       cal_header_text(pool, a->address, 320), a->partstat);
	}
	return *out == '\0' ? "-" : out;
}

static void cal_list_item(void *context, const struct store_cal_item *item)
{
	struct cal_list_ctx *ctx = context;
	bool organizer = item->organizer == NULL || cal_is_organizer(item, ctx->owner);
	const char *link = cal_item_link(ctx->pool, ctx->conf, item->token);

	fprintf(ctx->out, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
		cal_header_text(ctx->pool, item->uid, 1024),
		imip_time_format_iso(ctx->pool, item->dtstart, item->all_day),
		cal_header_text(ctx->pool, item->summary != NULL ? item->summary : "", 1024),
		item->status != NULL ? item->status : "-",
		organizer ? "organizer" : item->partstat != NULL ? item->partstat : "-",
		organizer ? cal_list_attendees(ctx->pool, item) : "-",
		cal_header_text(ctx->pool, item->source != NULL ? item->source : "-", 1024),
		link != NULL ? link : "-");
}

int cal_list_print(struct store *store, const struct conf *conf,
		   const char *address, FILE *out)
{
	struct pool *pool = pool_create(4096);
	struct store_user user;
	struct cal_list_ctx ctx = { .conf = conf, .pool = pool, .out = out };
	int ret;

	ret = store_user_lookup(store, address, pool, &user);
	if (ret <= 0) {
		pool_destroy(&pool);
		return ret == 0 ? EX_NOUSER : EX_TEMPFAIL;
	}
	ctx.owner = user.address;
	ret = store_cal_item_list(store, user.id, 0, 0, pool, cal_list_item, &ctx);
	pool_destroy(&pool);
	return ret < 0 ? EX_TEMPFAIL : 0;
}
