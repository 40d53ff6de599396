/*
 * SORT's and THREAD's keys (RFC 5256, RFC 5957) from hostile mail: a
 * message's cached ENVELOPE, as delivery formats it, must read back with
 * imap_envelope_parse() (a failure would sort the message as if it had
 * no subject or addresses), and the base subject of its decoded subject
 * must come out whatever the subject holds. The raw input is also tried
 * as a subject and as an ENVELOPE string, and its lines as the
 * Message-ID and References of messages that THREAD=REFERENCES and
 * ORDEREDSUBJECT then thread.
 */
#include "buffer.h"
#include "imap-base-subject.h"
#include "imap-bodystructure.h"
#include "imap-envelope.h"
#include "imap-thread.h"
#include "mime.h"
#include "pool.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each line a message: "Message-ID-ish References-ish..." and its
   base subject; up to 64 of them threaded both ways. */
static void fuzz_thread(struct pool *pool, const char *text)
{
	struct imap_thread_msg msgs[64];
	unsigned int n = 0;
	struct buffer out;

	memset(msgs, 0, sizeof(msgs));
	for (const char *p = text; *p != '\0' && n < 64; n++) {
		const char *end = strchr(p, '\n');
		const char *line = end != NULL ? p_strndup(pool, p, (size_t)(end - p)) : p;
		const char **ids;
		unsigned int count = imap_thread_parse_ids(pool, line, &ids);

		msgs[n].number = n + 1;
		msgs[n].date = (time_t)(line[0] % 4);
		msgs[n].base_subject = imap_base_subject_reply(pool, line, &msgs[n].reply);
		if (count > 0) {
			msgs[n].message_id = ids[0];
			msgs[n].refs = ids + 1;
			msgs[n].ref_count = count - 1;
		}
		p = end != NULL ? end + 1 : "";
	}
	buffer_init_pool(&out, pool, 0);
	imap_thread_write(pool, IMAP_THREAD_REFERENCES, msgs, n, &out);
	buffer_reset(&out);
	imap_thread_write(pool, IMAP_THREAD_ORDEREDSUBJECT, msgs, n, &out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialised;
	struct pool *pool;
	struct mime_summary sum;
	struct imap_envelope env;
	const char *raw, *base;

	if (!initialised) {
		mime_init();
		initialised = 1;
	}
	if (size > 256 * 1024)
		return 0;
	pool = pool_create(4096);
	mime_summarize(pool, data, size, &sum);
	if (imap_envelope_parse(pool, imap_envelope_string(pool, sum.envelope), &env) < 0)
		__builtin_trap();
	base = imap_base_subject(pool, env.subject == NULL ? NULL :
				 mime_decode_header(pool, env.subject));
	/* the base subject is a tail of what it was made from, never more */
	if (env.subject == NULL && *base != '\0')
		__builtin_trap();
	raw = p_strndup(pool, data, size);
	(void)imap_base_subject(pool, raw);
	(void)imap_envelope_parse(pool, raw, &env);
	fuzz_thread(pool, raw);
	pool_destroy(&pool);
	return 0;
}
