#ifndef INFOSTORE_IMAP_STATUS_H
#define INFOSTORE_IMAP_STATUS_H

/* STATUS items (RFC 9051 6.3.11, RFC 8438 SIZE, RFC 7162 HIGHESTMODSEQ),
   shared by STATUS and LIST-STATUS (RFC 5819). In cmd-status.c. */

struct buffer;
struct imap_arg;
struct imap_client;
struct store_mailbox;

enum imap_status_item {
	IMAP_STATUS_MESSAGES = 0x01,
	IMAP_STATUS_RECENT = 0x02,
	IMAP_STATUS_UIDNEXT = 0x04,
	IMAP_STATUS_UIDVALIDITY = 0x08,
	IMAP_STATUS_UNSEEN = 0x10,
	IMAP_STATUS_DELETED = 0x20,
	IMAP_STATUS_SIZE = 0x40,
	IMAP_STATUS_HIGHESTMODSEQ = 0x80,
	IMAP_STATUS_APPENDLIMIT = 0x100,
	IMAP_STATUS_DELETED_STORAGE = 0x200,  /* RFC 9208 */
};

/* The items of a list (up to EOL). 0, or -1 with *error_r. */
int imap_status_parse(const struct imap_arg *list, unsigned int *items_r,
		      const char **error_r);
/* Append "* STATUS name (MESSAGES 3 ...)\r\n". */
void imap_status_write(struct imap_client *client, struct buffer *buf,
		       const struct store_mailbox *mb, unsigned int items);

#endif
