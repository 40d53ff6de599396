/* RFC 5256 2.1: base subject extraction, step by step as the RFC numbers
   them. The ABNF names (subj-trailer, subj-leader, subj-blob, ...) are
   the RFC's. */
#include "imap-base-subject.h"
#include "pool.h"
#include "strutil.h"

#include <stdbool.h>
#include <string.h>

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* subj-blob = "[" *BLOBCHAR "]" *WSP; BLOBCHAR is anything but [ and ].
   Returns the length matched at s, or 0. */
static size_t match_blob(const char *s)
{
	size_t i = 1;

	if (s[0] != '[')
		return 0;
	while (s[i] != '\0' && s[i] != '[' && s[i] != ']')
		i++;
	if (s[i] != ']')
		return 0;
	i++;
	while (is_wsp(s[i]))
		i++;
	return i;
}

/* subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":" */
static size_t match_refwd(const char *s)
{
	size_t i;

	if (str_begins_icase(s, "re"))
		i = 2;
	else if (str_begins_icase(s, "fwd"))
		i = 3;
	else if (str_begins_icase(s, "fw"))
		i = 2;
	else
		return 0;
	while (is_wsp(s[i]))
		i++;
	i += match_blob(s + i);
	return s[i] == ':' ? i + 1 : 0;
}

/* subj-leader = (*subj-blob subj-refwd) / WSP */
static size_t match_leader(const char *s)
{
	size_t i = 0, blob, refwd;

	if (is_wsp(s[0]))
		return 1;
	while ((blob = match_blob(s + i)) > 0)
		i += blob;
	refwd = match_refwd(s + i);
	return refwd > 0 ? i + refwd : 0;
}

const char *imap_base_subject(struct pool *pool, const char *subject)
{
	bool reply;

	return imap_base_subject_reply(pool, subject, &reply);
}

const char *imap_base_subject_reply(struct pool *pool, const char *subject,
				    bool *reply_r)
{
	char *buf, *w, *s;
	size_t len;
	bool changed;

	*reply_r = false;
	if (subject == NULL)
		return "";
	/* (1) tabs and line breaks become spaces, runs of spaces one */
	buf = p_strdup(pool, subject);
	w = buf;
	for (const char *r = subject; *r != '\0'; r++) {
		char c = *r == '\t' || *r == '\r' || *r == '\n' ? ' ' : *r;

		if (c == ' ' && w > buf && w[-1] == ' ')
			continue;
		*w++ = c;
	}
	*w = '\0';
	s = buf;
	for (;;) {
		/* (2) subj-trailer = "(fwd)" / WSP, from the end, repeatedly */
		len = strlen(s);
		for (;;) {
			if (len > 0 && is_wsp(s[len - 1]))
				len--;
			else if (len >= 5 && str_begins_icase(s + len - 5, "(fwd)")) {
				len -= 5;
				*reply_r = true;
			}
			else
				break;
		}
		s[len] = '\0';
		/* (3)-(5) leaders, and a blob prefix when something follows */
		do {
			size_t n;

			changed = false;
			while ((n = match_leader(s)) > 0) {
				/* a WSP leader is one byte; a refwd is longer */
				if (n > 1 || !is_wsp(*s))
					*reply_r = true;
				s += n;
				changed = true;
			}
			n = match_blob(s);
			if (n > 0 && s[n] != '\0') {
				s += n;
				changed = true;
			}
		} while (changed);
		/* (6) "[fwd:" ... "]" around the rest: unwrap and go again */
		len = strlen(s);
		if (len >= 6 && str_begins_icase(s, "[fwd:") && s[len - 1] == ']') {
			s[len - 1] = '\0';
			s += 5;
			*reply_r = true;
			continue;
		}
		return s;
	}
}
