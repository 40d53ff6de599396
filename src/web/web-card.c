/*
 * The contact form and its vCard (see web-card.h): reading what the form
 * shows, reading the form, and writing the card again line by line.
 */
#include "web-card.h"
#include "web-parse.h"
#include "buffer.h"
#include "pool.h"
#include "strutil.h"
#include "vcard.h"

#include <stdio.h>
#include <string.h>

const struct web_card_type web_card_email_types[] = {
	{"", "Other"},
	{"home", "Home"},
	{"work", "Work"},
	{NULL, NULL},
};
const struct web_card_type web_card_tel_types[] = {
	{"", "Other"},	  {"cell", "Mobile"}, {"home", "Home"},
	{"work", "Work"}, {NULL, NULL},
};

static const struct web_card_value web_card_no_value = {"", ""};

/* One line as the form shows it: tabs and line breaks are spaces, and
   white space around goes. */
static const char *web_card_line(struct pool *pool, const char *value)
{
	char *s = p_strdup(pool, value != NULL ? value : "");

	for (char *p = s; *p != '\0'; p++) {
		if (*p == '\t' || *p == '\r' || *p == '\n')
			*p = ' ';
	}
	return str_trim(s);
}

/* The note: CRLF and CR are LF (browsers send CRLF), and white space
   around goes. */
static const char *web_card_text(struct pool *pool, const char *value)
{
	char *s = p_strdup(pool, value != NULL ? value : ""), *w = s;

	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '\r') {
			*w++ = '\n';
			if (p[1] == '\n')
				p++;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return str_trim(s);
}

/* Characters of UTF-8 text (what maxlength counts, near enough). */
static size_t web_card_chars(const char *text)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *) text; *p != '\0';
	     p++) {
		if ((*p & 0xc0) != 0x80)
			n++;
	}
	return n;
}

/* Is item one of the comma-separated values of list (case aside)? */
static bool web_card_list_has(const char *list, const char *item)
{
	size_t len = strlen(item);

	while (*list != '\0') {
		size_t n = strcspn(list, ",");

		if (n == len && mem_iequal(list, item, len))
			return true;
		list += n + (list[n] == ',' ? 1 : 0);
	}
	return false;
}

/* TYPE=work,voice or TYPE=work;TYPE=voice, and vCard 2.1's bare WORK */
static bool web_card_has_type(const struct vcard_prop *prop, const char *type)
{
	for (unsigned int i = 0; i < prop->param_count; i++) {
		const struct vcard_param *param = &prop->params[i];

		if (param->value == NULL ?
			    str_iequal(param->name, type) :
			    str_iequal(param->name, "TYPE") &&
				    web_card_list_has(param->value, type))
			return true;
	}
	return false;
}

/* The first type of the list the line has, or "". */
static const char *web_card_type_of(const struct vcard_prop *prop,
				    const struct web_card_type *types)
{
	for (const struct web_card_type *t = types; t->value != NULL; t++) {
		if (*t->value != '\0' && web_card_has_type(prop, t->value))
			return t->value;
	}
	return "";
}

static bool web_card_type_offered(const struct web_card_type *types,
				  const char *type)
{
	for (const struct web_card_type *t = types; t->value != NULL; t++) {
		if (strcmp(t->value, type) == 0)
			return true;
	}
	return false;
}

/* The first part of a structured value (N's family name, ORG's name) */
static const char *web_card_part(struct pool *pool, const char *value,
				 unsigned int n)
{
	const char **parts;

	if (vcard_split(pool, value, ';', &parts) <= n)
		return "";
	return web_card_line(pool, parts[n]);
}

static void web_card_fields_init(struct web_card_fields *f)
{
	memset(f, 0, sizeof(*f));
	f->fn = f->given = f->family = f->org = f->note = "";
	for (unsigned int i = 0; i < WEB_CARD_VALUES_MAX; i++)
		f->emails[i] = f->tels[i] = web_card_no_value;
}

