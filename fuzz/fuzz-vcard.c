/* vCard ingestion for CardDAV (src/lib-vcard): vcard_parse() of a card a
   client PUTs, and what an addressbook-query does with each property
   (unescape, split, text-match with both collations), checking what must
   hold of every card the parser accepts. */
#include "pool.h"
#include "vcard.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static bool fuzz_upper_name(const char *name)
{
	if (*name == '\0')
		return false;
	for (; *name != '\0'; name++) {
		if (*name >= 'a' && *name <= 'z')
			return false;
	}
	return true;
}

static void fuzz_prop(struct pool *pool, const struct vcard *card,
		      const struct vcard_prop *prop)
{
	const char *text, **parts;
	unsigned int count;
	size_t len;

	CHECK(fuzz_upper_name(prop->name) && prop->value != NULL);
	CHECK(prop->group == NULL || *prop->group != '\0');
	CHECK(prop->param_count <= VCARD_MAX_PARAMS);
	CHECK(vcard_find(card, prop->name) != NULL);
	for (unsigned int i = 0; i < prop->param_count; i++) {
		CHECK(fuzz_upper_name(prop->params[i].name));
		/* quotes are taken away, and a value ends at an unquoted ':' */
		CHECK(prop->params[i].value == NULL ||
		      strchr(prop->params[i].value, '"') == NULL);
	}

	text = vcard_unescape(pool, prop->value);
	len = strlen(text);
	CHECK(len <= strlen(prop->value));
	/* a value matches itself, whole and in part, in both collations */
	CHECK(vcard_text_match(text, text, false, VCARD_MATCH_EQUALS));
	CHECK(vcard_text_match(text, text, true, VCARD_MATCH_EQUALS));
	if (len > 0) {
		const char *head = p_strndup(pool, text, len / 2 + 1);
		const char *tail = text + len / 2;
		const char *mid = p_strndup(pool, text + len / 3, len / 3 + 1);

		CHECK(vcard_text_match(text, head, false, VCARD_MATCH_STARTS_WITH));
		CHECK(vcard_text_match(text, head, true, VCARD_MATCH_STARTS_WITH));
		CHECK(vcard_text_match(text, tail, false, VCARD_MATCH_ENDS_WITH));
		CHECK(vcard_text_match(text, tail, true, VCARD_MATCH_ENDS_WITH));
		CHECK(vcard_text_match(text, mid, false, VCARD_MATCH_CONTAINS));
		CHECK(vcard_text_match(text, mid, true, VCARD_MATCH_CONTAINS));
	}
	(void)vcard_text_match(text, "perreault", true, VCARD_MATCH_CONTAINS);

	count = vcard_split(pool, prop->value, ';', &parts);
	CHECK(count >= 1);
	len = 0;
	for (unsigned int i = 0; i < count; i++)
		len += strlen(parts[i]);
	/* the separators are gone, the text is no longer than the value */
	CHECK(len + count - 1 <= strlen(prop->value));
	(void)vcard_split(pool, prop->value, ',', &parts);
	(void)vcard_param_value(prop, "TYPE");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool *pool;
	struct vcard *card;
	const char *error = NULL;

	if (size > VCARD_MAX_SIZE + 16)
		return 0;
	pool = pool_create(4096);
	if (vcard_parse(pool, data, size, &card, &error) < 0) {
		CHECK(error != NULL && *error != '\0');
		pool_destroy(&pool);
		return 0;
	}
	CHECK(strcmp(card->version, "3.0") == 0 || strcmp(card->version, "4.0") == 0);
	CHECK(card->fn != NULL || strcmp(card->version, "3.0") == 0);
	CHECK(card->prop_count >= 1 && card->prop_count <= VCARD_MAX_PROPS);
	CHECK(vcard_find(card, "VERSION") != NULL);
	CHECK((card->uid == NULL) == (vcard_find(card, "UID") == NULL));
	for (unsigned int i = 0; i < card->prop_count; i++)
		fuzz_prop(pool, card, &card->props[i]);
	pool_destroy(&pool);
	return 0;
}
