#ifndef INFOSTORE_CLI_H
#define INFOSTORE_CLI_H

/* The admin commands of the infostore binary. Each returns an exit code
   (sysexits.h). */

struct cli {
	const char *config_path;
	int argc;          /* arguments after the command words */
	char **argv;
};

int cli_serve(struct cli *cli);
int cli_config_check(struct cli *cli);
int cli_config_dns(struct cli *cli);
int cli_user(struct cli *cli, const char *sub);
int cli_deliver(struct cli *cli);
int cli_mailbox_list(struct cli *cli);
int cli_fetch(struct cli *cli);
int cli_calendar_list(struct cli *cli);
int cli_store(struct cli *cli, const char *sub);
int cli_import(struct cli *cli);
int cli_store_backup(struct cli *cli);

/* Load the config (all errors printed to stderr); NULL means exit 78. */
struct conf *cli_load_conf(struct cli *cli, int check_files);
/* Open the store of conf; NULL means exit 75 (message printed). Run as
   root with [server] user set, the command becomes that user first. */
struct store *cli_open_store(const struct conf *conf);
/* For serve: open the store still as root (ports are bound later), after
   cli_privileges_prepare(). NULL means exit 75 (message printed). */
struct store *cli_open_store_privileged(const struct conf *conf);

/* Load the config, open the store and look the user up: 0, or the exit
   code (message printed). *conf_r and *store_r may be set either way: the
   caller frees them (store_close(), conf_free() take NULL). */
struct pool;
struct store_user;
int cli_open_user(struct cli *cli, const char *address, struct conf **conf_r,
		  struct store **store_r, struct pool *pool,
		  struct store_user *user_r);

/* cli-privileges.c. As root with [server] user set: create data_dir and
   give the store's files to that user. 0, or -1 (message printed). */
int cli_privileges_prepare(const struct conf *conf);
/* Become [server] user for good (no-op when unset). 0, or -1 (message
   printed) if that is impossible or data_dir is then unusable. */
int cli_privileges_drop(const struct conf *conf);
/* Is one of the arguments --help or -h? */
int cli_wants_help(const struct cli *cli);
/* "usage: infostore [-c FILE] text" to stdout (help: exit 0) or stderr
   (EX_USAGE); returns that exit code. */
int cli_cmd_usage(const char *text, int help);

#endif
