/* STATUS (RFC 9051 6.3.11) */
#include "buffer.h"
#include "conf.h"
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-mailbox.h"
#include "imap-status.h"
#include "pool.h"
#include "server.h"
#include "store.h"
#include "store-imap.h"
#include "imap-recent.h"
#include "strutil.h"

static const struct {
	const char *name;
	enum imap_status_item item;
} status_items[] = {
	{ "MESSAGES", IMAP_STATUS_MESSAGES },
	{ "RECENT", IMAP_STATUS_RECENT },
	{ "UIDNEXT", IMAP_STATUS_UIDNEXT },
	{ "UIDVALIDITY", IMAP_STATUS_UIDVALIDITY },
	{ "UNSEEN", IMAP_STATUS_UNSEEN },
	{ "DELETED", IMAP_STATUS_DELETED },
	{ "SIZE", IMAP_STATUS_SIZE },
	{ "HIGHESTMODSEQ", IMAP_STATUS_HIGHESTMODSEQ },
	{ "APPENDLIMIT", IMAP_STATUS_APPENDLIMIT },
	{ "DELETED-STORAGE", IMAP_STATUS_DELETED_STORAGE },
};

int imap_status_parse(const struct imap_arg *list, unsigned int *items_r,
		      const char **error_r)
{
	unsigned int items = 0;

	if (list->type == IMAP_ARG_EOL) {
		*error_r = "Empty status item list";
		return -1;
	}
	for (; list->type != IMAP_ARG_EOL; list++) {
		const char *name;
		bool found = false;

		if (!imap_arg_get_atom(list, &name)) {
			*error_r = "Invalid status item";
			return -1;
		}
		for (size_t i = 0; i < sizeof(status_items) / sizeof(status_items[0]); i++) {
			if (str_iequal(name, status_items[i].name)) {
				items |= status_items[i].item;
				found = true;
			}
		}
		if (!found) {
			*error_r = "Unknown status item";
			return -1;
		}
	}
	*items_r = items;
	return 0;
}

void imap_status_write(struct imap_client *client, struct buffer *buf,
		       const struct store_mailbox *mb, unsigned int items)
{
	const char *sep = "";

	buffer_append_str(buf, "* STATUS ");
	imap_mailbox_name_append(client, buf, mb->name);
	buffer_append_str(buf, " (");
	for (size_t i = 0; i < sizeof(status_items) / sizeof(status_items[0]); i++) {
		unsigned long long value;

		if ((items & status_items[i].item) == 0)
			continue;
		switch (status_items[i].item) {
		case IMAP_STATUS_MESSAGES: value = mb->messages; break;
		case IMAP_STATUS_RECENT: {
			/* what no session has been told about yet */
			uint32_t count = 0;

			(void)store_imap_count_above(client->session.srv->store, mb->id,
						     imap_recent_claimed(mb->id, mb->uidvalidity),
						     &count);
			value = count;
			break;
		}
		case IMAP_STATUS_UIDNEXT: value = mb->uidnext; break;
		case IMAP_STATUS_UIDVALIDITY: value = mb->uidvalidity; break;
		case IMAP_STATUS_UNSEEN: value = mb->unseen; break;
		case IMAP_STATUS_DELETED: value = mb->deleted; break;
		case IMAP_STATUS_SIZE: value = mb->size; break;
		case IMAP_STATUS_HIGHESTMODSEQ: value = mb->highestmodseq; break;
		/* RFC 9208: what EXPUNGE would free, in the units of
		   STORAGE (1024 octets), from a counter the triggers keep */
		case IMAP_STATUS_DELETED_STORAGE: value = (mb->deleted_size + 1023) / 1024; break;
		case IMAP_STATUS_APPENDLIMIT:
		default:
			value = client->session.srv->conf->max_message_size;
			break;
		}
		buffer_printf(buf, "%s%s %llu", sep, status_items[i].name, value);
		sep = " ";
	}
	buffer_append_str(buf, ")\r\n");
}

bool cmd_status(struct imap_command *cmd)
{
	struct imap_client *client = cmd->client;
	const struct imap_arg *list;
	const char *wire, *name, *error;
	struct store_mailbox mb;
	unsigned int count, items;
	struct buffer buf;

	if (!imap_arg_get_astring(&cmd->args[0], &wire) ||
	    !imap_arg_get_list(&cmd->args[1], &list, &count) ||
	    cmd->args[2].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "Usage: STATUS mailbox (items).");
		return true;
	}
	if (imap_status_parse(list, &items, &error) < 0) {
		imap_command_bad(cmd, "%s.", error);
		return true;
	}
	if (!imap_mailbox_arg_lookup(cmd, wire, &name, &mb))
		return true;
	if ((items & IMAP_STATUS_HIGHESTMODSEQ) != 0)
		imap_client_enable_condstore(client);
	buffer_init_pool(&buf, cmd->pool, 0);
	imap_status_write(client, &buf, &mb, items);
	imap_client_send_buffer(client, &buf);
	imap_command_ok(cmd, "Status completed.");
	return true;
}
