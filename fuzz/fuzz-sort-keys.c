/*
 * SORT's keys (RFC 5256, RFC 5957) from hostile mail: a message's cached
 * ENVELOPE, as delivery formats it, must read back with
 * imap_envelope_parse() (a failure would sort the message as if it had
 * no subject or addresses), and the base subject of its decoded subject
 * must come out whatever the subject holds. The raw input is also tried
 * as a subject and as an ENVELOPE string.
 */
#include "imap-base-subject.h"
#include "imap-envelope.h"
#include "mime.h"
#include "pool.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	if (imap_envelope_parse(pool, sum.envelope, &env) < 0)
		__builtin_trap();
	base = imap_base_subject(pool, env.subject == NULL ? NULL :
				 mime_decode_header(pool, env.subject));
	/* the base subject is a tail of what it was made from, never more */
	if (env.subject == NULL && *base != '\0')
		__builtin_trap();
	raw = p_strndup(pool, data, size);
	(void)imap_base_subject(pool, raw);
	(void)imap_envelope_parse(pool, raw, &env);
	pool_destroy(&pool);
	return 0;
}
