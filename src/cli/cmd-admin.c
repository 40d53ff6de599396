/*
 * Admin commands that work on the store directly: users, delivery,
 * mailboxes, fetch, calendar. They may run while the daemon runs.
 */
#include "cal.h"
#include "alloc.h"
#include "cli.h"
#include "conf.h"
#include "buffer.h"
#include "deliver.h"
#include "log.h"
#include "pool.h"
#include "smtp-address.h"
#include "store.h"
#include "strutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

int cli_cmd_usage(const char *text, int help)
{
	fprintf(help ? stdout : stderr, "usage: infostore [-c FILE] %s\n", text);
	return help ? 0 : EX_USAGE;
}

/* Read all of stdin, at most max bytes (+1 to detect too big). */
static unsigned char *read_stdin(size_t max, size_t *size_r, int *too_big_r)
{
	size_t alloc = 65536, used = 0;
	unsigned char *data = xmalloc(alloc);

	*too_big_r = 0;
	if (data == NULL)
		return NULL;
	for (;;) {
		ssize_t ret;

		if (used == alloc) {
			alloc *= 2;
			data = xrealloc(data, alloc);
		}
		ret = read(STDIN_FILENO, data + used, alloc - used);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			free(data);
			return NULL;
		}
		if (ret == 0)
			break;
		used += (size_t)ret;
		if (used > max) {
			*too_big_r = 1;
			break;
		}
	}
	*size_r = used;
	return data;
}

/*
 * The envelope sender of -f as an SMTP path would carry it (RFC 5321
 * 4.1.2, with RFC 6531's UTF-8): local@domain, with or without the angle
 * brackets, or "" or "<>" for the null sender of bounces. Into buf; NULL
 * if it is not one (a Return-Path: header of junk is worse than none).
 */
static const char *cli_deliver_sender(const char *arg, char out[SMTP_PATH_MAX + 1])
{
	size_t len = strlen(arg), consumed;
	struct buffer path, mailbox;
	bool ok;

	buffer_init(&path, 0);
	buffer_init(&mailbox, 0);
	if (len == 0 || arg[0] != '<')
		buffer_printf(&path, "<%s>", arg);
	else
		buffer_append(&path, arg, len);
	ok = str_utf8_valid(arg, len) &&
		smtp_path_parse(path.data, path.used, SMTP_PATH_ALLOW_NULL | SMTP_PATH_UTF8,
				&mailbox, &consumed) == SMTP_PATH_OK &&
		consumed == path.used && mailbox.used <= SMTP_PATH_MAX;
	if (ok)
		snprintf(out, SMTP_PATH_MAX + 1, "%s", mailbox.used == 0 ? "" :
			 (const char *)mailbox.data);
	buffer_free(&path);
	buffer_free(&mailbox);
	return ok ? out : NULL;
}

