/*
 * An mbox cut into messages, without I/O (see mbox-split.h). Each line is
 * collected in a fixed buffer and looked at once: is it a separator, a
 * header we hide, a quoted ">From "? A line longer than the buffer is
 * judged by its first MBOX_LINE_MAX bytes and the rest follows it.
 */
#include "mbox-split.h"
#include "alloc.h"
#include "maildir-parse.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>

struct mbox_split {
	const struct mbox_split_callbacks *cb;
	void *context;

	unsigned char line[MBOX_LINE_MAX];
	size_t line_len;
	bool line_continued;   /* line[] continues a line begun earlier */
	bool drop_line;        /* the rest of the current line is dropped */

	bool in_message;
	bool in_header;
	bool drop_header;      /* in a hidden header (and its continuations) */
	/* an empty line held back: it belongs to the separator if a "From "
	   line follows */
	unsigned char held[2];
	size_t held_len;
	uint64_t garbage;

	struct mbox_message_state state;
	char keywords[MBOX_KEYWORDS_MAX + 1];
	size_t keywords_len;
};

struct mbox_split *mbox_split_create(const struct mbox_split_callbacks *callbacks,
				     void *context)
{
	struct mbox_split *split = xcalloc(1, sizeof(*split));

	split->cb = callbacks;
	split->context = context;
	return split;
}

void mbox_split_destroy(struct mbox_split **_split)
{
	free(*_split);
	*_split = NULL;
}

uint64_t mbox_split_garbage(const struct mbox_split *split)
{
	return split->garbage;
}

static size_t line_content_len(const unsigned char *p, size_t len)
{
	if (len > 0 && p[len - 1] == '\n')
		len--;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	return len;
}

static void split_emit(struct mbox_split *split, const unsigned char *p, size_t len)
{
	if (len > 0)
		split->cb->data(split->context, p, len);
}

static void split_end_message(struct mbox_split *split)
{
	split->held_len = 0;
	split->keywords[split->keywords_len] = '\0';
	split->state.keywords = split->keywords;
	split->cb->end(split->context, &split->state);
	split->in_message = false;
}

static void split_begin_message(struct mbox_split *split, const unsigned char *p,
				size_t len)
{
	time_t t;

	if (split->in_message)
		split_end_message(split);
	memset(&split->state, 0, sizeof(split->state));
	split->keywords_len = 0;
	if (mbox_from_line_time((const char *)p + 5,
				line_content_len(p, len) - 5, &t) == 0)
		split->state.from_time = t;
	split->in_message = true;
	split->in_header = true;
	split->drop_header = false;
	split->cb->begin(split->context);
}

static void keywords_add(struct mbox_split *split, const char *p, size_t len)
{
	const char *end = p + len;

	while (p < end) {
		const char *start;

		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		start = p;
		while (p < end && *p != ' ' && *p != '\t' && *p != ',')
			p++;
		if (p > start && maildir_keyword_valid(start, (size_t)(p - start)) &&
		    split->keywords_len + (size_t)(p - start) + 1 <= MBOX_KEYWORDS_MAX) {
			if (split->keywords_len > 0)
				split->keywords[split->keywords_len++] = ' ';
			memcpy(split->keywords + split->keywords_len, start,
			       (size_t)(p - start));
			split->keywords_len += (size_t)(p - start);
		}
	}
}

/* The headers Dovecot's mbox keeps out of messages; the state ones are
   read. 1 hidden, 0 not. */
static int split_hidden_header(struct mbox_split *split, const unsigned char *p,
			       size_t len)
{
	static const char *const hidden[] = {
		"Status:", "X-Status:", "X-Keywords:", "X-UID:", "X-IMAP:",
		"X-IMAPbase:", "Content-Length:",
	};
	const char *line = (const char *)p;
	size_t clen = line_content_len(p, len);

	for (unsigned int i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		size_t nlen = strlen(hidden[i]);
		const char *value = line + nlen;
		size_t vlen = clen - nlen;

		if (clen < nlen || !mem_iequal(line, hidden[i], nlen))
			continue;
		if (i == 0) {
			if (memchr(value, 'R', vlen) != NULL)
				split->state.flags |= MAILDIR_FLAG_SEEN;
		} else if (i == 1) {
			for (size_t j = 0; j < vlen; j++) {
				switch (value[j]) {
				case 'A': split->state.flags |= MAILDIR_FLAG_ANSWERED; break;
				case 'F': split->state.flags |= MAILDIR_FLAG_FLAGGED; break;
				case 'T': split->state.flags |= MAILDIR_FLAG_DRAFT; break;
				case 'D': split->state.flags |= MAILDIR_FLAG_DELETED; break;
				default: break;
				}
			}
		} else if (i == 2) {
			keywords_add(split, value, vlen);
		}
		return 1;
	}
	return 0;
}

static bool is_quoted_from(const unsigned char *p, size_t len)
{
	size_t i = 0;

	while (i < len && p[i] == '>')
		i++;
	return i > 0 && len - i >= 5 && memcmp(p + i, "From ", 5) == 0;
}