int web_card_read(struct pool *pool, const char *text, struct web_card *card_r,
		  const char **error_r)
{
	struct web_card_fields *f = &card_r->shown;
	struct vcard *vc;

	memset(card_r, 0, sizeof(*card_r));
	if (vcard_parse(pool, text, strlen(text), &vc, error_r) < 0)
		return -1;
	card_r->text = text;
	card_r->vc = vc;
	card_r->fn_line = card_r->n_line = card_r->org_line =
		card_r->note_line = -1;
	web_card_fields_init(f);
	for (unsigned int i = 0; i < vc->prop_count; i++) {
		const struct vcard_prop *prop = &vc->props[i];
		const char *name = prop->name;

		if (strcmp(name, "FN") == 0 && card_r->fn_line < 0) {
			card_r->fn_line = (int) i;
			f->fn = web_card_line(
				pool, vcard_unescape(pool, prop->value));
		} else if (strcmp(name, "N") == 0 && card_r->n_line < 0) {
			card_r->n_line = (int) i;
			f->family = web_card_part(pool, prop->value, 0);
			f->given = web_card_part(pool, prop->value, 1);
		} else if (strcmp(name, "ORG") == 0 && card_r->org_line < 0) {
			card_r->org_line = (int) i;
			f->org = web_card_part(pool, prop->value, 0);
		} else if (strcmp(name, "NOTE") == 0 && card_r->note_line < 0) {
			card_r->note_line = (int) i;
			f->note = web_card_text(
				pool, vcard_unescape(pool, prop->value));
		} else if (strcmp(name, "EMAIL") == 0 &&
			   f->email_count < WEB_CARD_VALUES_MAX) {
			card_r->email_lines[f->email_count] = (int) i;
			f->emails[f->email_count].value = web_card_line(
				pool, vcard_unescape(pool, prop->value));
			f->emails[f->email_count++].type =
				web_card_type_of(prop, web_card_email_types);
		} else if (strcmp(name, "TEL") == 0 &&
			   f->tel_count < WEB_CARD_VALUES_MAX) {
			const char *value = web_card_line(
				pool, vcard_unescape(pool, prop->value));

			/* vCard 4.0 writes numbers as tel: URIs (RFC 3966) */
			if (str_begins_icase(value, "tel:"))
				value += 4;
			card_r->tel_lines[f->tel_count] = (int) i;
			f->tels[f->tel_count].value = value;
			f->tels[f->tel_count++].type =
				web_card_type_of(prop, web_card_tel_types);
		}
	}
	return 0;
}

/* "" when there is no name at all */
static const char *web_card_name(struct pool *pool,
				 const struct web_card_fields *f)
{
	if (*f->fn != '\0')
		return f->fn;
	if (*f->given != '\0' || *f->family != '\0')
		return p_printf(pool, "%s%s%s", f->given,
				*f->given != '\0' && *f->family != '\0' ? " " :
									  "",
				f->family);
	for (unsigned int i = 0; i < f->email_count; i++) {
		if (*f->emails[i].value != '\0')
			return f->emails[i].value;
	}
	return "";
}

const char *web_card_display_name(struct pool *pool,
				  const struct web_card_fields *f)
{
	const char *name = web_card_name(pool, f);

	return *name != '\0' ? name : "(no name)";
}

bool web_card_matches(const struct web_card_fields *f, const char *needle)
{
	if (vcard_text_match(f->fn, needle, true, VCARD_MATCH_CONTAINS) ||
	    vcard_text_match(f->given, needle, true, VCARD_MATCH_CONTAINS) ||
	    vcard_text_match(f->family, needle, true, VCARD_MATCH_CONTAINS))
		return true;
	for (unsigned int i = 0; i < f->email_count; i++) {
		if (vcard_text_match(f->emails[i].value, needle, true,
				     VCARD_MATCH_CONTAINS))
			return true;
	}
	return false;
}

/* --- the form --- */

const char *web_card_error(const struct web_card_errors *errors,
			   const char *field)
{
	for (unsigned int i = 0; i < errors->count; i++) {
		if (strcmp(errors->list[i].field, field) == 0)
			return errors->list[i].text;
	}
	return NULL;
}

static void web_card_fail(struct pool *pool, struct web_card_errors *errors,
			  const char *field, const char *text)
{
	if (errors->count == WEB_CARD_ERRORS_MAX ||
	    web_card_error(errors, field) != NULL)
		return;
	errors->list[errors->count].field = p_strdup(pool, field);
	errors->list[errors->count++].text = text;
}

/* What the card had is not a mistake of the form: a name a contacts app
   wrote longer than the form allows can be left as it is. */
static bool web_card_kept(const char *value, const char *was)
{
	return was != NULL && strcmp(value, was) == 0;
}

static void web_card_check_length(struct pool *pool,
				  struct web_card_errors *errors,
				  const char *field, const char *value,
				  const char *was, size_t max)
{
	if (web_card_chars(value) > max && !web_card_kept(value, was))
		web_card_fail(pool, errors, field,
			      p_printf(pool,
				       "Too long: at most %zu characters.",
				       max));
}

