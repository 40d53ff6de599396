#include "imap-search-args.h"
#include "imap-date.h"
#include "imap-parser.h"
#include "pool.h"
#include "strutil.h"

#include <string.h>

#define SEARCH_MAX_DEPTH 64

struct search_parser {
	struct pool *pool;
	const struct imap_search_context *ctx;
	const struct imap_arg *args;
	unsigned int depth;
	const char *error;
};

static int search_key(struct search_parser *sp, struct imap_search_key **key_r);

static struct imap_search_key *search_new(struct search_parser *sp,
					  enum imap_search_type type)
{
	struct imap_search_key *key = p_new(sp->pool, struct imap_search_key, 1);

	key->type = type;
	return key;
}

static int search_fail(struct search_parser *sp, const char *error)
{
	sp->error = error;
	return -1;
}

static int search_astring(struct search_parser *sp, const char **str_r)
{
	if (!imap_arg_get_astring(sp->args, str_r))
		return search_fail(sp, "Missing search argument");
	sp->args++;
	return 0;
}

static int search_date(struct search_parser *sp, time_t *day_r)
{
	const char *str;

	if (search_astring(sp, &str) < 0)
		return -1;
	if (!imap_date_parse_date(str, day_r))
		return search_fail(sp, "Invalid search date");
	return 0;
}

static int search_number(struct search_parser *sp, uint64_t *num_r)
{
	const char *str;

	if (!imap_arg_get_atom(sp->args, &str) ||
	    str_to_u64(str, UINT64_MAX, num_r) < 0)
		return search_fail(sp, "Invalid search number");
	sp->args++;
	return 0;
}

static int search_set(struct search_parser *sp, const char *str, bool uid,
		      struct imap_search_key *key)
{
	const char *error;
	uint32_t star;

	if (strcmp(str, "$") == 0) {
		key->type = IMAP_SEARCH_SAVED;
		return 0;
	}
	if (!uid && strchr(str, '*') != NULL && !sp->ctx->seq_star_valid)
		return search_fail(sp, "No messages: * is not a message number");
	star = uid ? sp->ctx->uid_star : sp->ctx->seq_star;
	if (imap_seqset_parse(sp->pool, str, star, &key->set, &error) < 0)
		return search_fail(sp, error);
	return 0;
}

/* The keys of a parenthesised list or of the whole command, ANDed. */
static int search_list(struct search_parser *sp, const struct imap_arg *args,
		       struct imap_search_key **key_r)
{
	struct imap_search_key *and = search_new(sp, IMAP_SEARCH_AND);
	struct imap_search_key **tail = &and->children;
	const struct imap_arg *saved = sp->args;

	sp->args = args;
	if (sp->args->type == IMAP_ARG_EOL)
		return search_fail(sp, "Empty search key list");
	while (sp->args->type != IMAP_ARG_EOL) {
		struct imap_search_key *key;

		if (search_key(sp, &key) < 0)
			return -1;
		*tail = key;
		tail = &key->next;
	}
	sp->args = saved;
	*key_r = and;
	return 0;
}

struct search_flag_name {
	const char *name;
	uint32_t flag;
	bool not;
};

static const struct search_flag_name search_flags[] = {
	{ "ANSWERED", IMAP_FLAG_ANSWERED, false },
	{ "DELETED", IMAP_FLAG_DELETED, false },
	{ "DRAFT", IMAP_FLAG_DRAFT, false },
	{ "FLAGGED", IMAP_FLAG_FLAGGED, false },
	{ "SEEN", IMAP_FLAG_SEEN, false },
	{ "UNANSWERED", IMAP_FLAG_ANSWERED, true },
	{ "UNDELETED", IMAP_FLAG_DELETED, true },
	{ "UNDRAFT", IMAP_FLAG_DRAFT, true },
	{ "UNFLAGGED", IMAP_FLAG_FLAGGED, true },
	{ "UNSEEN", IMAP_FLAG_SEEN, true },
};

