/*
 * lib-vcard: the cards real CardDAV clients PUT (Apple Contacts 3.0 with
 * item1.X-ABLabel groups, Google's 3.0 export, RFC 6350's own 4.0
 * example, Thunderbird's 4.0), folded at every position, and what must be
 * refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "pool.h"
#include "strutil.h"
#include "vcard.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char apple[] =
	"BEGIN:VCARD\r\n"
	"VERSION:3.0\r\n"
	"PRODID:-//Apple Inc.//iPhone OS 17.4//EN\r\n"
	"N:Appleseed;Johnny;Q.;Dr.;\r\n"
	"FN:Dr. Johnny Q. Appleseed\r\n"
	"ORG:Apple Inc.;\r\n"
	"TITLE:Engineer\r\n"
	"item1.EMAIL;type=INTERNET;type=pref:johnny@example.test\r\n"
	"item1.X-ABLabel:_$!<Other>!$_\r\n"
	"item2.TEL:+1 555 0100\r\n"
	"item2.X-ABLabel:Mobil\r\n"
	"TEL;type=CELL;type=VOICE;type=pref:+1 (555) 010-0199\r\n"
	"item3.ADR;type=HOME;type=pref:;;1 Infinite Loop;Cupertino;CA;95014;United\r\n"
	"  States\r\n"
	"item3.X-ABADR:us\r\n"
	"NOTE:Met at WWDC\\, 2024\\nLikes apples\\; and pears\r\n"
	"item4.URL;type=pref:https://www.example.test/~johnny\r\n"
	"item4.X-ABLabel:_$!<HomePage>!$_\r\n"
	"BDAY;value=date:1976-04-01\r\n"
	"X-ABUID:5AD380FD-B2DE-4261-BA99-DE1D1DB52FBE:ABPerson\r\n"
	"UID:5AD380FD-B2DE-4261-BA99-DE1D1DB52FBE\r\n"
	"PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKD\r\n"
	" BQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJC\r\n"
	" QwLDBgNDRgyIRwhMjIyMjIy\r\n"
	"END:VCARD\r\n";

/* RFC 6350 section 8, with its folds. */
static const char rfc6350[] =
	"BEGIN:VCARD\r\n"
	"VERSION:4.0\r\n"
	"FN:Simon Perreault\r\n"
	"N:Perreault;Simon;;;ing. jr,M.Sc.\r\n"
	"BDAY:--0203\r\n"
	"ANNIVERSARY:20090808T1430-0500\r\n"
	"GENDER:M\r\n"
	"LANG;PREF=1:fr\r\n"
	"LANG;PREF=2:en\r\n"
	"ORG;TYPE=work:Viagenie\r\n"
	"ADR;TYPE=work:;Suite D2-630;2875 Laurier;\r\n"
	" Quebec;QC;G1V 2M2;Canada\r\n"
	"TEL;VALUE=uri;TYPE=\"work,voice\";PREF=1:tel:+1-418-656-9254;ext=102\r\n"
	"TEL;VALUE=uri;TYPE=\"work,cell,voice,video,text\":tel:+1-418-262-6501\r\n"
	"EMAIL;TYPE=work:simon.perreault@viagenie.ca\r\n"
	"GEO;TYPE=work:geo:46.772673,-71.282945\r\n"
	"KEY;TYPE=work;VALUE=uri:\r\n"
	" http://www.viagenie.ca/simon.perreault/simon.asc\r\n"
	"TZ:-0500\r\n"
	"URL;TYPE=home:http://nomis80.org\r\n"
	"END:VCARD\r\n";

