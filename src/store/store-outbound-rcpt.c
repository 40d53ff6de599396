#include "store-outbound-rcpt.h"
#include "store-private.h"

int store_outbound_set_recipients(struct store *store, int64_t id,
				  const char *recipients)
{
	static const char sql[] = "UPDATE outbound SET recipients = ? WHERE id = ?";
	struct db_stmt *stmt = store_stmt(store, sql);

	if (stmt == NULL)
		return -1;
	db_bind_text(stmt, 1, recipients, -1, DB_STATIC);
	db_bind_int64(stmt, 2, id);
	if (store_step_done(store, stmt, "outbound recipients") < 0)
		return -1;
	store->own_commits++;
	return 0;
}
