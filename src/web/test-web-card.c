/* Unit tests for the contact form's vCard (web-card.c): what it shows of
   cards real clients write, that saving it unchanged changes nothing, that
   an edit changes only its own line and keeps every other line byte for
   byte (photos, X- properties, groups, unknown parameters), the card's own
   line ends, new cards, and every mistake of the form reported at once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pool.h"
#include "vcard.h"
#include "web-card.h"
#include "web-parse.h"

#include <stdio.h>
#include <string.h>

static const char apple[] =
	"BEGIN:VCARD\r\n"
	"VERSION:3.0\r\n"
	"PRODID:-//Apple Inc.//iPhone OS 17.4//EN\r\n"
	"N:Appleseed;Johnny;Q.;Dr.;\r\n"
	"FN:Dr. Johnny Q. Appleseed\r\n"
	"ORG:Apple Inc.;Devices\r\n"
	"item1.EMAIL;type=INTERNET;type=pref:johnny@example.test\r\n"
	"item1.X-ABLabel:_$!<Other>!$_\r\n"
	"item2.TEL:+1 555 0100\r\n"
	"item2.X-ABLabel:Mobil\r\n"
	"TEL;type=CELL;type=VOICE;type=pref:+1 (555) 010-0199\r\n"
	"NOTE:Met at WWDC\\, 2024\\nLikes apples\r\n"
	"X-ABUID:5AD380FD-B2DE-4261-BA99-DE1D1DB52FBE:ABPerson\r\n"
	"UID:5AD380FD-B2DE-4261-BA99-DE1D1DB52FBE\r\n"
	"PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKD\r\n"
	" BQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJC\r\n"
	"END:VCARD\r\n";

static const char rfc6350[] =
	"BEGIN:VCARD\r\n"
	"VERSION:4.0\r\n"
	"FN:Simon Perreault\r\n"
	"N:Perreault;Simon;;;ing. jr,M.Sc.\r\n"
	"ORG;TYPE=work:Viagenie\r\n"
	"TEL;VALUE=uri;TYPE=\"work,voice\";PREF=1:tel:+1-418-656-9254;ext=102\r\n"
	"EMAIL;TYPE=work:simon.perreault@viagenie.ca\r\n"
	"X-FUTURE;X-P=\"a:b\":keep me\r\n"
	"REV:20090808T143000Z\r\n"
	"END:VCARD\r\n";

/* Google's export: LF line ends */
static const char google[] =
	"BEGIN:VCARD\n"
	"VERSION:3.0\n"
	"FN:Gr\xc3\xa9goire Caf\xc3\xa9\n"
	"N:Caf\xc3\xa9;Gr\xc3\xa9goire;;;\n"
	"EMAIL;TYPE=INTERNET;TYPE=HOME:greg@gmail.example\n"
	"X-PHONETIC-FIRST-NAME:gre-gwar\n"
	"END:VCARD\n";

static struct pool *pool;

static int setup(void **state)
{
	(void) state;
	pool = pool_create(4096);
	return 0;
}

static int teardown(void **state)
{
	(void) state;
	pool_destroy(&pool);
	return 0;
}

static void read_ok(const char *text, struct web_card *card)
{
	const char *error = NULL;

	if (web_card_read(pool, text, card, &error) < 0)
		fail_msg("read failed: %s", error);
}

static void form_add(struct web_form *form, const char *name, const char *value)
{
	assert_true(form->count < WEB_FORM_MAX_FIELDS);
	form->fields[form->count].name = name;
	form->fields[form->count++].value = value;
}

/* The form as the page fills it in from the card, with one blank row
   for a new address and number. */
static void form_of(const struct web_card_fields *f, struct web_form *form)
{
	memset(form, 0, sizeof(*form));
	form_add(form, "fn", f->fn);
	form_add(form, "given", f->given);
	form_add(form, "family", f->family);
	form_add(form, "org", f->org);
	form_add(form, "note", f->note);
	for (unsigned int i = 0; i <= f->email_count && i < WEB_CARD_VALUES_MAX;
	     i++) {
		form_add(form, p_printf(pool, "email%u", i),
			 i < f->email_count ? f->emails[i].value : "");
		form_add(form, p_printf(pool, "email_type%u", i),
			 i < f->email_count ? f->emails[i].type : "");
	}
	for (unsigned int i = 0; i <= f->tel_count && i < WEB_CARD_VALUES_MAX;
	     i++) {
		form_add(form, p_printf(pool, "tel%u", i),
			 i < f->tel_count ? f->tels[i].value : "");
		form_add(form, p_printf(pool, "tel_type%u", i),
			 i < f->tel_count ? f->tels[i].type : "");
	}
}