int cli_deliver(struct cli *cli)
{
	static const char deliver_usage[] =
		"deliver [-f SENDER] ADDRESS < message\n"
		"  SENDER: the envelope sender for Return-Path, an address or <> (none)\n"
		"  exit 0 delivered, 64 usage (a bad -f address), 65 message refused or\n"
		"  too big, 67 unknown user, 73 the user is over quota, 75 try again";
	char sender_buf[SMTP_PATH_MAX + 1];
	const char *sender = NULL, *rcpt;
	struct deliver_request req;
	struct deliver_request *reqs[1] = { &req };
	enum deliver_status status = DELIVER_TEMPFAIL;
	uint32_t uid = 0;
	struct conf *conf;
	struct store *store;
	unsigned char *data;
	size_t size;
	int too_big, ret;
	int argi = 0;

	if (cli_wants_help(cli))
		return cli_cmd_usage(deliver_usage, 1);
	if (cli->argc >= 2 && strcmp(cli->argv[0], "-f") == 0) {
		sender = cli_deliver_sender(cli->argv[1], sender_buf);
		argi = 2;
		if (sender == NULL) {
			fprintf(stderr, "infostore: -f needs an address (local@domain) or "
				"<> for none, not %s\n", cli->argv[1]);
			return EX_USAGE;
		}
	}
	if (cli->argc - argi != 1)
		return cli_cmd_usage(deliver_usage, 0);
	rcpt = cli->argv[argi];
	conf = cli_load_conf(cli, 0);
	if (conf == NULL)
		return EX_CONFIG;

	data = read_stdin(conf->max_message_size, &size, &too_big);
	if (data == NULL) {
		fprintf(stderr, "infostore: cannot read the message: %s\n", strerror(errno));
		conf_free(&conf);
		return EX_TEMPFAIL;
	}
	if (too_big) {
		fprintf(stderr, "infostore: message larger than max_message_size (%llu bytes)\n",
			(unsigned long long)conf->max_message_size);
		free(data);
		conf_free(&conf);
		return EX_DATAERR;
	}
	if (size == 0) {
		fprintf(stderr, "infostore: empty message\n");
		free(data);
		conf_free(&conf);
		return EX_DATAERR;
	}
	store = cli_open_store(conf);
	if (store == NULL) {
		free(data);
		conf_free(&conf);
		return EX_TEMPFAIL;
	}
	cal_init(conf);
	memset(&req, 0, sizeof(req));
	req.sender = sender;
	req.data = data;
	req.size = size;
	req.rcpt_count = 1;
	req.recipients = &rcpt;
	req.status = &status;
	req.uids = &uid;
	deliver_batch(store, conf, reqs, 1);
	switch (status) {
	case DELIVER_OK:
		ret = 0;
		break;
	case DELIVER_UNKNOWN_USER:
		fprintf(stderr, "infostore: unknown user: %s\n", rcpt);
		ret = EX_NOUSER;
		break;
	case DELIVER_TOO_BIG:
		fprintf(stderr, "infostore: message too big\n");
		ret = EX_DATAERR;
		break;
	case DELIVER_BAD_MESSAGE:
		fprintf(stderr, "infostore: message refused\n");
		ret = EX_DATAERR;
		break;
	case DELIVER_OVER_QUOTA:
		/* EX_CANTCREAT: the mailbox cannot take it (Postfix's pipe
		   makes that a bounce with a 5.2.x status, as LMTP's 552) */
		fprintf(stderr, "infostore: %s is over quota\n", rcpt);
		ret = EX_CANTCREAT;
		break;
	case DELIVER_TEMPFAIL:
	default:
		fprintf(stderr, "infostore: temporary failure, try again later\n");
		ret = EX_TEMPFAIL;
		break;
	}
	cal_deinit();
	store_close(&store);
	free(data);
	conf_free(&conf);
	return ret;
}

int cli_open_user(struct cli *cli, const char *address, struct conf **conf_r,
		  struct store **store_r, struct pool *pool,
		  struct store_user *user_r)
{
	int ret;

	*conf_r = cli_load_conf(cli, 0);
	if (*conf_r == NULL)
		return EX_CONFIG;
	*store_r = cli_open_store(*conf_r);
	if (*store_r == NULL)
		return EX_TEMPFAIL;
	ret = store_user_lookup(*store_r, address, pool, user_r);
	if (ret < 0)
		return EX_TEMPFAIL;
	if (ret == 0) {
		fprintf(stderr, "infostore: unknown user: %s\n", address);
		return EX_NOUSER;
	}
	return 0;
}

