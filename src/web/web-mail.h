#ifndef INFOSTORE_WEB_MAIL_H
#define INFOSTORE_WEB_MAIL_H

/* Shared by the mail pages (web-mail.c, web-message.c). */

#include <stdint.h>

struct pool;
struct store_mailbox;
struct web_ctx;

/* "Inbox" for INBOX, else the name. */
const char *web_mailbox_label(const struct store_mailbox *mb);
/* The viewer's mail folder by id: 1, or 0/-1 with the 404/503 page sent. */
int web_mailbox_get(struct web_ctx *ctx, int64_t mailbox_id,
		    struct store_mailbox *mb_r);
/* The folder navigation (Calendar folders hidden). */
void web_folder_nav(struct web_ctx *ctx, int64_t current_id);
/* A decoded display name, else the address. */
const char *web_display_address(struct pool *pool, const char *name,
				const char *addr);

#endif
