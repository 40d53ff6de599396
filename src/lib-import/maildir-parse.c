/*
 * Dovecot's Maildir++ metadata, parsed without I/O (see maildir-parse.h).
 */
#include "maildir-parse.h"
#include "buffer.h"
#include "imap-utf7.h"
#include "strutil.h"

#include <string.h>

/* A decimal number of at most 10 digits that fits in 32 bits. */
static int parse_u32(const char *p, size_t len, uint32_t *num_r)
{
	uint64_t num;

	if (len == 0 || len > 10 || mem_to_u64(p, len, UINT32_MAX, &num) < 0)
		return -1;
	*num_r = (uint32_t)num;
	return 0;
}

/* The next space-separated token of [*pos, end). */
static bool next_token(const char **pos, const char *end, const char **tok_r,
		       size_t *len_r)
{
	const char *p = *pos, *start;

	while (p < end && *p == ' ')
		p++;
	if (p == end)
		return false;
	start = p;
	while (p < end && *p != ' ')
		p++;
	*tok_r = start;
	*len_r = (size_t)(p - start);
	*pos = p;
	return true;
}

static bool guid_valid(const char *p, size_t len)
{
	if (len != 32)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f') ||
		      (p[i] >= 'A' && p[i] <= 'F')))
			return false;
	}
	return true;
}

int maildir_uidlist_parse_header(const char *line, size_t len,
				 struct maildir_uidlist_header *hdr_r,
				 const char **error_r)
{
	const char *pos = line, *end = line + len, *tok;
	size_t tlen;

	memset(hdr_r, 0, sizeof(*hdr_r));
	if (!next_token(&pos, end, &tok, &tlen) || tlen != 1 ||
	    (tok[0] != '1' && tok[0] != '2' && tok[0] != '3')) {
		*error_r = "unknown dovecot-uidlist version";
		return -1;
	}
	hdr_r->version = tok[0] == '3' ? 3 : (unsigned int)(tok[0] - '0');
	if (hdr_r->version < 3) {
		/* "1 <uidvalidity> <nextuid>" */
		if (!next_token(&pos, end, &tok, &tlen) ||
		    parse_u32(tok, tlen, &hdr_r->uidvalidity) < 0 ||
		    !next_token(&pos, end, &tok, &tlen) ||
		    parse_u32(tok, tlen, &hdr_r->next_uid) < 0) {
			*error_r = "damaged dovecot-uidlist header";
			return -1;
		}
	} else {
		while (next_token(&pos, end, &tok, &tlen)) {
			uint32_t *field = tok[0] == 'V' ? &hdr_r->uidvalidity :
				tok[0] == 'N' ? &hdr_r->next_uid : NULL;

			if (field != NULL && parse_u32(tok + 1, tlen - 1, field) < 0) {
				*error_r = "damaged dovecot-uidlist header";
				return -1;
			}
			/* Dovecot calls the whole file broken (and starts
			   over with a new UIDVALIDITY) if the GUID is not
			   128 bits of hex */
			if (tok[0] == 'G' && !guid_valid(tok + 1, tlen - 1)) {
				*error_r = "invalid mailbox GUID in dovecot-uidlist";
				return -1;
			}
		}
	}
	if (hdr_r->uidvalidity == 0 || hdr_r->next_uid == 0) {
		*error_r = "dovecot-uidlist header without UIDVALIDITY or next UID";
		return -1;
	}
	return 0;
}