/* The rows emailN/email_typeN (kind "email") or telN/tel_typeN: each row
   the form sent keeps its place, empty or not, so that row N is still
   the card's Nth address. */
static unsigned int
web_card_rows_read(struct pool *pool, const struct web_form *form,
		   const char *kind, const struct web_card_type *types,
		   struct web_card_value *rows, struct web_card_errors *errors)
{
	unsigned int count = 0;

	for (unsigned int i = 0; i < WEB_CARD_VALUES_MAX; i++) {
		char name[32], type_name[32];
		const char *value, *type;

		snprintf(name, sizeof(name), "%s%u", kind, i);
		snprintf(type_name, sizeof(type_name), "%s_type%u", kind, i);
		value = web_form_get(form, name);
		type = web_form_get(form, type_name);
		if (value == NULL && type == NULL)
			continue;
		rows[i].value = web_card_line(pool, value);
		rows[i].type = type != NULL ? type : "";
		count = i + 1;
		if (!web_card_type_offered(types, rows[i].type)) {
			rows[i].type = "";
			web_card_fail(pool, errors, type_name,
				      "Choose a type from the list.");
		}
	}
	return count;
}

/* The value of row i of what the card had, or NULL. */
static const char *web_card_was(const struct web_card_value *rows,
				unsigned int count, unsigned int i)
{
	return i < count ? rows[i].value : NULL;
}

int web_card_form_read(struct pool *pool, const struct web_form *form,
		       const struct web_card_fields *was,
		       struct web_card_fields *f,
		       struct web_card_errors *errors)
{
	static const struct web_card_fields none;
	bool email = false;

	memset(errors, 0, sizeof(*errors));
	web_card_fields_init(f);
	f->fn = web_card_line(pool, web_form_get(form, "fn"));
	f->given = web_card_line(pool, web_form_get(form, "given"));
	f->family = web_card_line(pool, web_form_get(form, "family"));
	f->org = web_card_line(pool, web_form_get(form, "org"));
	f->note = web_card_text(pool, web_form_get(form, "note"));
	if (was == NULL)
		was = &none;
	web_card_check_length(pool, errors, "fn", f->fn, was->fn,
			      WEB_CARD_NAME_MAX);
	web_card_check_length(pool, errors, "given", f->given, was->given,
			      WEB_CARD_NAME_MAX);
	web_card_check_length(pool, errors, "family", f->family, was->family,
			      WEB_CARD_NAME_MAX);
	web_card_check_length(pool, errors, "org", f->org, was->org,
			      WEB_CARD_NAME_MAX);
	web_card_check_length(pool, errors, "note", f->note, was->note,
			      WEB_CARD_NOTE_MAX);

	f->email_count = web_card_rows_read(
		pool, form, "email", web_card_email_types, f->emails, errors);
	for (unsigned int i = 0; i < f->email_count; i++) {
		const char *value = f->emails[i].value;
		const char *field = p_printf(pool, "email%u", i);

		if (*value == '\0')
			continue;
		email = true;
		if (web_card_kept(value, web_card_was(was->emails,
						      was->email_count, i)))
			continue;
		if (strlen(value) > WEB_CARD_EMAIL_MAX ||
		    !str_is_address(value))
			web_card_fail(
				pool, errors, field,
				web_card_chars(value) > WEB_CARD_EMAIL_MAX ?
					"Too long for an email address." :
					"Not an email address: it should look like name@example.com.");
	}
	f->tel_count = web_card_rows_read(pool, form, "tel", web_card_tel_types,
					  f->tels, errors);
	for (unsigned int i = 0; i < f->tel_count; i++) {
		const char *value = f->tels[i].value;
		const char *field = p_printf(pool, "tel%u", i);

		if (*value == '\0' ||
		    web_card_kept(value,
				  web_card_was(was->tels, was->tel_count, i)))
			continue;
		web_card_check_length(pool, errors, field, value, NULL,
				      WEB_CARD_TEL_MAX);
		if (strpbrk(value, "0123456789") == NULL)
			web_card_fail(pool, errors, field,
				      "A phone number needs digits.");
	}
	if (*f->fn == '\0' && *f->given == '\0' && *f->family == '\0' && !email)
		web_card_fail(pool, errors, "fn",
			      "Give a name or an email address.");
	return errors->count > 0 ? -1 : 0;
}

/* --- writing --- */

struct web_card_out {
	struct pool *pool;
	struct buffer buf;
	const char *eol; /* the card's own line ends: "\r\n" or "\n" */
};

