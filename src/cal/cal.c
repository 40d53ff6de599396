/* Placeholder until the meeting-request work lands. */
#include "cal.h"
#include "pool.h"
#include "store.h"

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