static bool basename_valid(const char *base, size_t len)
{
	if (len == 0 || base[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (base[i] == '/' || base[i] == ':' || base[i] == '\0' ||
		    base[i] == '\n')
			return false;
	}
	return true;
}

int maildir_uidlist_parse_entry(unsigned int version, const char *line,
				size_t len, uint32_t *uid_r,
				const char **base_r, size_t *base_len_r)
{
	const char *pos = line, *end = line + len, *tok, *base;
	size_t tlen, base_len;

	if (!next_token(&pos, end, &tok, &tlen) ||
	    parse_u32(tok, tlen, uid_r) < 0 || *uid_r == 0)
		return -1;
	if (version >= 3) {
		/* extensions ("W1234", "G...") up to the " :" that starts the
		   file name, which may itself contain spaces */
		const char *colon = NULL;

		for (const char *p = pos; p + 1 < end; p++) {
			if (p[0] == ' ' && p[1] == ':') {
				colon = p + 1;
				break;
			}
		}
		if (colon == NULL)
			return -1;
		base = colon + 1;
		base_len = (size_t)(end - base);
	} else {
		if (version == 2 && !next_token(&pos, end, &tok, &tlen))
			return -1;
		if (!next_token(&pos, end, &base, &base_len) || pos != end)
			return -1;
		/* version 1 entries may carry the info part */
		for (size_t i = 0; i < base_len; i++) {
			if (base[i] == ':') {
				base_len = i;
				break;
			}
		}
	}
	if (!basename_valid(base, base_len))
		return -1;
	*base_r = base;
	*base_len_r = base_len;
	return 0;
}

bool maildir_keyword_valid(const char *name, size_t len)
{
	if (len == 0 || len > 200 || name[0] == '\\')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		/* RFC 9051 atom-specials, and ']' (resp-specials) */
		if (c <= 0x20 || c >= 0x7f || c == '(' || c == ')' || c == '{' ||
		    c == '%' || c == '*' || c == '"' || c == '\\' || c == ']')
			return false;
	}
	return true;
}

int maildir_keywords_parse_line(const char *line, size_t len,
				unsigned int *index_r, const char **name_r,
				size_t *name_len_r)
{
	const char *pos = line, *end = line + len, *tok;
	size_t tlen;
	uint32_t idx;

	if (!next_token(&pos, end, &tok, &tlen) || parse_u32(tok, tlen, &idx) < 0 ||
	    idx >= MAILDIR_KEYWORDS_MAX)
		return -1;
	/* the rest of the line is the name */
	if (pos == end || *pos != ' ')
		return -1;
	pos++;
	if (!maildir_keyword_valid(pos, (size_t)(end - pos)))
		return -1;
	*index_r = idx;
	*name_r = pos;
	*name_len_r = (size_t)(end - pos);
	return 0;
}

void maildir_filename_parse(const char *fname, size_t len,
			    struct maildir_filename_info *info_r)
{
	const char *info = NULL;

	memset(info_r, 0, sizeof(*info_r));
	info_r->base_len = len;
	for (size_t i = 0; i + 2 < len; i++) {
		if (fname[i] == ':' && fname[i + 1] == '2' && fname[i + 2] == ',') {
			info_r->base_len = i;
			info = fname + i + 3;
			break;
		}
	}
	if (info == NULL) {
		/* ":1,..." (experimental semantics) or none: no flags, but
		   the base still ends at the colon */
		const char *colon = memchr(fname, ':', len);

		if (colon != NULL)
			info_r->base_len = (size_t)(colon - fname);
		return;
	}
	for (const char *p = info; p < fname + len; p++) {
		switch (*p) {
		case 'D': info_r->flags |= MAILDIR_FLAG_DRAFT; break;
		case 'F': info_r->flags |= MAILDIR_FLAG_FLAGGED; break;
		case 'R': info_r->flags |= MAILDIR_FLAG_ANSWERED; break;
		case 'S': info_r->flags |= MAILDIR_FLAG_SEEN; break;
		case 'T': info_r->flags |= MAILDIR_FLAG_DELETED; break;
		default:
			if (*p >= 'a' && *p <= 'z')
				info_r->keywords |= 1u << (*p - 'a');
			break;
		}
	}
}

/* The microseconds in ".<uniqueness>.<host>" after the seconds:
   "M<usecs>" within the uniqueness part. */
static bool filename_usecs(const char *p, unsigned long *usecs_r)
{
	unsigned long usecs = 0;

	if (*p != '.')
		return false;
	for (p++; *p != '\0' && *p != '.' && *p != ':'; p++) {
		if (*p == 'M') {
			for (p++; *p >= '0' && *p <= '9' && usecs < 100000000; p++)
				usecs = usecs * 10 + (unsigned long)(*p - '0');
			*usecs_r = usecs;
			return true;
		}
	}
	return false;
}

static int filename_base_cmp(const char *a, const char *b)
{
	while (*a == *b && *a != ':' && *a != '\0') {
		a++;
		b++;
	}
	if ((*a == '\0' || *a == ':') && (*b == '\0' || *b == ':'))
		return 0;
	return (unsigned char)*a - (unsigned char)*b;
}

