/*
 * infostore: one binary for the daemon and the admin commands.
 */
#include "cli.h"
#include "conf.h"
#include "config.h"
#include "log.h"
#include "mime.h"
#include "secret.h"
#include "store.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: infostore [-c FILE] COMMAND [ARGS]\n"
	"\n"
	"  serve                        run the server in the foreground\n"
	"  config check                 print the effective configuration\n"
	"  config dns                   the DNS records for clients' autoconfiguration\n"
	"  user add ADDRESS             add a user (password asked twice on a\n"
	"                               terminal, else the first line of stdin;\n"
	"                               at least 8 characters)\n"
	"  user passwd ADDRESS          set a user's password (as for add)\n"
	"  user del ADDRESS             delete a user and everything they own\n"
	"  user list                    the users with their usage and quotas\n"
	"  user set ADDRESS SETTING=VALUE...\n"
	"                               calendar_format=icalendar|url|both|default\n"
	"                               quota_storage=SIZE|none  (K, M, G: x1024)\n"
	"                               quota_messages=N|none\n"
	"  calendar list ADDRESS        a user's calendar items\n"
	"  deliver [-f SENDER] ADDRESS  deliver the message on stdin into INBOX\n"
	"  mailbox list ADDRESS         a user's mailboxes with counts\n"
	"  fetch ADDRESS MAILBOX UID    write a stored message to stdout\n"
	"  import [-m MAILBOX] ADDRESS maildir|mbox PATH\n"
	"                               move in from Dovecot's Maildir or an mbox\n"
	"  store copy OTHER.conf        copy the whole store of OTHER.conf into this\n"
	"                               (empty) one, SQLite or PostgreSQL either way\n"
	"  store backup DIR             a consistent copy of the running store\n"
	"\n"
	"Options:\n"
	"  -c FILE     configuration file (default $INFOSTORE_CONF or\n"
	"              " CONF_DEFAULT_PATH ")\n"
	"  -h, --help  this text; COMMAND --help for a command's\n"
	"  --version   the version\n"
	"\n"
	"Exit codes (sysexits.h):\n"
	"  0   done\n"
	"  64  usage: a bad command, option or argument (deliver -f not an address)\n"
	"  65  bad data: message refused or too big, password too short or not\n"
	"      repeated the same, user exists; store backup: the store had lost\n"
	"      bodies (the backup is complete without them)\n"
	"  66  no such message (fetch), nothing to import at PATH\n"
	"  67  unknown user\n"
	"  70  internal error (see the message)\n"
	"  71  serve: a listener cannot be set up (port in use, socket path)\n"
	"  73  cannot create: deliver: the user is over quota; store copy: the\n"
	"      target store is not empty; store backup: DIR is not empty or\n"
	"      cannot be made\n"
	"  74  cannot write the output\n"
	"  75  temporary failure: the store is busy or unreachable, try again\n"
	"  78  configuration error (store backup: the store is on PostgreSQL)\n";

static int usage(FILE *out, int code)
{
	fputs(usage_text, out);
	return code;
}

int cli_wants_help(const struct cli *cli)
{
	for (int i = 0; i < cli->argc; i++) {
		if (strcmp(cli->argv[i], "--help") == 0 || strcmp(cli->argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

struct conf *cli_load_conf(struct cli *cli, int check_files)
{
	return conf_load(cli->config_path, check_files != 0, stderr);
}

struct store *cli_open_store_privileged(const struct conf *conf)
{
	struct store_settings settings = {
		.data_dir = conf->data_dir,
		.backend = conf->store_postgresql ? STORE_BACKEND_POSTGRESQL :
			STORE_BACKEND_SQLITE,
		.postgresql = conf->store_conninfo,
		.blob_dir = conf->store_blob_dir,
	};
	struct store *store;
	const char *error;

	if (store_open_settings(&settings, &store, NULL, &error) < 0) {
		fprintf(stderr, "infostore: %s\n", error);
		return NULL;
	}
	return store;
}

struct store *cli_open_store(const struct conf *conf)
{
	/* an admin command run by root writes as the daemon's user, so that
	   nothing in the store ends up owned by root */
	if (geteuid() == 0 &&
	    (cli_privileges_prepare(conf) < 0 || cli_privileges_drop(conf) < 0))
		return NULL;
	return cli_open_store_privileged(conf);
}

int main(int argc, char **argv)
{
	struct cli cli;
	const char *cmd, *sub = NULL;
	int i = 1, ret;

	memset(&cli, 0, sizeof(cli));
	cli.config_path = getenv("INFOSTORE_CONF");
	if (cli.config_path == NULL || *cli.config_path == '\0')
		cli.config_path = CONF_DEFAULT_PATH;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0) {
			if (++i >= argc)
				return usage(stderr, EX_USAGE);
			cli.config_path = argv[i];
		} else if (strncmp(argv[i], "-c", 2) == 0) {
			cli.config_path = argv[i] + 2;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			return usage(stdout, 0);
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("infostore %s\n", INFOSTORE_VERSION);
			return 0;
		} else {
			fprintf(stderr, "infostore: unknown option %s\n", argv[i]);
			return usage(stderr, EX_USAGE);
		}
	}
	if (i >= argc)
		return usage(stderr, EX_USAGE);
	cmd = argv[i++];
	if (strcmp(cmd, "help") == 0)
		return usage(stdout, 0);
	if (strcmp(cmd, "config") == 0 || strcmp(cmd, "user") == 0 ||
	    strcmp(cmd, "mailbox") == 0 || strcmp(cmd, "calendar") == 0 ||
	    strcmp(cmd, "store") == 0) {
		if (i >= argc) {
			fprintf(stderr, "infostore: %s needs a subcommand\n", cmd);
			return usage(stderr, EX_USAGE);
		}
		sub = argv[i++];
	}
	cli.argc = argc - i;
	cli.argv = argv + i;

	/* A client that goes away must not kill us mid-write. */
	signal(SIGPIPE, SIG_IGN);
	secret_init();
	mime_init();

	if (strcmp(cmd, "serve") == 0)
		ret = cli_serve(&cli);
	else if (strcmp(cmd, "config") == 0 && strcmp(sub, "check") == 0)
		ret = cli_config_check(&cli);
	else if (strcmp(cmd, "config") == 0 && strcmp(sub, "dns") == 0)
		ret = cli_config_dns(&cli);
	else if (strcmp(cmd, "user") == 0)
		ret = cli_user(&cli, sub);
	else if (strcmp(cmd, "deliver") == 0)
		ret = cli_deliver(&cli);
	else if (strcmp(cmd, "mailbox") == 0 && strcmp(sub, "list") == 0)
		ret = cli_mailbox_list(&cli);
	else if (strcmp(cmd, "fetch") == 0)
		ret = cli_fetch(&cli);
	else if (strcmp(cmd, "store") == 0)
		ret = cli_store(&cli, sub);
	else if (strcmp(cmd, "import") == 0)
		ret = cli_import(&cli);
	else if (strcmp(cmd, "calendar") == 0 && strcmp(sub, "list") == 0)
		ret = cli_calendar_list(&cli);
	else {
		fprintf(stderr, "infostore: unknown command: %s%s%s\n", cmd,
			sub != NULL ? " " : "", sub != NULL ? sub : "");
		ret = usage(stderr, EX_USAGE);
	}
	mime_deinit();
	return ret;
}
