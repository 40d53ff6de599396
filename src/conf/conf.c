/*
 * Configuration loading and validation.
 *
 * inih splits the file into (section, key, value); we count lines in our
 * own reader so that every error can name its line. Each key has one entry
 * in conf_keys[] with its parser; rules that involve several keys (the
 * meeting-request link, listeners that need a certificate) run after the
 * whole file is read, in conf_validate().
 */
#include "conf.h"
#include "alloc.h"
#include "fatal.h"
#include "log.h"
#include "strutil.h"
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct conf_parser;

typedef int conf_key_parser(struct conf_parser *parser, const char *value,
			    void *dest, const char **error_r);

struct conf_key {
	const char *section;
	const char *key;
	conf_key_parser *parse;
	size_t offset;
	const char *default_value;
};

struct conf_parser {
	struct conf *conf;
	FILE *file;
	FILE *err;
	const char *path;
	char *dir;             /* directory of the config file, for relative paths */
	unsigned int line;
	bool long_line;
	unsigned int errors;
	unsigned int key_lines[64];   /* line of each conf_keys[] entry; 0 unset */
	unsigned int section_line;
	unsigned int header_line;  /* line of the last [section] header read */
	char section[64];
	bool section_known;
};

#define OFF(field) offsetof(struct conf, field)

static conf_key_parser parse_string, parse_hostname, parse_path, parse_cidrs,
	parse_log_level, parse_size, parse_uint, parse_msecs, parse_secs,
	parse_addresses, parse_url_protocol, parse_public_host,
	parse_public_url, parse_calendar_format, parse_relay, parse_user,
	parse_socket_path, parse_store_backend, parse_store_blobs;

static const struct conf_key conf_keys[] = {
	{ "server", "hostname", parse_hostname, OFF(hostname), NULL },
	{ "server", "data_dir", parse_path, OFF(data_dir), "/var/lib/infostore" },
	{ "server", "tls_cert", parse_path, OFF(tls_cert), "" },
	{ "server", "tls_key", parse_path, OFF(tls_key), "" },
	{ "server", "plaintext_auth_from", parse_cidrs, 0, "" },
	{ "server", "log_level", parse_log_level, OFF(log_level), "info" },
	{ "server", "user", parse_user, OFF(run_user), "" },

	{ "limits", "max_message_size", parse_size, OFF(max_message_size), "50M" },
	{ "limits", "max_line_length", parse_size, OFF(max_line_length), "64K" },
	{ "limits", "max_bad_commands", parse_uint, OFF(max_bad_commands), "20" },
	{ "limits", "auth_failure_delay", parse_msecs, OFF(auth_failure_delay_msecs), "2000" },
	{ "limits", "max_connections", parse_uint, OFF(max_connections), "20000" },
	{ "limits", "max_connections_per_ip", parse_uint, OFF(max_connections_per_ip), "1000" },
	{ "limits", "auth_ip_failures", parse_uint, OFF(auth_ip_failures), "20" },
	{ "limits", "auth_ip_interval", parse_secs, OFF(auth_ip_interval_secs), "6" },
	{ "limits", "auth_user_ip_failures", parse_uint, OFF(auth_user_ip_failures), "10" },
	{ "limits", "auth_user_ip_interval", parse_secs, OFF(auth_user_ip_interval_secs), "60" },
	{ "limits", "auth_user_failures", parse_uint, OFF(auth_user_failures), "100" },
	{ "limits", "auth_user_interval", parse_secs, OFF(auth_user_interval_secs), "60" },
	{ "limits", "login_timeout", parse_secs, OFF(login_timeout_secs), "180" },
	{ "limits", "imap_idle_timeout", parse_secs, OFF(imap_idle_timeout_secs), "1860" },
	{ "limits", "imap_search_timeout", parse_msecs, OFF(imap_search_timeout_msecs), "20s" },
	{ "limits", "pop3_idle_timeout", parse_secs, OFF(pop3_idle_timeout_secs), "600" },
	{ "limits", "lmtp_idle_timeout", parse_secs, OFF(lmtp_idle_timeout_secs), "300" },
	/* RFC 5321 4.5.3.2.7: a server waits at least 5 minutes */
	{ "limits", "submission_idle_timeout", parse_secs,
	  OFF(submission_idle_timeout_secs), "300" },

	{ "imap", "listen", parse_addresses, OFF(imap_listen), "0.0.0.0:143" },
	{ "imap", "tls_listen", parse_addresses, OFF(imap_tls_listen), "0.0.0.0:993" },
	{ "pop3", "listen", parse_addresses, OFF(pop3_listen), "0.0.0.0:110" },
	{ "pop3", "tls_listen", parse_addresses, OFF(pop3_tls_listen), "0.0.0.0:995" },
	{ "pop3", "login_delay", parse_secs, OFF(pop3_login_delay_secs), "0" },
	{ "lmtp", "listen", parse_addresses, OFF(lmtp_listen), "127.0.0.1:24" },

	{ "submission", "listen", parse_addresses, OFF(submission_listen), "0.0.0.0:587" },
	{ "submission", "tls_listen", parse_addresses, OFF(submission_tls_listen),
	  "0.0.0.0:465" },

	{ "auth", "postfix_socket", parse_socket_path, OFF(auth_postfix_socket), "" },

	{ "web", "tls_listen", parse_addresses, OFF(web_tls_listen), "0.0.0.0:443" },
	{ "web", "listen", parse_addresses, OFF(web_listen), "" },
	{ "web", "redirect_http", parse_addresses, OFF(web_redirect_http), "" },
	{ "web", "url_protocol", parse_url_protocol, OFF(url_protocol), "auto" },
	{ "web", "public_host", parse_public_host, OFF(public_host), "" },
	{ "web", "public_url", parse_public_url, OFF(public_url), "" },
	{ "web", "session_lifetime", parse_secs, OFF(web_session_lifetime_secs), "43200" },
	{ "web", "session_idle", parse_secs, OFF(web_session_idle_secs), "7200" },

	{ "calendar", "imap_pop3_format", parse_calendar_format, OFF(imap_pop3_format), "both" },

	{ "store", "backend", parse_store_backend, OFF(store_postgresql), "sqlite" },
	{ "store", "postgresql", parse_string, OFF(store_conninfo), "" },
	{ "store", "blobs", parse_store_blobs, 0, "files" },
	{ "store", "blob_dir", parse_path, OFF(store_blob_dir), "" },

	{ "metrics", "listen", parse_addresses, OFF(metrics_listen), "" },

	{ "outbound", "relay", parse_relay, 0, "127.0.0.1:25" },
	{ "outbound", "max_age", parse_secs, OFF(outbound_max_age_secs), "432000" },
};
#define CONF_KEY_COUNT (sizeof(conf_keys) / sizeof(conf_keys[0]))
_Static_assert(CONF_KEY_COUNT <= 64, "grow key_lines");