/* Google Contacts' export: LF line ends, lower-case type values. */
static const char google[] =
	"BEGIN:VCARD\n"
	"VERSION:3.0\n"
	"FN:Gr\xc3\xa9goire Caf\xc3\xa9\n"
	"N:Caf\xc3\xa9;Gr\xc3\xa9goire;;;\n"
	"EMAIL;TYPE=INTERNET;TYPE=HOME:greg@gmail.example\n"
	"TEL;TYPE=CELL:+33 6 12 34 56 78\n"
	"ADR;TYPE=HOME:;;12 rue de la Paix;Paris;;75002;France\n"
	"CATEGORIES:myContacts,Amis\\, proches\n"
	"X-PHONETIC-FIRST-NAME:gre-gwar\n"
	"END:VCARD\n";

/* Thunderbird's 4.0: urn:uuid UID, quoted parameters, RFC 6868 ^'. */
static const char thunderbird[] =
	"BEGIN:VCARD\r\n"
	"VERSION:4.0\r\n"
	"UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1\r\n"
	"FN:\xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e\r\n"
	"N:\xe5\xb1\xb1\xe7\x94\xb0;\xe5\xa4\xaa\xe9\x83\x8e;;;\r\n"
	"EMAIL;PREF=1;TYPE=work:taro@example.test\r\n"
	"ADR;LABEL=\"Suite 5, Floor 2;\\nTokyo: Japan\";TYPE=work:;;Chiyoda 1-1;Tokyo;;100-0001;JP\r\n"
	"X-CUSTOM;X-PARAM=\"a;b:c,d\";X-NOTE=say ^'hi^';TYPE=\"work\",\"voice\":v:al;ue\r\n"
	"TEL;VALUE=uri;HOME:tel:+81-3-1234-5678\r\n"
	"NOTE:\r\n"
	"END:VCARD\r\n";

static struct vcard *parse_ok(struct pool *pool, const char *text, size_t len)
{
	struct vcard *card;
	const char *error = NULL;

	if (vcard_parse(pool, text, len, &card, &error) < 0)
		fail_msg("parse failed: %s", error);
	return card;
}

static void assert_str_or_null_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_cards_equal(const struct vcard *a, const struct vcard *b)
{
	assert_string_equal(a->version, b->version);
	assert_str_or_null_equal(a->uid, b->uid);
	assert_str_or_null_equal(a->fn, b->fn);
	assert_int_equal(a->prop_count, b->prop_count);
	for (unsigned int i = 0; i < a->prop_count; i++) {
		const struct vcard_prop *pa = &a->props[i], *pb = &b->props[i];

		assert_str_or_null_equal(pa->group, pb->group);
		assert_string_equal(pa->name, pb->name);
		assert_string_equal(pa->value, pb->value);
		assert_int_equal(pa->param_count, pb->param_count);
		for (unsigned int j = 0; j < pa->param_count; j++) {
			assert_string_equal(pa->params[j].name, pb->params[j].name);
			assert_str_or_null_equal(pa->params[j].value, pb->params[j].value);
		}
	}
}

/* Each property's span is its line as written: BEGIN, the spans one
   after another and END read the same card again. */
static void check_spans(const char *text, size_t len, const struct vcard *card)
{
	struct pool *pool = pool_create(4096);
	struct buffer again;

	buffer_init(&again, 0);
	buffer_append_str(&again, "BEGIN:VCARD\r\n");
	for (unsigned int i = 0; i < card->prop_count; i++) {
		const struct vcard_prop *prop = &card->props[i];
		const char *first =
			prop->group != NULL ? prop->group : prop->name;

		assert_true(prop->start < prop->end && prop->end <= len);
		/* (a fold may come anywhere, even right after the first letter) */
		assert_true(strncasecmp(text + prop->start, first, 1) == 0);
		assert_int_equal(text[prop->end - 1], '\n');
		buffer_append(&again, text + prop->start,
			      prop->end - prop->start);
	}
	buffer_append_str(&again, "END:VCARD\r\n");
	assert_cards_equal(card, parse_ok(pool, again.data, again.used));
	buffer_free(&again);
	pool_destroy(&pool);
}