int cli_mailbox_list(struct cli *cli)
{
	struct pool *pool;
	struct conf *conf = NULL;
	struct store *store = NULL;
	struct store_user user;
	struct store_mailbox *mailboxes;
	unsigned int count;
	int ret;

	if (cli_wants_help(cli))
		return cli_cmd_usage("mailbox list ADDRESS\n"
				 "  one line per mailbox: name, messages, unseen, "
				 "UIDVALIDITY, UIDNEXT (tab-separated)", 1);
	if (cli->argc != 1)
		return cli_cmd_usage("mailbox list ADDRESS", 0);
	pool = pool_create(4096);
	ret = cli_open_user(cli, cli->argv[0], &conf, &store, pool, &user);
	if (ret == 0) {
		if (store_mailbox_list(store, user.id, pool, &mailboxes, &count) < 0) {
			ret = EX_TEMPFAIL;
		} else {
			for (unsigned int i = 0; i < count; i++) {
				if (mailboxes[i].kind != STORE_MAILBOX_MAIL)
					continue;
				printf("%s\t%u\t%u\t%u\t%u\n", mailboxes[i].name,
				       mailboxes[i].messages, mailboxes[i].unseen,
				       mailboxes[i].uidvalidity, mailboxes[i].uidnext);
			}
		}
	}
	store_close(&store);
	conf_free(&conf);
	pool_destroy(&pool);
	return ret;
}

int cli_fetch(struct cli *cli)
{
	struct pool *pool;
	struct conf *conf = NULL;
	struct store *store = NULL;
	struct store_user user;
	struct store_mailbox mailbox;
	struct store_message msg;
	uint32_t uid;
	int ret;

	if (cli_wants_help(cli))
		return cli_cmd_usage("fetch ADDRESS MAILBOX UID\n"
				 "  the stored message, byte for byte, to stdout "
				 "(exit 66 if there is none)", 1);
	if (cli->argc != 3)
		return cli_cmd_usage("fetch ADDRESS MAILBOX UID", 0);
	if (str_to_u32(cli->argv[2], &uid) < 0 || uid == 0) {
		fprintf(stderr, "infostore: UID must be a number from 1\n");
		return EX_USAGE;
	}
	pool = pool_create(4096);
	ret = cli_open_user(cli, cli->argv[0], &conf, &store, pool, &user);
	if (ret == 0) {
		int r = store_mailbox_lookup(store, user.id, cli->argv[1], pool, &mailbox);

		if (r > 0)
			r = store_message_get(store, mailbox.id, uid, STORE_FIELD_BLOB,
					      pool, &msg);
		if (r < 0) {
			ret = EX_TEMPFAIL;
		} else if (r == 0) {
			fprintf(stderr, "infostore: no such message\n");
			ret = EX_NOINPUT;
		} else {
			const unsigned char *data;
			size_t size;

			if (store_blob_read(store, msg.blob, pool, &data, &size) < 0) {
				fprintf(stderr, "infostore: cannot read the message: %s\n",
					store_last_error_detail(store));
				ret = EX_TEMPFAIL;
			} else if (fwrite(data, 1, size, stdout) != size ||
				   fflush(stdout) != 0) {
				ret = EX_IOERR;
			}
		}
	}
	store_close(&store);
	conf_free(&conf);
	pool_destroy(&pool);
	return ret;
}

int cli_calendar_list(struct cli *cli)
{
	struct conf *conf;
	struct store *store;
	int ret;

	if (cli_wants_help(cli))
		return cli_cmd_usage("calendar list ADDRESS\n"
				 "  the user's calendar items: UID, start, summary, status, "
				 "the user's answer, attendees' answers, source", 1);
	if (cli->argc != 1)
		return cli_cmd_usage("calendar list ADDRESS", 0);
	conf = cli_load_conf(cli, 0);
	if (conf == NULL)
		return EX_CONFIG;
	store = cli_open_store(conf);
	if (store == NULL) {
		conf_free(&conf);
		return EX_TEMPFAIL;
	}
	ret = cal_list_print(store, conf, cli->argv[0], stdout);
	if (ret == EX_NOUSER)
		fprintf(stderr, "infostore: unknown user: %s\n", cli->argv[0]);
	store_close(&store);
	conf_free(&conf);
	return ret;
}
