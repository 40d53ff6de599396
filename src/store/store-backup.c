/*
 * store_backup(): a consistent copy of a running SQLite store (store.h).
 *
 * Why this order. The index refers to blobs, never the other way round,
 * and a blob never changes once it is in blobs/. So a copy is consistent
 * when it holds one snapshot of the index and every blob that snapshot
 * refers to; blobs written later are merely not needed. The snapshot
 * comes first, the blobs after, and for the blobs to still be there, no
 * process may remove a blob file between the snapshot and its link: the
 * blobs folder's lock (store-blob.c) is taken before the snapshot and
 * held until the last blob is in. Removals that come meanwhile leave
 * their files for the clean-up at the next start.
 *
 * The index is copied by SQLite's online backup API in steps, all of them
 * reading the one read transaction held open here: in WAL mode that
 * keeps no writer waiting (it holds up checkpoints only), and the copy
 * never restarts however busy the store is.
 *
 * Blobs are hard-linked: instant, no space, and safe because nothing
 * ever writes to a blob file again. Across filesystems (or where the
 * kernel refuses a link) each is copied and fsynced instead; either way
 * every directory that got an entry is fsynced before we say done.
 */
#include "store-private.h"
#include "fault.h"
#include "log.h"
#include "pool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Pages of the index per backup step (4 MiB with 4 KiB pages): each step
   is one progress report. */
#define STORE_BACKUP_STEP_PAGES 1024

struct store_backup_blob {
	char name[33];
	bool used;   /* refs > 0: the snapshot needs it */
};

struct store_backup {
	struct store *store;
	store_backup_progress_cb *progress;
	void *context;
	struct store_backup_result *result;

	int dir_fd;
	int blobs_fd;
	/* blobs/XX made in the copy, and those that got entries */
	unsigned char made[256 / 8];
	unsigned char dirty[256 / 8];
	/* once a link failed with EXDEV, every other would too */
	bool copy_only;

	struct store_backup_blob *blobs;
	unsigned int blob_count, blob_alloc;
};

static int store_backup_fail_errno(struct store_backup *ctx, const char *what,
				   const char *name)
{
	return store_fail(ctx->store, errno == ENOSPC || errno == EDQUOT ?
			  STORE_ERROR_TEMP : STORE_ERROR_INVALID,
			  "backup: %s %s: %s", what, name, strerror(errno));
}

/* dir new (made 0700) or an empty directory; the parent must exist. */
static int store_backup_open_dir(struct store_backup *ctx, const char *dir)
{
	DIR *d;
	struct dirent *de;
	int fd;
	bool empty = true;

	if (mkdir(dir, 0700) == 0) {
		/* make the new entry durable in its parent */
		char parent[4096];
		const char *slash = strrchr(dir, '/');
		int pfd;

		if (slash == NULL)
			snprintf(parent, sizeof(parent), ".");
		else if (slash == dir)
			snprintf(parent, sizeof(parent), "/");
		else
			snprintf(parent, sizeof(parent), "%.*s", (int)(slash - dir), dir);
		pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd < 0 || fsync(pfd) < 0) {
			if (pfd >= 0)
				close(pfd);
			return store_backup_fail_errno(ctx, "cannot sync", parent);
		}
		close(pfd);
	} else if (errno != EEXIST) {
		return store_backup_fail_errno(ctx, "cannot create", dir);
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOTDIR)
			return store_fail(ctx->store, STORE_ERROR_EXISTS,
					  "backup: %s exists and is not a directory", dir);
		return store_backup_fail_errno(ctx, "cannot open", dir);
	}
	d = fdopendir(dup(fd));
	if (d == NULL) {
		close(fd);
		return store_backup_fail_errno(ctx, "cannot read", dir);
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			empty = false;
			break;
		}
	}
	closedir(d);
	if (!empty) {
		close(fd);
		return store_fail(ctx->store, STORE_ERROR_EXISTS,
				  "backup: %s is not empty (a backup goes into a new "
				  "or empty directory)", dir);
	}
	ctx->dir_fd = fd;
	return 0;
}

static int store_backup_mkdirat(struct store_backup *ctx, int parent_fd,
				const char *name, int *fd_r)
{
	if (mkdirat(parent_fd, name, 0700) < 0 && errno != EEXIST)
		return store_backup_fail_errno(ctx, "cannot create", name);
	*fd_r = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd_r < 0)
		return store_backup_fail_errno(ctx, "cannot open", name);
	return 0;
}

static void store_backup_index_progress(void *context, uint64_t done,
					uint64_t total)
{
	struct store_backup *ctx = context;

	if (ctx->progress != NULL)
		ctx->progress(ctx->context, STORE_BACKUP_INDEX, done, total);
}