static const char *const conf_sections[] = {
	"server", "limits", "imap", "pop3", "lmtp", "submission", "auth", "web",
	"calendar", "outbound", "store", "metrics",
};

static void conf_error(struct conf_parser *parser, unsigned int line,
		       const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void conf_error(struct conf_parser *parser, unsigned int line,
		       const char *key, const char *fmt, ...)
{
	va_list args;

	parser->errors++;
	if (parser->err == NULL)
		return;
	fprintf(parser->err, "%s:%u: %s: ", parser->path, line, key);
	va_start(args, fmt);
	vfprintf(parser->err, fmt, args);
	va_end(args);
	fputc('\n', parser->err);
}

/* --- parsers for single values --- */

static int parse_string(struct conf_parser *parser, const char *value,
			void *dest, const char **error_r)
{
	(void)parser;
	(void)error_r;
	free(*(char **)dest);
	*(char **)dest = xstrdup(value);
	return 0;
}

static bool hostname_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 253 || name[0] == '.' || name[0] == '-')
		return false;
	for (const char *p = name; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			return false;
	}
	return true;
}

static int parse_hostname(struct conf_parser *parser, const char *value,
			  void *dest, const char **error_r)
{
	if (!hostname_valid(value)) {
		*error_r = "not a valid host name (letters, digits, '-' and '.')";
		return -1;
	}
	return parse_string(parser, value, dest, error_r);
}

static int parse_user(struct conf_parser *parser, const char *value,
		      void *dest, const char **error_r)
{
	if (*value == '\0') {
		free(*(char **)dest);
		*(char **)dest = NULL;
		return 0;
	}
	return parse_string(parser, value, dest, error_r);
}

static int parse_path(struct conf_parser *parser, const char *value,
		      void *dest, const char **error_r)
{
	char *path;

	(void)error_r;
	free(*(char **)dest);
	if (*value == '\0') {
		*(char **)dest = NULL;
		return 0;
	}
	if (value[0] == '/') {
		path = xstrdup(value);
	} else if (asprintf(&path, "%s/%s", parser->dir, value) < 0) {
		path = NULL;
	}
	*(char **)dest = path;
	return 0;
}

static int parse_cidrs(struct conf_parser *parser, const char *value,
		       void *dest, const char **error_r)
{
	struct conf *conf = parser->conf;
	char *copy = xstrdup(value), *save = NULL;

	(void)dest;
	conf->plaintext_auth_from_count = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		tok = str_trim(tok);
		if (*tok == '\0')
			continue;
		if (conf->plaintext_auth_from_count >=
		    sizeof(conf->plaintext_auth_from) / sizeof(conf->plaintext_auth_from[0])) {
			*error_r = "too many networks (at most 16)";
			free(copy);
			return -1;
		}
		if (net_cidr_parse(tok, &conf->plaintext_auth_from[
				conf->plaintext_auth_from_count], error_r) < 0) {
			free(copy);
			return -1;
		}
		conf->plaintext_auth_from_count++;
	}
	free(copy);
	return 0;
}

static int parse_log_level(struct conf_parser *parser, const char *value,
			   void *dest, const char **error_r)
{
	enum log_level level;

	if (log_level_parse(value, &level) < 0) {
		*error_r = "must be one of debug, info, warning, error";
		return -1;
	}
	return parse_string(parser, value, dest, error_r);
}

static int parse_number_suffix(const char *value, const char *suffixes,
			       const uint64_t *mults, uint64_t max,
			       uint64_t *num_r)
{
	size_t len = strlen(value);
	uint64_t mult = 1, num;
	const char *s;

	if (len > 0 && (s = strchr(suffixes, value[len - 1])) != NULL &&
	    value[len - 1] != '\0') {
		mult = mults[s - suffixes];
		len--;
	}
	if (mem_to_u64(value, len, max / mult, &num) < 0)
		return -1;
	*num_r = num * mult;
	return 0;
}

int conf_size_parse(const char *value, uint64_t *size_r)
{
	static const uint64_t mults[] = { 1024, 1024, 1024 * 1024, 1024 * 1024,
					  1024ULL * 1024 * 1024, 1024ULL * 1024 * 1024 };

	return parse_number_suffix(value, "kKmMgG", mults, (uint64_t)1 << 40, size_r);
}

static int parse_size(struct conf_parser *parser, const char *value,
		      void *dest, const char **error_r)
{
	uint64_t num;

	(void)parser;
	if (conf_size_parse(value, &num) < 0 || num == 0) {
		*error_r = "expected a size such as 65536, 64K, 50M or 1G";
		return -1;
	}
	if (dest == &parser->conf->max_line_length) {
		if (num < 1024 || num > 16 * 1024 * 1024) {
			*error_r = "must be between 1K and 16M";
			return -1;
		}
		parser->conf->max_line_length = (size_t)num;
	} else {
		*(uint64_t *)dest = num;
	}
	return 0;
}

static int parse_uint(struct conf_parser *parser, const char *value,
		      void *dest, const char **error_r)
{
	uint64_t num;

	(void)parser;
	if (str_to_u64(value, 10000000, &num) < 0) {
		*error_r = "expected a whole number";
		return -1;
	}
	*(unsigned int *)dest = (unsigned int)num;
	return 0;
}

static int parse_secs(struct conf_parser *parser, const char *value,
		      void *dest, const char **error_r)
{
	static const uint64_t mults[] = { 1, 60, 3600, 86400 };
	uint64_t num;

	(void)parser;
	if (parse_number_suffix(value, "smhd", mults, 100ULL * 365 * 86400, &num) < 0) {
		*error_r = "expected a duration such as 600, 600s, 30m, 12h or 5d";
		return -1;
	}
	*(unsigned int *)dest = (unsigned int)num;
	return 0;
}

static int parse_msecs(struct conf_parser *parser, const char *value,
		       void *dest, const char **error_r)
{
	uint64_t num;
	size_t len = strlen(value);

	(void)parser;
	/* "2000", "2000ms" or "2s" */
	if (len > 2 && strcmp(value + len - 2, "ms") == 0) {
		if (mem_to_u64(value, len - 2, 600000, &num) < 0)
			goto bad;
	} else if (len > 1 && value[len - 1] == 's') {
		if (mem_to_u64(value, len - 1, 600, &num) < 0)
			goto bad;
		num *= 1000;
	} else if (str_to_u64(value, 600000, &num) < 0) {
		goto bad;
	}
	*(unsigned int *)dest = (unsigned int)num;
	return 0;
bad:
	*error_r = "expected milliseconds such as 2000, 2000ms or 2s (at most 600s)";
	return -1;
}