static const struct {
	const char *name;
	enum imap_search_type type;
} search_date_keys[] = {
	{ "BEFORE", IMAP_SEARCH_BEFORE },
	{ "ON", IMAP_SEARCH_ON },
	{ "SINCE", IMAP_SEARCH_SINCE },
	{ "SENTBEFORE", IMAP_SEARCH_SENTBEFORE },
	{ "SENTON", IMAP_SEARCH_SENTON },
	{ "SENTSINCE", IMAP_SEARCH_SENTSINCE },
};

/* A system flag given to KEYWORD ("\Seen"): its bit, or 0. */
static uint32_t search_system_flag(const char *name)
{
	static const struct { const char *name; uint32_t flag; } flags[] = {
		{ "\\Seen", IMAP_FLAG_SEEN }, { "\\Answered", IMAP_FLAG_ANSWERED },
		{ "\\Flagged", IMAP_FLAG_FLAGGED }, { "\\Deleted", IMAP_FLAG_DELETED },
		{ "\\Draft", IMAP_FLAG_DRAFT },
	};

	for (unsigned int i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (str_iequal(name, flags[i].name))
			return flags[i].flag;
	}
	return 0;
}

static int search_key_atom(struct search_parser *sp, const char *name,
			   struct imap_search_key **key_r)
{
	struct imap_search_key *key;
	const char *str;

	for (unsigned int i = 0; i < sizeof(search_flags) / sizeof(search_flags[0]); i++) {
		if (str_iequal(name, search_flags[i].name)) {
			key = search_new(sp, IMAP_SEARCH_FLAG);
			key->flag = search_flags[i].flag;
			key->not = search_flags[i].not;
			*key_r = key;
			return 0;
		}
	}
	for (unsigned int i = 0; i < sizeof(search_date_keys) / sizeof(search_date_keys[0]); i++) {
		if (str_iequal(name, search_date_keys[i].name)) {
			key = search_new(sp, search_date_keys[i].type);
			*key_r = key;
			return search_date(sp, &key->day);
		}
	}
	if (str_iequal(name, "ALL")) {
		*key_r = search_new(sp, IMAP_SEARCH_ALL);
		return 0;
	}
	if (str_iequal(name, "RECENT") || str_iequal(name, "OLD")) {
		key = search_new(sp, IMAP_SEARCH_RECENT);
		key->not = str_iequal(name, "OLD");
		*key_r = key;
		return 0;
	}
	if (str_iequal(name, "NEW")) {
		/* NEW is RECENT UNSEEN */
		key = search_new(sp, IMAP_SEARCH_AND);
		key->children = search_new(sp, IMAP_SEARCH_RECENT);
		key->children->next = search_new(sp, IMAP_SEARCH_FLAG);
		key->children->next->flag = IMAP_FLAG_SEEN;
		key->children->next->not = true;
		*key_r = key;
		return 0;
	}
	if (str_iequal(name, "KEYWORD") || str_iequal(name, "UNKEYWORD")) {
		if (search_astring(sp, &str) < 0)
			return -1;
		if (search_system_flag(str) != 0) {
			key = search_new(sp, IMAP_SEARCH_FLAG);
			key->flag = search_system_flag(str);
		} else {
			key = search_new(sp, IMAP_SEARCH_KEYWORD);
			key->value = str;
		}
		key->not = str_iequal(name, "UNKEYWORD");
		*key_r = key;
		return 0;
	}
	if (str_iequal(name, "LARGER") || str_iequal(name, "SMALLER")) {
		key = search_new(sp, str_iequal(name, "LARGER") ?
				 IMAP_SEARCH_LARGER : IMAP_SEARCH_SMALLER);
		*key_r = key;
		return search_number(sp, &key->num);
	}
	if (str_iequal(name, "FROM") || str_iequal(name, "TO") ||
	    str_iequal(name, "CC") || str_iequal(name, "BCC") ||
	    str_iequal(name, "SUBJECT")) {
		key = search_new(sp, IMAP_SEARCH_HEADER);
		key->field = p_strdup(sp->pool, name);
		*key_r = key;
		return search_astring(sp, &key->value);
	}
	if (str_iequal(name, "HEADER")) {
		key = search_new(sp, IMAP_SEARCH_HEADER);
		*key_r = key;
		if (search_astring(sp, &key->field) < 0)
			return -1;
		return search_astring(sp, &key->value);
	}
	if (str_iequal(name, "BODY") || str_iequal(name, "TEXT")) {
		key = search_new(sp, str_iequal(name, "BODY") ?
				 IMAP_SEARCH_BODY : IMAP_SEARCH_TEXT);
		*key_r = key;
		return search_astring(sp, &key->value);
	}
	if (str_iequal(name, "UID")) {
		key = search_new(sp, IMAP_SEARCH_UIDSET);
		*key_r = key;
		if (!imap_arg_get_atom(sp->args, &str))
			return search_fail(sp, "Invalid UID set");
		sp->args++;
		if (strcmp(str, "$") != 0 && !imap_seqset_is_valid(str))
			return search_fail(sp, "Invalid UID set");
		return search_set(sp, str, true, key);
	}
	if (str_iequal(name, "NOT")) {
		if (sp->args->type == IMAP_ARG_EOL)
			return search_fail(sp, "Missing search key after NOT");
		if (search_key(sp, &key) < 0)
			return -1;
		/* NOT of a key with its own negation: wrap it */
		if (key->not) {
			struct imap_search_key *and = search_new(sp, IMAP_SEARCH_AND);

			and->children = key;
			key = and;
		}
		key->not = true;
		*key_r = key;
		return 0;
	}
	if (str_iequal(name, "OR")) {
		key = search_new(sp, IMAP_SEARCH_OR);
		*key_r = key;
		if (sp->args->type == IMAP_ARG_EOL || search_key(sp, &key->children) < 0)
			return sp->error != NULL ? -1 : search_fail(sp, "Missing search key after OR");
		if (sp->args->type == IMAP_ARG_EOL || search_key(sp, &key->children->next) < 0)
			return sp->error != NULL ? -1 : search_fail(sp, "Missing second search key of OR");
		return 0;
	}
	if (str_iequal(name, "MODSEQ")) {
		/* RFC 7162 3.1.5: MODSEQ [entry-name entry-type] mod-sequence */
		key = search_new(sp, IMAP_SEARCH_MODSEQ);
		*key_r = key;
		if (sp->args->type == IMAP_ARG_STRING || sp->args->type == IMAP_ARG_LITERAL) {
			sp->args++;
			if (!imap_arg_get_atom(sp->args, &str) ||
			    (!str_iequal(str, "priv") && !str_iequal(str, "shared") &&
			     !str_iequal(str, "all")))
				return search_fail(sp, "Invalid MODSEQ entry type");
			sp->args++;
		}
		return search_number(sp, &key->num);
	}
	if (strcmp(name, "$") == 0 || imap_seqset_is_valid(name)) {
		key = search_new(sp, IMAP_SEARCH_SEQSET);
		*key_r = key;
		return search_set(sp, name, false, key);
	}
	return search_fail(sp, "Unknown search key");
}

