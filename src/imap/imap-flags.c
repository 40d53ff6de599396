#include "imap-flags.h"
#include "buffer.h"
#include "imap-parser.h"
#include "imap-quote.h"
#include "pool.h"
#include "store.h"
#include "strutil.h"

#include <string.h>

static const struct {
	const char *name;
	uint32_t flag;
} system_flags[] = {
	{ "\\Answered", STORE_FLAG_ANSWERED },
	{ "\\Flagged", STORE_FLAG_FLAGGED },
	{ "\\Deleted", STORE_FLAG_DELETED },
	{ "\\Seen", STORE_FLAG_SEEN },
	{ "\\Draft", STORE_FLAG_DRAFT },
};

bool imap_keyword_in(const char *list, const char *kw, size_t len)
{
	const char *p = list;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ' ');
		size_t l = end != NULL ? (size_t)(end - p) : strlen(p);

		if (l == len && mem_iequal(p, kw, len))
			return true;
		p = end != NULL ? end + 1 : NULL;
	}
	return false;
}

int imap_flags_parse(struct pool *pool, const struct imap_arg *args,
		     uint32_t *flags_r, const char **keywords_r,
		     const char **error_r)
{
	struct buffer kw;
	unsigned int kw_count = 0;
	uint32_t flags = 0;

	buffer_init_pool(&kw, pool, 0);
	for (; args->type != IMAP_ARG_EOL; args++) {
		const char *name;
		bool found = false;

		/* flag-keyword is an atom; flag-extension is "\" atom. NIL
		   is an atom here like any other keyword. */
		if (!imap_arg_get_atom(args, &name)) {
			*error_r = "Flags must be atoms";
			return -1;
		}
		if (name[0] == '\\') {
			for (size_t i = 0; i < sizeof(system_flags) / sizeof(system_flags[0]); i++) {
				if (str_iequal(name, system_flags[i].name)) {
					flags |= system_flags[i].flag;
					found = true;
				}
			}
			if (!found && !str_iequal(name, "\\Recent")) {
				*error_r = "Invalid system flag";
				return -1;
			}
			continue;
		}
		for (const char *p = name; *p != '\0'; p++) {
			if (!imap_is_atom_char((unsigned char)*p)) {
				*error_r = "Invalid characters in keyword";
				return -1;
			}
		}
		if (kw.used > 0 && imap_keyword_in(kw.data, name, strlen(name)))
			continue;
		if (++kw_count > IMAP_MAX_KEYWORDS) {
			*error_r = "Too many keywords";
			return -1;
		}
		if (kw.used > 0)
			buffer_append_c(&kw, ' ');
		buffer_append_str(&kw, name);
	}
	*flags_r = flags;
	*keywords_r = kw.used > 0 ? kw.data : NULL;
	return 0;
}

void imap_flags_write(struct buffer *buf, uint32_t flags, const char *keywords,
		      bool recent)
{
	bool first = true;

	buffer_append_c(buf, '(');
	if (recent) {
		buffer_append_str(buf, "\\Recent");
		first = false;
	}
	for (size_t i = 0; i < sizeof(system_flags) / sizeof(system_flags[0]); i++) {
		if ((flags & system_flags[i].flag) == 0)
			continue;
		if (!first)
			buffer_append_c(buf, ' ');
		buffer_append_str(buf, system_flags[i].name);
		first = false;
	}
	if (keywords != NULL && *keywords != '\0') {
		if (!first)
			buffer_append_c(buf, ' ');
		buffer_append_str(buf, keywords);
	}
	buffer_append_c(buf, ')');
}