static int parse_addresses(struct conf_parser *parser, const char *value,
			   void *dest, const char **error_r)
{
	struct conf_addresses *addrs = dest;
	char *copy = xstrdup(value), *save = NULL;
	static __thread char errbuf[300];

	(void)parser;
	addrs->count = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		const char *error;

		tok = str_trim(tok);
		if (*tok == '\0')
			continue;
		if (addrs->count >= CONF_MAX_ADDRESSES) {
			*error_r = "too many addresses (at most 8)";
			free(copy);
			return -1;
		}
		if (net_address_parse(tok, &addrs->addr[addrs->count], &error) < 0) {
			snprintf(errbuf, sizeof(errbuf), "'%s': %s", tok, error);
			*error_r = errbuf;
			free(copy);
			return -1;
		}
		addrs->count++;
	}
	free(copy);
	return 0;
}

/* A unix socket's path (relative to the config file's directory), as a
   listener: empty for none. */
static int parse_socket_path(struct conf_parser *parser, const char *value,
			     void *dest, const char **error_r)
{
	struct conf_addresses *addrs = dest;
	char *path = NULL, *spec;
	int ret;

	addrs->count = 0;
	if (*value == '\0')
		return 0;
	if (parse_path(parser, value, &path, error_r) < 0 || path == NULL ||
	    asprintf(&spec, "unix:%s", path) < 0)
		fatal_oom();
	ret = net_address_parse(spec, &addrs->addr[0], error_r);
	free(spec);
	free(path);
	if (ret < 0)
		return -1;
	addrs->count = 1;
	return 0;
}

static int parse_url_protocol(struct conf_parser *parser, const char *value,
			      void *dest, const char **error_r)
{
	enum conf_url_protocol *proto = dest;

	(void)parser;
	/* The trailing colon is the canonical form; without it is accepted. */
	if (strcmp(value, "auto") == 0)
		*proto = CONF_URL_PROTOCOL_AUTO;
	else if (strcmp(value, "https:") == 0 || strcmp(value, "https") == 0)
		*proto = CONF_URL_PROTOCOL_HTTPS;
	else if (strcmp(value, "http:") == 0 || strcmp(value, "http") == 0)
		*proto = CONF_URL_PROTOCOL_HTTP;
	else {
		*error_r = "must be one of auto, https:, http:";
		return -1;
	}
	return 0;
}

/* host or host:port, host a DNS name or an IP ([v6] with port) */
static int parse_public_host(struct conf_parser *parser, const char *value,
			     void *dest, const char **error_r)
{
	char host[256];
	const char *colon;
	uint64_t port;
	size_t hlen;

	if (*value == '\0') {
		free(*(char **)dest);
		*(char **)dest = NULL;
		return 0;
	}
	if (value[0] == '[') {
		const char *end = strchr(value, ']');

		if (end == NULL || (end[1] != '\0' && end[1] != ':')) {
			*error_r = "expected host or host:port";
			return -1;
		}
		colon = end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = strchr(value, ':');
		hlen = colon != NULL ? (size_t)(colon - value) : strlen(value);
		if (hlen == 0 || hlen >= sizeof(host)) {
			*error_r = "expected host or host:port";
			return -1;
		}
		memcpy(host, value, hlen);
		host[hlen] = '\0';
		if (!hostname_valid(host)) {
			*error_r = "not a valid host name (letters, digits, '-' and '.')";
			return -1;
		}
	}
	if (colon != NULL &&
	    (str_to_u64(colon + 1, 65535, &port) < 0 || port == 0)) {
		*error_r = "port must be a number from 1 to 65535";
		return -1;
	}
	return parse_string(parser, value, dest, error_r);
}

static int parse_public_url(struct conf_parser *parser, const char *value,
			    void *dest, const char **error_r)
{
	const char *rest;
	char *copy;
	size_t len;

	if (*value == '\0') {
		free(*(char **)dest);
		*(char **)dest = NULL;
		return 0;
	}
	if (str_begins(value, "https://"))
		rest = value + 8;
	else if (str_begins(value, "http://"))
		rest = value + 7;
	else {
		*error_r = "must start with https:// or http://";
		return -1;
	}
	if (*rest == '\0' || *rest == '/') {
		*error_r = "has no host";
		return -1;
	}
	for (const char *p = value; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || *p == '?' || *p == '#' ||
		    *p == '"' || *p == '<' || *p == '>' || *p == '\\' ||
		    (unsigned char)*p >= 0x7f) {
			*error_r = "must be a plain base URL (no spaces, query or fragment)";
			return -1;
		}
	}
	copy = xstrdup(value);
	len = strlen(copy);
	while (len > 0 && copy[len - 1] == '/')
		copy[--len] = '\0';
	free(*(char **)dest);
	*(char **)dest = copy;
	(void)parser;
	return 0;
}

static int parse_calendar_format(struct conf_parser *parser, const char *value,
				 void *dest, const char **error_r)
{
	(void)parser;
	if (conf_calendar_format_parse(value, dest) < 0) {
		*error_r = "must be one of both, icalendar, url";
		return -1;
	}
	return 0;
}

static int parse_store_backend(struct conf_parser *parser, const char *value,
			       void *dest, const char **error_r)
{
	(void)parser;
	if (strcmp(value, "sqlite") == 0)
		*(bool *)dest = false;
	else if (strcmp(value, "postgresql") == 0)
		*(bool *)dest = true;
	else {
		*error_r = "must be sqlite or postgresql";
		return -1;
	}
	return 0;
}

static int parse_store_blobs(struct conf_parser *parser, const char *value,
			     void *dest, const char **error_r)
{
	(void)parser;
	(void)dest;
	if (strcmp(value, "files") == 0)
		return 0;
	if (strcmp(value, "database") == 0)
		*error_r = "database is not supported yet: use files (with a"
			" blob_dir every node mounts)";
	else
		*error_r = "must be files";
	return -1;
}

