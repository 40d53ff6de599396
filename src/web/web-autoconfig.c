/*
 * Account setup for mail, calendar and contacts apps (see
 * web-autoconfig.h): Thunderbird's autoconfig, Outlook's Autodiscover,
 * an Apple configuration profile and the DNS records to publish, all
 * rendered from one struct web_autoconfig.
 *
 * What each client reads, and so what is written here:
 * - Thunderbird (comm-central mail/components/accountcreation,
 *   readFromXML.sys.mjs): clientConfig/emailProvider with an id and at
 *   least one domain that are host names; per incomingServer a type
 *   (imap, pop3), hostname, port 1..65535, socketType (plain, SSL,
 *   STARTTLS), authentication (password-cleartext) and username, where
 *   %EMAILADDRESS% is replaced by the address typed in. Leaf elements
 *   carry no whitespace: the text is taken as it is.
 * - Outlook: the POX schemas of MS-OXDSCLI, Protocol per service with
 *   Server, Port, LoginName, SPA, SSL, AuthRequired (and Encryption for
 *   STARTTLS, which overrides SSL).
 * - Apple: the keys Apple's Configuration Profile Reference marks
 *   required for the top level, every payload (PayloadIdentifier,
 *   PayloadUUID, PayloadType, PayloadVersion) and each payload type.
 */
#include "web-autoconfig.h"
#include "web-private.h"
#include "web-html.h"
#include "web-server.h"
#include "buffer.h"
#include "conf.h"
#include "log.h"
#include "pool.h"
#include "secret.h"
#include "server.h"
#include "strutil.h"

#include <arpa/inet.h>
#include <string.h>

#define WEB_AUTOCONFIG_TTL 3600
#define WEB_AUTOCONFIG_CONTENT_TYPE "text/xml; charset=utf-8"

/* The URLs, registered as prefixes of the web server; each handler
   checks that the path is exactly its own. */
#define WEB_AUTOCONFIG_TB_WELL_KNOWN "/.well-known/autoconfig/mail/config-v1.1.xml"
#define WEB_AUTOCONFIG_TB_LEGACY "/mail/config-v1.1.xml"
#define WEB_AUTOCONFIG_AUTODISCOVER "/autodiscover/autodiscover.xml"
#define WEB_AUTOCONFIG_AUTODISCOVER_UC "/Autodiscover/Autodiscover.xml"

static uint16_t web_autoconfig_first_port(const struct conf_addresses *addrs)
{
	return addrs->count > 0 ? addrs->addr[0].port : 0;
}

/* Split a link base of ours ("https://host[:port][/path]", as conf.c
   builds it) into the DAV fields. */
static void web_autoconfig_dav_from_base(struct pool *pool, const char *base,
					 struct web_autoconfig *ac)
{
	const char *host = strstr(base, "://"), *end, *path;
	uint64_t port;

	if (host == NULL)
		return;
	ac->dav_tls = str_begins_icase(base, "https:");
	host += 3;
	if (*host == '[') {
		end = strchr(host, ']');
		end = end != NULL ? end + 1 : host + strlen(host);
	} else {
		end = host + strcspn(host, ":/");
	}
	path = end + strcspn(end, "/");
	ac->dav_host = p_strndup(pool, host, (size_t)(end - host));
	ac->dav_port = ac->dav_tls ? 443 : 80;
	if (*end == ':' &&
	    mem_to_u64(end + 1, (size_t)(path - end - 1), 65535, &port) == 0 &&
	    port > 0)
		ac->dav_port = (uint16_t)port;
	/* public_url has no trailing '/'; conf.c removes it */
	ac->dav_path = p_printf(pool, "%s/dav/", path);
}

void web_autoconfig_from_conf(const struct conf *conf, struct pool *pool,
			      struct web_autoconfig *ac_r)
{
	const char *base;

	memset(ac_r, 0, sizeof(*ac_r));
	ac_r->mail_host = conf->hostname;
	ac_r->imaps_port = web_autoconfig_first_port(&conf->imap_tls_listen);
	ac_r->imap_port = web_autoconfig_first_port(&conf->imap_listen);
	ac_r->pop3s_port = web_autoconfig_first_port(&conf->pop3_tls_listen);
	ac_r->pop3_port = web_autoconfig_first_port(&conf->pop3_listen);
	ac_r->submissions_port = web_autoconfig_first_port(&conf->submission_tls_listen);
	ac_r->submission_port = web_autoconfig_first_port(&conf->submission_listen);

	/* DAV answers on the web access; Basic passwords want https, so the
	   https base when there is one */
	base = conf->https_base != NULL ? conf->https_base : conf->link_base;
	if (base != NULL)
		web_autoconfig_dav_from_base(pool, base, ac_r);
}

const char *web_autoconfig_parent_domain(struct pool *pool, const char *hostname)
{
	const char *dot = strchr(hostname, '.');

	if (dot != NULL && strchr(dot + 1, '.') != NULL)
		return p_strdup(pool, dot + 1);
	return p_strdup(pool, hostname);
}