static const char *web_card_escaped(struct pool *pool, const char *text)
{
	struct buffer b;

	buffer_init_pool(&b, pool, 0);
	vcard_escape(&b, text);
	return b.data != NULL ? b.data : "";
}

/* A line of ours, with orig's group (orig may be NULL), in the card's
   line ends. */
static void web_card_put(struct web_card_out *out,
			 const struct vcard_prop *orig, const char *name,
			 const struct vcard_param *params,
			 unsigned int param_count, const char *value)
{
	struct vcard_prop prop;
	struct buffer line;

	memset(&prop, 0, sizeof(prop));
	prop.group = orig != NULL ? orig->group : NULL;
	prop.name = name;
	prop.params = (struct vcard_param *) params;
	prop.param_count = param_count;
	prop.value = value;
	if (strcmp(out->eol, "\r\n") == 0) {
		vcard_write_prop(&out->buf, &prop);
		return;
	}
	buffer_init(&line, 0);
	vcard_write_prop(&line, &prop);
	for (size_t i = 0; i < line.used; i++) {
		if (!(line.data[i] == '\r' && i + 1 < line.used &&
		      line.data[i + 1] == '\n'))
			buffer_append_c(&out->buf, line.data[i]);
	}
	buffer_free(&line);
}

/* A line as it was written. */
static void web_card_keep(struct web_card_out *out, const struct web_card *old,
			  const struct vcard_prop *prop)
{
	buffer_append(&out->buf, old->text + prop->start,
		      prop->end - prop->start);
}

/* Is item a type of the list (case aside)? "" is not. */
static bool web_card_type_listed(const struct web_card_type *types,
				 const char *item)
{
	for (const struct web_card_type *t = types; t->value != NULL; t++) {
		if (*t->value != '\0' && str_iequal(t->value, item))
			return true;
	}
	return false;
}

/* orig's parameters with the types of the list taken out and type put
   in (at the end; "" for none) when retype; VALUE left out with
   drop_value. The other types (INTERNET, pref, voice) stay. */
static unsigned int
web_card_params(struct pool *pool, const struct vcard_prop *orig,
		const struct web_card_type *types, const char *type,
		bool retype, bool drop_value, struct vcard_param **params_r)
{
	struct vcard_param *params =
		p_new(pool, struct vcard_param, orig->param_count + 1);
	unsigned int n = 0;

	for (unsigned int i = 0; i < orig->param_count; i++) {
		const struct vcard_param *param = &orig->params[i];
		struct buffer rest;

		if (drop_value && strcmp(param->name, "VALUE") == 0)
			continue;
		if (!retype || (param->value != NULL &&
				strcmp(param->name, "TYPE") != 0)) {
			params[n++] = *param;
			continue;
		}
		if (param->value == NULL) {
			/* vCard 2.1's bare WORK */
			if (!web_card_type_listed(types, param->name))
				params[n++] = *param;
			continue;
		}
		buffer_init_pool(&rest, pool, 0);
		for (const char *list = param->value; *list != '\0';) {
			size_t len = strcspn(list, ",");
			const char *item = p_strndup(pool, list, len);

			if (len > 0 && !web_card_type_listed(types, item)) {
				if (rest.used > 0)
					buffer_append_c(&rest, ',');
				buffer_append_str(&rest, item);
			}
			list += len + (list[len] == ',' ? 1 : 0);
		}
		if (rest.used > 0) {
			params[n].name = param->name;
			params[n++].value = rest.data;
		}
	}
	if (retype && *type != '\0') {
		params[n].name = "TYPE";
		params[n++].value = type;
	}
	*params_r = params;
	return n;
}

static bool web_card_value_differs(const struct web_card_value *a,
				   const struct web_card_value *b)
{
	return strcmp(a->value, b->value) != 0 ||
	       (*b->value != '\0' && strcmp(a->type, b->type) != 0);
}

static const struct web_card_value *
web_card_row(const struct web_card_value *rows, unsigned int count,
	     unsigned int i)
{
	return i < count ? &rows[i] : &web_card_no_value;
}