static int parse_relay(struct conf_parser *parser, const char *value,
		       void *dest, const char **error_r)
{
	struct conf *conf = parser->conf;
	const char *colon;
	char host[256];
	uint64_t port = 25;
	size_t hlen;

	(void)dest;
	free(conf->relay_host);
	conf->relay_host = NULL;
	if (*value == '\0')
		return 0;
	if (value[0] == '[') {
		const char *end = strchr(value, ']');

		if (end == NULL || (end[1] != '\0' && end[1] != ':')) {
			*error_r = "expected host:port";
			return -1;
		}
		hlen = (size_t)(end - value - 1);
		memcpy(host, value + 1, hlen < sizeof(host) ? hlen : 0);
		colon = end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = strrchr(value, ':');
		hlen = colon != NULL ? (size_t)(colon - value) : strlen(value);
		if (hlen >= sizeof(host)) {
			*error_r = "host is too long";
			return -1;
		}
		memcpy(host, value, hlen);
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		*error_r = "expected host:port";
		return -1;
	}
	host[hlen] = '\0';
	if (value[0] != '[' && !hostname_valid(host)) {
		*error_r = "not a valid host name";
		return -1;
	}
	if (colon != NULL &&
	    (str_to_u64(colon + 1, 65535, &port) < 0 || port == 0)) {
		*error_r = "port must be a number from 1 to 65535";
		return -1;
	}
	conf->relay_host = xstrdup(host);
	conf->relay_port = (uint16_t)port;
	return 0;
}

/* --- inih glue --- */

static char *conf_reader(char *str, int num, void *stream)
{
	struct conf_parser *parser = stream;
	size_t len;

	if (fgets(str, num, parser->file) == NULL)
		return NULL;
	parser->line++;
	len = strlen(str);
	{
		const char *p = str;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[')
			parser->header_line = parser->line;
	}
	if (len > 0 && str[len - 1] != '\n' && !feof(parser->file)) {
		/* inih's line buffer is smaller than this line: throw the
		   rest away and report it, instead of letting the tail be
		   read as a line of its own. */
		int c;

		while ((c = fgetc(parser->file)) != EOF && c != '\n')
			;
		conf_error(parser, parser->line, "line",
			   "longer than %d characters", num - 2);
		str[0] = '\0';
	}
	return str;
}

/*
 * "Did you mean": the Levenshtein distance between two names (insert,
 * delete or change one character each count 1), capped at max + 1 so
 * that the rows stay small. Names are short; longer ones are not close.
 */
#define CONF_NAME_MAX 64

static size_t conf_distance(const char *a, const char *b, size_t max)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[CONF_NAME_MAX + 1];

	if (la > CONF_NAME_MAX || lb > CONF_NAME_MAX)
		return max + 1;
	if ((la > lb ? la - lb : lb - la) > max)
		return max + 1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] == b[j - 1] ? 0 : 1);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb] > max ? max + 1 : row[lb];
}

/* How far a typo may be from the name meant: 2 edits, or a third of a
   long name ("max_mesage_sise" for "max_message_size"). */
static size_t conf_distance_max(const char *name)
{
	size_t len = strlen(name);

	return len / 3 > 2 ? len / 3 : 2;
}

/* The known section closest to name, or NULL if none is close. */
static const char *conf_section_suggest(const char *name)
{
	size_t max = conf_distance_max(name), best = max + 1;
	const char *found = NULL;

	for (size_t i = 0; i < sizeof(conf_sections) / sizeof(*conf_sections); i++) {
		size_t d = conf_distance(name, conf_sections[i], max);

		if (d < best) {
			best = d;
			found = conf_sections[i];
		}
	}
	return found;
}

/* The key closest to name: in this section if one is close, else the
   same name in another section (a key put under the wrong header). */
static const struct conf_key *conf_key_suggest(const char *section, const char *name)
{
	size_t max = conf_distance_max(name), best = max + 1;
	const struct conf_key *found = NULL;

	for (size_t i = 0; i < CONF_KEY_COUNT; i++) {
		size_t d;

		if (strcmp(conf_keys[i].section, section) != 0)
			continue;
		d = conf_distance(name, conf_keys[i].key, max);
		if (d < best) {
			best = d;
			found = &conf_keys[i];
		}
	}
	for (size_t i = 0; found == NULL && i < CONF_KEY_COUNT; i++) {
		if (strcmp(conf_keys[i].key, name) == 0)
			found = &conf_keys[i];
	}
	return found;
}

static int conf_handler(void *user, const char *section, const char *name,
			const char *value)
{
	struct conf_parser *parser = user;
	const char *error = NULL;

	if (strcmp(section, parser->section) != 0) {
		snprintf(parser->section, sizeof(parser->section), "%s", section);
		parser->section_line = parser->header_line != 0 ?
			parser->header_line : parser->line;
		parser->section_known = false;
		for (size_t i = 0; i < sizeof(conf_sections) / sizeof(*conf_sections); i++) {
			if (strcmp(section, conf_sections[i]) == 0)
				parser->section_known = true;
		}
		if (!parser->section_known && section[0] == '\0') {
			conf_error(parser, parser->section_line, "(no section)",
				   "keys must be inside a [section]");
		} else if (!parser->section_known) {
			const char *near = conf_section_suggest(section);

			conf_error(parser, parser->section_line, section,
				   "unknown section%s%s%s", near != NULL ?
				   "; did you mean [" : "", near != NULL ? near : "",
				   near != NULL ? "]?" : "");
		}
	}
	if (name == NULL) /* a section header on its own (INI_CALL_HANDLER_ON_NEW_SECTION) */
		return 1;
	if (!parser->section_known)
		return 1;
	for (size_t i = 0; i < CONF_KEY_COUNT; i++) {
		const struct conf_key *key = &conf_keys[i];

		if (strcmp(key->section, section) != 0 || strcmp(key->key, name) != 0)
			continue;
		if (parser->key_lines[i] != 0) {
			conf_error(parser, parser->line, name,
				   "set twice (first on line %u)", parser->key_lines[i]);
			return 1;
		}
		parser->key_lines[i] = parser->line;
		if (key->parse(parser, value, (char *)parser->conf + key->offset,
			       &error) < 0)
			conf_error(parser, parser->line, name, "%s", error);
		return 1;
	}
	{
		const struct conf_key *near = conf_key_suggest(section, name);

		if (near == NULL)
			conf_error(parser, parser->line, name, "unknown key in [%s]",
				   section);
		else if (strcmp(near->section, section) == 0)
			conf_error(parser, parser->line, name, "unknown key in [%s];"
				   " did you mean %s?", section, near->key);
		else
			conf_error(parser, parser->line, name, "unknown key in [%s];"
				   " did you mean %s in [%s]?", section, near->key,
				   near->section);
	}
	return 1;
}

/* --- rules across keys --- */

static int conf_key_index(const char *section, const char *key)
{
	for (size_t i = 0; i < CONF_KEY_COUNT; i++) {
		if (strcmp(conf_keys[i].section, section) == 0 &&
		    strcmp(conf_keys[i].key, key) == 0)
			return (int)i;
	}
	abort();
}