static void form_set(struct web_form *form, const char *name, const char *value)
{
	for (unsigned int i = 0; i < form->count; i++) {
		if (strcmp(form->fields[i].name, name) == 0) {
			form->fields[i].value = value;
			return;
		}
	}
	form_add(form, name, value);
}

/* Read the form, write the card again (something must have changed). */
static const char *edit(const struct web_card *card,
			const struct web_form *form)
{
	struct web_card_fields f;
	struct web_card_errors errors;
	const char *text;

	if (web_card_form_read(pool, form, &card->shown, &f, &errors) < 0)
		fail_msg("form refused: %s: %s", errors.list[0].field,
			 errors.list[0].text);
	assert_int_equal(
		web_card_write(pool, card, &f, NULL, 1700000000, &text), 1);
	return text;
}

/* Every line of the card but those named (by property index, -1 for
   none) is in text, byte for byte and in order. */
static void assert_kept_except(const struct web_card *card, const char *text,
			       int skip1, int skip2, int skip3)
{
	const char *at = text;

	for (unsigned int i = 0; i < card->vc->prop_count; i++) {
		const struct vcard_prop *prop = &card->vc->props[i];
		const char *line;

		if ((int) i == skip1 || (int) i == skip2 || (int) i == skip3)
			continue;
		line = p_strndup(pool, card->text + prop->start,
				 prop->end - prop->start);
		at = strstr(at, line);
		if (at == NULL)
			fail_msg("line %u lost: %s", i, line);
		at += strlen(line);
	}
}

static void test_shown(void **state)
{
	struct web_card card;

	(void) state;
	read_ok(apple, &card);
	assert_string_equal(card.shown.fn, "Dr. Johnny Q. Appleseed");
	assert_string_equal(card.shown.given, "Johnny");
	assert_string_equal(card.shown.family, "Appleseed");
	assert_string_equal(card.shown.org, "Apple Inc.");
	assert_string_equal(card.shown.note, "Met at WWDC, 2024\nLikes apples");
	assert_int_equal(card.shown.email_count, 1);
	assert_string_equal(card.shown.emails[0].value, "johnny@example.test");
	assert_string_equal(card.shown.emails[0].type, "");
	assert_int_equal(card.shown.tel_count, 2);
	assert_string_equal(card.shown.tels[0].value, "+1 555 0100");
	assert_string_equal(card.shown.tels[1].type, "cell");
	assert_true(web_card_matches(&card.shown, "APPLESEED"));
	assert_true(web_card_matches(&card.shown, "johnny@"));
	assert_false(web_card_matches(&card.shown, "4AAQ")); /* the photo */
	assert_false(web_card_matches(&card.shown, "Devices"));

	read_ok(rfc6350, &card);
	assert_string_equal(card.shown.tels[0].value,
			    "+1-418-656-9254;ext=102");
	assert_string_equal(card.shown.tels[0].type, "work");
	assert_string_equal(card.shown.emails[0].type, "work");

	read_ok(google, &card);
	assert_string_equal(card.shown.emails[0].type, "home");
	assert_string_equal(web_card_display_name(pool, &card.shown),
			    "Gr\xc3\xa9goire Caf\xc3\xa9");
}

/* The form sent back as shown: nothing to write, for each card. */
static void test_unchanged(void **state)
{
	static const char *const cards[] = {apple, rfc6350, google};

	(void) state;
	for (size_t i = 0; i < sizeof(cards) / sizeof(cards[0]); i++) {
		struct web_card card;
		struct web_card_fields f;
		struct web_card_errors errors;
		struct web_form form;
		const char *text;

		read_ok(cards[i], &card);
		form_of(&card.shown, &form);
		assert_int_equal(web_card_form_read(pool, &form, &card.shown,
						    &f, &errors),
				 0);
		assert_int_equal(web_card_write(pool, &card, &f, NULL,
						1700000000, &text),
				 0);
		assert_null(text);
	}
}

