/* Submission: the header scan, the author check and the completion of a
   submitted message (submission-message.c), the mailbox reader on every
   line, and SASL PLAIN/LOGIN responses (auth-sasl.c), on arbitrary bytes.

   What must hold: the header ends where an empty line starts (or at the
   end); a mailbox that is read back inside angle brackets gives the same
   address; a message passed as the user's has exactly one From: that
   reads as the user's address; completion adds only its fields, keeping
   every byte of the input in order; a decoded PLAIN response splits into
   fields that lie inside it. */
#include "auth-sasl.h"
#include "buffer.h"
#include "mime.h"
#include "pool.h"
#include "strutil.h"
#include "submission-message.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)
#define ALICE "alice@example.test"

static void check_mailbox(struct pool *pool, const uint8_t *line, size_t len)
{
	const char *value = p_strndup(pool, line, len), *addr, *again;

	if (submission_mailbox_parse(pool, value, &addr) < 0)
		return;
	CHECK(addr[0] != '\0');
	CHECK(strchr(addr, '@') != NULL);
	CHECK(strchr(addr, '\n') == NULL && strchr(addr, '\r') == NULL);
	/* the address alone, and inside brackets, reads back the same */
	CHECK(submission_mailbox_parse(pool, addr, &again) == 0);
	CHECK(strcmp(again, addr) == 0);
	CHECK(submission_mailbox_parse(pool, p_printf(pool, "Name <%s>", addr),
				       &again) == 0);
	CHECK(strcmp(again, addr) == 0);
}

static void check_sasl(const uint8_t *line, size_t len)
{
	struct buffer msg;
	const char *authcid, *passwd, *error;

	buffer_init(&msg, 0);
	if (auth_sasl_decode((const char *)line, len, &msg) == 0) {
		CHECK(msg.used <= AUTH_SASL_RESPONSE_MAX);
		if (auth_sasl_plain_parse(msg.data, msg.used, &authcid, &passwd,
					  &error) == 0) {
			CHECK(authcid > msg.data && authcid < msg.data + msg.used);
			CHECK(passwd > authcid && passwd < msg.data + msg.used);
			CHECK(passwd + strlen(passwd) == msg.data + msg.used);
		} else {
			CHECK(error != NULL);
		}
	}
	auth_sasl_wipe(&msg);
}

static void check_message(struct pool *pool, const uint8_t *data, size_t size)
{
	struct submission_headers h;
	const char *field, *found;
	struct buffer out;
	size_t pos = 0;

	submission_message_scan(pool, data, size, &h);
	CHECK(h.header_end <= size);
	CHECK((h.from != NULL) == (h.from_count > 0));
	CHECK((h.sender != NULL) == (h.sender_count > 0));
	if (!h.too_long && h.header_end < size)
		CHECK(data[h.header_end] == '\n' ||
		      (data[h.header_end] == '\r' && h.header_end + 1 < size &&
		       data[h.header_end + 1] == '\n'));
	if (submission_message_check(pool, &h, ALICE, &field, &found) ==
	    SUBMISSION_AUTHOR_OK) {
		const char *addr;

		CHECK(h.from_count == 1 && h.sender_count <= 1);
		CHECK(submission_mailbox_parse(pool, h.from, &addr) == 0);
		CHECK(str_iequal(addr, ALICE));
	}

	buffer_init_pool(&out, pool, 0);
	CHECK(submission_message_complete(&out, data, size, &h, "from x by y; now",
					  "D", "<m@h>") == 0);
	CHECK(out.used >= size + strlen("Received: from x by y; now\n"));
	/* every input byte is still there, in order */
	for (size_t i = 0; i < out.used && pos < size; i++) {
		if ((uint8_t)out.data[i] == data[pos])
			pos++;
	}
	CHECK(pos == size);
	CHECK(memcmp(out.data, "Received: ", 10) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool initialized;
	struct pool *pool;
	size_t start = 0;

	if (!initialized) {
		mime_init();
		initialized = true;
	}
	pool = pool_create(4096);
	check_message(pool, data, size);
	for (size_t i = 0; i <= size; i++) {
		if (i == size || data[i] == '\n') {
			size_t len = i - start;

			if (len > 0 && data[start + len - 1] == '\r')
				len--;
			if (len < 2048) {
				check_mailbox(pool, data + start, len);
				check_sasl(data + start, len);
			}
			start = i + 1;
		}
	}
	pool_destroy(&pool);
	return 0;
}