static unsigned int conf_line_of(struct conf_parser *parser,
				 const char *section, const char *key)
{
	return parser->key_lines[conf_key_index(section, key)];
}

struct conf_listener_ref {
	const char *section;
	const char *key;
	const struct conf_addresses *addrs;
	bool tls; /* needs the certificate */
};

static void conf_validate_listeners(struct conf_parser *parser)
{
	struct conf *conf = parser->conf;
	const struct conf_listener_ref refs[] = {
		{ "imap", "listen", &conf->imap_listen, true },
		{ "imap", "tls_listen", &conf->imap_tls_listen, true },
		{ "pop3", "listen", &conf->pop3_listen, true },
		{ "pop3", "tls_listen", &conf->pop3_tls_listen, true },
		{ "lmtp", "listen", &conf->lmtp_listen, false },
		{ "submission", "listen", &conf->submission_listen, true },
		{ "submission", "tls_listen", &conf->submission_tls_listen, true },
		{ "auth", "postfix_socket", &conf->auth_postfix_socket, false },
		{ "web", "tls_listen", &conf->web_tls_listen, true },
		{ "web", "listen", &conf->web_listen, false },
		{ "web", "redirect_http", &conf->web_redirect_http, false },
		{ "metrics", "listen", &conf->metrics_listen, false },
	};
	const size_t nrefs = sizeof(refs) / sizeof(refs[0]);

	/* The same address twice would fail at bind(); say so now. */
	for (size_t i = 0; i < nrefs; i++) {
		for (unsigned int a = 0; a < refs[i].addrs->count; a++) {
			const struct net_address *x = &refs[i].addrs->addr[a];

			for (size_t j = 0; j <= i; j++) {
				for (unsigned int b = 0; b < refs[j].addrs->count; b++) {
					const struct net_address *y = &refs[j].addrs->addr[b];
					bool same;

					if (j == i && b >= a)
						break;
					if (x->is_unix || y->is_unix)
						same = x->is_unix && y->is_unix &&
						       strcmp(x->path, y->path) == 0;
					else
						same = x->port == y->port &&
						       (strcmp(x->host, y->host) == 0 ||
							strcmp(x->host, "*") == 0 ||
							strcmp(y->host, "*") == 0 ||
							strcmp(x->host, "0.0.0.0") == 0 ||
							strcmp(y->host, "0.0.0.0") == 0);
					if (same) {
						char s[300];

						net_address_str(x, s, sizeof(s));
						conf_error(parser,
							   conf_line_of(parser, refs[i].section, refs[i].key),
							   refs[i].key,
							   "%s is also used by [%s] %s",
							   s, refs[j].section, refs[j].key);
					}
				}
			}
			if (x->is_unix && strcmp(refs[i].section, "lmtp") != 0 &&
			    strcmp(refs[i].section, "auth") != 0)
				conf_error(parser,
					   conf_line_of(parser, refs[i].section, refs[i].key),
					   refs[i].key,
					   "unix sockets are only for [lmtp] listen");
		}
	}

	if (conf->tls_cert == NULL || conf->tls_key == NULL) {
		for (size_t i = 0; i < nrefs; i++) {
			if (!refs[i].tls || refs[i].addrs->count == 0)
				continue;
			conf_error(parser,
				   conf->tls_cert == NULL ?
				   conf_line_of(parser, "server", "tls_cert") :
				   conf_line_of(parser, "server", "tls_key"),
				   conf->tls_cert == NULL ? "tls_cert" : "tls_key",
				   "required: [%s] %s needs a certificate (%s)",
				   refs[i].section, refs[i].key,
				   strcmp(refs[i].key, "listen") == 0 ?
				   "for STARTTLS" : "for TLS");
			break;
		}
	}
}

static void conf_validate_files(struct conf_parser *parser)
{
	struct conf *conf = parser->conf;
	const char *error;
	bool bad_key;

	if (conf->tls_cert == NULL || conf->tls_key == NULL)
		return;
	if (access(conf->tls_cert, R_OK) < 0) {
		conf_error(parser, conf_line_of(parser, "server", "tls_cert"),
			   "tls_cert", "cannot read %s: %s", conf->tls_cert,
			   strerror(errno));
		return;
	}
	if (access(conf->tls_key, R_OK) < 0) {
		conf_error(parser, conf_line_of(parser, "server", "tls_key"),
			   "tls_key", "cannot read %s: %s", conf->tls_key,
			   strerror(errno));
		return;
	}
	if (tls_check_files(conf->tls_cert, conf->tls_key, &bad_key, &error) < 0) {
		if (bad_key)
			conf_error(parser, conf_line_of(parser, "server", "tls_key"),
				   "tls_key", "%s", error);
		else
			conf_error(parser, conf_line_of(parser, "server", "tls_cert"),
				   "tls_cert", "%s", error);
	}
}

/* The port to put in a link for this listener, or 0 for the default. */
static unsigned int conf_link_port(const struct conf_addresses *addrs,
				   unsigned int default_port)
{
	if (addrs->count == 0)
		return 0;
	for (unsigned int i = 0; i < addrs->count; i++) {
		if (addrs->addr[i].port == default_port)
			return 0;
	}
	return addrs->addr[0].port;
}

static char *conf_make_base(const struct conf *conf, bool https)
{
	const struct conf_addresses *addrs =
		https ? &conf->web_tls_listen : &conf->web_listen;
	unsigned int port;
	char *base;

	if (conf->public_host != NULL) {
		/* public_host carries its own port when it is not the
		   default; a reverse-DNS name in front of a NAT is common. */
		if (asprintf(&base, "%s//%s", https ? "https:" : "http:",
			     conf->public_host) < 0)
			return NULL;
		return base;
	}
	port = conf_link_port(addrs, https ? 443 : 80);
	if (port != 0) {
		if (asprintf(&base, "%s//%s:%u", https ? "https:" : "http:",
			     conf->hostname, port) < 0)
			return NULL;
	} else if (asprintf(&base, "%s//%s", https ? "https:" : "http:",
			    conf->hostname) < 0) {
		return NULL;
	}
	return base;
}

static void conf_print_cidrs(FILE *out, const struct conf *conf)
{
	for (unsigned int i = 0; i < conf->plaintext_auth_from_count; i++) {
		const struct net_cidr *c = &conf->plaintext_auth_from[i];
		char ip[64];

		inet_ntop(c->family, c->addr, ip, sizeof(ip));
		fprintf(out, "%s%s/%u", i > 0 ? ", " : "", ip, c->bits);
	}
}