/* Within the snapshot: how many messages, and every blob's name. */
static int store_backup_read_snapshot(struct store_backup *ctx)
{
	static const char sql_messages[] = "SELECT count(*) FROM messages";
	static const char sql_blobs[] =
		"SELECT name, refs > 0 FROM blobs ORDER BY name";
	struct store *store = ctx->store;
	struct db_stmt *stmt;
	int rc;

	stmt = store_stmt(store, sql_messages);
	if (stmt == NULL)
		return -1;
	rc = db_step(stmt);
	if (rc != DB_ROW) {
		db_reset(stmt);
		return store_fail_db(store, rc, "count messages");
	}
	ctx->result->messages = (uint64_t)db_column_int64(stmt, 0);
	db_reset(stmt);

	stmt = store_stmt(store, sql_blobs);
	if (stmt == NULL)
		return -1;
	while ((rc = db_step(stmt)) == DB_ROW) {
		const char *name = db_column_text(stmt, 0);
		struct store_backup_blob *blob;

		if (name == NULL || !store_blob_id_valid(name)) {
			log_warning("store", "backup: skipping a bad blob name in the index: %s",
				    name != NULL ? name : "NULL");
			continue;
		}
		ctx->blobs = mem_grow(ctx->blobs, sizeof(*ctx->blobs), ctx->blob_count,
				      &ctx->blob_alloc, 1024);
		blob = &ctx->blobs[ctx->blob_count++];
		memcpy(blob->name, name, sizeof(blob->name));
		blob->used = db_column_int64(stmt, 1) != 0;
	}
	db_reset(stmt);
	if (rc != DB_DONE)
		return store_fail_db(store, rc, "list blobs");
	return 0;
}

/* The index: one snapshot, copied in steps; the blob list from the same
   snapshot. */
static int store_backup_index(struct store_backup *ctx, const char *dir)
{
	struct store *store = ctx->store;
	char path[4096];
	const char *error;
	struct stat st;
	int ret;

	if ((size_t)snprintf(path, sizeof(path), "%s/index.db", dir) >= sizeof(path))
		return store_fail(store, STORE_ERROR_INVALID, "backup: path too long");
	if (store_index_private(path) < 0)
		return store_backup_fail_errno(ctx, "cannot create", path);
	/* a deferred transaction: its first read fixes the snapshot that
	   both the copy and the blob list see */
	if (store_exec_static(store, "BEGIN") < 0)
		return -1;
	ret = store_backup_read_snapshot(ctx);
	if (ret == 0 &&
	    db_backup_sqlite(store->db, path, STORE_BACKUP_STEP_PAGES,
			     store_backup_index_progress, ctx, &error) != DB_OK)
		ret = store_fail(store, STORE_ERROR_INVALID, "backup: %s", error);
	/* a read-only transaction: nothing to commit but the end of the
	   snapshot, which lets checkpoints go on */
	if (store_exec_static(store, "ROLLBACK") < 0)
		ret = -1;
	if (ret == 0 && stat(path, &st) == 0)
		ctx->result->index_bytes = (uint64_t)st.st_size;
	return ret;
}

