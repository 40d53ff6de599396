#ifndef INFOSTORE_WEB_AUTOCONFIG_H
#define INFOSTORE_WEB_AUTOCONFIG_H

/*
 * Account setup for mail, calendar and contacts apps: what this server
 * offers (struct web_autoconfig, derived from the configuration once per
 * answer), told to each kind of client the way it asks:
 *
 *   GET  /.well-known/autoconfig/mail/config-v1.1.xml   Thunderbird's clientConfig 1.1
 *   GET  /mail/config-v1.1.xml                          (both take ?emailaddress=)
 *   POST /autodiscover/autodiscover.xml                 Outlook's Autodiscover (POX, 2006a)
 *   GET  /settings/apple-profile                        an Apple configuration profile
 *                                                       (logged in; a page of the web access)
 *   infostore config dns                                the DNS records (RFC 6186, RFC 6764)
 *
 * The first three need no login and say nothing about users: every
 * address gets the same answer, so they cannot be used to find out which
 * addresses exist. Only services that exist are listed: with both
 * [submission] listeners off the answers carry no outgoing server (the
 * relay of [outbound] is the server's own hop, not one for mail apps).
 *
 * The renderers below do no I/O and take the settings as a struct, so
 * the unit tests drive them with made-up servers (test-web-autoconfig.c).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buffer;
struct conf;
struct pool;
struct web_ctx;

/* An Autodiscover request body larger than this is refused (413): it is
   unauthenticated, and a real one is a few hundred bytes. */
#define WEB_AUTOCONFIG_MAX_REQUEST 16384

struct web_autoconfig {
	/* IMAP, POP3 and submission: [server] hostname, and the port of the
	   first listener of each kind; 0: that service is not offered */
	const char *mail_host;
	uint16_t imaps_port, imap_port;
	uint16_t pop3s_port, pop3_port;
	uint16_t submissions_port, submission_port;

	/* CalDAV and CardDAV, from the link base of the web access
	   ([web] public_url or public_host, else hostname and the
	   listener's port); dav_host NULL: no web access */
	const char *dav_host;      /* a DNS name or an IP ("[v6]" as written) */
	uint16_t dav_port;
	bool dav_tls;
	const char *dav_path;      /* "/dav/", or under public_url's path */
};

/* Fill ac from conf; strings live in pool (or in conf). */
void web_autoconfig_from_conf(const struct conf *conf, struct pool *pool,
			      struct web_autoconfig *ac_r);

/* The domain whose mail the server most likely takes when nothing better
   is known: hostname without its first label ("mail.example.test" ->
   "example.test"); a name with one dot or none is returned as it is.
   Allocated from pool. */
const char *web_autoconfig_parent_domain(struct pool *pool, const char *hostname);

/* Is this a domain name we would print into XML or a zone file (letters,
   digits, '-' and '.', labels of 1..63, at most 253, no leading or
   trailing '.')? */
bool web_autoconfig_domain_valid(const char *domain);

/* Thunderbird's clientConfig version 1.1 for domain: an incomingServer
   for each IMAP and POP3 listener (implicit TLS first), the outgoing
   server only when there is one, and CardDAV/CalDAV hints. */
void web_autoconfig_thunderbird(const struct web_autoconfig *ac,
				const char *domain, struct buffer *out);

/*
 * Read an Outlook Autodiscover POX request (a bounded search, no XML
 * parser: the only thing taken from it is the text of the first
 * EMailAddress element, with the five predefined XML entities decoded).
 * Returns 0 with *address_r (from pool) and *schema_r (the
 * AcceptableResponseSchema, or NULL when absent), or -1 when there is no
 * usable address (the caller answers error 600).
 */
int web_autoconfig_autodiscover_read(struct pool *pool, const char *body,
				     size_t size, const char **address_r,
				     const char **schema_r);

/* The Outlook response schema (2006a) that web_autoconfig_autodiscover()
   answers in. */
#define WEB_AUTOCONFIG_OUTLOOK_SCHEMA \
	"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"

/* The 2006a response for address: a Protocol for IMAP, POP3 and (when
   there is one) SMTP. */
void web_autoconfig_autodiscover(const struct web_autoconfig *ac,
				 const char *address, struct buffer *out);
/* An Autodiscover error response (MS-OXDSCLI 2.2.4.1.1.3: 600 invalid
   request, 601 no configuration of the requested type). */
void web_autoconfig_autodiscover_error(int code, const char *message,
				       struct buffer *out);

/*
 * An unsigned Apple configuration profile (a plist) for address: CalDAV
 * and CardDAV accounts, and a Mail account when there is an outgoing
 * server (Apple's Mail payload requires one). Random PayloadUUIDs; the
 * PayloadIdentifiers are stable, so installing it again replaces the
 * old one. It never contains a password.
 */
void web_autoconfig_apple_profile(const struct web_autoconfig *ac,
				  const char *address, struct buffer *out);

/* The setup help of the Settings page, as HTML: the user name, and per
   service (IMAP, POP3, SMTP) the server, its ports and their security,
   or that it is not offered; the CalDAV and CardDAV URLs of address. */
void web_autoconfig_help(const struct web_autoconfig *ac, const char *address,
			 struct buffer *out);

/* The records to publish for domain, one zone-file line each (absolute
   names, TTL 3600), with ';' comment lines between groups. */
void web_autoconfig_dns(const struct web_autoconfig *ac, const char *domain,
			struct buffer *out);

/* Register the unauthenticated URLs with the web server (web_server_init). */
void web_autoconfig_init(void);

/* GET /settings/apple-profile, logged in: the profile as a download. */
void web_autoconfig_apple_profile_page(struct web_ctx *ctx);

#endif