/* Has anything the form shows changed? */
static bool web_card_differs(const struct web_card_fields *old,
			     const struct web_card_fields *f)
{
	if (strcmp(old->fn, f->fn) != 0 || strcmp(old->given, f->given) != 0 ||
	    strcmp(old->family, f->family) != 0 ||
	    strcmp(old->org, f->org) != 0 || strcmp(old->note, f->note) != 0)
		return true;
	for (unsigned int i = 0; i < WEB_CARD_VALUES_MAX; i++) {
		if (web_card_value_differs(
			    web_card_row(old->emails, old->email_count, i),
			    web_card_row(f->emails, f->email_count, i)) ||
		    web_card_value_differs(
			    web_card_row(old->tels, old->tel_count, i),
			    web_card_row(f->tels, f->tel_count, i)))
			return true;
	}
	return false;
}

/* An EMAIL or TEL line of the card, row i of the form: kept, dropped
   (emptied) or written again with what changed. */
static void web_card_put_row(struct web_card_out *out,
			     const struct web_card *old,
			     const struct vcard_prop *prop,
			     const struct web_card_value *was,
			     const struct web_card_value *now,
			     const struct web_card_type *types)
{
	bool same_value = strcmp(was->value, now->value) == 0;
	struct vcard_param *params;
	unsigned int count;

	if (!web_card_value_differs(was, now)) {
		web_card_keep(out, old, prop);
		return;
	}
	if (*now->value == '\0')
		return;
	/* a number written as text drops VALUE=uri */
	count = web_card_params(out->pool, prop, types, now->type,
				strcmp(was->type, now->type) != 0, !same_value,
				&params);
	web_card_put(out, prop, prop->name, params, count,
		     same_value ? prop->value :
				  web_card_escaped(out->pool, now->value));
}

/* A structured value (N, ORG) with its first parts replaced, the others
   as written, at least min_parts of them. */
static const char *web_card_structured(struct pool *pool, const char *value,
				       const char *const *first,
				       unsigned int first_count,
				       unsigned int min_parts)
{
	const char **parts;
	unsigned int count =
		vcard_split_raw(pool, value != NULL ? value : "", ';', &parts);
	struct buffer b;

	buffer_init_pool(&b, pool, 0);
	for (unsigned int i = 0; i < count || i < min_parts || i < first_count;
	     i++) {
		if (i > 0)
			buffer_append_c(&b, ';');
		if (i < first_count)
			vcard_escape(&b, first[i]);
		else if (i < count)
			buffer_append_str(&b, parts[i]);
	}
	return b.data != NULL ? b.data : "";
}

static int web_card_index(const int *lines, unsigned int count,
			  unsigned int line)
{
	for (unsigned int i = 0; i < count; i++) {
		if (lines[i] == (int) line)
			return (int) i;
	}
	return -1;
}

/* RFC 6350 6.7.4 (and RFC 2426 3.6.4's basic ISO 8601 form) */
static const char *web_card_rev(struct pool *pool, time_t now)
{
	struct tm tm;

	gmtime_r(&now, &tm);
	return p_printf(pool, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900,
			tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			tm.tm_sec);
}

/* What the form added: each field the card had no line for. */
static void web_card_put_new(struct web_card_out *out,
			     const struct web_card *old,
			     const struct web_card_fields *f, const char *fn)
{
	struct pool *pool = out->pool;
	const char *n[2] = {f->family, f->given};
	struct vcard_param type = {"TYPE", NULL};
	unsigned int emails = old != NULL ? old->shown.email_count : 0;
	unsigned int tels = old != NULL ? old->shown.tel_count : 0;

	if (old == NULL || old->fn_line < 0) {
		if (old == NULL || *f->fn != '\0')
			web_card_put(out, NULL, "FN", NULL, 0,
				     web_card_escaped(pool, fn));
	}
	/* RFC 2426 3.1.2: N is required in 3.0 */
	if ((old == NULL || old->n_line < 0) &&
	    (old == NULL || *f->given != '\0' || *f->family != '\0'))
		web_card_put(out, NULL, "N", NULL, 0,
			     web_card_structured(pool, NULL, n, 2, 5));
	if ((old == NULL || old->org_line < 0) && *f->org != '\0')
		web_card_put(out, NULL, "ORG", NULL, 0,
			     web_card_escaped(pool, f->org));
	for (unsigned int i = emails; i < f->email_count; i++) {
		if (*f->emails[i].value == '\0')
			continue;
		type.value = f->emails[i].type;
		web_card_put(out, NULL, "EMAIL", &type,
			     *type.value != '\0' ? 1 : 0,
			     web_card_escaped(pool, f->emails[i].value));
	}
	for (unsigned int i = tels; i < f->tel_count; i++) {
		if (*f->tels[i].value == '\0')
			continue;
		type.value = f->tels[i].type;
		web_card_put(out, NULL, "TEL", &type,
			     *type.value != '\0' ? 1 : 0,
			     web_card_escaped(pool, f->tels[i].value));
	}
	if ((old == NULL || old->note_line < 0) && *f->note != '\0')
		web_card_put(out, NULL, "NOTE", NULL, 0,
			     web_card_escaped(pool, f->note));
}