/*
 * The parser reads whole buffers, so instead of feeding text in pieces,
 * fold it at every position inside every line (CRLF + space, or LF + tab,
 * even between the bytes of one character) and with LF line ends only:
 * each must read the same as the original.
 */
static void check_folding_everywhere(const char *text)
{
	struct pool *pool = pool_create(4096);
	size_t len = strlen(text);
	struct vcard *expected = parse_ok(pool, text, len);
	struct buffer lf;

	buffer_init(&lf, 0);
	for (size_t i = 0; i < len; i++) {
		if (text[i] != '\r')
			buffer_append(&lf, text + i, 1);
	}
	assert_cards_equal(expected, parse_ok(pool, lf.data, lf.used));
	check_spans(text, len, expected);
	check_spans(lf.data, lf.used, parse_ok(pool, lf.data, lf.used));
	buffer_free(&lf);

	for (size_t split = 1; split < len; split++) {
		struct pool *p;
		char *folded;

		/* inside a line: not at its start, not in its end */
		if (text[split - 1] == '\n' || text[split] == '\n' ||
		    (text[split] == '\r' && text[split - 1] == '\r') || text[split - 1] == '\r')
			continue;
		p = pool_create(4096);
		folded = p_printf(p, "%.*s%s%s", (int)split, text,
				  split % 2 == 0 ? "\r\n " : "\n\t", text + split);
		assert_cards_equal(expected, parse_ok(p, folded, strlen(folded)));
		check_spans(folded, strlen(folded),
			    parse_ok(p, folded, strlen(folded)));
		pool_destroy(&p);
	}
	pool_destroy(&pool);
}

static void test_apple(void **state)
{
	struct pool *pool = pool_create(4096);
	struct vcard *card = parse_ok(pool, apple, strlen(apple));
	const struct vcard_prop *prop;
	const char **parts;

	(void)state;
	assert_string_equal(card->version, "3.0");
	assert_string_equal(card->uid, "5AD380FD-B2DE-4261-BA99-DE1D1DB52FBE");
	assert_string_equal(card->fn, "Dr. Johnny Q. Appleseed");
	assert_int_equal(card->prop_count, 20);
	assert_string_equal(card->props[0].name, "VERSION");

	prop = vcard_find(card, "email");
	assert_non_null(prop);
	assert_string_equal(prop->group, "item1");
	assert_string_equal(prop->value, "johnny@example.test");
	assert_int_equal(prop->param_count, 2);
	assert_string_equal(prop->params[0].name, "TYPE");
	assert_string_equal(prop->params[0].value, "INTERNET");
	assert_string_equal(prop->params[1].value, "pref");
	/* its label is the next line of the same group */
	assert_string_equal(prop[1].group, "item1");
	assert_string_equal(prop[1].name, "X-ABLABEL");
	assert_string_equal(prop[1].value, "_$!<Other>!$_");

	prop = vcard_find(card, "ADR");
	assert_string_equal(prop->group, "item3");
	assert_int_equal(vcard_split(pool, prop->value, ';', &parts), 7);
	assert_string_equal(parts[2], "1 Infinite Loop");
	assert_string_equal(parts[6], "United States");

	prop = vcard_find(card, "NOTE");
	assert_string_equal(prop->value, "Met at WWDC\\, 2024\\nLikes apples\\; and pears");
	assert_string_equal(vcard_unescape(pool, prop->value),
			    "Met at WWDC, 2024\nLikes apples; and pears");

	prop = vcard_find(card, "X-ABUID");
	assert_string_equal(prop->value, "5AD380FD-B2DE-4261-BA99-DE1D1DB52FBE:ABPerson");
	prop = vcard_find(card, "PHOTO");
	assert_string_equal(vcard_param_value(prop, "encoding"), "b");
	assert_true(strncmp(prop->value, "/9j/4AAQ", 8) == 0);
	assert_non_null(strstr(prop->value, "CQgKDBQNDAsL"));
	assert_non_null(strstr(prop->value, "AQkJCQwLDBg"));
	assert_null(strchr(prop->value, ' '));
	assert_null(vcard_find(card, "KEY"));
	assert_null(vcard_param_value(prop, "VALUE"));

	check_folding_everywhere(apple);
	pool_destroy(&pool);
}

