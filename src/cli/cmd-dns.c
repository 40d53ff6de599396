/*
 * config dns: the DNS records that let mail, calendar and contacts apps
 * find this server from an address alone (RFC 6186 and RFC 8314 SRV for
 * IMAP, POP3 and submission, RFC 6764 SRV and TXT for CalDAV and
 * CardDAV, and the autoconfig/autodiscover names). The records are
 * rendered by web-autoconfig.c, the same settings the web access tells
 * Thunderbird and Outlook.
 */
#include "cli.h"
#include "buffer.h"
#include "conf.h"
#include "pool.h"
#include "store.h"
#include "strutil.h"
#include "web-autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

struct dns_domains {
	struct pool *pool;
	const char **names;
	unsigned int count, alloc;
};

/* Each user's domain once, lower case; an address whose domain no record
   could be written for is left out (and said so). */
static void dns_user_cb(void *context, const struct store_user *user)
{
	struct dns_domains *d = context;
	const char *at = strrchr(user->address, '@');
	char *domain;

	if (at == NULL)
		return;
	domain = p_strdup(d->pool, at + 1);
	str_lcase(domain);
	if (!web_autoconfig_domain_valid(domain)) {
		fprintf(stderr, "infostore: %s: no records for this domain (not a DNS name)\n",
			user->address);
		return;
	}
	for (unsigned int i = 0; i < d->count; i++) {
		if (strcmp(d->names[i], domain) == 0)
			return;
	}
	d->names = p_grow(d->pool, d->names, sizeof(*d->names), d->count,
			  &d->alloc, 8);
	d->names[d->count++] = domain;
}

static int dns_name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int cli_config_dns(struct cli *cli)
{
	static const char usage[] = "usage: infostore [-c FILE] config dns\n";
	struct dns_domains domains;
	struct web_autoconfig ac;
	struct buffer out;
	struct conf *conf;
	struct store *store;
	int ret = 0;

	if (cli_wants_help(cli)) {
		printf("%s  print the DNS records (zone-file lines) that let mail, calendar\n"
		       "  and contacts apps find this server, for the domain of every user\n"
		       "  (or the parent domain of [server] hostname when there are none)\n",
		       usage);
		return 0;
	}
	if (cli->argc != 0) {
		fputs(usage, stderr);
		return EX_USAGE;
	}
	conf = cli_load_conf(cli, 0);
	if (conf == NULL)
		return EX_CONFIG;
	store = cli_open_store(conf);
	if (store == NULL) {
		conf_free(&conf);
		return EX_TEMPFAIL;
	}
	memset(&domains, 0, sizeof(domains));
	domains.pool = pool_create(4096);
	if (store_user_list(store, domains.pool, dns_user_cb, &domains) < 0) {
		fprintf(stderr, "infostore: %s\n", store_last_error_detail(store));
		ret = EX_TEMPFAIL;
	} else {
		if (domains.count == 0) {
			domains.names = p_new(domains.pool, const char *, 1);
			domains.names[domains.count++] =
				web_autoconfig_parent_domain(domains.pool, conf->hostname);
		}
		qsort(domains.names, domains.count, sizeof(*domains.names), dns_name_cmp);
		web_autoconfig_from_conf(conf, domains.pool, &ac);
		buffer_init(&out, 0);
		for (unsigned int i = 0; i < domains.count; i++) {
			if (i > 0)
				buffer_append_c(&out, '\n');
			web_autoconfig_dns(&ac, domains.names[i], &out);
		}
		fwrite(out.data, 1, out.used, stdout);
		buffer_free(&out);
		if (fflush(stdout) != 0)
			ret = EX_IOERR;
	}
	pool_destroy(&domains.pool);
	store_close(&store);
	conf_free(&conf);
	return ret;
}