/* One line of the old card, written again as the form says. */
static void web_card_put_line(struct web_card_out *out,
			      const struct web_card *old,
			      const struct web_card_fields *f, unsigned int i,
			      const char *fn, const char *rev)
{
	struct pool *pool = out->pool;
	const struct web_card_fields *was = &old->shown;
	const struct vcard_prop *prop = &old->vc->props[i];
	int k;

	if ((int) i == old->fn_line) {
		if (strcmp(was->fn, f->fn) == 0)
			web_card_keep(out, old, prop);
		else
			web_card_put(out, prop, "FN", prop->params,
				     prop->param_count,
				     web_card_escaped(pool, fn));
	} else if ((int) i == old->n_line) {
		const char *n[2] = {f->family, f->given};

		if (strcmp(was->given, f->given) == 0 &&
		    strcmp(was->family, f->family) == 0)
			web_card_keep(out, old, prop);
		else
			web_card_put(out, prop, "N", prop->params,
				     prop->param_count,
				     web_card_structured(pool, prop->value, n,
							 2, 2));
	} else if ((int) i == old->org_line) {
		if (strcmp(was->org, f->org) == 0)
			web_card_keep(out, old, prop);
		else if (*f->org != '\0')
			web_card_put(out, prop, "ORG", prop->params,
				     prop->param_count,
				     web_card_structured(pool, prop->value,
							 &f->org, 1, 1));
	} else if ((int) i == old->note_line) {
		if (strcmp(was->note, f->note) == 0)
			web_card_keep(out, old, prop);
		else if (*f->note != '\0')
			web_card_put(out, prop, "NOTE", prop->params,
				     prop->param_count,
				     web_card_escaped(pool, f->note));
	} else if ((k = web_card_index(old->email_lines, was->email_count,
				       i)) >= 0) {
		web_card_put_row(out, old, prop, &was->emails[k],
				 web_card_row(f->emails, f->email_count,
					      (unsigned int) k),
				 web_card_email_types);
	} else if ((k = web_card_index(old->tel_lines, was->tel_count, i)) >=
		   0) {
		web_card_put_row(
			out, old, prop, &was->tels[k],
			web_card_row(f->tels, f->tel_count, (unsigned int) k),
			web_card_tel_types);
	} else if (strcmp(prop->name, "REV") == 0) {
		/* the card changed now; a VALUE=date would not fit that */
		web_card_put(out, prop, "REV", NULL, 0, rev);
	} else {
		web_card_keep(out, old, prop);
	}
}

int web_card_write(struct pool *pool, const struct web_card *old,
		   const struct web_card_fields *f, const char *uid, time_t now,
		   const char **text_r)
{
	struct web_card_out out;
	const char *fn = web_card_name(pool, f);
	const char *rev = web_card_rev(pool, now);

	*text_r = NULL;
	if (old != NULL && !web_card_differs(&old->shown, f))
		return 0;
	memset(&out, 0, sizeof(out));
	out.pool = pool;
	out.eol = "\r\n";
	if (old != NULL) {
		const char *nl = strchr(old->text, '\n');

		/* the card's own line ends, for the lines written here */
		if (nl != NULL && (nl == old->text || nl[-1] != '\r'))
			out.eol = "\n";
	}
	buffer_init_pool(&out.buf, pool, 0);
	buffer_printf(&out.buf, "BEGIN:VCARD%s", out.eol);
	if (old == NULL) {
		buffer_printf(
			&out.buf,
			"VERSION:3.0%sPRODID:-//infostore//web access//EN%s",
			out.eol, out.eol);
		web_card_put(&out, NULL, "UID", NULL, 0,
			     web_card_escaped(pool, uid));
	} else {
		for (unsigned int i = 0; i < old->vc->prop_count; i++)
			web_card_put_line(&out, old, f, i, fn, rev);
	}
	web_card_put_new(&out, old, f, fn);
	if (old == NULL)
		web_card_put(&out, NULL, "REV", NULL, 0, rev);
	buffer_printf(&out.buf, "END:VCARD%s", out.eol);
	if (out.buf.used > VCARD_MAX_SIZE)
		return -1;
	*text_r = out.buf.data;
	return 1;
}
