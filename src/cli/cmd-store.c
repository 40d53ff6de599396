/*
 * infostore store copy OTHER.conf: the whole store of OTHER.conf into this
 * configuration's store, which must be empty (either backend to either:
 * moving from SQLite to PostgreSQL and back, or restoring a backup).
 */
#include "cli.h"
#include "conf.h"
#include "store.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

static const char store_usage[] =
	"store copy OTHER.conf\n"
	"  copy the whole store of OTHER.conf (users, mailboxes with their UIDs,\n"
	"  messages, calendars with their links, contacts, the outbound queue)\n"
	"  into this configuration's store, which must be empty (exit 73 if not);\n"
	"  SQLite or PostgreSQL on either side. Progress on stderr; 75 if a store\n"
	"  cannot be reached or fails (empty the target and run it again).";

struct store_copy_progress {
	time_t last;
	char what[32];
};

static void store_copy_progress(void *context, const char *what, uint64_t count)
{
	struct store_copy_progress *p = context;
	time_t now = time(NULL);

	/* a line a second at most, and one whenever a table starts */
	if (now == p->last && strcmp(p->what, what) == 0)
		return;
	p->last = now;
	snprintf(p->what, sizeof(p->what), "%s", what);
	fprintf(stderr, "store copy: %s %llu\n", what, (unsigned long long)count);
}

static int cli_store_copy(struct cli *cli)
{
	struct store_copy_progress progress;
	struct conf *conf, *other_conf;
	struct store *dst, *src;
	int ret = 0, empty;

	if (cli->argc != 1) {
		fprintf(stderr, "usage: infostore [-c FILE] %s\n", store_usage);
		return EX_USAGE;
	}
	conf = cli_load_conf(cli, 0);
	if (conf == NULL)
		return EX_CONFIG;
	other_conf = conf_load(cli->argv[0], false, stderr);
	if (other_conf == NULL) {
		conf_free(&conf);
		return EX_CONFIG;
	}
	dst = cli_open_store(conf);
	src = dst == NULL ? NULL : cli_open_store_privileged(other_conf);
	if (dst == NULL || src == NULL) {
		store_close(&dst);
		conf_free(&other_conf);
		conf_free(&conf);
		return EX_TEMPFAIL;
	}
	memset(&progress, 0, sizeof(progress));
	empty = store_is_empty(dst);
	if (empty == 0) {
		fprintf(stderr, "infostore: %s: the store of this configuration"
			" is not empty; store copy only fills an empty one\n",
			conf->path);
		ret = EX_CANTCREAT;
	} else if (empty < 0 || store_copy(dst, src, store_copy_progress, &progress) < 0) {
		fprintf(stderr, "infostore: store copy failed: %s\n",
			store_last_error_detail(dst));
		ret = EX_TEMPFAIL;
	} else {
		fprintf(stderr, "store copy: done\n");
	}
	store_close(&src);
	store_close(&dst);
	conf_free(&other_conf);
	conf_free(&conf);
	return ret;
}

int cli_store(struct cli *cli, const char *sub)
{
	if (strcmp(sub, "backup") == 0)
		return cli_store_backup(cli);
	if (cli_wants_help(cli)) {
		printf("usage: infostore [-c FILE] %s\n", store_usage);
		return 0;
	}
	if (strcmp(sub, "copy") == 0)
		return cli_store_copy(cli);
	fprintf(stderr, "infostore: unknown command: store %s\n", sub);
	return EX_USAGE;
}
