/*
 * The user commands: add, passwd, del, list, set. Passwords are asked for
 * twice without echo on a terminal, or read as the first line of stdin
 * from a script; either way they must be SECRET_PASSWORD_MIN characters.
 */
#include "cal.h"
#include "cli.h"
#include "conf.h"
#include "log.h"
#include "pool.h"
#include "secret.h"
#include "store.h"
#include "strutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#define CLI_PASSWORD_SIZE (SECRET_PASSWORD_MAX + 1)

static const char user_usage[] =
	"user add ADDRESS [SETTING=VALUE...] | user passwd|del ADDRESS |\n"
	"       user list | user set ADDRESS SETTING=VALUE...\n"
	"  settings: calendar_format=icalendar|url|both|default\n"
	"            display_name=NAME   (the name in From:; empty: none)\n"
	"            timezone=ZONE|default   (an IANA name, e.g. Europe/Berlin)\n"
	"            quota_storage=SIZE|none   (bytes, or K, M, G: powers of 1024)\n"
	"            quota_messages=N|none\n"
	"  add and passwd ask for the password twice on a terminal, or read the\n"
	"  first line of stdin; it must have at least 8 characters (exit 65).";

static int store_exit_code(struct store *store)
{
	switch (store_last_error(store)) {
	case STORE_ERROR_NOT_FOUND:
		return EX_NOUSER;
	case STORE_ERROR_EXISTS:
	case STORE_ERROR_INVALID:
	case STORE_ERROR_PERM:
		return EX_DATAERR;
	case STORE_ERROR_TEMP:
		return EX_TEMPFAIL;
	default:
		return EX_SOFTWARE;
	}
}

/* --- reading a password --- */

/* The terminal's settings while echo is off, to put back if a signal
   ends the prompt (a terminal left without echo is a broken shell). */
static struct termios cli_tty_saved;
static volatile sig_atomic_t cli_tty_echo_off;

static void cli_tty_restore_signal(int signo)
{
	if (cli_tty_echo_off)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &cli_tty_saved);
	/* SA_RESETHAND put the default action back: die of it */
	raise(signo);
}

/* One line from stdin into buf without its line break. 1 read, 0 end of
   input, -1 too long. */
static int cli_read_line(char *buf, size_t size)
{
	size_t len;

	if (fgets(buf, (int)size, stdin) == NULL)
		return 0;
	len = strlen(buf);
	if (len == size - 1 && buf[len - 1] != '\n') {
		int c;

		/* drop the rest so that it does not reach the shell */
		while ((c = getchar()) != EOF && c != '\n')
			;
		return -1;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	return 1;
}

/* Prompt on stderr and read a line with echo off. */
static int cli_read_hidden(const char *prompt, char *buf, size_t size)
{
	struct sigaction sa, old_int, old_term, old_hup;
	struct termios noecho;
	int ret;

	if (tcgetattr(STDIN_FILENO, &cli_tty_saved) < 0) {
		fputs(prompt, stderr);
		fflush(stderr);
		return cli_read_line(buf, size);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cli_tty_restore_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	noecho = cli_tty_saved;
	noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	cli_tty_echo_off = 1;
	/* echo off before the prompt: what is typed once it shows is
	   never echoed (TCSAFLUSH drops what was typed before it) */
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho);
	fputs(prompt, stderr);
	fflush(stderr);
	ret = cli_read_line(buf, size);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &cli_tty_saved);
	cli_tty_echo_off = 0;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	/* the Enter the user typed was not echoed */
	fputc('\n', stderr);
	return ret;
}

/*
 * The new password into buf: on a terminal asked twice without echo,
 * otherwise the first line of stdin. 0, or the exit code (the reason
 * printed): EX_USAGE when none was given at all, EX_DATAERR when it is
 * too short, too long, or the two do not match.
 */
