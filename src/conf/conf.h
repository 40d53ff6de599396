#ifndef INFOSTORE_CONF_H
#define INFOSTORE_CONF_H

/*
 * Configuration: loading (inih), validation (all rules in conf.c, in one
 * place) and the effective settings that every part reads.
 *
 * Errors are collected, not stopped at: each is one line
 * "FILE:LINE: key: what is wrong", and the caller prints them all and exits
 * EX_CONFIG (78) before anything listens.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "net.h"

#define CONF_DEFAULT_PATH INFOSTORE_SYSCONFDIR "/infostore.conf"
#define CONF_MAX_ADDRESSES 8

struct conf_addresses {
	unsigned int count;
	struct net_address addr[CONF_MAX_ADDRESSES];
};

enum conf_url_protocol {
	CONF_URL_PROTOCOL_AUTO,
	CONF_URL_PROTOCOL_HTTPS,
	CONF_URL_PROTOCOL_HTTP,
};

/* What IMAP/POP3 clients get in a meeting request. */
enum conf_calendar_format {
	CONF_CALENDAR_FORMAT_BOTH,
	CONF_CALENDAR_FORMAT_ICALENDAR,
	CONF_CALENDAR_FORMAT_URL,
};

struct conf {
	char *path;               /* as given to -c */

	/* [server] */
	char *hostname;
	char *data_dir;           /* absolute */
	char *tls_cert;           /* absolute, or NULL */
	char *tls_key;
	unsigned int plaintext_auth_from_count;
	struct net_cidr plaintext_auth_from[16];
	char *log_level;
	char *run_user;           /* drop privileges to this user; NULL: stay */

	/* [limits] */
	uint64_t max_message_size;     /* APPEND, LMTP, submission, deliver */
	size_t max_line_length;        /* IMAP/POP3/LMTP/submission lines */
	unsigned int max_bad_commands; /* then disconnect */
	unsigned int auth_failure_delay_msecs;
	unsigned int max_connections;  /* all protocols together */
	unsigned int max_connections_per_ip;
	/* login throttle (auth-throttle.h): a burst of failures, then one
	   more per interval; 0 failures: that limit is off */
	unsigned int auth_ip_failures, auth_ip_interval_secs;
	unsigned int auth_user_ip_failures, auth_user_ip_interval_secs;
	unsigned int auth_user_failures, auth_user_interval_secs;
	/* before login (IMAP, POP3) and for an implicit-TLS handshake (at
	   most 60 s there): the RFC minimums below are for sessions after
	   authentication */
	unsigned int login_timeout_secs;
	unsigned int imap_idle_timeout_secs;  /* 30 min min. per RFC 9051 5.4 */
	/* the text scans of one SEARCH/SORT/THREAD, waiting included; then
	   NO [LIMIT] */
	unsigned int imap_search_timeout_msecs;
	unsigned int pop3_idle_timeout_secs;  /* 10 min min. per RFC 1939 3 */
	unsigned int lmtp_idle_timeout_secs;
	unsigned int submission_idle_timeout_secs;

	/* [imap] [pop3] [lmtp] */
	struct conf_addresses imap_listen, imap_tls_listen;
	struct conf_addresses pop3_listen, pop3_tls_listen;
	unsigned int pop3_login_delay_secs;  /* RFC 2449 LOGIN-DELAY; 0: none */
	struct conf_addresses lmtp_listen;

	/* [submission] (RFC 6409): STARTTLS; implicit TLS (RFC 8314) */
	struct conf_addresses submission_listen, submission_tls_listen;

	/* [auth]: Postfix's smtpd_sasl_type = dovecot socket (one unix
	   address, or none) */
	struct conf_addresses auth_postfix_socket;

	/* [web] */
	struct conf_addresses web_tls_listen, web_listen, web_redirect_http;
	enum conf_url_protocol url_protocol;       /* as written */
	char *public_host;        /* NULL: hostname */
	char *public_url;         /* NULL, or without trailing '/' */
	/* a web login ends session_idle after its last use, and
	   session_lifetime after it began, whichever comes first */
	unsigned int web_session_lifetime_secs;
	unsigned int web_session_idle_secs;

	/* [calendar] */
	enum conf_calendar_format imap_pop3_format;

	/* [store]: SQLite in data_dir (the default), or PostgreSQL shared
	   by several nodes with the blobs in a folder they all mount */
	bool store_postgresql;          /* backend = postgresql */
	char *store_conninfo;           /* postgresql = (libpq) */
	char *store_blob_dir;           /* NULL: data_dir */

	/* [metrics]: OpenMetrics for Prometheus; none: off */
	struct conf_addresses metrics_listen;

	/* [outbound] */
	char *relay_host;         /* NULL: no relay */
	uint16_t relay_port;
	unsigned int outbound_max_age_secs;   /* bounce after this long */

	/* Derived by conf_load(): */
	char *link_base;          /* "https://mail.example.test:8443"; NULL: no web */
	bool link_https;
	char *https_base;         /* where redirect_http sends to; NULL: no https */
};

/*
 * Load and validate FILE. Returns the settings, or NULL with every error
 * line written to err (one per line, "FILE:LINE: key: message").
 * check_files: also check that the certificate and key load and match
 * (serve and config check do; other commands only need the store).
 */
struct conf *conf_load(const char *path, bool check_files, FILE *err);
void conf_free(struct conf **conf);

/* Print the effective settings in INI form, with the link base last. */
void conf_print(const struct conf *conf, FILE *out);

/* The name used in config files for a calendar format ("both", ...). */
const char *conf_calendar_format_name(enum conf_calendar_format format);
int conf_calendar_format_parse(const char *name, enum conf_calendar_format *format_r);

/* A size as the configuration writes it: bytes, or a number with K, M or
   G (powers of 1024), at most 1T. 0 or -1. */
int conf_size_parse(const char *value, uint64_t *size_r);

/* Does any listener need the certificate (TLS or STARTTLS)? */
bool conf_needs_tls(const struct conf *conf);

/* The idle timeout before login of a protocol whose timeout after login
   is idle_secs (0: none): login_timeout, or idle_secs if shorter. */
unsigned int conf_login_timeout(const struct conf *conf, unsigned int idle_secs);

#endif
