/*
 * Writing multistatus bodies (RFC 4918 13). The namespaces clients use
 * get fixed prefixes declared once on the document element; anything
 * else (a property we do not know, asked for by name) is written with
 * its own xmlns, so the answer always names what was asked.
 */
#include "dav-private.h"

#include <string.h>

static const struct {
	const char *ns;
	const char *prefix;
} dav_prefixes[] = {
	{ DAV_NS_DAV, "D" },
	{ DAV_NS_CALDAV, "C" },
	{ DAV_NS_CARDDAV, "CR" },
	{ DAV_NS_CS, "CS" },
	{ DAV_NS_APPLE, "A" },
};

void dav_xml_escape(struct buffer *out, const char *text)
{
	const char *start = text;

	for (const char *p = text; *p != '\0'; p++) {
		const char *rep;

		switch (*p) {
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '&': rep = "&amp;"; break;
		case '"': rep = "&quot;"; break;
		case '\r': rep = "&#13;"; break;
		default:
			/* XML 1.0 has no other control characters */
			if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
				rep = "";
			else
				continue;
		}
		buffer_append(out, start, (size_t)(p - start));
		buffer_append_str(out, rep);
		start = p + 1;
	}
	buffer_append_str(out, start);
}

void dav_ms_begin(struct buffer *out)
{
	buffer_append_str(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
			  "<D:multistatus");
	for (size_t i = 0; i < sizeof(dav_prefixes) / sizeof(dav_prefixes[0]); i++)
		buffer_printf(out, " xmlns:%s=\"%s\"", dav_prefixes[i].prefix,
			      dav_prefixes[i].ns);
	buffer_append_str(out, ">\n");
}

void dav_ms_end(struct buffer *out)
{
	buffer_append_str(out, "</D:multistatus>\n");
}

const char *dav_status_line(int status)
{
	switch (status) {
	case 200: return "HTTP/1.1 200 OK";
	case 201: return "HTTP/1.1 201 Created";
	case 204: return "HTTP/1.1 204 No Content";
	case 403: return "HTTP/1.1 403 Forbidden";
	case 404: return "HTTP/1.1 404 Not Found";
	case 409: return "HTTP/1.1 409 Conflict";
	case 424: return "HTTP/1.1 424 Failed Dependency";
	case 507: return "HTTP/1.1 507 Insufficient Storage";
	default: return "HTTP/1.1 500 Internal Server Error";
	}
}

void dav_ms_status(struct buffer *out, const char *href, int status)
{
	buffer_append_str(out, "<D:response><D:href>");
	dav_xml_escape(out, href);
	buffer_printf(out, "</D:href><D:status>%s</D:status></D:response>\n",
		      dav_status_line(status));
}

static const char *dav_prefix(const char *ns)
{
	for (size_t i = 0; i < sizeof(dav_prefixes) / sizeof(dav_prefixes[0]); i++) {
		if (strcmp(dav_prefixes[i].ns, ns) == 0)
			return dav_prefixes[i].prefix;
	}
	return NULL;
}

void dav_prop_open(struct buffer *out, const struct dav_prop_name *name, bool empty)
{
	const char *prefix = dav_prefix(name->ns);

	if (prefix != NULL) {
		buffer_printf(out, "<%s:%s%s>", prefix, name->name, empty ? "/" : "");
		return;
	}
	if (*name->ns == '\0') {
		buffer_printf(out, "<%s xmlns=\"\"%s>", name->name, empty ? "/" : "");
		return;
	}
	/* the name came from a well-formed document: it is a valid NCName */
	buffer_printf(out, "<X:%s xmlns:X=\"", name->name);
	dav_xml_escape(out, name->ns);
	buffer_printf(out, "\"%s>", empty ? "/" : "");
}

void dav_prop_close(struct buffer *out, const struct dav_prop_name *name)
{
	const char *prefix = dav_prefix(name->ns);

	if (*name->ns == '\0')
		buffer_printf(out, "</%s>", name->name);
	else
		buffer_printf(out, "</%s:%s>", prefix != NULL ? prefix : "X", name->name);
}