static void conf_validate_links(struct conf_parser *parser)
{
	struct conf *conf = parser->conf;
	unsigned int proto_line = conf_line_of(parser, "web", "url_protocol");
	bool have_https = conf->web_tls_listen.count > 0;
	bool have_http = conf->web_listen.count > 0;
	bool https;

	if (proto_line == 0)
		proto_line = conf_line_of(parser, "web", "tls_listen");
	if (proto_line == 0)
		proto_line = parser->line;

	if (have_https)
		conf->https_base = conf_make_base(conf, true);
	/* A web access where every login would be refused ("use https")
	   opens no meeting link: refuse it now, not at the first click. */
	if (have_http && !have_https && conf->plaintext_auth_from_count == 0)
		conf_error(parser, conf_line_of(parser, "web", "listen"), "listen",
			   "the web access answers only plain HTTP and [server] "
			   "plaintext_auth_from is empty: nobody could log in (set "
			   "tls_listen, or plaintext_auth_from for the networks that may "
			   "send passwords without TLS)");
	if (conf->web_redirect_http.count > 0 && !have_https &&
	    conf->public_url == NULL)
		conf_error(parser, conf_line_of(parser, "web", "redirect_http"),
			   "redirect_http",
			   "redirects to https, but [web] tls_listen is empty");

	if (conf->public_url != NULL) {
		bool url_https = str_begins(conf->public_url, "https:");

		if ((conf->url_protocol == CONF_URL_PROTOCOL_HTTPS && !url_https) ||
		    (conf->url_protocol == CONF_URL_PROTOCOL_HTTP && url_https)) {
			conf_error(parser, proto_line, "url_protocol",
				   "%s disagrees with public_url %s (the URL's scheme is the link protocol)",
				   conf->url_protocol == CONF_URL_PROTOCOL_HTTPS ? "https:" : "http:",
				   conf->public_url);
			return;
		}
		conf->link_base = xstrdup(conf->public_url);
		conf->link_https = url_https;
		if (url_https && conf->https_base == NULL)
			conf->https_base = xstrdup(conf->public_url);
		return;
	}

	switch (conf->url_protocol) {
	case CONF_URL_PROTOCOL_AUTO:
		if (!have_https && !have_http)
			return; /* no web access: no links (config check says so) */
		https = have_https;
		break;
	case CONF_URL_PROTOCOL_HTTPS:
		if (!have_https) {
			conf_error(parser, proto_line, "url_protocol",
				   "https: but [web] tls_listen is empty: meeting-request links would not open "
				   "(set tls_listen, or public_url if a proxy answers)");
			return;
		}
		https = true;
		break;
	case CONF_URL_PROTOCOL_HTTP:
		if (!have_http) {
			conf_error(parser, proto_line, "url_protocol",
				   "http: but [web] listen is empty: meeting-request links would not open "
				   "(the web access answers %s; use auto or https:, set listen, "
				   "or public_url if a proxy answers)",
				   have_https ? "only on https" : "on no port");
			return;
		}
		https = false;
		break;
	default:
		abort();
	}
	conf->link_base = conf_make_base(conf, https);
	conf->link_https = https;
}

/* A login throttle that is on needs an interval (the rate once its burst
   is used); a day is plenty and keeps milliseconds in 32 bits. */
static void conf_validate_auth_interval(struct conf_parser *parser, const char *key,
					unsigned int failures, unsigned int secs)
{
	if (failures != 0 && (secs < 1 || secs > 86400))
		conf_error(parser, conf_line_of(parser, "limits", key), key,
			   "must be between 1s and 1d");
}

static void conf_validate(struct conf_parser *parser, bool check_files)
{
	struct conf *conf = parser->conf;
	enum log_level level;

	if (conf->hostname == NULL) {
		char host[256];

		if (gethostname(host, sizeof(host)) == 0 && hostname_valid(host))
			conf->hostname = xstrdup(host);
		else
			conf->hostname = xstrdup("localhost");
	}
	if (conf->data_dir == NULL)
		conf_error(parser, conf_line_of(parser, "server", "data_dir"),
			   "data_dir", "must not be empty");
	if (conf->store_conninfo != NULL && conf->store_conninfo[0] == '\0') {
		free(conf->store_conninfo);
		conf->store_conninfo = NULL;
	}
	if (conf->store_postgresql && conf->store_conninfo == NULL)
		conf_error(parser, conf_line_of(parser, "store", "backend"),
			   "postgresql", "backend = postgresql needs a connection"
			   " string (postgresql = host=... dbname=...)");
	if (conf->tls_cert == NULL && conf->tls_key != NULL)
		conf_error(parser, conf_line_of(parser, "server", "tls_key"),
			   "tls_cert", "tls_key is set but tls_cert is not");
	if (conf->tls_cert != NULL && conf->tls_key == NULL)
		conf_error(parser, conf_line_of(parser, "server", "tls_cert"),
			   "tls_key", "tls_cert is set but tls_key is not");
	if (conf->login_timeout_secs == 0)
		conf_error(parser, conf_line_of(parser, "limits", "login_timeout"),
			   "login_timeout", "must be at least 1s");
	if (conf->web_session_lifetime_secs == 0)
		conf_error(parser, conf_line_of(parser, "web", "session_lifetime"),
			   "session_lifetime", "must be at least 1s");
	if (conf->web_session_idle_secs == 0)
		conf_error(parser, conf_line_of(parser, "web", "session_idle"),
			   "session_idle", "must be at least 1s");
	if (conf->imap_idle_timeout_secs != 0 && conf->imap_idle_timeout_secs < 1800)
		conf_error(parser, conf_line_of(parser, "limits", "imap_idle_timeout"),
			   "imap_idle_timeout",
			   "must be at least 30m (RFC 9051 5.4)");
	if (conf->pop3_idle_timeout_secs != 0 && conf->pop3_idle_timeout_secs < 600)
		conf_error(parser, conf_line_of(parser, "limits", "pop3_idle_timeout"),
			   "pop3_idle_timeout",
			   "must be at least 10m (RFC 1939 3)");
	if (conf->max_message_size < 1024)
		conf_error(parser, conf_line_of(parser, "limits", "max_message_size"),
			   "max_message_size", "must be at least 1K");
	conf_validate_auth_interval(parser, "auth_ip_interval", conf->auth_ip_failures,
				    conf->auth_ip_interval_secs);
	conf_validate_auth_interval(parser, "auth_user_ip_interval",
				    conf->auth_user_ip_failures,
				    conf->auth_user_ip_interval_secs);
	conf_validate_auth_interval(parser, "auth_user_interval", conf->auth_user_failures,
				    conf->auth_user_interval_secs);
	if (log_level_parse(conf->log_level, &level) == 0)
		log_set_level(level);
	conf_validate_listeners(parser);
	if (check_files)
		conf_validate_files(parser);
	conf_validate_links(parser);
}

