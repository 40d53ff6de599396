/* vCard ingestion for CardDAV (src/lib-vcard): vcard_parse() of a card a
   client PUTs, and what an addressbook-query does with each property
   (unescape, split, text-match with both collations), checking what must
   hold of every card the parser accepts; and what the web access's
   contact form writes: each line's span and each line written again read
   as the card did. */
#include "buffer.h"
#include "pool.h"
#include "vcard.h"
#include "web-card.h"

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

static bool fuzz_str_equal(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* The card made again from its lines' spans (copied) or from each line
   written with vcard_write_prop(): the same properties. */
static void fuzz_again(struct pool *pool, const struct vcard *card,
		       const uint8_t *data, size_t size, bool write)
{
	struct vcard *again;
	struct buffer out;
	const char *error;

	buffer_init(&out, 0);
	buffer_append_str(&out, "BEGIN:VCARD\r\n");
	for (unsigned int i = 0; i < card->prop_count; i++) {
		const struct vcard_prop *prop = &card->props[i];

		CHECK(prop->start < prop->end && prop->end <= size);
		if (write)
			vcard_write_prop(&out, prop);
		else
			buffer_append(&out, data + prop->start,
				      prop->end - prop->start);
	}
	buffer_append_str(&out, "END:VCARD\r\n");
	CHECK(vcard_parse(pool, out.data, out.used, &again, &error) == 0 ||
	      /* a card of the largest size grows by its folds */
	      (write && out.used > VCARD_MAX_SIZE));
	if (again != NULL) {
		CHECK(again->prop_count == card->prop_count);
		for (unsigned int i = 0; i < card->prop_count; i++) {
			const struct vcard_prop *a = &card->props[i],
						*b = &again->props[i];

			CHECK(fuzz_str_equal(a->group, b->group) &&
			      strcmp(a->name, b->name) == 0 &&
			      strcmp(a->value, b->value) == 0 &&
			      a->param_count == b->param_count);
			for (unsigned int k = 0; k < a->param_count; k++)
				CHECK(strcmp(a->params[k].name,
					     b->params[k].name) == 0 &&
				      fuzz_str_equal(a->params[k].value,
						     b->params[k].value));
		}
	}
	buffer_free(&out);
}

/* The web access's contact form over any card: sent back as shown it
   changes nothing; with every shown field emptied but a name, the card
   still reads, with its UID and every line the form does not show. */
static void fuzz_web_card(struct pool *pool, const uint8_t *data, size_t size)
{
	struct web_card card, again;
	struct web_card_fields f;
	const char *text, *error;
	int ret;

	if (web_card_read(pool, p_strndup(pool, data, size), &card, &error) < 0)
		__builtin_trap();
	CHECK(web_card_write(pool, &card, &card.shown, NULL, 0, &text) == 0);
	memset(&f, 0, sizeof(f));
	f.fn = "Fuzz";
	f.given = f.family = f.org = f.note = "";
	f.email_count = f.tel_count = 0;
	ret = web_card_write(pool, &card, &f, NULL, 0, &text);
	if (ret <= 0)
		return;
	if (web_card_read(pool, text, &again, &error) < 0) {
		/* only a card full to the last line can take no more */
		CHECK(card.vc->prop_count + 2 > VCARD_MAX_PROPS);
		return;
	}
	CHECK(fuzz_str_equal(again.vc->uid, card.vc->uid));
	for (unsigned int i = 0; i < card.vc->prop_count; i++) {
		const struct vcard_prop *prop = &card.vc->props[i];
		bool shown =
			(int) i == card.fn_line || (int) i == card.n_line ||
			(int) i == card.org_line || (int) i == card.note_line ||
			strcmp(prop->name, "EMAIL") == 0 ||
			strcmp(prop->name, "TEL") == 0 ||
			strcmp(prop->name, "REV") == 0;

		if (!shown)
			CHECK(memmem(text, strlen(text), data + prop->start,
				     prop->end - prop->start) != NULL);
	}
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
	fuzz_again(pool, card, data, size, false);
	fuzz_again(pool, card, data, size, true);
	fuzz_web_card(pool, data, size);
	pool_destroy(&pool);
	return 0;
}