/* Copy one blob file into the backup (where a link cannot be made). */
static int store_backup_copy_blob(struct store_backup *ctx, const char *rel)
{
	char buf[65536];
	int in, out;
	ssize_t n;

	in = openat(ctx->store->blobs_dir_fd, rel, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	out = openat(ctx->blobs_fd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		int err = errno;

		close(in);
		errno = err;
		return store_backup_fail_errno(ctx, "cannot create blob", rel);
	}
	for (;;) {
		char *p = buf;

		n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		while (n > 0) {
			ssize_t w = write(out, p, (size_t)n);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				goto failed;
			p += w;
			n -= w;
		}
	}
	if (n < 0 || fsync(out) < 0)
		goto failed;
	close(in);
	if (close(out) < 0)
		return store_backup_fail_errno(ctx, "cannot write blob", rel);
	return 0;
failed:
	{
		int err = errno;

		close(in);
		close(out);
		errno = err;
	}
	return store_backup_fail_errno(ctx, "cannot copy blob", rel);
}

/* 0 done (linked, copied or counted missing), -1 failed. */
static int store_backup_blob(struct store_backup *ctx,
			     const struct store_backup_blob *blob)
{
	char rel[80], sub[3];
	unsigned int idx;

	store_blob_relpath(blob->name, rel, sizeof(rel));
	memcpy(sub, blob->name, 2);
	sub[2] = '\0';
	idx = (unsigned int)strtoul(sub, NULL, 16);
	if ((ctx->made[idx / 8] & (1u << (idx % 8))) == 0) {
		int fd = -1;

		if (store_backup_mkdirat(ctx, ctx->blobs_fd, sub, &fd) < 0)
			return -1;
		close(fd);
		ctx->made[idx / 8] |= (unsigned char)(1u << (idx % 8));
	}
	ctx->dirty[idx / 8] |= (unsigned char)(1u << (idx % 8));

	if (!ctx->copy_only &&
	    linkat(ctx->store->blobs_dir_fd, rel, ctx->blobs_fd, rel, 0) == 0) {
		ctx->result->blobs_linked++;
		return 0;
	}
	if (!ctx->copy_only && errno == EXDEV)
		ctx->copy_only = true;
	if (ctx->copy_only || errno == EPERM || errno == EMLINK ||
	    errno == EOPNOTSUPP) {
		if (store_backup_copy_blob(ctx, rel) == 0) {
			ctx->result->blobs_copied++;
			return 0;
		}
		if (store_last_error(ctx->store) != STORE_ERROR_NONE)
			return -1;
	}
	if (errno != ENOENT)
		return store_backup_fail_errno(ctx, "cannot link blob", rel);
	/* gone although nobody removes files while we hold the lock: the
	   store itself had lost it (or the snapshot no longer needed it) */
	if (blob->used) {
		log_error("store", "backup: blob %s is in the index but not in the "
			  "store; its messages are in the backup without their body",
			  blob->name);
		ctx->result->blobs_missing++;
	}
	return 0;
}

static int store_backup_sync_dirs(struct store_backup *ctx)
{
	for (unsigned int idx = 0; idx < 256; idx++) {
		char sub[3];
		int fd;

		if ((ctx->dirty[idx / 8] & (1u << (idx % 8))) == 0)
			continue;
		snprintf(sub, sizeof(sub), "%02x", idx);
		fd = openat(ctx->blobs_fd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || fsync(fd) < 0) {
			if (fd >= 0)
				close(fd);
			return store_backup_fail_errno(ctx, "cannot sync", sub);
		}
		close(fd);
	}
	if (fsync(ctx->blobs_fd) < 0)
		return store_backup_fail_errno(ctx, "cannot sync", "blobs");
	if (fsync(ctx->dir_fd) < 0)
		return store_backup_fail_errno(ctx, "cannot sync", "the backup directory");
	return 0;
}

static int store_backup_blobs(struct store_backup *ctx)
{
	int tmp_fd = -1;

	if (store_backup_mkdirat(ctx, ctx->dir_fd, "blobs", &ctx->blobs_fd) < 0 ||
	    store_backup_mkdirat(ctx, ctx->dir_fd, "tmp", &tmp_fd) < 0)
		return -1;
	close(tmp_fd);
	if (ctx->progress != NULL)
		ctx->progress(ctx->context, STORE_BACKUP_BODIES, 0, ctx->blob_count);
	for (unsigned int i = 0; i < ctx->blob_count; i++) {
		store_clear_error(ctx->store);
		if (store_backup_blob(ctx, &ctx->blobs[i]) < 0)
			return -1;
		if (ctx->progress != NULL &&
		    (i % 256 == 255 || i + 1 == ctx->blob_count))
			ctx->progress(ctx->context, STORE_BACKUP_BODIES, i + 1,
				      ctx->blob_count);
	}
	return store_backup_sync_dirs(ctx);
}

int store_backup(struct store *store, const char *dir,
		 store_backup_progress_cb *progress, void *context,
		 struct store_backup_result *result_r)
{
	struct store_backup ctx;
	int ret;

	memset(result_r, 0, sizeof(*result_r));
	store_clear_error(store);
	if (db_kind(store->db) != DB_SQLITE)
		return store_fail(store, STORE_ERROR_PERM,
				  "a store on PostgreSQL is backed up with PostgreSQL's "
				  "tools and a copy of blob_dir");
	memset(&ctx, 0, sizeof(ctx));
	ctx.store = store;
	ctx.progress = progress;
	ctx.context = context;
	ctx.result = result_r;
	ctx.dir_fd = -1;
	ctx.blobs_fd = -1;

	if (store_backup_open_dir(&ctx, dir) < 0)
		return -1;
	if (store_blob_backup_lock(store) < 0) {
		close(ctx.dir_fd);
		return -1;
	}
	ret = store_backup_index(&ctx, dir);
	if (ret == 0) {
		fault_pause("backup-bodies");
		ret = store_backup_blobs(&ctx);
	}
	store_blob_backup_unlock(store);
	if (ret < 0) {
		char detail[sizeof(store->error_detail)];

		memcpy(detail, store->error_detail, sizeof(detail));
		store_fail(store, store->error, "%s (%s is an incomplete copy: remove it)",
			   detail, dir);
	}
	if (ctx.blobs_fd >= 0)
		close(ctx.blobs_fd);
	close(ctx.dir_fd);
	free(ctx.blobs);
	return ret;
}
