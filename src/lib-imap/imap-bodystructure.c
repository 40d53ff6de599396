/*
 * Rendering lib-mime's message structure as IMAP's ENVELOPE, BODYSTRUCTURE
 * and BODY. Which value is a string and which an nstring follows RFC 9051's
 * grammar (env-*, body-fld-*): a group's name and a part's type, subtype
 * and encoding are never NIL.
 */
#include "imap-bodystructure.h"
#include "buffer.h"
#include "imap-quote.h"
#include "mime.h"

static void imap_address_write(struct buffer *buf, const struct mime_address *addr)
{
	switch (addr->kind) {
	case MIME_ADDRESS_GROUP_START:
		/* (NIL NIL "group" NIL) */
		buffer_append_str(buf, "(NIL NIL ");
		imap_append_string(buf, addr->name != NULL ? addr->name : "");
		buffer_append_str(buf, " NIL)");
		return;
	case MIME_ADDRESS_GROUP_END:
		buffer_append_str(buf, "(NIL NIL NIL NIL)");
		return;
	case MIME_ADDRESS_MAILBOX:
		break;
	}
	buffer_append_c(buf, '(');
	imap_append_nstring(buf, addr->name);
	buffer_append_c(buf, ' ');
	imap_append_nstring(buf, addr->route);
	buffer_append_c(buf, ' ');
	imap_append_nstring(buf, addr->local);
	buffer_append_c(buf, ' ');
	imap_append_nstring(buf, addr->domain);
	buffer_append_c(buf, ')');
}

static void imap_address_list_write(struct buffer *buf,
				    const struct mime_address_list *list)
{
	if (list->count == 0) {
		buffer_append_str(buf, "NIL");
		return;
	}
	buffer_append_c(buf, '(');
	for (unsigned int i = 0; i < list->count; i++)
		imap_address_write(buf, &list->addrs[i]);
	buffer_append_c(buf, ')');
}

void imap_envelope_write(struct buffer *buf, const struct mime_envelope *env)
{
	const struct mime_address_list *lists[] = {
		&env->from, &env->sender, &env->reply_to, &env->to, &env->cc, &env->bcc,
	};

	buffer_append_c(buf, '(');
	imap_append_nstring(buf, env->date);
	buffer_append_c(buf, ' ');
	imap_append_nstring(buf, env->subject);
	for (unsigned int i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		buffer_append_c(buf, ' ');
		imap_address_list_write(buf, lists[i]);
	}
	buffer_append_c(buf, ' ');
	imap_append_nstring(buf, env->in_reply_to);
	buffer_append_c(buf, ' ');
	imap_append_nstring(buf, env->message_id);
	buffer_append_c(buf, ')');
}

static void imap_params_write(struct buffer *buf, const struct mime_params *params)
{
	if (params->count == 0) {
		buffer_append_str(buf, "NIL");
		return;
	}
	buffer_append_c(buf, '(');
	for (unsigned int i = 0; i < params->count; i++) {
		if (i > 0)
			buffer_append_c(buf, ' ');
		imap_append_string(buf, params->params[i].name);
		buffer_append_c(buf, ' ');
		imap_append_string(buf, params->params[i].value);
	}
	buffer_append_c(buf, ')');
}

/* body-ext-1part/mpart's common tail: disposition, language, location */
static void imap_ext_common_write(struct buffer *buf, const struct mime_body *body)
{
	buffer_append_c(buf, ' ');
	if (body->disposition != NULL) {
		buffer_append_c(buf, '(');
		imap_append_string(buf, body->disposition);
		buffer_append_c(buf, ' ');
		imap_params_write(buf, &body->disposition_params);
		buffer_append_c(buf, ')');
	} else {
		buffer_append_str(buf, "NIL");
	}
	buffer_append_c(buf, ' ');
	imap_append_nstring(buf, body->language);
	buffer_append_c(buf, ' ');
	imap_append_nstring(buf, body->location);
}

void imap_body_write(struct buffer *buf, const struct mime_body *body,
		     bool extensible)
{
	buffer_append_c(buf, '(');
	if (body->multipart) {
		for (unsigned int i = 0; i < body->child_count; i++)
			imap_body_write(buf, body->children[i], extensible);
		buffer_append_c(buf, ' ');
		imap_append_string(buf, body->subtype);
		if (extensible) {
			buffer_append_c(buf, ' ');
			imap_params_write(buf, &body->params);
			imap_ext_common_write(buf, body);
		}
		buffer_append_c(buf, ')');
		return;
	}
	imap_append_string(buf, body->type);
	buffer_append_c(buf, ' ');
	imap_append_string(buf, body->subtype);
	buffer_append_c(buf, ' ');
	imap_params_write(buf, &body->params);
	buffer_append_c(buf, ' ');
	imap_append_nstring(buf, body->id);
	buffer_append_c(buf, ' ');
	imap_append_nstring(buf, body->description);
	buffer_append_c(buf, ' ');
	imap_append_string(buf, body->encoding);
	buffer_printf(buf, " %llu", (unsigned long long)body->size);
	if (body->message != NULL) {
		buffer_append_c(buf, ' ');
		imap_envelope_write(buf, body->envelope);
		buffer_append_c(buf, ' ');
		imap_body_write(buf, body->message, extensible);
	}
	if (body->has_lines)
		buffer_printf(buf, " %llu", (unsigned long long)body->lines);
	if (extensible) {
		buffer_append_c(buf, ' ');
		imap_append_nstring(buf, body->md5);
		imap_ext_common_write(buf, body);
	}
	buffer_append_c(buf, ')');
}

const char *imap_envelope_string(struct pool *pool, const struct mime_envelope *env)
{
	struct buffer buf;

	buffer_init_pool(&buf, pool, 0);
	imap_envelope_write(&buf, env);
	return buf.data;
}

const char *imap_body_string(struct pool *pool, const struct mime_body *body,
			     bool extensible)
{
	struct buffer buf;

	buffer_init_pool(&buf, pool, 0);
	imap_body_write(&buf, body, extensible);
	return buf.data;
}
