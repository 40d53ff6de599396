/* The web access's request path without sockets: request targets and
   routing, urlencoded forms (and the contact form read from them, and the
   card it makes), the Cookie header, tokens and return paths, the
   ENVELOPE reader of the message list, the HTML mail sanitiser and POSIX
   TZ rules. Every input goes through all of them. */
#include "buffer.h"
#include "pool.h"
#include "vcard.h"
#include "web-card.h"
#include "web-html.h"
#include "web-parse.h"
#include "web-route.h"
#include "web-sanitize.h"
#include "web-tz.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fuzz_cid(void *context, const char *cid)
{
	(void)context;
	return cid[0] == 'a' ? "data:image/png;base64,AAAA" : NULL;
}

/* Every '<' the sanitiser writes opens or closes an allowed tag. */
static void check_sanitized(const char *out, size_t len)
{
	static const char *const bad[] = { "<script", "<style", "<iframe", "<svg",
					   "<object", "<embed", "<form", "<math" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (size_t k = 0; k + strlen(bad[i]) <= len; k++) {
			if (strncasecmp(out + k, bad[i], strlen(bad[i])) == 0)
				__builtin_trap();
		}
	}
	/* no event handler attribute: inside a tag, " on" can only follow a
	   closing quote or the tag name, and we never write such a name */
	for (size_t k = 0, in_tag = 0, quoted = 0; k < len; k++) {
		if (!in_tag) {
			in_tag = out[k] == '<';
		} else if (out[k] == '"') {
			quoted = !quoted;
		} else if (!quoted && out[k] == '>') {
			in_tag = 0;
		} else if (!quoted && out[k] == ' ' && k + 3 < len &&
			   (out[k + 1] == 'o' || out[k + 1] == 'O') &&
			   (out[k + 2] == 'n' || out[k + 2] == 'N')) {
			__builtin_trap();
		}
	}
}

/* A contact form that reads without a mistake makes a card that reads
   back with the same fields. */
static void fuzz_card_form(struct pool *pool, const struct web_form *form)
{
	struct web_card_fields f;
	struct web_card_errors errors;
	struct web_card card;
	const char *text, *error;

	if (web_card_form_read(pool, form, NULL, &f, &errors) < 0) {
		if (errors.count == 0 || errors.count > WEB_CARD_ERRORS_MAX)
			__builtin_trap();
		return;
	}
	if (f.email_count > WEB_CARD_VALUES_MAX ||
	    f.tel_count > WEB_CARD_VALUES_MAX ||
	    web_card_write(pool, NULL, &f, "fuzz-uid", 1700000000, &text) !=
		    1 ||
	    web_card_read(pool, text, &card, &error) < 0 ||
	    strcmp(card.vc->uid, "fuzz-uid") != 0 ||
	    strcmp(card.shown.note, f.note) != 0 ||
	    strcmp(card.shown.org, f.org) != 0 ||
	    strcmp(card.shown.given, f.given) != 0 ||
	    strcmp(card.shown.family, f.family) != 0)
		__builtin_trap();
	/* the same fields again: nothing to change */
	if (web_card_write(pool, &card, &card.shown, NULL, 1700000000, &text) !=
	    0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool *pool;
	char *str;
	struct web_target target;
	struct web_route_match match;
	struct web_form form;
	struct web_sanitize_settings set = { .allow_remote = size % 2 == 0,
					     .cid = fuzz_cid };
	struct web_sanitize_result result;
	struct web_tz_rule rule;
	struct buffer out;
	int y, m, d, min;

	if (size > 256 * 1024)
		return 0;
	pool = pool_create(4096);
	str = p_strndup(pool, data, size);   /* stops at an embedded NUL */

	if (web_target_parse(pool, str, &target) == 0) {
		(void)web_route_find(&target, &match);
		if (target.query != NULL)
			(void)web_form_parse(pool, target.query, strlen(target.query), &form);
	}
	if (web_form_parse(pool, (const char *)data, size, &form) == 0) {
		for (unsigned int i = 0; i < form.count; i++) {
			if (strlen(form.fields[i].name) > size)
				__builtin_trap();
		}
		fuzz_card_form(pool, &form);
	}
	(void)web_cookie_get(pool, str, "__Host-infostore");
	(void)web_cookie_get(pool, str, "infostore-tz");
	(void)web_token_valid(str);
	if (web_return_path_safe(str) && (str[1] == '/' || str[1] == '\\'))
		__builtin_trap();
	(void)web_parse_date(str, &y, &m, &d);
	(void)web_parse_hhmm(str, &min);
	if (web_tz_rule_parse(str, &rule) == 0) {
		bool dst;

		(void)web_tz_rule_offset(&rule, (time_t)size * 86400 * 7, &dst);
		(void)web_tz_rule_offset(&rule, -(time_t)size * 86400 * 30, &dst);
	}

	buffer_init_pool(&out, pool, 0);
	web_sanitize_html(pool, (const char *)data, size, &set, &out, &result);
	check_sanitized(out.data != NULL ? out.data : "", out.used);

	buffer_reset(&out);
	html_escape(&out, (const char *)data, size);
	if (out.used > 0 && memchr(out.data, '<', out.used) != NULL)
		__builtin_trap();
	pool_destroy(&pool);
	return 0;
}
