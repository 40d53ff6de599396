/* Placeholder until the meeting-request work lands. */
#include "cal.h"
#include "conf.h"
#include "pool.h"
#include "store.h"

#include <string.h>
#include <sysexits.h>

void cal_init(const struct conf *conf)
{
	(void)conf;
}

void cal_deinit(void)
{
}

static void cal_list_item(void *context, const struct store_cal_item *item)
{
	FILE *out = context;

	fprintf(out, "%s\t%lld\t%s\t%s\t%s\t%s\n", item->uid,
		(long long)item->dtstart, item->summary != NULL ? item->summary : "",
		item->status != NULL ? item->status : "",
		item->partstat != NULL ? item->partstat : "",
		item->source != NULL ? item->source : "");
}

int cal_list_print(struct store *store, const struct conf *conf,
		   const char *address, FILE *out)
{
	struct pool *pool = pool_create(4096);
	struct store_user user;
	int ret;

	(void)conf;
	ret = store_user_lookup(store, address, pool, &user);
	if (ret <= 0) {
		pool_destroy(&pool);
		return ret == 0 ? EX_NOUSER : EX_TEMPFAIL;
	}
	ret = store_cal_item_list(store, user.id, 0, 0, pool, cal_list_item, out);
	pool_destroy(&pool);
	return ret < 0 ? EX_TEMPFAIL : 0;
}

const char *cal_item_link(struct pool *pool, const struct conf *conf,
			  const char *token)
{
	if (conf->link_base == NULL)
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
		if (strcmp(name, cal_partstat_names[i]) == 0) {
			*partstat_r = (enum cal_partstat)i;
			return 0;
		}
	}
	return -1;
}

int cal_item_view(struct pool *pool, const struct store_cal_item *item,
		  const char *owner_address, struct cal_item_view *view_r)
{
	(void)owner_address;
	memset(view_r, 0, sizeof(*view_r));
	view_r->uid = item->uid;
	view_r->summary = item->summary;
	view_r->location = item->location;
	view_r->organizer = item->organizer;
	view_r->start = item->dtstart;
	view_r->end = item->dtend;
	view_r->status = item->status;
	view_r->my_partstat = item->partstat;
	(void)pool;
	return 0;
}

int cal_expand(struct pool *pool, const struct store_cal_item *item, time_t from,
	       time_t to, cal_occurrence_cb *cb, void *context)
{
	(void)pool;
	if (item->dtstart < to && (item->dtend > from || item->dtend == 0))
		cb(context, item, item->dtstart, item->dtend);
	return 0;
}

int cal_respond(struct store *store, const struct conf *conf,
		const struct store_user *user, int64_t item_id,
		enum cal_partstat answer, const char *comment,
		const char **error_r)
{
	(void)store; (void)conf; (void)user; (void)item_id; (void)answer; (void)comment;
	*error_r = "Answering meetings is not available yet";
	return -1;
}

int cal_create_meeting(struct store *store, const struct conf *conf,
		       const struct store_user *user,
		       const struct cal_new_meeting *meeting,
		       int64_t *item_id_r, const char **error_r)
{
	(void)store; (void)conf; (void)user; (void)meeting; (void)item_id_r;
	*error_r = "Creating meetings is not available yet";
	return -1;
}