static void test_edit_keeps_the_rest(void **state)
{
	struct web_card card, again;
	struct web_form form;
	const char *text;

	(void) state;
	read_ok(apple, &card);

	/* a new address in the first row: its group and other types stay */
	form_of(&card.shown, &form);
	form_set(&form, "email0", "johnny@new.example");
	text = edit(&card, &form);
	assert_kept_except(&card, text, card.email_lines[0], -1, -1);
	assert_non_null(strstr(
		text,
		"\r\nitem1.EMAIL;TYPE=INTERNET;TYPE=pref:johnny@new.example\r\n"));
	read_ok(text, &again);
	assert_string_equal(again.shown.emails[0].value, "johnny@new.example");
	assert_string_equal(again.vc->uid, card.vc->uid);

	/* a type changed: CELL goes, VOICE and pref stay */
	form_of(&card.shown, &form);
	form_set(&form, "tel_type1", "work");
	text = edit(&card, &form);
	assert_kept_except(&card, text, card.tel_lines[1], -1, -1);
	assert_non_null(strstr(
		text,
		"\r\nTEL;TYPE=VOICE;TYPE=pref;TYPE=work:+1 (555) 010-0199\r\n"));

	/* the last name: N's other parts as written */
	form_of(&card.shown, &form);
	form_set(&form, "family", "Apple;seed");
	text = edit(&card, &form);
	assert_kept_except(&card, text, card.n_line, -1, -1);
	assert_non_null(strstr(text, "\r\nN:Apple\\;seed;Johnny;Q.;Dr.;\r\n"));

	/* the organization: its unit stays */
	form_of(&card.shown, &form);
	form_set(&form, "org", "Pear, Ltd.");
	text = edit(&card, &form);
	assert_kept_except(&card, text, card.org_line, -1, -1);
	assert_non_null(strstr(text, "\r\nORG:Pear\\, Ltd.;Devices\r\n"));

	/* emptied: the note and the first number go; a name is made up */
	form_of(&card.shown, &form);
	form_set(&form, "note", "");
	form_set(&form, "tel0", "");
	form_set(&form, "fn", "");
	text = edit(&card, &form);
	assert_kept_except(&card, text, card.note_line, card.tel_lines[0],
			   card.fn_line);
	assert_null(strstr(text, "NOTE"));
	assert_null(strstr(text, "+1 555 0100"));
	assert_non_null(strstr(text, "item2.X-ABLabel:Mobil"));
	read_ok(text, &again);
	assert_string_equal(again.vc->fn, "Johnny Appleseed");

	/* added rows go at the end, before END */
	form_of(&card.shown, &form);
	form_set(&form, "email1", "jq@home.example");
	form_set(&form, "email_type1", "home");
	form_set(&form, "tel2", "+49 30 1234");
	form_set(&form, "note", "Line one\r\nline two; three");
	text = edit(&card, &form);
	assert_kept_except(&card, text, card.note_line, -1, -1);
	assert_non_null(
		strstr(text, "\r\nNOTE:Line one\\nline two\\; three\r\n"));
	assert_non_null(strstr(
		text,
		"\r\nEMAIL;TYPE=home:jq@home.example\r\nTEL:+49 30 1234\r\n"
		"END:VCARD\r\n"));
	read_ok(text, &again);
	assert_int_equal(again.shown.email_count, 2);
	assert_string_equal(again.shown.note, "Line one\nline two; three");
}