static int cli_read_new_password(char *buf, size_t size)
{
	char again[CLI_PASSWORD_SIZE];
	int ret;

	if (isatty(STDIN_FILENO)) {
		ret = cli_read_hidden("New password: ", buf, size);
		if (ret > 0 && str_utf8_length(buf) >= SECRET_PASSWORD_MIN) {
			ret = cli_read_hidden("Repeat the password: ", again,
					      sizeof(again));
			if (ret > 0 && strcmp(buf, again) != 0) {
				secret_wipe(again, sizeof(again));
				fprintf(stderr, "infostore: the passwords do not match\n");
				return EX_DATAERR;
			}
			secret_wipe(again, sizeof(again));
		}
	} else {
		ret = cli_read_line(buf, size);
	}
	if (ret == 0) {
		fprintf(stderr, "infostore: expected the password on stdin\n");
		return EX_USAGE;
	}
	if (ret < 0) {
		fprintf(stderr, "infostore: password too long (at most %zu bytes)\n",
			size - 2);
		return EX_DATAERR;
	}
	if (str_utf8_length(buf) < SECRET_PASSWORD_MIN) {
		fprintf(stderr,
			"infostore: the password is too short: at least %d "
			"characters\n",
			SECRET_PASSWORD_MIN);
		return EX_DATAERR;
	}
	return 0;
}

/* --- user list --- */

/* "12.3M/1G" or "12.3M/none" */
static const char *cli_quota_text(struct pool *pool, uint64_t used,
				  uint64_t limit, bool bytes)
{
	char ubuf[STR_SIZE_MAX], lbuf[STR_SIZE_MAX];

	if (bytes)
		str_size_human(used, false, ubuf);
	else
		snprintf(ubuf, sizeof(ubuf), "%llu", (unsigned long long)used);
	if (limit == STORE_QUOTA_UNLIMITED)
		snprintf(lbuf, sizeof(lbuf), "none");
	else if (bytes)
		str_size_human(limit, false, lbuf);
	else
		snprintf(lbuf, sizeof(lbuf), "%llu", (unsigned long long)limit);
	return p_printf(pool, "%s/%s", ubuf, lbuf);
}

struct cli_user_list {
	struct store *store;
	struct pool *pool;
	int ret;
};

static void user_list_cb(void *context, const struct store_user *user)
{
	struct cli_user_list *ctx = context;
	struct store_quota quota;

	if (store_quota_get(ctx->store, user->id, &quota) <= 0) {
		ctx->ret = EX_TEMPFAIL;
		return;
	}
	printf("%s%s%s\tstorage=%s\tmessages=%s%s%s%s%s%s\n", user->address,
	       user->calendar_format != NULL ? "\tcalendar_format=" : "",
	       user->calendar_format != NULL ? user->calendar_format : "",
	       cli_quota_text(ctx->pool, quota.storage_used,
			      quota.storage_limit, true),
	       cli_quota_text(ctx->pool, quota.messages_used,
			      quota.messages_limit, false),
	       store_quota_exceeded(&quota, 0, 0) ? "\tover-quota" : "",
	       user->display_name != NULL ? "\tdisplay_name=" : "",
	       user->display_name != NULL ? user->display_name : "",
	       user->timezone != NULL ? "\ttimezone=" : "",
	       user->timezone != NULL ? user->timezone : "");
}

/* --- user set --- */

struct cli_user_setting {
	const char *calendar_format;  /* "" for default */
	const char *display_name;     /* "" for none */
	const char *timezone;         /* "" for default */
	bool set_storage, set_messages;
	uint64_t storage, messages;   /* STORE_QUOTA_UNLIMITED: none */
};