static void test_rfc6350_example(void **state)
{
	struct pool *pool = pool_create(4096);
	struct vcard *card = parse_ok(pool, rfc6350, strlen(rfc6350));
	const struct vcard_prop *prop;
	const char **parts;

	(void)state;
	assert_string_equal(card->version, "4.0");
	assert_null(card->uid);
	assert_string_equal(card->fn, "Simon Perreault");
	assert_int_equal(card->prop_count, 17);

	prop = vcard_find(card, "ADR");
	assert_string_equal(prop->value, ";Suite D2-630;2875 Laurier;Quebec;QC;G1V 2M2;Canada");
	assert_int_equal(vcard_split(pool, prop->value, ';', &parts), 7);
	assert_string_equal(parts[0], "");
	assert_string_equal(parts[3], "Quebec");

	prop = vcard_find(card, "TEL");
	assert_int_equal(prop->param_count, 3);
	assert_string_equal(prop->params[0].name, "VALUE");
	assert_string_equal(prop->params[0].value, "uri");
	assert_string_equal(prop->params[1].value, "work,voice");
	assert_string_equal(prop->params[2].value, "1");
	assert_string_equal(prop->value, "tel:+1-418-656-9254;ext=102");
	assert_string_equal(prop[1].params[1].value, "work,cell,voice,video,text");

	prop = vcard_find(card, "KEY");
	assert_string_equal(prop->value, "http://www.viagenie.ca/simon.perreault/simon.asc");
	prop = vcard_find(card, "N");
	assert_int_equal(vcard_split(pool, prop->value, ';', &parts), 5);
	assert_string_equal(parts[4], "ing. jr,M.Sc.");
	assert_int_equal(vcard_split(pool, parts[4], ',', &parts), 2);
	assert_string_equal(parts[1], "M.Sc.");

	check_folding_everywhere(rfc6350);
	pool_destroy(&pool);
}

static void test_google_thunderbird(void **state)
{
	struct pool *pool = pool_create(4096);
	struct vcard *card = parse_ok(pool, google, strlen(google));
	const struct vcard_prop *prop;
	const char **parts;

	(void)state;
	assert_string_equal(card->fn, "Gr\xc3\xa9goire Caf\xc3\xa9");
	assert_null(card->uid);
	prop = vcard_find(card, "CATEGORIES");
	assert_int_equal(vcard_split(pool, prop->value, ',', &parts), 2);
	assert_string_equal(parts[1], "Amis, proches");
	assert_non_null(vcard_find(card, "X-PHONETIC-FIRST-NAME"));
	check_folding_everywhere(google);

	card = parse_ok(pool, thunderbird, strlen(thunderbird));
	assert_string_equal(card->uid, "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1");
	assert_string_equal(card->fn, "\xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e");
	prop = vcard_find(card, "ADR");
	assert_string_equal(vcard_param_value(prop, "LABEL"), "Suite 5, Floor 2;\\nTokyo: Japan");
	assert_string_equal(prop->value, ";;Chiyoda 1-1;Tokyo;;100-0001;JP");
	prop = vcard_find(card, "X-CUSTOM");
	assert_int_equal(prop->param_count, 3);
	assert_string_equal(prop->params[0].name, "X-PARAM");
	assert_string_equal(prop->params[0].value, "a;b:c,d");
	assert_string_equal(prop->params[1].value, "say ^'hi^'");
	assert_string_equal(prop->params[2].value, "work,voice");
	assert_string_equal(prop->value, "v:al;ue");
	/* a parameter without a value (2.1 style) is kept, its name only */
	prop = vcard_find(card, "TEL");
	assert_int_equal(prop->param_count, 2);
	assert_string_equal(prop->params[1].name, "HOME");
	assert_null(prop->params[1].value);
	assert_null(vcard_param_value(prop, "HOME"));
	assert_string_equal(vcard_find(card, "NOTE")->value, "");
	check_folding_everywhere(thunderbird);
	pool_destroy(&pool);
}