bool web_autoconfig_domain_valid(const char *domain)
{
	size_t label = 0, len = strlen(domain);

	if (len == 0 || len > 253 || domain[0] == '.' || domain[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = domain[i];

		if (c == '.') {
			if (label == 0 || domain[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return domain[len - 1] != '-';
}

static bool web_autoconfig_has_submission(const struct web_autoconfig *ac)
{
	return ac->submissions_port != 0 || ac->submission_port != 0;
}

/* "https://host[:port]/dav/" into out, escaped for XML */
static void web_autoconfig_dav_url(const struct web_autoconfig *ac,
				   struct buffer *out)
{
	html_printf(out, "%s://%s", ac->dav_tls ? "https" : "http", ac->dav_host);
	if (ac->dav_port != (ac->dav_tls ? 443 : 80))
		html_printf(out, ":%u", (unsigned int)ac->dav_port);
	html_printf(out, "%s", ac->dav_path);
}

/* --- Thunderbird --- */

static void web_autoconfig_tb_server(struct buffer *out, const char *element,
				     const char *type, const char *host,
				     uint16_t port, const char *socket_type)
{
	html_printf(out,
		    "    <%S type=\"%s\">\n"
		    "      <hostname>%s</hostname>\n"
		    "      <port>%u</port>\n"
		    "      <socketType>%s</socketType>\n"
		    "      <authentication>password-cleartext</authentication>\n"
		    "      <username>%%EMAILADDRESS%%</username>\n"
		    "    </%S>\n",
		    element, type, host, (unsigned int)port, socket_type, element);
}

void web_autoconfig_thunderbird(const struct web_autoconfig *ac,
				const char *domain, struct buffer *out)
{
	html_printf(out,
		    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<clientConfig version=\"1.1\">\n"
		    "  <emailProvider id=\"%s\">\n"
		    "    <domain>%s</domain>\n"
		    "    <displayName>%s (infostore)</displayName>\n"
		    "    <displayShortName>%s</displayShortName>\n",
		    domain, domain, domain, domain);
	/* the first valid incomingServer is the one Thunderbird proposes,
	   the rest are alternatives: implicit TLS first (RFC 8314 5.1),
	   IMAP before POP3 */
	if (ac->imaps_port != 0)
		web_autoconfig_tb_server(out, "incomingServer", "imap", ac->mail_host,
					 ac->imaps_port, "SSL");
	if (ac->imap_port != 0)
		web_autoconfig_tb_server(out, "incomingServer", "imap", ac->mail_host,
					 ac->imap_port, "STARTTLS");
	if (ac->pop3s_port != 0)
		web_autoconfig_tb_server(out, "incomingServer", "pop3", ac->mail_host,
					 ac->pop3s_port, "SSL");
	if (ac->pop3_port != 0)
		web_autoconfig_tb_server(out, "incomingServer", "pop3", ac->mail_host,
					 ac->pop3_port, "STARTTLS");
	if (ac->submissions_port != 0)
		web_autoconfig_tb_server(out, "outgoingServer", "smtp", ac->mail_host,
					 ac->submissions_port, "SSL");
	if (ac->submission_port != 0)
		web_autoconfig_tb_server(out, "outgoingServer", "smtp", ac->mail_host,
					 ac->submission_port, "STARTTLS");
	html_printf(out, "  </emailProvider>\n");
	if (ac->dav_host != NULL) {
		/* the clientConfig draft's address book and calendar elements
		   (draft-ietf-mailmaint-autoconfig); Thunderbird itself finds
		   CardDAV and CalDAV through RFC 6764 (config dns) */
		static const char *const kinds[][2] = {
			{ "addressBook", "carddav" }, { "calendar", "caldav" },
		};

		for (size_t i = 0; i < 2; i++) {
			html_printf(out,
				    "  <%S type=\"%S\">\n"
				    "    <username>%%EMAILADDRESS%%</username>\n"
				    "    <authentication>http-basic</authentication>\n"
				    "    <serverURL>", kinds[i][0], kinds[i][1]);
			web_autoconfig_dav_url(ac, out);
			html_printf(out, "</serverURL>\n  </%S>\n", kinds[i][0]);
		}
	}
	html_printf(out, "</clientConfig>\n");
}

/* --- the Settings page --- */

/* One row of the setup help: the service, and its ports (0: none). */
static void web_autoconfig_help_row(struct buffer *out, const char *service,
				    const char *host, uint16_t tls_port,
				    uint16_t starttls_port)
{
	html_printf(out, "<dt>%s</dt><dd>", service);
	if (tls_port == 0 && starttls_port == 0) {
		html_printf(
			out,
			"<span class=\"hint\">not offered here</span></dd>\n");
		return;
	}
	html_printf(out, "server <strong>%s</strong>", host);
	if (tls_port != 0)
		html_printf(out, ", port <strong>%u</strong> with SSL/TLS",
			    (unsigned int) tls_port);
	if (starttls_port != 0)
		html_printf(out, "%S port <strong>%u</strong> with STARTTLS",
			    tls_port != 0 ? "; or" : ",",
			    (unsigned int) starttls_port);
	html_printf(out, "</dd>\n");
}

void web_autoconfig_help(const struct web_autoconfig *ac, const char *address,
			 struct buffer *out)
{
	html_printf(out,
		    "<dl class=\"headers setup\">\n"
		    "<dt>User name</dt><dd><strong>%s</strong></dd>\n"
		    "<dt>Password</dt><dd>the one you log in here with (normal"
		    " password)</dd>\n",
		    address);
	web_autoconfig_help_row(out, "IMAP (incoming mail)", ac->mail_host,
				ac->imaps_port, ac->imap_port);
	web_autoconfig_help_row(out, "POP3 (incoming mail)", ac->mail_host,
				ac->pop3s_port, ac->pop3_port);
	web_autoconfig_help_row(out, "SMTP (outgoing mail)", ac->mail_host,
				ac->submissions_port, ac->submission_port);
	if (ac->dav_host != NULL) {
		static const char *const kinds[][2] = {
			{"CalDAV (calendar)", "calendars"},
			{"CardDAV (contacts)", "addressbooks"},
		};

		for (size_t i = 0; i < 2; i++) {
			html_printf(out, "<dt>%s</dt><dd><code>", kinds[i][0]);
			web_autoconfig_dav_url(ac, out);
			html_printf(out, "%s/%s/</code></dd>\n", kinds[i][1],
				    address);
		}
	}
	html_printf(out, "</dl>\n");
}

/* --- Outlook Autodiscover --- */

/*
 * The text of the first element called name (any namespace prefix), by a
 * bounded search: "<", optional "prefix:", name, then ">" or attributes
 * and ">", then text up to the next "<". NULL when there is none.
 */
static const char *web_autoconfig_element_text(const char *body, size_t size,
					       const char *name, size_t *len_r)
{
	size_t name_len = strlen(name);
	const char *end = body + size, *p = body;

	while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
		const char *tag = ++p, *tag_end, *text;

		tag_end = tag;
		while (tag_end < end && *tag_end != '>' && *tag_end != '/' &&
		       *tag_end != ' ' && *tag_end != '\t' && *tag_end != '\r' &&
		       *tag_end != '\n')
			tag_end++;
		if (tag_end == end)
			return NULL;
		{
			const char *local = tag;

			for (const char *c = tag; c < tag_end; c++) {
				if (*c == ':')
					local = c + 1;
			}
			if ((size_t)(tag_end - local) != name_len ||
			    memcmp(local, name, name_len) != 0)
				continue;
		}
		text = memchr(tag_end, '>', (size_t)(end - tag_end));
		if (text == NULL)
			return NULL;
		if (text[-1] == '/')
			continue; /* <EMailAddress/> */
		text++;
		p = memchr(text, '<', (size_t)(end - text));
		if (p == NULL)
			return NULL;
		*len_r = (size_t)(p - text);
		return text;
	}
	return NULL;
}

/* Element text with surrounding whitespace trimmed and the predefined
   entities (XML 1.0 4.6) decoded; NULL for any other reference. */
static const char *web_autoconfig_xml_text(struct pool *pool, const char *text,
					   size_t len)
{
	static const struct {
		const char *name;
		char c;
	} entities[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};
	char *out, *o;

	while (len > 0 && (*text == ' ' || *text == '\t' || *text == '\r' ||
			   *text == '\n')) {
		text++;
		len--;
	}
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' ||
			   text[len - 1] == '\r' || text[len - 1] == '\n'))
		len--;
	o = out = p_malloc(pool, len + 1);
	for (size_t i = 0; i < len; ) {
		size_t e;

		if (text[i] == '\0')
			return NULL;
		if (text[i] != '&') {
			*o++ = text[i++];
			continue;
		}
		for (e = 0; e < sizeof(entities) / sizeof(entities[0]); e++) {
			size_t elen = strlen(entities[e].name);

			if (len - i >= elen && memcmp(text + i, entities[e].name, elen) == 0) {
				*o++ = entities[e].c;
				i += elen;
				break;
			}
		}
		if (e == sizeof(entities) / sizeof(entities[0]))
			return NULL;
	}
	*o = '\0';
	return out;
}

int web_autoconfig_autodiscover_read(struct pool *pool, const char *body,
				     size_t size, const char **address_r,
				     const char **schema_r)
{
	const char *text, *address;
	size_t len;

	*address_r = NULL;
	*schema_r = NULL;
	if (size > WEB_AUTOCONFIG_MAX_REQUEST)
		return -1;
	text = web_autoconfig_element_text(body, size, "EMailAddress", &len);
	if (text == NULL)
		return -1;
	address = web_autoconfig_xml_text(pool, text, len);
	if (address == NULL || !str_is_address(address))
		return -1;
	text = web_autoconfig_element_text(body, size, "AcceptableResponseSchema",
					   &len);
	if (text != NULL)
		*schema_r = web_autoconfig_xml_text(pool, text, len);
	*address_r = address;
	return 0;
}

static void web_autoconfig_ad_protocol(struct buffer *out, const char *type,
				       const char *host, uint16_t port,
				       bool implicit_tls, const char *address)
{
	html_printf(out,
		    "      <Protocol>\n"
		    "        <Type>%s</Type>\n"
		    "        <Server>%s</Server>\n"
		    "        <Port>%u</Port>\n"
		    "        <DomainRequired>off</DomainRequired>\n"
		    "        <LoginName>%s</LoginName>\n"
		    "        <SPA>off</SPA>\n"
		    "        <SSL>on</SSL>\n",
		    type, host, (unsigned int)port, address);
	/* MS-OXDSCLI: Encryption overrides SSL; TLS is STARTTLS on the
	   plain port */
	if (!implicit_tls)
		html_printf(out, "        <Encryption>TLS</Encryption>\n");
	html_printf(out, "        <AuthRequired>on</AuthRequired>\n");
	if (strcmp(type, "SMTP") == 0)
		html_printf(out, "        <UsePOPAuth>on</UsePOPAuth>\n"
			    "        <SMTPLast>off</SMTPLast>\n");
	html_printf(out, "      </Protocol>\n");
}

void web_autoconfig_autodiscover(const struct web_autoconfig *ac,
				 const char *address, struct buffer *out)
{
	html_printf(out,
		    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		    "<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006\">\n"
		    "  <Response xmlns=\"%S\">\n"
		    "    <Account>\n"
		    "      <AccountType>email</AccountType>\n"
		    "      <Action>settings</Action>\n",
		    WEB_AUTOCONFIG_OUTLOOK_SCHEMA);
	/* one Protocol per type: Outlook takes the first of each */
	if (ac->imaps_port != 0)
		web_autoconfig_ad_protocol(out, "IMAP", ac->mail_host, ac->imaps_port,
					   true, address);
	else if (ac->imap_port != 0)
		web_autoconfig_ad_protocol(out, "IMAP", ac->mail_host, ac->imap_port,
					   false, address);
	if (ac->pop3s_port != 0)
		web_autoconfig_ad_protocol(out, "POP3", ac->mail_host, ac->pop3s_port,
					   true, address);
	else if (ac->pop3_port != 0)
		web_autoconfig_ad_protocol(out, "POP3", ac->mail_host, ac->pop3_port,
					   false, address);
	if (ac->submissions_port != 0)
		web_autoconfig_ad_protocol(out, "SMTP", ac->mail_host,
					   ac->submissions_port, true, address);
	else if (ac->submission_port != 0)
		web_autoconfig_ad_protocol(out, "SMTP", ac->mail_host,
					   ac->submission_port, false, address);
	html_printf(out, "    </Account>\n  </Response>\n</Autodiscover>\n");
}

void web_autoconfig_autodiscover_error(int code, const char *message,
				       struct buffer *out)
{
	html_printf(out,
		    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		    "<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006\">\n"
		    "  <Response>\n"
		    "    <Error>\n"
		    "      <ErrorCode>%d</ErrorCode>\n"
		    "      <Message>%s</Message>\n"
		    "      <DebugData/>\n"
		    "    </Error>\n"
		    "  </Response>\n"
		    "</Autodiscover>\n", code, message);
}

/* --- Apple configuration profile --- */

/* A random (version 4) UUID in upper case, as uuidgen writes it. */
static void web_autoconfig_uuid(struct buffer *out)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char b[16];

	secret_random(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (unsigned int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buffer_append_c(out, '-');
		buffer_append_c(out, hex[b[i] >> 4]);
		buffer_append_c(out, hex[b[i] & 15]);
	}
}

/* The profile's identifier: the host name reversed, then the address
   with everything but letters and digits as '-'
   ("test.example.mail.infostore.alice-example-test"). Stable, so that a
   second download replaces the first profile. */
static void web_autoconfig_profile_id(struct buffer *out, const char *host,
				      const char *address)
{
	size_t end = strlen(host);

	while (end > 0) {
		size_t start = end;

		while (start > 0 && host[start - 1] != '.')
			start--;
		html_escape(out, host + start, end - start);
		buffer_append_c(out, '.');
		end = start > 0 ? start - 1 : 0;
	}
	buffer_append_str(out, "infostore.");
	for (const char *p = address; *p != '\0'; p++) {
		char c = *p;

		buffer_append_c(out, (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				(c >= '0' && c <= '9') ? c : '-');
	}
}

/* The keys every payload carries. */
static void web_autoconfig_payload_begin(struct buffer *out,
					 const struct web_autoconfig *ac,
					 const char *address, const char *type,
					 const char *suffix, const char *display)
{
	html_printf(out, "    <dict>\n"
		    "      <key>PayloadType</key>\n      <string>%s</string>\n"
		    "      <key>PayloadVersion</key>\n      <integer>1</integer>\n"
		    "      <key>PayloadIdentifier</key>\n      <string>", type);
	web_autoconfig_profile_id(out, ac->mail_host, address);
	html_printf(out, ".%s</string>\n"
		    "      <key>PayloadUUID</key>\n      <string>", suffix);
	web_autoconfig_uuid(out);
	html_printf(out, "</string>\n"
		    "      <key>PayloadDisplayName</key>\n      <string>%s</string>\n",
		    display);
}

static void web_autoconfig_plist_string(struct buffer *out, const char *key,
					const char *value)
{
	html_printf(out, "      <key>%s</key>\n      <string>%s</string>\n", key, value);
}

static void web_autoconfig_plist_int(struct buffer *out, const char *key,
				     unsigned int value)
{
	html_printf(out, "      <key>%s</key>\n      <integer>%u</integer>\n", key, value);
}

static void web_autoconfig_plist_bool(struct buffer *out, const char *key, bool value)
{
	html_printf(out, "      <key>%s</key>\n      <%S/>\n", key,
		    value ? "true" : "false");
}

/* com.apple.caldav.account and com.apple.carddav.account: the same
   keys with their own prefixes */
static const struct web_autoconfig_dav_payload {
	const char *type, *suffix, *display;
	const char *description, *host, *port, *ssl, *principal, *username;
} web_autoconfig_dav_payloads[] = {
	{ "com.apple.caldav.account", "caldav", "Calendar",
	  "CalDAVAccountDescription", "CalDAVHostName", "CalDAVPort",
	  "CalDAVUseSSL", "CalDAVPrincipalURL", "CalDAVUsername" },
	{ "com.apple.carddav.account", "carddav", "Contacts",
	  "CardDAVAccountDescription", "CardDAVHostName", "CardDAVPort",
	  "CardDAVUseSSL", "CardDAVPrincipalURL", "CardDAVUsername" },
};

static void web_autoconfig_dav_payload(struct buffer *out,
				       const struct web_autoconfig *ac,
				       const char *address,
				       const struct web_autoconfig_dav_payload *p)
{
	web_autoconfig_payload_begin(out, ac, address, p->type, p->suffix,
				     p->display);
	html_printf(out, "      <key>%s</key>\n      <string>%s (%s)</string>\n",
		    p->description, p->display, address);
	web_autoconfig_plist_string(out, p->host, ac->dav_host);
	web_autoconfig_plist_int(out, p->port, ac->dav_port);
	web_autoconfig_plist_bool(out, p->ssl, ac->dav_tls);
	/* the principal (RFC 5397), from which the client finds the homes */
	html_printf(out, "      <key>%s</key>\n      <string>%sprincipals/%s/</string>\n",
		    p->principal, ac->dav_path, address);
	web_autoconfig_plist_string(out, p->username, address);
	html_printf(out, "    </dict>\n");
}

/* com.apple.mail.managed: only with an outgoing server, which Apple's
   Mail payload requires (OutgoingMailServerHostName) */
static void web_autoconfig_mail_payload(struct buffer *out,
					const struct web_autoconfig *ac,
					const char *address)
{
	bool imap = ac->imaps_port != 0 || ac->imap_port != 0;
	uint16_t in_port = imap ? (ac->imaps_port != 0 ? ac->imaps_port : ac->imap_port) :
		(ac->pop3s_port != 0 ? ac->pop3s_port : ac->pop3_port);
	bool in_tls = imap ? ac->imaps_port != 0 : ac->pop3s_port != 0;
	uint16_t out_port = ac->submissions_port != 0 ? ac->submissions_port :
		ac->submission_port;

	web_autoconfig_payload_begin(out, ac, address, "com.apple.mail.managed",
				     "mail", "Mail");
	html_printf(out, "      <key>EmailAccountDescription</key>\n"
		    "      <string>Mail (%s)</string>\n", address);
	web_autoconfig_plist_string(out, "EmailAccountType",
				    imap ? "EmailTypeIMAP" : "EmailTypePOP");
	web_autoconfig_plist_string(out, "EmailAddress", address);
	web_autoconfig_plist_string(out, "IncomingMailServerHostName", ac->mail_host);
	web_autoconfig_plist_int(out, "IncomingMailServerPortNumber", in_port);
	/* without implicit TLS, Mail upgrades with STARTTLS, which the
	   server requires before a password */
	web_autoconfig_plist_bool(out, "IncomingMailServerUseSSL", in_tls);
	web_autoconfig_plist_string(out, "IncomingMailServerAuthentication",
				    "EmailAuthPassword");
	web_autoconfig_plist_string(out, "IncomingMailServerUsername", address);
	web_autoconfig_plist_string(out, "OutgoingMailServerHostName", ac->mail_host);
	web_autoconfig_plist_int(out, "OutgoingMailServerPortNumber", out_port);
	web_autoconfig_plist_bool(out, "OutgoingMailServerUseSSL",
				  ac->submissions_port != 0);
	web_autoconfig_plist_string(out, "OutgoingMailServerAuthentication",
				    "EmailAuthPassword");
	web_autoconfig_plist_string(out, "OutgoingMailServerUsername", address);
	web_autoconfig_plist_bool(out, "OutgoingPasswordSameAsIncomingPassword", true);
	html_printf(out, "    </dict>\n");
}

void web_autoconfig_apple_profile(const struct web_autoconfig *ac,
				  const char *address, struct buffer *out)
{
	bool mail = web_autoconfig_has_submission(ac) &&
		(ac->imaps_port != 0 || ac->imap_port != 0 ||
		 ac->pop3s_port != 0 || ac->pop3_port != 0);

	html_printf(out,
		    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\""
		    " \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
		    "<plist version=\"1.0\">\n<dict>\n"
		    "  <key>PayloadContent</key>\n  <array>\n");
	if (mail)
		web_autoconfig_mail_payload(out, ac, address);
	for (size_t i = 0; ac->dav_host != NULL &&
		     i < sizeof(web_autoconfig_dav_payloads) /
		     sizeof(web_autoconfig_dav_payloads[0]); i++)
		web_autoconfig_dav_payload(out, ac, address,
					   &web_autoconfig_dav_payloads[i]);
	html_printf(out, "  </array>\n"
		    "  <key>PayloadDisplayName</key>\n  <string>%s (%s)</string>\n"
		    "  <key>PayloadDescription</key>\n  <string>%s for %s on %s.</string>\n"
		    "  <key>PayloadIdentifier</key>\n  <string>",
		    ac->mail_host, address,
		    mail ? "Mail, calendar and contacts" : "Calendar and contacts",
		    address, ac->mail_host);
	web_autoconfig_profile_id(out, ac->mail_host, address);
	html_printf(out, "</string>\n"
		    "  <key>PayloadType</key>\n  <string>Configuration</string>\n"
		    "  <key>PayloadUUID</key>\n  <string>");
	web_autoconfig_uuid(out);
	html_printf(out, "</string>\n"
		    "  <key>PayloadVersion</key>\n  <integer>1</integer>\n"
		    "</dict>\n</plist>\n");
}

/* --- DNS --- */

static void web_autoconfig_srv(struct buffer *out, const char *service,
			       const char *domain, unsigned int priority,
			       uint16_t port, const char *target)
{
	/* RFC 2782: target "." says the service is decidedly not offered
	   (RFC 6186 4) */
	if (port == 0 || target == NULL)
		buffer_printf(out, "%s._tcp.%s. %u IN SRV 0 0 0 .\n", service, domain,
			      WEB_AUTOCONFIG_TTL);
	else
		buffer_printf(out, "%s._tcp.%s. %u IN SRV %u 1 %u %s.\n", service,
			      domain, WEB_AUTOCONFIG_TTL, priority,
			      (unsigned int)port, target);
}

/* An IPv4 or IPv6 address rather than a name? (an SRV or CNAME target
   must be a name) */
static int web_autoconfig_ip_family(const char *host, char *ip, size_t ip_size)
{
	unsigned char addr[16];
	size_t len = strlen(host);

	if (len >= ip_size)
		return 0;
	if (host[0] == '[' && len > 2 && host[len - 1] == ']') {
		memcpy(ip, host + 1, len - 2);
		ip[len - 2] = '\0';
	} else {
		memcpy(ip, host, len + 1);
	}
	if (inet_pton(AF_INET, ip, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, ip, addr) == 1)
		return AF_INET6;
	return 0;
}

void web_autoconfig_dns(const struct web_autoconfig *ac, const char *domain,
			struct buffer *out)
{
	const char *mail = web_autoconfig_domain_valid(ac->mail_host) ?
		ac->mail_host : NULL;
	const char *web = NULL;
	char ip[64];
	int family = 0;

	buffer_printf(out, "; %s: mail (RFC 6186, RFC 8314)\n", domain);
	if (mail == NULL)
		buffer_printf(out, "; [server] hostname %s is not a DNS name that SRV"
			      " records can point at\n", ac->mail_host);
	/* implicit TLS preferred (RFC 8314 5.1), IMAP before POP3 (RFC 6186
	   3.4: clients compare priorities across the two) */
	web_autoconfig_srv(out, "_imaps", domain, 0, ac->imaps_port, mail);
	web_autoconfig_srv(out, "_imap", domain, 10, ac->imap_port, mail);
	web_autoconfig_srv(out, "_pop3s", domain, 20, ac->pop3s_port, mail);
	web_autoconfig_srv(out, "_pop3", domain, 30, ac->pop3_port, mail);
	if (!web_autoconfig_has_submission(ac))
		buffer_printf(out, "; no submission service: mail apps send through"
			      " another server\n");
	web_autoconfig_srv(out, "_submissions", domain, 0, ac->submissions_port, mail);
	web_autoconfig_srv(out, "_submission", domain, 10, ac->submission_port, mail);

	buffer_printf(out, "; %s: calendars and contacts (RFC 6764)\n", domain);
	if (ac->dav_host != NULL) {
		family = web_autoconfig_ip_family(ac->dav_host, ip, sizeof(ip));
		if (family == 0 && web_autoconfig_domain_valid(ac->dav_host))
			web = ac->dav_host;
	}
	if (ac->dav_host == NULL)
		buffer_printf(out, "; no web access: no CalDAV or CardDAV\n");
	else if (!ac->dav_tls)
		buffer_printf(out, "; the web access has no https listener, and"
			      " passwords are not sent without TLS\n");
	else if (web == NULL)
		buffer_printf(out, "; the web access is reached by address (%s), which"
			      " SRV records cannot point at\n", ac->dav_host);
	web_autoconfig_srv(out, "_caldavs", domain, 0,
			   ac->dav_tls ? ac->dav_port : 0, web);
	if (ac->dav_tls && web != NULL)
		buffer_printf(out, "_caldavs._tcp.%s. %u IN TXT \"path=%s\"\n", domain,
			      WEB_AUTOCONFIG_TTL, ac->dav_path);
	web_autoconfig_srv(out, "_carddavs", domain, 0,
			   ac->dav_tls ? ac->dav_port : 0, web);
	if (ac->dav_tls && web != NULL)
		buffer_printf(out, "_carddavs._tcp.%s. %u IN TXT \"path=%s\"\n", domain,
			      WEB_AUTOCONFIG_TTL, ac->dav_path);

	if (ac->dav_host == NULL)
		return;
	buffer_printf(out, "; %s: Thunderbird's autoconfig and Outlook's autodiscover"
		      " host names, answered by the web access", domain);
	if (ac->dav_port != (ac->dav_tls ? 443 : 80))
		buffer_printf(out, " (these clients try port %u, the web access"
			      " is on %u)", ac->dav_tls ? 443u : 80u,
			      (unsigned int)ac->dav_port);
	buffer_printf(out, "; its certificate must name them too\n");
	if (web != NULL) {
		buffer_printf(out, "autoconfig.%s. %u IN CNAME %s.\n", domain,
			      WEB_AUTOCONFIG_TTL, web);
		buffer_printf(out, "autodiscover.%s. %u IN CNAME %s.\n", domain,
			      WEB_AUTOCONFIG_TTL, web);
	} else if (family != 0) {
		buffer_printf(out, "autoconfig.%s. %u IN %s %s\n", domain,
			      WEB_AUTOCONFIG_TTL, family == AF_INET ? "A" : "AAAA", ip);
		buffer_printf(out, "autodiscover.%s. %u IN %s %s\n", domain,
			      WEB_AUTOCONFIG_TTL, family == AF_INET ? "A" : "AAAA", ip);
	}
	/* Outlook's last resort, which also carries the port */
	if (ac->dav_tls && web != NULL)
		web_autoconfig_srv(out, "_autodiscover", domain, 0, ac->dav_port, web);
}

/* --- the handlers --- */

static void web_autoconfig_send(struct web_request *req, int status,
				const char *content_type)
{
	req->status = status;
	req->content_type = content_type;
	web_security_headers(req, NULL);
	/* the settings change with the configuration */
	web_response_header(req, "Cache-Control", "no-cache");
	web_response_send(req);
}

static void web_autoconfig_send_text(struct web_request *req, int status,
				     const char *text)
{
	buffer_reset(&req->body);
	buffer_append_str(&req->body, text);
	web_autoconfig_send(req, status, "text/plain; charset=utf-8");
}

/* Which domain is this clientConfig for? The address Thunderbird sends
   (?emailaddress=, unless the user turned that off), else the name it
   asked for ("autoconfig.DOMAIN" or DOMAIN itself), else the parent of
   our host name. */
static const char *web_autoconfig_tb_domain(struct web_request *req,
					    const struct web_target *target)
{
	const struct conf *conf = web_server()->conf;
	struct web_form query;
	const char *address, *host;

	if (target->query != NULL &&
	    web_form_parse(req->pool, target->query, strlen(target->query), &query) == 0 &&
	    (address = web_form_get(&query, "emailaddress")) != NULL &&
	    str_is_address(address)) {
		char *domain = p_strdup(req->pool, strrchr(address, '@') + 1);

		str_lcase(domain);
		if (web_autoconfig_domain_valid(domain))
			return domain;
	}
	host = web_request_header(req, "Host");
	if (host != NULL && *host != '[') {
		char *domain = p_strndup(req->pool, host, strcspn(host, ":"));
		char ip[64];

		str_lcase(domain);
		if (str_begins(domain, "autoconfig."))
			domain += strlen("autoconfig.");
		if (web_autoconfig_domain_valid(domain) &&
		    web_autoconfig_ip_family(domain, ip, sizeof(ip)) == 0)
			return domain;
	}
	return web_autoconfig_parent_domain(req->pool, conf->hostname);
}

static void web_autoconfig_tb_handle(void *context, struct web_request *req)
{
	const char *path = context;
	struct web_autoconfig ac;
	struct web_target target;
	const char *domain;

	if (req->method != WEB_METHOD_GET && req->method != WEB_METHOD_HEAD) {
		web_response_header(req, "Allow", "GET, HEAD");
		web_autoconfig_send_text(req, 405, "Use GET.\n");
		return;
	}
	if (web_target_parse(req->pool, req->target, &target) < 0) {
		web_autoconfig_send_text(req, 400, "That address is not valid.\n");
		return;
	}
	if (strcmp(target.path, path) != 0) {
		web_autoconfig_send_text(req, 404, "Not found.\n");
		return;
	}
	domain = web_autoconfig_tb_domain(req, &target);
	web_autoconfig_from_conf(web_server()->conf, req->pool, &ac);
	buffer_reset(&req->body);
	web_autoconfig_thunderbird(&ac, domain, &req->body);
	log_debug("web", "autoconfig answered ip=%s domain=%s", req->peer_ip,
		  log_value(domain));
	web_autoconfig_send(req, 200, WEB_AUTOCONFIG_CONTENT_TYPE);
}

static void web_autoconfig_ad_handle(void *context, struct web_request *req)
{
	struct web_autoconfig ac;
	struct web_target target;
	const char *body, *address, *schema;
	size_t size;

	(void)context;
	if (web_target_parse(req->pool, req->target, &target) < 0 ||
	    (!str_iequal(target.path, WEB_AUTOCONFIG_AUTODISCOVER))) {
		web_autoconfig_send_text(req, 404, "Not found.\n");
		return;
	}
	if (req->method != WEB_METHOD_POST) {
		web_response_header(req, "Allow", "POST");
		web_autoconfig_send_text(req, 405, "Autodiscover takes a POST.\n");
		return;
	}
	body = web_request_body(req, &size);
	if (size > WEB_AUTOCONFIG_MAX_REQUEST) {
		web_autoconfig_send_text(req, 413, "The request is too large.\n");
		return;
	}
	buffer_reset(&req->body);
	if (web_autoconfig_autodiscover_read(req->pool, body, size, &address,
					     &schema) < 0) {
		web_autoconfig_autodiscover_error(600, "Invalid Request", &req->body);
	} else if (schema != NULL && strcmp(schema, WEB_AUTOCONFIG_OUTLOOK_SCHEMA) != 0) {
		/* e.g. the mobilesync schema of Exchange ActiveSync */
		web_autoconfig_autodiscover_error(601, "Provider is not available",
						  &req->body);
	} else {
		/* the same answer for every address: nothing here tells
		   whether it is a user of ours */
		web_autoconfig_from_conf(web_server()->conf, req->pool, &ac);
		web_autoconfig_autodiscover(&ac, address, &req->body);
	}
	log_debug("web", "autodiscover answered ip=%s", req->peer_ip);
	web_autoconfig_send(req, 200, WEB_AUTOCONFIG_CONTENT_TYPE);
}

void web_autoconfig_init(void)
{
	web_server_add_prefix(WEB_AUTOCONFIG_TB_WELL_KNOWN, web_autoconfig_tb_handle,
			      (void *)WEB_AUTOCONFIG_TB_WELL_KNOWN);
	web_server_add_prefix(WEB_AUTOCONFIG_TB_LEGACY, web_autoconfig_tb_handle,
			      (void *)WEB_AUTOCONFIG_TB_LEGACY);
	web_server_add_prefix(WEB_AUTOCONFIG_AUTODISCOVER, web_autoconfig_ad_handle, NULL);
	web_server_add_prefix(WEB_AUTOCONFIG_AUTODISCOVER_UC, web_autoconfig_ad_handle,
			      NULL);
}

void web_autoconfig_apple_profile_page(struct web_ctx *ctx)
{
	struct web_request *req = ctx->req;
	struct web_autoconfig ac;

	web_autoconfig_from_conf(ctx->srv->conf, ctx->pool, &ac);
	buffer_reset(ctx->out);
	web_autoconfig_apple_profile(&ac, ctx->user.address, ctx->out);
	log_info("web", "apple profile downloaded user=%s", log_value(ctx->user.address));
	req->status = 200;
	req->content_type = "application/x-apple-aspen-config";
	web_response_header(req, "Content-Disposition",
			    "attachment; filename=\"infostore.mobileconfig\"");
	web_security_headers(req, NULL);
	web_response_header(req, "Cache-Control", "no-store");
	web_response_send(req);
}
