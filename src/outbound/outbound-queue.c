/*
 * Putting a message on the outbound queue: blob first (durable), then the
 * queue row, so a crash between the two leaves at worst an unused blob that
 * store_blob_gc() removes, never a queue row without its bytes.
 */
#include "outbound.h"
#include "alloc.h"
#include "store.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>

/* An address we are willing to put into RCPT TO:<...> and into the
   comma-separated recipients column (RFC 5321 4.5.3.1.3: 256 octets for a
   path, brackets included). */
#define OUTBOUND_ADDRESS_MAX 254
#define OUTBOUND_MAX_RECIPIENTS 100

static bool outbound_address_ok(const char *address)
{
	size_t len = strlen(address);

	if (len == 0 || len > OUTBOUND_ADDRESS_MAX || !str_is_address(address))
		return false;
	for (const char *p = address; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c == 0x7f || c == ',' || c == '<' || c == '>')
			return false;
	}
	return true;
}

int outbound_queue_message(struct store *store, const char *sender,
			   const char *const *recipients, unsigned int count,
			   const unsigned char *data, size_t size,
			   const char **error_r)
{
	struct store_blob_writer *writer;
	char blob[33];
	char *list;
	size_t list_len = 0, pos = 0;
	int64_t id;

	if (sender == NULL || (sender[0] != '\0' && !outbound_address_ok(sender))) {
		*error_r = "invalid envelope sender";
		return -1;
	}
	if (count == 0 || count > OUTBOUND_MAX_RECIPIENTS) {
		*error_r = "need 1 to 100 recipients";
		return -1;
	}
	for (unsigned int i = 0; i < count; i++) {
		if (!outbound_address_ok(recipients[i])) {
			*error_r = "invalid recipient address";
			return -1;
		}
		list_len += strlen(recipients[i]) + 1;
	}
	if (size == 0) {
		*error_r = "empty message";
		return -1;
	}

	writer = store_blob_writer_create(store);
	if (writer == NULL) {
		*error_r = store_last_error_detail(store);
		return -1;
	}
	if (store_blob_writer_write(writer, data, size) < 0 ||
	    store_blob_writer_finish(writer, true, blob) < 0) {
		*error_r = store_last_error_detail(store);
		store_blob_writer_abort(&writer);
		return -1;
	}
	store_blob_writer_free(&writer);

	list = xmalloc(list_len);
	for (unsigned int i = 0; i < count; i++) {
		size_t len = strlen(recipients[i]);

		if (i > 0)
			list[pos++] = ',';
		memcpy(list + pos, recipients[i], len);
		pos += len;
	}
	list[pos] = '\0';
	if (store_outbound_add(store, sender, list, blob, &id) < 0) {
		free(list);
		store_blob_unlink(store, blob);
		*error_r = store_last_error_detail(store);
		return -1;
	}
	free(list);
	outbound_kick();
	return 0;
}