static void test_lenient(void **state)
{
	static const char *const ok[] = {
		/* blank lines around and inside; lower-case keywords */
		"\r\n\r\nbegin:vcard\r\nversion:4.0\r\n\r\nfn:x\r\nend:vcard\r\n\r\n",
		/* no final line end; a lone CR kept in a value */
		"BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:a\rb\r\nEND:VCARD",
		/* 3.0 without FN and N */
		"BEGIN:VCARD\nVERSION:3.0\nEMAIL:a@example.test\nEND:VCARD\n",
		/* a character folded in two */
		"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Jos\xc3\r\n \xa9\r\nEND:VCARD\r\n",
		/* an inline AGENT of 3.0, escaped on one line */
		"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:a\r\nAGENT:BEGIN:VCARD\\nFN:b\\nEND:VCARD\r\nEND:VCARD\r\n",
		/* underscores in names, as some exporters write */
		"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:a\r\nX-MS_OL:1\r\nEND:VCARD\r\n",
	};
	struct pool *pool = pool_create(4096);
	struct vcard *card;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		card = parse_ok(pool, ok[i], strlen(ok[i]));
	card = parse_ok(pool, ok[1], strlen(ok[1]));
	assert_string_equal(vcard_find(card, "NOTE")->value, "a\rb");
	card = parse_ok(pool, ok[3], strlen(ok[3]));
	assert_string_equal(card->fn, "Jos\xc3\xa9");
	card = parse_ok(pool, ok[4], strlen(ok[4]));
	assert_string_equal(vcard_unescape(pool, vcard_find(card, "AGENT")->value),
			    "BEGIN:VCARD\nFN:b\nEND:VCARD");
	/* only size bytes are read */
	card = parse_ok(pool, apple, strlen(apple) - 2);
	assert_int_equal(card->prop_count, 20);
	pool_destroy(&pool);
}

static void expect_error(const char *text, size_t len, const char *why)
{
	struct pool *pool = pool_create(1024);
	struct vcard *card = (struct vcard *)1;
	const char *error = NULL;

	if (vcard_parse(pool, text, len, &card, &error) != -1)
		fail_msg("accepted: %.*s", (int)len, text);
	assert_null(card);
	assert_non_null(error);
	if (strstr(error, why) == NULL)
		fail_msg("error \"%s\", expected \"%s\"", error, why);
	pool_destroy(&pool);
}

#define EXPECT_ERROR(text, why) expect_error(text, sizeof(text) - 1, why)
#define CARD(lines) "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\n" lines "END:VCARD\r\n"