static int search_key(struct search_parser *sp, struct imap_search_key **key_r)
{
	const struct imap_arg *arg = sp->args;
	const struct imap_arg *list;
	unsigned int count;
	const char *name;
	int ret;

	if (++sp->depth > SEARCH_MAX_DEPTH)
		return search_fail(sp, "Search keys nested too deeply");
	if (imap_arg_get_list(arg, &list, &count)) {
		sp->args++;
		ret = search_list(sp, list, key_r);
	} else if (imap_arg_get_atom(arg, &name)) {
		sp->args++;
		ret = search_key_atom(sp, name, key_r);
	} else {
		ret = search_fail(sp, "Invalid search key");
	}
	sp->depth--;
	return ret;
}

int imap_search_args_parse(struct pool *pool, const struct imap_arg *args,
			   const struct imap_search_context *ctx,
			   struct imap_search_key **root_r, const char **error_r)
{
	struct search_parser sp = { .pool = pool, .ctx = ctx };

	if (search_list(&sp, args, root_r) < 0) {
		*error_r = sp.error;
		return -1;
	}
	return 0;
}

bool imap_search_uses(const struct imap_search_key *key, enum imap_search_type type)
{
	for (; key != NULL; key = key->next) {
		if (key->type == type)
			return true;
		if (imap_search_uses(key->children, type))
			return true;
	}
	return false;
}