static void test_edit_4_0_and_lf(void **state)
{
	struct web_card card, again;
	struct web_form form;
	const char *text;

	(void) state;
	/* a tel: URI edited is written as text; REV is now; the unknown
	   property and its quoted parameter stay as written */
	read_ok(rfc6350, &card);
	form_of(&card.shown, &form);
	form_set(&form, "tel0", "+1 418 555 0000");
	text = edit(&card, &form);
	assert_non_null(strstr(
		text, "\r\nTEL;TYPE=work,voice;PREF=1:+1 418 555 0000\r\n"));
	assert_non_null(strstr(text, "\r\nX-FUTURE;X-P=\"a:b\":keep me\r\n"));
	assert_non_null(strstr(text, "\r\nREV:20231114T221320Z\r\n"));
	assert_non_null(
		strstr(text, "\r\nN:Perreault;Simon;;;ing. jr,M.Sc.\r\n"));
	read_ok(text, &again);
	assert_string_equal(again.vc->version, "4.0");

	/* a card with LF line ends gets LF lines */
	read_ok(google, &card);
	form_of(&card.shown, &form);
	form_set(&form, "org", "Caf\xc3\xa9s de Paris");
	form_set(&form, "email_type0", "work");
	text = edit(&card, &form);
	assert_null(strchr(text, '\r'));
	assert_non_null(strstr(
		text, "\nEMAIL;TYPE=INTERNET;TYPE=work:greg@gmail.example\n"));
	assert_non_null(strstr(
		text,
		"\nX-PHONETIC-FIRST-NAME:gre-gwar\nORG:Caf\xc3\xa9s de Paris\nEND:VCARD\n"));
}

/* Past the rows the form has, addresses are kept as they are. */
static void test_many_addresses(void **state)
{
	struct web_card card;
	struct web_form form;
	char text[4096];
	const char *out;
	size_t len;

	(void) state;
	len = (size_t) snprintf(text, sizeof(text),
				"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Many\r\n");
	for (unsigned int i = 0; i < WEB_CARD_VALUES_MAX + 2; i++)
		len += (size_t) snprintf(text + len, sizeof(text) - len,
					 "EMAIL:m%u@example.test\r\n", i);
	snprintf(text + len, sizeof(text) - len, "END:VCARD\r\n");
	read_ok(text, &card);
	assert_int_equal(card.shown.email_count, WEB_CARD_VALUES_MAX);
	form_of(&card.shown, &form);
	form_set(&form, "email0", "");
	out = edit(&card, &form);
	assert_null(strstr(out, "m0@"));
	assert_non_null(strstr(
		out, "EMAIL:m8@example.test\r\nEMAIL:m9@example.test\r\n"));
}

static void test_new_card(void **state)
{
	struct web_card card;
	struct web_card_fields f;
	struct web_card_errors errors;
	struct web_form form;
	const char *text;

	(void) state;
	memset(&form, 0, sizeof(form));
	form_add(&form, "fn", "");
	form_add(&form, "given", "Ann");
	form_add(&form, "family", "Example");
	form_add(&form, "email0", " ann@example.test ");
	form_add(&form, "email_type0", "work");
	form_add(&form, "email1", "");
	form_add(&form, "email_type1", "");
	form_add(&form, "tel0", "+1 555 0101");
	form_add(&form, "tel_type0", "cell");
	assert_int_equal(web_card_form_read(pool, &form, NULL, &f, &errors), 0);
	assert_int_equal(
		web_card_write(pool, NULL, &f, "abc-123", 1700000000, &text),
		1);
	assert_string_equal(
		text,
		"BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//infostore//web access//EN\r\n"
		"UID:abc-123\r\nFN:Ann Example\r\nN:Example;Ann;;;\r\n"
		"EMAIL;TYPE=work:ann@example.test\r\nTEL;TYPE=cell:+1 555 0101\r\n"
		"REV:20231114T221320Z\r\nEND:VCARD\r\n");
	read_ok(text, &card);
	assert_string_equal(card.vc->uid, "abc-123");
	assert_string_equal(card.shown.fn, "Ann Example");

	/* only an address: it is the name */
	memset(&form, 0, sizeof(form));
	form_add(&form, "email0", "solo@example.test");
	assert_int_equal(web_card_form_read(pool, &form, NULL, &f, &errors), 0);
	assert_int_equal(
		web_card_write(pool, NULL, &f, "u2", 1700000000, &text), 1);
	assert_non_null(strstr(text, "\r\nFN:solo@example.test\r\nN:;;;;\r\n"));
}

