/*
 * infostore import [-m MAILBOX] ADDRESS maildir|mbox PATH: moving in from
 * Dovecot's Maildir++ or an mbox (src/import). Progress and problems go
 * to stderr; the summary line at the end too.
 */
#include "cli.h"
#include "conf.h"
#include "import.h"
#include "log.h"
#include "pool.h"
#include "store.h"
#include "strutil.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

static const char import_usage[] =
	"import [-m MAILBOX] ADDRESS maildir|mbox PATH\n"
	"  maildir: Dovecot's Maildir++ at PATH (INBOX, .Folders, dovecot-uidlist,\n"
	"           dovecot-keywords, subscriptions), keeping UIDVALIDITY and UIDs\n"
	"  mbox:    the mbox file PATH into INBOX, or into MAILBOX with -m\n"
	"  A rerun imports only what is missing. Exit 65 if a folder conflicts\n"
	"  with a mailbox of another UIDVALIDITY (nothing imported), 66 no such\n"
	"  PATH, 67 unknown user, 75 store failure (rerun to continue).";

static int import_usage_exit(int help)
{
	fprintf(help ? stdout : stderr, "usage: infostore [-c FILE] %s\n", import_usage);
	return help ? 0 : EX_USAGE;
}

int cli_import(struct cli *cli)
{
	const char *mailbox = "INBOX", *address, *format, *path;
	struct import_stats stats;
	struct store_user user;
	struct conf *conf = NULL;
	struct store *store = NULL;
	struct pool *pool;
	struct timespec start, end;
	int argi = 0, ret;

	if (cli_wants_help(cli))
		return import_usage_exit(1);
	if (cli->argc >= 2 && strcmp(cli->argv[0], "-m") == 0) {
		mailbox = cli->argv[1];
		argi = 2;
	}
	if (cli->argc - argi != 3)
		return import_usage_exit(0);
	address = cli->argv[argi];
	format = cli->argv[argi + 1];
	path = cli->argv[argi + 2];
	if (strcmp(format, "maildir") != 0 && strcmp(format, "mbox") != 0) {
		fprintf(stderr, "infostore: the format is maildir or mbox, not %s\n", format);
		return EX_USAGE;
	}
	if (argi > 0 && strcmp(format, "mbox") != 0) {
		fprintf(stderr, "infostore: -m is for mbox (a Maildir has its folders)\n");
		return EX_USAGE;
	}
	if (!store_mailbox_name_valid(mailbox)) {
		fprintf(stderr, "infostore: not a mailbox name: %s\n", mailbox);
		return EX_USAGE;
	}
	pool = pool_create(1024);
	ret = cli_open_user(cli, address, &conf, &store, pool, &user);
	if (ret == 0) {
		clock_gettime(CLOCK_MONOTONIC, &start);
		ret = strcmp(format, "maildir") == 0 ?
			import_maildir(store, conf, &user, path, stderr, &stats) :
			import_mbox(store, conf, &user, path, mailbox, stderr, &stats);
		clock_gettime(CLOCK_MONOTONIC, &end);
		if (ret == 0 || stats.imported > 0) {
			fprintf(stderr, "imported %u messages in %u folders "
				"(%u skipped as already present", stats.imported,
				stats.folders, stats.present);
			if (stats.uid_used > 0)
				fprintf(stderr, ", %u whose UID was used before", stats.uid_used);
			if (stats.too_big > 0)
				fprintf(stderr, ", %u over max_message_size", stats.too_big);
			if (stats.unreadable > 0)
				fprintf(stderr, ", %u unreadable", stats.unreadable);
			fprintf(stderr, ") in %.1f s\n",
				(double)(end.tv_sec - start.tv_sec) +
				(double)(end.tv_nsec - start.tv_nsec) / 1e9);
		}
		log_info("cli", "import %s user=%s imported=%u present=%u result=%d",
			 format, log_value(address), stats.imported, stats.present, ret);
	}
	pool_destroy(&pool);
	store_close(&store);
	conf_free(&conf);
	return ret;
}