static char *conf_dirname(const char *path)
{
	char *copy, *slash;
	char cwd[PATH_MAX];

	if (path[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			strcpy(cwd, ".");
		if (asprintf(&copy, "%s/%s", cwd, path) < 0)
			return NULL;
	} else {
		copy = xstrdup(path);
	}
	slash = strrchr(copy, '/');
	if (slash == copy)
		slash[1] = '\0';
	else
		*slash = '\0';
	return copy;
}

struct conf *conf_load(const char *path, bool check_files, FILE *err)
{
	struct conf_parser parser;
	struct conf *conf = xcalloc(1, sizeof(*conf));
	int ret;

	memset(&parser, 0, sizeof(parser));
	parser.conf = conf;
	parser.err = err;
	parser.path = path;
	parser.dir = conf_dirname(path);
	conf->path = xstrdup(path);

	/* Defaults first, through the same parsers. */
	for (size_t i = 0; i < CONF_KEY_COUNT; i++) {
		const char *error;

		if (conf_keys[i].default_value == NULL)
			continue;
		if (conf_keys[i].parse(&parser, conf_keys[i].default_value,
				       (char *)conf + conf_keys[i].offset, &error) < 0)
			abort();
	}

	parser.file = fopen(path, "r");
	if (parser.file == NULL) {
		conf_error(&parser, 0, "file", "cannot open: %s", strerror(errno));
		goto failed;
	}
	ret = ini_parse_stream(conf_reader, &parser, conf_handler, &parser);
	fclose(parser.file);
	if (ret > 0)
		conf_error(&parser, (unsigned int)ret, "syntax",
			   "expected [section] or key = value");
	else if (ret < 0)
		conf_error(&parser, 0, "file", "cannot read");
	if (parser.errors == 0)
		conf_validate(&parser, check_files);
	if (parser.errors > 0)
		goto failed;
	free(parser.dir);
	return conf;
failed:
	free(parser.dir);
	conf_free(&conf);
	return NULL;
}

void conf_free(struct conf **_conf)
{
	struct conf *conf = *_conf;

	if (conf == NULL)
		return;
	*_conf = NULL;
	free(conf->path);
	free(conf->hostname);
	free(conf->data_dir);
	free(conf->tls_cert);
	free(conf->tls_key);
	free(conf->log_level);
	free(conf->run_user);
	free(conf->public_host);
	free(conf->public_url);
	free(conf->relay_host);
	free(conf->store_conninfo);
	free(conf->store_blob_dir);
	free(conf->link_base);
	free(conf->https_base);
	free(conf);
}

const char *conf_calendar_format_name(enum conf_calendar_format format)
{
	switch (format) {
	case CONF_CALENDAR_FORMAT_BOTH: return "both";
	case CONF_CALENDAR_FORMAT_ICALENDAR: return "icalendar";
	case CONF_CALENDAR_FORMAT_URL: return "url";
	}
	return "both";
}

int conf_calendar_format_parse(const char *name, enum conf_calendar_format *format_r)
{
	if (strcmp(name, "both") == 0)
		*format_r = CONF_CALENDAR_FORMAT_BOTH;
	else if (strcmp(name, "icalendar") == 0)
		*format_r = CONF_CALENDAR_FORMAT_ICALENDAR;
	else if (strcmp(name, "url") == 0)
		*format_r = CONF_CALENDAR_FORMAT_URL;
	else
		return -1;
	return 0;
}

bool conf_needs_tls(const struct conf *conf)
{
	return conf->imap_listen.count + conf->imap_tls_listen.count +
	       conf->pop3_listen.count + conf->pop3_tls_listen.count +
	       conf->submission_listen.count + conf->submission_tls_listen.count +
	       conf->web_tls_listen.count > 0;
}

unsigned int conf_login_timeout(const struct conf *conf, unsigned int idle_secs)
{
	return idle_secs != 0 && idle_secs < conf->login_timeout_secs ?
		idle_secs : conf->login_timeout_secs;
}

static void conf_print_addresses(FILE *out, const char *key,
				 const struct conf_addresses *addrs)
{
	fprintf(out, "%s = ", key);
	for (unsigned int i = 0; i < addrs->count; i++) {
		char s[300];

		net_address_str(&addrs->addr[i], s, sizeof(s));
		fprintf(out, "%s%s", i > 0 ? ", " : "", s);
	}
	fputc('\n', out);
}

static const char *conf_str(const char *s)
{
	return s != NULL ? s : "";
}

/* A connection string with its password hidden (key=value form:
   password=...; URI form: user:PASSWORD@host). */
static void conf_print_conninfo(FILE *out, const char *conninfo)
{
	const char *p, *at, *colon;

	if (conninfo == NULL)
		return;
	if ((p = strstr(conninfo, "password=")) != NULL) {
		const char *end = p + 9;

		if (*end == '\'') {
			for (end++; *end != '\0' && *end != '\''; end++)
				if (*end == '\\' && end[1] != '\0')
					end++;
			if (*end == '\'')
				end++;
		} else {
			end += strcspn(end, " \t");
		}
		fprintf(out, "%.*spassword=***%s", (int)(p - conninfo), conninfo, end);
		return;
	}
	if ((p = strstr(conninfo, "://")) != NULL &&
	    (at = strchr(p + 3, '@')) != NULL &&
	    (colon = memchr(p + 3, ':', (size_t)(at - (p + 3)))) != NULL) {
		fprintf(out, "%.*s:***%s", (int)(colon - conninfo), conninfo, at);
		return;
	}
	fputs(conninfo, out);
}

void conf_print(const struct conf *conf, FILE *out)
{
	static const char *const proto_names[] = { "auto", "https:", "http:" };

	fprintf(out, "# effective settings of %s\n", conf->path);
	fprintf(out, "[server]\nhostname = %s\ndata_dir = %s\ntls_cert = %s\ntls_key = %s\n",
		conf->hostname, conf->data_dir, conf_str(conf->tls_cert),
		conf_str(conf->tls_key));
	fprintf(out, "plaintext_auth_from = ");
	conf_print_cidrs(out, conf);
	fprintf(out, "\nlog_level = %s\nuser = %s\n", conf->log_level,
		conf_str(conf->run_user));
	fprintf(out, "\n[limits]\nmax_message_size = %llu\nmax_line_length = %zu\n"
		"max_bad_commands = %u\nauth_failure_delay = %ums\nmax_connections = %u\n"
		"max_connections_per_ip = %u\nlogin_timeout = %us\nimap_idle_timeout = %us\n"
		"imap_search_timeout = %ums\npop3_idle_timeout = %us\nlmtp_idle_timeout = %us\n"
		"submission_idle_timeout = %us\n",
		(unsigned long long)conf->max_message_size, conf->max_line_length,
		conf->max_bad_commands, conf->auth_failure_delay_msecs,
		conf->max_connections, conf->max_connections_per_ip,
		conf->login_timeout_secs, conf->imap_idle_timeout_secs, conf->imap_search_timeout_msecs,
		conf->pop3_idle_timeout_secs,
		conf->lmtp_idle_timeout_secs, conf->submission_idle_timeout_secs);
	fprintf(out, "auth_ip_failures = %u\nauth_ip_interval = %us\n"
		"auth_user_ip_failures = %u\nauth_user_ip_interval = %us\n"
		"auth_user_failures = %u\nauth_user_interval = %us\n",
		conf->auth_ip_failures, conf->auth_ip_interval_secs,
		conf->auth_user_ip_failures, conf->auth_user_ip_interval_secs,
		conf->auth_user_failures, conf->auth_user_interval_secs);
	fprintf(out, "\n[imap]\n");
	conf_print_addresses(out, "listen", &conf->imap_listen);
	conf_print_addresses(out, "tls_listen", &conf->imap_tls_listen);
	fprintf(out, "\n[pop3]\n");
	conf_print_addresses(out, "listen", &conf->pop3_listen);
	conf_print_addresses(out, "tls_listen", &conf->pop3_tls_listen);
	fprintf(out, "login_delay = %us\n", conf->pop3_login_delay_secs);
	fprintf(out, "\n[lmtp]\n");
	conf_print_addresses(out, "listen", &conf->lmtp_listen);
	fprintf(out, "\n[submission]\n");
	conf_print_addresses(out, "listen", &conf->submission_listen);
	conf_print_addresses(out, "tls_listen", &conf->submission_tls_listen);
	fprintf(out, "\n[auth]\npostfix_socket = %s\n",
		conf->auth_postfix_socket.count > 0 ?
		conf->auth_postfix_socket.addr[0].path : "");
	fprintf(out, "\n[web]\n");
	conf_print_addresses(out, "tls_listen", &conf->web_tls_listen);
	conf_print_addresses(out, "listen", &conf->web_listen);
	conf_print_addresses(out, "redirect_http", &conf->web_redirect_http);
	fprintf(out, "url_protocol = %s\npublic_host = %s\npublic_url = %s\n"
		"session_lifetime = %us\nsession_idle = %us\n",
		proto_names[conf->url_protocol], conf_str(conf->public_host),
		conf_str(conf->public_url), conf->web_session_lifetime_secs,
		conf->web_session_idle_secs);
	fprintf(out, "\n[calendar]\nimap_pop3_format = %s\n",
		conf_calendar_format_name(conf->imap_pop3_format));
	fprintf(out, "\n[outbound]\n");
	if (conf->relay_host != NULL)
		fprintf(out, "relay = %s:%u\n", conf->relay_host, conf->relay_port);
	else
		fprintf(out, "relay =\n");
	fprintf(out, "max_age = %us\n\n", conf->outbound_max_age_secs);
	fprintf(out, "[store]\nbackend = %s\npostgresql = ",
		conf->store_postgresql ? "postgresql" : "sqlite");
	conf_print_conninfo(out, conf->store_conninfo);
	fprintf(out, "\nblobs = files\nblob_dir = %s\n",
		conf->store_blob_dir != NULL ? conf->store_blob_dir : conf->data_dir);
	fprintf(out, "\n[metrics]\n");
	conf_print_addresses(out, "listen", &conf->metrics_listen);
	fputc('\n', out);
	if (conf->link_base != NULL)
		fprintf(out, "meeting-request links: %s/item/…\n", conf->link_base);
	else
		fprintf(out, "meeting-request links: none (no web listener; "
			"meeting requests carry only their iCalendar part)\n");
	/* where people can log in: a link that opens a login nobody can pass
	   is the failure this product exists to prevent */
	if (conf->https_base != NULL && conf->web_listen.count > 0) {
		fprintf(out, "web logins: over https (%s); on the plain-HTTP listener ",
			conf->https_base);
		if (conf->plaintext_auth_from_count > 0) {
			fprintf(out, "from ");
			conf_print_cidrs(out, conf);
			fprintf(out, ", others are sent to https\n");
		} else {
			fprintf(out, "every request is sent to https\n");
		}
	} else if (conf->https_base != NULL) {
		fprintf(out, "web logins: over https (%s)\n", conf->https_base);
	} else if (conf->web_listen.count > 0) {
		fprintf(out, "web logins: over plain HTTP from ");
		conf_print_cidrs(out, conf);
		fprintf(out, " only\n");
	} else {
		fprintf(out, "web logins: none (no web listener)\n");
	}
	/* where calendar and contacts apps are pointed (Basic auth needs
	   TLS, so the https address whenever there is one) */
	if (conf->https_base != NULL)
		fprintf(out, "calendar and contacts apps: %s/dav/ (CalDAV and CardDAV;"
			" discovery at /.well-known/caldav and /.well-known/carddav)\n",
			conf->https_base);
	else if (conf->link_base != NULL)
		fprintf(out, "calendar and contacts apps: %s/dav/ (plain HTTP: passwords"
			" only from plaintext_auth_from)\n", conf->link_base);
	else
		fprintf(out, "calendar and contacts apps: none (no web listener)\n");
	/* where mail apps send, and where that mail goes from here */
	if (conf->submission_listen.count + conf->submission_tls_listen.count == 0) {
		fprintf(out, "mail apps send: not here (no [submission] listener)\n");
		return;
	}
	fprintf(out, "mail apps send: ");
	if (conf->submission_tls_listen.count > 0) {
		char s[300];

		net_address_str(&conf->submission_tls_listen.addr[0], s, sizeof(s));
		fprintf(out, "%s (TLS)%s", s, conf->submission_listen.count > 0 ? ", " : "");
	}
	if (conf->submission_listen.count > 0) {
		char s[300];

		net_address_str(&conf->submission_listen.addr[0], s, sizeof(s));
		fprintf(out, "%s (STARTTLS)", s);
	}
	if (conf->relay_host != NULL)
		fprintf(out, "; to other servers through %s:%u\n", conf->relay_host,
			conf->relay_port);
	else
		fprintf(out, "; to other servers: [outbound] relay is empty, so such "
			"mail waits (and bounces after max_age)\n");
}
