/* Dovecot's Maildir++ metadata as `infostore import` reads it: the input
   is cut into lines; the first is a dovecot-uidlist header, the others
   are tried as uidlist entries (of the header's version), dovecot-keywords
   lines, message file names (parsed and sorted against the previous one),
   folder directory names and subscription lines. Every answer must stay
   inside the line it came from, and the file name order must be
   antisymmetric. */
#include "buffer.h"
#include "maildir-parse.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of a line of the input. Not strndup(): the input
   has no NUL, and ASan's strict string checks read a string argument to
   its end. */
static char *line_copy(const char *line, size_t len)
{
	char *copy = malloc(len + 1);

	if (copy == NULL)
		abort();
	memcpy(copy, line, len);
	copy[len] = '\0';
	return copy;
}

static void line_cb(const char *line, size_t len, unsigned int version,
		    const char *prev)
{
	struct maildir_filename_info info;
	struct buffer buf;
	const char *base, *name;
	size_t base_len, name_len;
	unsigned int idx;
	uint32_t uid;
	char *copy;

	if (maildir_uidlist_parse_entry(version, line, len, &uid, &base, &base_len) == 0) {
		assert(uid != 0);
		assert(base >= line && base + base_len <= line + len && base_len > 0);
	}
	if (maildir_keywords_parse_line(line, len, &idx, &name, &name_len) == 0)
		assert(idx < MAILDIR_KEYWORDS_MAX && name + name_len <= line + len);
	maildir_filename_parse(line, len, &info);
	assert(info.base_len <= len);
	buffer_init(&buf, 4 * MAILDIR_LINE_MAX);
	(void)maildir_folder_name_decode(line, len, &buf);
	buffer_reset(&buf);
	(void)maildir_subscription_decode(1, line, len, &buf);
	buffer_reset(&buf);
	(void)maildir_subscription_decode(2, line, len, &buf);
	buffer_free(&buf);

	copy = line_copy(line, len);
	if (copy != NULL && prev != NULL) {
		int a = maildir_filename_sort_cmp(copy, prev);
		int b = maildir_filename_sort_cmp(prev, copy);

		assert((a < 0 && b > 0) || (a > 0 && b < 0) || (a == 0 && b == 0));
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct maildir_uidlist_header hdr;
	unsigned int version = 3;
	char *prev = NULL;
	const char *error;
	size_t skip;
	bool first = true;

	(void)maildir_subscriptions_version(p, size, &skip);
	assert(skip <= size);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		if (len <= MAILDIR_LINE_MAX) {
			if (first) {
				if (maildir_uidlist_parse_header(p, len, &hdr, &error) == 0) {
					assert(hdr.uidvalidity != 0 && hdr.next_uid != 0);
					version = hdr.version;
				}
				first = false;
			}
			line_cb(p, len, version, prev);
			free(prev);
			prev = line_copy(p, len);
		}
		p += len + (nl != NULL ? 1 : 0);
	}
	free(prev);
	return 0;
}