/* Parse one SETTING=VALUE into set. 0, or EX_USAGE (reason printed). */
static int cli_user_setting_parse(const char *arg, struct cli_user_setting *set)
{
	const char *value = strchr(arg, '=');
	enum conf_calendar_format format;
	size_t klen;

	if (value == NULL) {
		fprintf(stderr, "infostore: expected SETTING=VALUE, not %s\n", arg);
		return EX_USAGE;
	}
	klen = (size_t)(value - arg);
	value++;
	if (klen == 15 && strncmp(arg, "calendar_format", klen) == 0) {
		if (strcmp(value, "default") == 0) {
			set->calendar_format = "";
		} else if (conf_calendar_format_parse(value, &format) < 0) {
			fprintf(stderr, "infostore: calendar_format must be icalendar, "
				"url, both or default\n");
			return EX_USAGE;
		} else {
			set->calendar_format = value;
		}
	} else if (klen == 12 && strncmp(arg, "display_name", klen) == 0) {
		if (*value != '\0' && !str_display_name_valid(value)) {
			fprintf(stderr, "infostore: display_name must be UTF-8 text of "
				"at most %d bytes without control characters\n",
				STR_DISPLAY_NAME_MAX);
			return EX_USAGE;
		}
		set->display_name = value;
	} else if (klen == 8 && strncmp(arg, "timezone", klen) == 0) {
		if (strcmp(value, "default") == 0) {
			set->timezone = "";
		} else if (!cal_tz_known(value)) {
			fprintf(stderr,
				"infostore: timezone must be an IANA time zone "
				"such as Europe/Berlin, or default\n");
			return EX_USAGE;
		} else {
			set->timezone = value;
		}
	} else if (klen == 13 && strncmp(arg, "quota_storage", klen) == 0) {
		set->set_storage = true;
		if (strcmp(value, "none") == 0) {
			set->storage = STORE_QUOTA_UNLIMITED;
		} else if (conf_size_parse(value, &set->storage) < 0 || set->storage == 0) {
			fprintf(stderr, "infostore: quota_storage must be a size such as "
				"500M or 2G (K, M, G are powers of 1024), or none\n");
			return EX_USAGE;
		}
	} else if (klen == 14 && strncmp(arg, "quota_messages", klen) == 0) {
		set->set_messages = true;
		if (strcmp(value, "none") == 0) {
			set->messages = STORE_QUOTA_UNLIMITED;
		} else if (str_to_u64(value, INT64_MAX, &set->messages) < 0 ||
			   set->messages == 0) {
			fprintf(stderr, "infostore: quota_messages must be a number from 1, "
				"or none\n");
			return EX_USAGE;
		}
	} else {
		fprintf(stderr,
			"infostore: unknown setting %.*s (calendar_format, "
			"display_name, timezone, quota_storage, quota_messages)\n",
			(int) klen, arg);
		return EX_USAGE;
	}
	return 0;
}

/* Every setting in one transaction: all or none. 0 or -1 (store error). */
static int cli_user_set_apply(struct store *store, const char *address,
			      const struct cli_user_setting *set)
{
	if (store_begin(store) < 0)
		return -1;
	if ((set->calendar_format != NULL &&
	     store_user_set(store, address, STORE_USER_CALENDAR_FORMAT,
			    set->calendar_format) < 0) ||
	    (set->display_name != NULL &&
	     store_user_set(store, address, STORE_USER_DISPLAY_NAME,
			    set->display_name) < 0) ||
	    (set->timezone != NULL &&
	     store_user_set(store, address, STORE_USER_TIMEZONE,
			    set->timezone) < 0) ||
	    (set->set_storage &&
	     store_user_set_quota(store, address, STORE_QUOTA_STORAGE,
				  set->storage) < 0) ||
	    (set->set_messages &&
	     store_user_set_quota(store, address, STORE_QUOTA_MESSAGES,
				  set->messages) < 0)) {
		/* the reason stays for the caller */
		store_rollback(store);
		return -1;
	}
	return store_commit(store);
}

