#ifndef INFOSTORE_WEB_MAIL_H
#define INFOSTORE_WEB_MAIL_H

/* Shared by the mail pages (web-mail.c, web-message.c). */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct pool;
struct store_mailbox;
struct web_ctx;

/* "Inbox" for INBOX, else the name. */
const char *web_mailbox_label(const struct store_mailbox *mb);
/* The viewer's mail folder by id: 1, or 0/-1 with the 404/503 page sent. */
int web_mailbox_get(struct web_ctx *ctx, int64_t mailbox_id,
		    struct store_mailbox *mb_r);
/* The viewer's folder with this special use ("\\Sent"), else the one
   named name, created (with that special use) when neither exists.
   1, or -1 with the 503 page sent. */
int web_mailbox_special(struct web_ctx *ctx, const char *special_use,
			const char *name, struct store_mailbox *mb_r);
/* Is mb the viewer's folder of this special use? */
bool web_mailbox_is(const struct store_mailbox *mb, const char *special_use);
/* The folder navigation (Calendar folders hidden). */
void web_folder_nav(struct web_ctx *ctx, int64_t current_id);
/* One row of a message list (a folder's, the search's): sender, subject,
   date, unread and flagged marks; folder names the folder (search over
   all folders) or is NULL. */
void web_message_list_item(struct web_ctx *ctx, int64_t mailbox_id, uint32_t uid,
			   uint32_t flags, time_t date, const char *envelope,
			   const char *folder);
/* A decoded display name, else the address. */
const char *web_display_address(struct pool *pool, const char *name,
				const char *addr);

#endif
