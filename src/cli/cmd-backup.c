/*
 * infostore store backup DIR: a consistent copy of the running store
 * (store_backup() in src/store says how). Progress on stderr, at most
 * once a second, and a summary line at the end.
 */
#include "cli.h"
#include "conf.h"
#include "log.h"
#include "store.h"

#include <stdio.h>
#include <sysexits.h>
#include <time.h>

static const char backup_usage[] =
	"store backup DIR\n"
	"  a consistent copy of the store, taken while the server runs, into DIR\n"
	"  (new, or an empty directory): the index through SQLite's online backup,\n"
	"  the message bodies hard-linked (copied on another filesystem). DIR is\n"
	"  then a complete data_dir: a server with data_dir = DIR serves it.\n"
	"  Exit 73 if DIR is not empty or cannot be made, 75 store busy or disk\n"
	"  full, 65 the store had lost bodies (the backup is complete without\n"
	"  them), 78 on PostgreSQL (use pg_dump and a copy of blob_dir: README).";

struct backup_progress {
	struct timespec start;
	time_t last;
};

static double backup_elapsed(const struct backup_progress *bp)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - bp->start.tv_sec) +
		(double)(now.tv_nsec - bp->start.tv_nsec) / 1e9;
}

static void backup_progress(void *context, enum store_backup_stage stage,
			    uint64_t done, uint64_t total)
{
	struct backup_progress *bp = context;
	time_t now = time(NULL);

	if (now == bp->last && done != total)
		return;
	bp->last = now;
	fprintf(stderr, "backup: %s %llu of %llu%s (%.1f s)\n",
		stage == STORE_BACKUP_INDEX ? "index" : "bodies",
		(unsigned long long)done, (unsigned long long)total,
		stage == STORE_BACKUP_INDEX ? " pages" : "", backup_elapsed(bp));
}

static void backup_postgresql_advice(const struct conf *conf)
{
	fprintf(stderr,
		"infostore: this store is on PostgreSQL; store backup copies SQLite stores.\n"
		"Back it up in this order, the database first:\n"
		"  1. pg_dump -Fc (or a base backup with WAL archiving): a snapshot of\n"
		"     the index as of its start;\n"
		"  2. then a copy of %s/blobs (rsync -a, or cp -al on the same\n"
		"     filesystem). Bodies never change, so every body the snapshot\n"
		"     refers to is in the copy unless it was deleted in between:\n"
		"     hold the folder's lock around both steps (flock %s/blobs ...)\n"
		"     and no infostore on this machine removes a body meanwhile.\n"
		"The other order loses mail: the dump would refer to bodies\n"
		"delivered after the copy. See README, \"Backups\".\n",
		conf->store_blob_dir != NULL ? conf->store_blob_dir : conf->data_dir,
		conf->store_blob_dir != NULL ? conf->store_blob_dir : conf->data_dir);
}

int cli_store_backup(struct cli *cli)
{
	struct store_backup_result result;
	struct backup_progress bp = { .last = 0 };
	struct conf *conf;
	struct store *store;
	const char *dir;
	int ret = 0;

	if (cli_wants_help(cli)) {
		printf("usage: infostore [-c FILE] %s\n", backup_usage);
		return 0;
	}
	if (cli->argc != 1 || cli->argv[0][0] == '\0') {
		fprintf(stderr, "usage: infostore [-c FILE] %s\n", backup_usage);
		return EX_USAGE;
	}
	dir = cli->argv[0];
	conf = cli_load_conf(cli, 0);
	if (conf == NULL)
		return EX_CONFIG;
	if (conf->store_postgresql) {
		backup_postgresql_advice(conf);
		conf_free(&conf);
		return EX_CONFIG;
	}
	store = cli_open_store(conf);
	if (store == NULL) {
		conf_free(&conf);
		return EX_TEMPFAIL;
	}
	clock_gettime(CLOCK_MONOTONIC, &bp.start);
	if (store_backup(store, dir, backup_progress, &bp, &result) < 0) {
		fprintf(stderr, "infostore: %s\n", store_last_error_detail(store));
		switch (store_last_error(store)) {
		case STORE_ERROR_EXISTS:
		case STORE_ERROR_INVALID:
			ret = EX_CANTCREAT;
			break;
		case STORE_ERROR_TEMP:
			ret = EX_TEMPFAIL;
			break;
		default:
			ret = EX_SOFTWARE;
			break;
		}
	} else {
		fprintf(stderr, "backed up %llu messages into %s in %.1f s: index "
			"%.1f MB, %u bodies hard-linked, %u copied",
			(unsigned long long)result.messages, dir, backup_elapsed(&bp),
			(double)result.index_bytes / 1e6, result.blobs_linked,
			result.blobs_copied);
		if (result.blobs_missing > 0) {
			fprintf(stderr, ", %u missing in the store itself (see the log)",
				result.blobs_missing);
			ret = EX_DATAERR;
		}
		fputc('\n', stderr);
	}
	log_info("cli", "store backup dir=%s messages=%llu linked=%u copied=%u "
		 "missing=%u result=%d", log_value(dir),
		 (unsigned long long)result.messages, result.blobs_linked,
		 result.blobs_copied, result.blobs_missing, ret);
	store_close(&store);
	conf_free(&conf);
	return ret;
}