int cli_user(struct cli *cli, const char *sub)
{
	struct cli_user_setting set;
	int help = cli_wants_help(cli);
	struct conf *conf;
	struct store *store;
	char password[CLI_PASSWORD_SIZE];
	int ret = 0;

	memset(&set, 0, sizeof(set));
	if (help)
		return cli_cmd_usage(user_usage, 1);
	if (strcmp(sub, "list") == 0) {
		if (cli->argc != 0)
			return cli_cmd_usage("user list", 0);
	} else if (strcmp(sub, "passwd") == 0 || strcmp(sub, "del") == 0) {
		if (cli->argc != 1)
			return cli_cmd_usage(user_usage, 0);
	} else if (strcmp(sub, "set") == 0 || strcmp(sub, "add") == 0) {
		if (cli->argc < (strcmp(sub, "set") == 0 ? 2 : 1))
			return cli_cmd_usage(user_usage, 0);
		for (int i = 1; i < cli->argc; i++) {
			if ((ret = cli_user_setting_parse(cli->argv[i], &set)) != 0)
				return ret;
		}
	} else {
		fprintf(stderr, "infostore: unknown user command: %s\n", sub);
		return cli_cmd_usage(user_usage, 0);
	}
	if (cli->argc >= 1 && strcmp(sub, "list") != 0 &&
	    !str_is_address(cli->argv[0])) {
		fprintf(stderr, "infostore: not an address: %s\n", cli->argv[0]);
		return EX_USAGE;
	}
	conf = cli_load_conf(cli, 0);
	if (conf == NULL)
		return EX_CONFIG;
	/* the password before the store: nothing is opened for a typo */
	if (strcmp(sub, "add") == 0 || strcmp(sub, "passwd") == 0) {
		ret = cli_read_new_password(password, sizeof(password));
		if (ret != 0) {
			secret_wipe(password, sizeof(password));
			conf_free(&conf);
			return ret;
		}
	}
	store = cli_open_store(conf);
	if (store == NULL) {
		secret_wipe(password, sizeof(password));
		conf_free(&conf);
		return EX_TEMPFAIL;
	}

	if (strcmp(sub, "add") == 0 || strcmp(sub, "passwd") == 0) {
		int r = strcmp(sub, "add") == 0 ?
			store_user_add(store, cli->argv[0], password) :
			store_user_set_password(store, cli->argv[0], password);

		/* the settings given to add, in their own transaction: the
		   user is there either way, as user set would leave it */
		if (r == 0 && strcmp(sub, "add") == 0 && cli->argc > 1)
			r = cli_user_set_apply(store, cli->argv[0], &set);
		if (r < 0) {
			fprintf(stderr, "infostore: %s\n",
				store_last_error(store) == STORE_ERROR_EXISTS ?
				"user exists" : store_last_error(store) ==
				STORE_ERROR_NOT_FOUND ? "unknown user" :
				store_last_error_detail(store));
			ret = store_exit_code(store);
		} else {
			log_info("cli", "user %s user=%s",
				 strcmp(sub, "add") == 0 ? "added" : "password changed",
				 log_value(cli->argv[0]));
		}
	} else if (strcmp(sub, "del") == 0) {
		if (store_user_delete(store, cli->argv[0]) < 0) {
			fprintf(stderr, "infostore: %s\n",
				store_last_error(store) == STORE_ERROR_NOT_FOUND ?
				"unknown user" : store_last_error_detail(store));
			ret = store_exit_code(store);
		}
	} else if (strcmp(sub, "list") == 0) {
		struct cli_user_list ctx = { store, pool_create(4096), 0 };

		if (store_user_list(store, ctx.pool, user_list_cb, &ctx) < 0)
			ctx.ret = EX_TEMPFAIL;
		ret = ctx.ret;
		pool_destroy(&ctx.pool);
	} else if (cli_user_set_apply(store, cli->argv[0], &set) < 0) {
		fprintf(stderr, "infostore: %s\n",
			store_last_error(store) == STORE_ERROR_NOT_FOUND ?
			"unknown user" : store_last_error_detail(store));
		ret = store_exit_code(store);
	}
	secret_wipe(password, sizeof(password));
	store_close(&store);
	conf_free(&conf);
	return ret;
}