static void test_form_mistakes(void **state)
{
	struct web_card_fields f;
	struct web_card_errors errors;
	struct web_form form;
	char long_name[WEB_CARD_NAME_MAX + 2];

	(void) state;
	/* nothing at all */
	memset(&form, 0, sizeof(form));
	form_add(&form, "fn", "  ");
	form_add(&form, "email0", "");
	assert_int_equal(web_card_form_read(pool, &form, NULL, &f, &errors),
			 -1);
	assert_int_equal(errors.count, 1);
	assert_non_null(web_card_error(&errors, "fn"));

	/* every mistake at once, each at its field */
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	memset(&form, 0, sizeof(form));
	form_add(&form, "fn", "Ok");
	form_add(&form, "family", long_name);
	form_add(&form, "email0", "not an address");
	form_add(&form, "email_type0", "home");
	form_add(&form, "email3", "a@b@c");
	form_add(&form, "email_type3", "mars");
	form_add(&form, "tel0", "call me");
	form_add(&form, "tel1", "+1 555");
	assert_int_equal(web_card_form_read(pool, &form, NULL, &f, &errors),
			 -1);
	assert_int_equal(errors.count, 5);
	assert_non_null(web_card_error(&errors, "family"));
	assert_non_null(web_card_error(&errors, "email0"));
	assert_non_null(web_card_error(&errors, "email3"));
	assert_non_null(web_card_error(&errors, "email_type3"));
	assert_non_null(web_card_error(&errors, "tel0"));
	assert_null(web_card_error(&errors, "tel1"));
	/* what was sent comes back to be shown again, rows in place */
	assert_int_equal(f.email_count, 4);
	assert_string_equal(f.emails[0].value, "not an address");
	assert_string_equal(f.emails[1].value, "");
	assert_string_equal(f.emails[3].value, "a@b@c");

	/* characters, not bytes: 200 two-byte characters fit */
	{
		char wide[WEB_CARD_NAME_MAX * 2 + 1];

		for (unsigned int i = 0; i < WEB_CARD_NAME_MAX; i++)
			memcpy(wide + i * 2, "\xc3\xa9", 2);
		wide[WEB_CARD_NAME_MAX * 2] = '\0';
		memset(&form, 0, sizeof(form));
		form_add(&form, "fn", wide);
		assert_int_equal(
			web_card_form_read(pool, &form, NULL, &f, &errors), 0);
	}
}

/* What a contacts app wrote that the form would refuse stays editable:
   left as it is, it is no mistake; changed, it is checked. */
static void test_kept_values_are_no_mistakes(void **state)
{
	struct web_card card;
	struct web_card_fields f;
	struct web_card_errors errors;
	struct web_form form;
	char text[1024], name[WEB_CARD_NAME_MAX + 12];
	const char *out;

	(void) state;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(text, sizeof(text),
		 "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:%s\r\n"
		 "EMAIL:not-an-address\r\nTEL:ask the desk\r\nEND:VCARD\r\n",
		 name);
	read_ok(text, &card);
	form_of(&card.shown, &form);
	form_set(&form, "org", "Desk");
	assert_int_equal(
		web_card_form_read(pool, &form, &card.shown, &f, &errors), 0);
	assert_int_equal(web_card_write(pool, &card, &f, NULL, 0, &out), 1);
	assert_non_null(strstr(
		out,
		"\r\nEMAIL:not-an-address\r\nTEL:ask the desk\r\nORG:Desk\r\n"));
	/* a new card gets every check */
	assert_int_equal(web_card_form_read(pool, &form, NULL, &f, &errors),
			 -1);
	assert_int_equal(errors.count, 3);
	/* and so does a changed value */
	form_set(&form, "email0", "still-not-one");
	form_set(&form, "tel0", "ask the front desk");
	assert_int_equal(
		web_card_form_read(pool, &form, &card.shown, &f, &errors), -1);
	assert_int_equal(errors.count, 2);
	assert_non_null(web_card_error(&errors, "email0"));
	assert_non_null(web_card_error(&errors, "tel0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unchanged, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_edit_keeps_the_rest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_edit_4_0_and_lf, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_many_addresses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_new_card, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_mistakes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_kept_values_are_no_mistakes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