static void split_line(struct mbox_split *split, const unsigned char *p,
		       size_t len, bool starts, bool ends)
{
	bool empty;

	if (!starts) {
		if (split->drop_line)
			return;
		if (!split->in_message)
			split->garbage += len;
		else
			split_emit(split, p, len);
		return;
	}
	split->drop_line = false;
	if (len >= 5 && memcmp(p, "From ", 5) == 0 &&
	    (!split->in_message || split->held_len > 0)) {
		split_begin_message(split, p, len);
		split->drop_line = !ends;
		return;
	}
	if (!split->in_message) {
		split->garbage += len;
		return;
	}
	if (split->held_len > 0) {
		split_emit(split, split->held, split->held_len);
		split->held_len = 0;
	}
	empty = ends && line_content_len(p, len) == 0;
	if (empty) {
		memcpy(split->held, p, len);
		split->held_len = len;
		split->in_header = false;
		return;
	}
	if (split->in_header) {
		if (p[0] == ' ' || p[0] == '\t') {
			if (split->drop_header)
				split->drop_line = !ends;
			else
				split_emit(split, p, len);
			return;
		}
		split->drop_header = split_hidden_header(split, p, len) != 0;
		if (split->drop_header)
			split->drop_line = !ends;
		else
			split_emit(split, p, len);
		return;
	}
	if (is_quoted_from(p, len))
		split_emit(split, p + 1, len - 1);
	else
		split_emit(split, p, len);
}

void mbox_split_feed(struct mbox_split *split, const unsigned char *data,
		     size_t len)
{
	while (len > 0) {
		const unsigned char *nl = memchr(data, '\n', len);
		size_t want = nl != NULL ? (size_t)(nl - data) + 1 : len;
		size_t room = MBOX_LINE_MAX - split->line_len;
		size_t n = want < room ? want : room;
		bool ends = nl != NULL && n == want;

		memcpy(split->line + split->line_len, data, n);
		split->line_len += n;
		data += n;
		len -= n;
		if (ends || split->line_len == MBOX_LINE_MAX) {
			split_line(split, split->line, split->line_len,
				   !split->line_continued, ends);
			split->line_continued = !ends;
			split->line_len = 0;
		}
	}
}

void mbox_split_finish(struct mbox_split *split)
{
	if (split->line_len > 0) {
		split_line(split, split->line, split->line_len,
			   !split->line_continued, false);
		split->line_len = 0;
	}
	split->line_continued = false;
	if (split->in_message)
		split_end_message(split);
}

static int month_index(const char *p, size_t len)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

	if (len != 3)
		return -1;
	for (int i = 0; i < 12; i++) {
		if (memcmp(months + i * 3, p, 3) == 0)
			return i;
	}
	return -1;
}

static bool all_digits(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
	}
	return len > 0;
}

int mbox_from_line_time(const char *line, size_t len, time_t *time_r)
{
	/* the last tokens of the line: "Mmm dd hh:mm[:ss] [zone] yyyy" */
	enum { RING = 8 };
	struct { const char *p; size_t len; } tok[RING];
	unsigned int count = 0;
	const char *p = line, *end = line + len;

	while (p < end) {
		const char *start;

		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		start = p;
		while (p < end && *p != ' ')
			p++;
		tok[count % RING].p = start;
		tok[count % RING].len = (size_t)(p - start);
		count++;
	}
	for (unsigned int back = 4; back <= 5 && back <= count; back++) {
		unsigned int i = count - back;
		int mon = month_index(tok[i % RING].p, tok[i % RING].len);
		const char *day = tok[(i + 1) % RING].p;
		size_t day_len = tok[(i + 1) % RING].len;
		const char *hms = tok[(i + 2) % RING].p;
		size_t hms_len = tok[(i + 2) % RING].len;
		const char *year = tok[(count - 1) % RING].p;
		size_t year_len = tok[(count - 1) % RING].len;
		uint64_t d, y, h, m, s = 0;
		struct tm tm;

		if (mon < 0 || day_len > 2 || mem_to_u64(day, day_len, 31, &d) < 0 ||
		    d == 0 || year_len != 4 || !all_digits(year, 4) ||
		    mem_to_u64(year, 4, 9999, &y) < 0 || y < 1970)
			continue;
		if (hms_len == 8 && hms[2] == ':' && hms[5] == ':') {
			if (mem_to_u64(hms + 6, 2, 60, &s) < 0)
				continue;
		} else if (hms_len != 5 || hms[2] != ':') {
			continue;
		}
		if (mem_to_u64(hms, 2, 23, &h) < 0 || mem_to_u64(hms + 3, 2, 59, &m) < 0)
			continue;
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = (int)y - 1900;
		tm.tm_mon = mon;
		tm.tm_mday = (int)d;
		tm.tm_hour = (int)h;
		tm.tm_min = (int)m;
		tm.tm_sec = (int)s;
		*time_r = timegm(&tm);
		return 0;
	}
	return -1;
}