static void test_errors(void **state)
{
	struct buffer buf;

	(void)state;
	EXPECT_ERROR("", "no BEGIN");
	EXPECT_ERROR("\r\n\r\n", "no BEGIN");
	EXPECT_ERROR("hello\r\nBEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\nEND:VCARD\r\n", "no BEGIN");
	EXPECT_ERROR("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "no BEGIN");
	EXPECT_ERROR(" BEGIN:VCARD\r\nVERSION:4.0\r\nEND:VCARD\r\n", "folded");
	EXPECT_ERROR("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\n", "no END");
	EXPECT_ERROR("BEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n", "no VERSION");
	EXPECT_ERROR("BEGIN:VCARD\r\nVERSION:2.1\r\nFN:x\r\nEND:VCARD\r\n", "unsupported");
	EXPECT_ERROR("BEGIN:VCARD\r\nVERSION:4\r\nFN:x\r\nEND:VCARD\r\n", "unsupported");
	EXPECT_ERROR(CARD("VERSION:4.0\r\n"), "VERSION given twice");
	EXPECT_ERROR("BEGIN:VCARD\r\nVERSION:4.0\r\nN:x;y;;;\r\nEND:VCARD\r\n", "no FN");
	EXPECT_ERROR(CARD("UID:a\r\nUID:b\r\n"), "several UIDs");
	EXPECT_ERROR(CARD("") CARD(""), "after END");
	EXPECT_ERROR(CARD("") "X-TRAILER:1\r\n", "after END");
	EXPECT_ERROR("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:a\r\nAGENT:\r\nBEGIN:VCARD\r\nVERSION:3.0\r\n"
		     "FN:b\r\nEND:VCARD\r\nEND:VCARD\r\n", "nested");
	EXPECT_ERROR(CARD("END:VCALENDAR\r\n"), "stray END");
	EXPECT_ERROR(CARD("NOTE:a\0b\r\n"), "NUL");
	EXPECT_ERROR(CARD("NOTE:\xff\r\n"), "UTF-8");
	EXPECT_ERROR(CARD("NOTE:\xc0\xaf\r\n"), "UTF-8");
	EXPECT_ERROR(CARD("NOTE:\xed\xa0\x80\r\n"), "UTF-8");
	EXPECT_ERROR(CARD("NOTE:\xf4\x90\x80\x80\r\n"), "UTF-8");
	EXPECT_ERROR(CARD("NOTE:caf\xc3\r\n"), "UTF-8");
	EXPECT_ERROR(CARD("NOTE;X-A=\xe2\x82:x\r\n"), "UTF-8");
	EXPECT_ERROR(CARD("NOTE\r\n"), "without \":\"");
	EXPECT_ERROR(CARD("NOTE;TYPE=a\r\n"), "without \":\"");
	EXPECT_ERROR(CARD("NOTE;TYPE\r\n"), "without \":\"");
	EXPECT_ERROR(CARD("NOTE;TYPE=\"a:b\r\n"), "unterminated");
	EXPECT_ERROR(CARD("NO TE:x\r\n"), "property name");
	EXPECT_ERROR(CARD(":x\r\n"), "property name");
	EXPECT_ERROR(CARD(".EMAIL:x\r\n"), "property name");
	EXPECT_ERROR(CARD("item1.:x\r\n"), "property name");
	EXPECT_ERROR(CARD("a.b.EMAIL:x\r\n"), "property name");
	EXPECT_ERROR(CARD("EMAIL;:x\r\n"), "parameter name");
	EXPECT_ERROR(CARD("EMAIL;=a:x\r\n"), "parameter name");
	EXPECT_ERROR(CARD("EMAIL;T YPE=a:x\r\n"), "parameter name");

	buffer_init(&buf, 0);
	buffer_append_str(&buf, "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\n");
	for (int i = 0; i < 300; i++)
		buffer_append_str(&buf, "X");
	buffer_append_str(&buf, ":y\r\nEND:VCARD\r\n");
	expect_error(buf.data, buf.used, "property name");

	buffer_reset(&buf);
	buffer_append_str(&buf, "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\nEMAIL");
	for (int i = 0; i <= VCARD_MAX_PARAMS; i++)
		buffer_append_str(&buf, ";TYPE=a");
	buffer_append_str(&buf, ":y\r\nEND:VCARD\r\n");
	expect_error(buf.data, buf.used, "too many parameters");

	buffer_reset(&buf);
	buffer_append_str(&buf, "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\n");
	for (int i = 0; i <= VCARD_MAX_PROPS; i++)
		buffer_append_str(&buf, "X-A:b\r\n");
	buffer_append_str(&buf, "END:VCARD\r\n");
	expect_error(buf.data, buf.used, "too many properties");

	/* a line too long once unfolded, though no physical line is */
	buffer_reset(&buf);
	buffer_append_str(&buf, "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\nPHOTO:");
	while (buf.used < VCARD_MAX_LINE + VCARD_MAX_LINE / 10)
		buffer_append_str(&buf, "\r\n AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	buffer_append_str(&buf, "\r\nEND:VCARD\r\n");
	expect_error(buf.data, buf.used, "line too long");

	buffer_reset(&buf);
	buffer_append_str(&buf, "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\n");
	while (buf.used <= VCARD_MAX_SIZE)
		buffer_append_str(&buf, "NOTE:0123456789012345678901234567890123456789\r\n");
	buffer_append_str(&buf, "END:VCARD\r\n");
	expect_error(buf.data, buf.used, "too big");
	buffer_free(&buf);
}

static void test_unescape_split(void **state)
{
	struct pool *pool = pool_create(1024);
	const char **parts;

	(void)state;
	assert_null(vcard_unescape(pool, NULL));
	assert_string_equal(vcard_unescape(pool, "plain"), "plain");
	assert_string_equal(vcard_unescape(pool, "a\\nb\\Nc\\,d\\;e\\\\f\\:g"), "a\nb\nc,d;e\\f:g");
	assert_string_equal(vcard_unescape(pool, "trailing\\"), "trailing\\");
	assert_string_equal(vcard_unescape(pool, "\\\\n"), "\\n");

	assert_int_equal(vcard_split(pool, "", ';', &parts), 1);
	assert_string_equal(parts[0], "");
	assert_int_equal(vcard_split(pool, NULL, ';', &parts), 1);
	assert_int_equal(vcard_split(pool, "a\\;b;c\\\\;d\\", ';', &parts), 3);
	assert_string_equal(parts[0], "a;b");
	assert_string_equal(parts[1], "c\\");
	assert_string_equal(parts[2], "d\\");
	assert_int_equal(vcard_split(pool, ";;", ';', &parts), 3);
	/* as written: N's additional names keep their escaped commas */
	assert_int_equal(
		vcard_split_raw(pool, "Doe;J\\;ohn;A\\,B,C;;", ';', &parts), 5);
	assert_string_equal(parts[0], "Doe");
	assert_string_equal(parts[1], "J\\;ohn");
	assert_string_equal(parts[2], "A\\,B,C");
	assert_string_equal(parts[4], "");
	pool_destroy(&pool);
}

/* Every line written again reads as it was, folded at 75 octets
   without a character cut in two. */
static void check_written(const char *text)
{
	struct pool *pool = pool_create(4096);
	struct vcard *card = parse_ok(pool, text, strlen(text));
	struct buffer out;

	buffer_init(&out, 0);
	buffer_append_str(&out, "BEGIN:VCARD\r\n");
	for (unsigned int i = 0; i < card->prop_count; i++)
		vcard_write_prop(&out, &card->props[i]);
	buffer_append_str(&out, "END:VCARD\r\n");
	assert_cards_equal(card, parse_ok(pool, out.data, out.used));
	for (const char *line = out.data; *line != '\0';) {
		const char *crlf = strstr(line, "\r\n");
		size_t len = (size_t) (crlf - line);

		assert_non_null(crlf);
		assert_true(len <= 75);
		assert_true(str_utf8_valid(line, len));
		line = crlf + 2;
	}
	buffer_free(&out);
	pool_destroy(&pool);
}

static void test_write(void **state)
{
	struct pool *pool = pool_create(4096);
	struct buffer out;
	struct vcard_param params[2] = {{"TYPE", "work,voice"}, {"X-A", "a:b"}};
	struct vcard_prop prop = {.group = "item1",
				  .name = "TEL",
				  .params = params,
				  .param_count = 2,
				  .value = "+1 555"};
	char *long_note;

	(void) state;
	buffer_init(&out, 0);
	vcard_escape(&out, "a,b;c\\d\r\ne\nf\rg");
	assert_string_equal(out.data, "a\\,b\\;c\\\\d\\ne\\nf\\ng");
	assert_string_equal(vcard_unescape(pool, out.data),
			    "a,b;c\\d\ne\nf\ng");
	buffer_reset(&out);
	vcard_write_prop(&out, &prop);
	assert_string_equal(out.data,
			    "item1.TEL;TYPE=work,voice;X-A=\"a:b\":+1 555\r\n");

	check_written(apple);
	check_written(rfc6350);
	check_written(google);
	check_written(thunderbird);
	/* long values of two-, three- and four-byte characters */
	for (unsigned int width = 1; width <= 4; width++) {
		static const char *const chars[] = {
			"a", "\xc3\xa9", "\xe5\xb1\xb1", "\xf0\x9f\x98\x80"};
		struct buffer note;

		buffer_init(&note, 0);
		buffer_append_str(
			&note, "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\nNOTE:");
		for (unsigned int i = 0; i < 300; i++)
			buffer_append_str(&note, chars[width - 1]);
		buffer_append_str(&note, "\r\nEND:VCARD\r\n");
		long_note = p_strdup(pool, note.data);
		buffer_free(&note);
		check_written(long_note);
	}
	buffer_free(&out);
	pool_destroy(&pool);
}

static void test_text_match(void **state)
{
	static const struct {
		const char *value, *needle;
		bool casemap;
		enum vcard_match_type type;
		bool match;
	} cases[] = {
		{ "Simon Perreault", "simon", true, VCARD_MATCH_STARTS_WITH, true },
		{ "Simon Perreault", "simon", false, VCARD_MATCH_STARTS_WITH, false },
		{ "Simon Perreault", "Simon", false, VCARD_MATCH_STARTS_WITH, true },
		{ "Simon Perreault", "PERR", true, VCARD_MATCH_CONTAINS, true },
		{ "Simon Perreault", "PERR", false, VCARD_MATCH_CONTAINS, false },
		{ "Simon Perreault", "ault", true, VCARD_MATCH_ENDS_WITH, true },
		{ "Simon Perreault", "simon perreault", true, VCARD_MATCH_EQUALS, true },
		{ "Simon Perreault", "simon perreaul", true, VCARD_MATCH_EQUALS, false },
		{ "Simon Perreault", "Simon Perreault!", true, VCARD_MATCH_STARTS_WITH, false },
		{ "Simon", "Simon Perreault", true, VCARD_MATCH_ENDS_WITH, false },
		{ "Simon", "Simon Perreault", true, VCARD_MATCH_CONTAINS, false },
		{ "Caf\xc3\xa9", "CAF\xc3\xa9", true, VCARD_MATCH_EQUALS, true },
		/* other characters octet by octet */
		{ "Caf\xc3\xa9", "caf\xc3\x89", true, VCARD_MATCH_EQUALS, false },
		{ "x", "", true, VCARD_MATCH_CONTAINS, true },
		{ "x", "", false, VCARD_MATCH_STARTS_WITH, true },
		{ "x", "", false, VCARD_MATCH_ENDS_WITH, true },
		{ "x", "", false, VCARD_MATCH_EQUALS, false },
		{ "", "", false, VCARD_MATCH_EQUALS, true },
		{ NULL, "", true, VCARD_MATCH_CONTAINS, false },
		{ "x", NULL, true, VCARD_MATCH_CONTAINS, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (vcard_text_match(cases[i].value, cases[i].needle, cases[i].casemap,
				     cases[i].type) != cases[i].match)
			fail_msg("case %zu", i);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apple),
		cmocka_unit_test(test_rfc6350_example),
		cmocka_unit_test(test_google_thunderbird),
		cmocka_unit_test(test_lenient),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_unescape_split),
		cmocka_unit_test(test_text_match),
		cmocka_unit_test(test_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