int maildir_filename_sort_cmp(const char *a, const char *b)
{
	uint64_t secs_a = 0, secs_b = 0;
	unsigned long usecs_a, usecs_b;
	const char *pa = a, *pb = b;
	int ret;

	/* the digits are capped so that a hostile name cannot overflow;
	   Dovecot's own file names have ten */
	for (; *pa >= '0' && *pa <= '9'; pa++) {
		if (secs_a < UINT32_MAX * 10ULL)
			secs_a = secs_a * 10 + (uint64_t)(*pa - '0');
	}
	for (; *pb >= '0' && *pb <= '9'; pb++) {
		if (secs_b < UINT32_MAX * 10ULL)
			secs_b = secs_b * 10 + (uint64_t)(*pb - '0');
	}
	if (secs_a != secs_b)
		return secs_a < secs_b ? -1 : 1;
	if (filename_usecs(pa, &usecs_a) && filename_usecs(pb, &usecs_b) &&
	    usecs_a != usecs_b)
		return usecs_a < usecs_b ? -1 : 1;
	ret = filename_base_cmp(pa, pb);
	return ret < 0 ? -1 : ret > 0 ? 1 : 0;
}

/* One level of a name, modified UTF-7 on disk, appended as UTF-8. Dovecot
   with maildir_utf8 writes UTF-8 directly: accept that when the level is
   not UTF-7 but is valid UTF-8. */
static int level_decode(const char *level, size_t len, struct buffer *dest)
{
	char tmp[MAILDIR_LINE_MAX + 1];
	size_t before = dest->used;

	if (len == 0 || len > MAILDIR_LINE_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)level[i];

		if (c < 0x20 || c == 0x7f || c == '/')
			return -1;
	}
	memcpy(tmp, level, len);
	tmp[len] = '\0';
	if (imap_utf7_to_utf8(tmp, dest) == 0)
		return 0;
	buffer_truncate(dest, before);
	if (!imap_utf8_is_valid(tmp, len))
		return -1;
	return buffer_append(dest, tmp, len);
}

int maildir_folder_name_decode(const char *dirname, size_t len,
			       struct buffer *dest)
{
	const char *p, *end = dirname + len;

	if (len < 2 || dirname[0] != '.')
		return -1;
	p = dirname + 1;
	while (p <= end) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		const char *level_end = dot != NULL ? dot : end;

		if (p != dirname + 1 && buffer_append_c(dest, '/') < 0)
			return -1;
		if (level_decode(p, (size_t)(level_end - p), dest) < 0)
			return -1;
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	return dest->overflow ? -1 : 0;
}

unsigned int maildir_subscriptions_version(const char *data, size_t len,
					   size_t *skip_r)
{
	static const char v2[] = "V\t2\n\n";

	if (len >= sizeof(v2) - 1 && memcmp(data, v2, sizeof(v2) - 1) == 0) {
		*skip_r = sizeof(v2) - 1;
		return 2;
	}
	*skip_r = 0;
	return 1;
}

/* Undo Dovecot's str_append_tabescaped() on one level. */
static int tab_unescape(const char *p, size_t len, char *out, size_t *out_len_r)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (p[i] != '\001') {
			out[n++] = p[i];
			continue;
		}
		if (++i == len)
			return -1;
		switch (p[i]) {
		case '1': out[n++] = '\001'; break;
		case 't': out[n++] = '\t'; break;
		case 'r': out[n++] = '\r'; break;
		case 'n': out[n++] = '\n'; break;
		default: return -1;
		}
	}
	*out_len_r = n;
	return 0;
}

int maildir_subscription_decode(unsigned int version, const char *line,
				size_t len, struct buffer *dest)
{
	char sep = version >= 2 ? '\t' : '.';
	const char *p = line, *end = line + len;
	char level[MAILDIR_LINE_MAX];

	if (len == 0 || len > MAILDIR_LINE_MAX)
		return -1;
	for (;;) {
		const char *s = memchr(p, sep, (size_t)(end - p));
		const char *level_end = s != NULL ? s : end;
		size_t level_len;

		if (p != line && buffer_append_c(dest, '/') < 0)
			return -1;
		if (version >= 2) {
			if (tab_unescape(p, (size_t)(level_end - p), level, &level_len) < 0)
				return -1;
		} else {
			level_len = (size_t)(level_end - p);
			memcpy(level, p, level_len);
		}
		if (level_decode(level, level_len, dest) < 0)
			return -1;
		if (s == NULL)
			break;
		p = s + 1;
	}
	return dest->overflow ? -1 : 0;
}
