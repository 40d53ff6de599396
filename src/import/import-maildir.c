/*
 * Dovecot's Maildir++ into the store (see import.h). The metadata
 * formats are parsed in lib-import; here are the files and the store.
 */
#include "import-private.h"
#include "alloc.h"
#include "buffer.h"
#include "conf.h"
#include "maildir-parse.h"
#include "mime.h"
#include "pool.h"

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

/* A control file bigger than this is not Dovecot's (a uidlist line is
   some 60 bytes: this is millions of messages). */
#define CONTROL_FILE_MAX (512 * 1024 * 1024)

struct maildir_folder {
	const char *dir;          /* "" for INBOX, ".Name" otherwise */
	const char *name;         /* our mailbox name */
	struct maildir_uidlist_header uidlist;
	bool has_uidlist;
};

struct maildir_file {
	const char *subdir;       /* "cur" or "new" */
	const char *fname;
	size_t base_len;
	uint32_t uid;             /* 0: not in the uidlist */
	uint32_t flags;
	uint32_t keywords;
};

struct uidlist_entry {
	const char *base;
	uint32_t uid;
};

struct maildir_import {
	struct store *store;
	const struct conf *conf;
	const struct store_user *user;
	FILE *progress;
	struct import_stats *stats;
	struct pool *pool;        /* per folder */
	int root_fd;
	const char *path;
};

static void warn(struct maildir_import *imp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void warn(struct maildir_import *imp, const char *fmt, ...)
{
	va_list args;

	if (imp->progress == NULL)
		return;
	fputs("infostore: import: ", imp->progress);
	va_start(args, fmt);
	vfprintf(imp->progress, fmt, args);
	va_end(args);
	fputc('\n', imp->progress);
}

/*
 * Call line_cb for every line of a control file, without its line break.
 * Lines longer than MAILDIR_LINE_MAX are reported as damaged (NULL).
 * 1 read, 0 no such file, -1 error (errno).
 */
typedef void control_line_cb(void *context, const char *line, size_t len);
static int control_file_read(int dir_fd, const char *name, control_line_cb *cb,
			     void *context)
{
	char *buf, line[MAILDIR_LINE_MAX + 1];
	size_t line_len = 0;
	bool too_long = false;
	struct stat st;
	ssize_t n;
	int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CONTROL_FILE_MAX) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	buf = xmalloc(65536);
	while ((n = read(fd, buf, 65536)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				line[line_len] = '\0';
				cb(context, too_long ? NULL : line, line_len);
				line_len = 0;
				too_long = false;
			} else if (line_len < MAILDIR_LINE_MAX) {
				line[line_len++] = buf[i];
			} else {
				too_long = true;
			}
		}
	}
	if (n == 0 && line_len > 0) {
		line[line_len] = '\0';
		cb(context, too_long ? NULL : line, line_len);
	}
	free(buf);
	close(fd);
	return n < 0 ? -1 : 1;
}

/* --- dovecot-uidlist --- */

struct uidlist_read {
	struct maildir_import *imp;
	struct maildir_uidlist_header header;
	bool header_ok;
	unsigned int lines;
	struct uidlist_entry *entries;
	unsigned int count, alloc;
	unsigned int damaged;
	const char *error;
};

static void uidlist_line(void *context, const char *line, size_t len)
{
	struct uidlist_read *ctx = context;
	const char *base;
	size_t base_len;
	uint32_t uid;

	if (ctx->lines++ == 0) {
		ctx->header_ok = line != NULL &&
			maildir_uidlist_parse_header(line, len, &ctx->header,
						     &ctx->error) == 0;
		if (line == NULL)
			ctx->error = "damaged dovecot-uidlist header";
		return;
	}
	if (!ctx->header_ok)
		return;
	if (line == NULL || maildir_uidlist_parse_entry(ctx->header.version, line,
							len, &uid, &base,
							&base_len) < 0) {
		ctx->damaged++;
		return;
	}
	ctx->entries = p_grow(ctx->imp->pool, ctx->entries, sizeof(*ctx->entries),
			      ctx->count, &ctx->alloc, 256);
	ctx->entries[ctx->count].base = p_strndup(ctx->imp->pool, base, base_len);
	ctx->entries[ctx->count].uid = uid;
	ctx->count++;
}

static int uidlist_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct uidlist_entry *)a)->base,
		      ((const struct uidlist_entry *)b)->base);
}

/* 1 read, 0 none, -1 unusable (reported). */
static int uidlist_read(struct maildir_import *imp, int dir_fd,
			struct uidlist_read *ctx)
{
	int ret;

	memset(ctx, 0, sizeof(*ctx));
	ctx->imp = imp;
	ret = control_file_read(dir_fd, "dovecot-uidlist", uidlist_line, ctx);
	if (ret <= 0) {
		if (ret < 0)
			ctx->error = strerror(errno);
		return ret;
	}
	if (!ctx->header_ok) {
		if (ctx->error == NULL)
			ctx->error = "empty dovecot-uidlist";
		return -1;
	}
	if (ctx->count > 0)
		qsort(ctx->entries, ctx->count, sizeof(*ctx->entries),
		      uidlist_entry_cmp);
	return 1;
}

static uint32_t uidlist_lookup(const struct uidlist_read *ctx, const char *base)
{
	struct uidlist_entry key = { base, 0 };
	const struct uidlist_entry *e = ctx->count == 0 ? NULL :
		bsearch(&key, ctx->entries, ctx->count, sizeof(key), uidlist_entry_cmp);

	return e != NULL ? e->uid : 0;
}

/* --- dovecot-keywords --- */

struct keywords_read {
	struct maildir_import *imp;
	const char *names[MAILDIR_KEYWORDS_MAX];
};

static void keywords_line(void *context, const char *line, size_t len)
{
	struct keywords_read *ctx = context;
	const char *name;
	size_t name_len;
	unsigned int idx;

	if (line != NULL &&
	    maildir_keywords_parse_line(line, len, &idx, &name, &name_len) == 0)
		ctx->names[idx] = p_strndup(ctx->imp->pool, name, name_len);
}

static const char *keywords_string(struct maildir_import *imp,
				   const struct keywords_read *kw, uint32_t mask)
{
	struct buffer buf;

	if (mask == 0)
		return NULL;
	buffer_init_pool(&buf, imp->pool, 0);
	for (unsigned int i = 0; i < MAILDIR_KEYWORDS_MAX; i++) {
		if ((mask & (1u << i)) == 0)
			continue;
		if (buf.used > 0)
			buffer_append_c(&buf, ' ');
		/* a letter whose name dovecot-keywords lost: Dovecot makes up
		   "unknown-N" (maildir_keywords_char_idx()), and so do we */
		if (kw->names[i] != NULL)
			buffer_append_str(&buf, kw->names[i]);
		else
			buffer_printf(&buf, "unknown-%u", i);
	}
	return buf.used > 0 ? buf.data : NULL;
}

/* --- the folders --- */

static bool dir_is_maildir(int parent_fd, const char *dir)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s%scur", dir, *dir != '\0' ? "/" : "");
	return fstatat(parent_fd, path, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

static int folder_cmp(const void *a, const void *b)
{
	return strcmp(((const struct maildir_folder *)a)->name,
		      ((const struct maildir_folder *)b)->name);
}

/* INBOX and every ".Name" folder with a cur/, sorted by name. */
static int folders_list(struct maildir_import *imp, struct pool *pool,
			struct maildir_folder **folders_r, unsigned int *count_r)
{
	struct maildir_folder *folders = NULL;
	unsigned int count = 0, alloc = 0;
	struct dirent *d;
	DIR *dir;
	int fd = dup(imp->root_fd);

	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		warn(imp, "cannot read %s: %s", imp->path, strerror(errno));
		return -1;
	}
	folders = p_grow(pool, folders, sizeof(*folders), count, &alloc, 16);
	memset(&folders[count], 0, sizeof(folders[count]));
	folders[count].dir = "";
	folders[count].name = "INBOX";
	count++;
	while ((d = readdir(dir)) != NULL) {
		struct buffer name;

		if (d->d_name[0] != '.' || strcmp(d->d_name, ".") == 0 ||
		    strcmp(d->d_name, "..") == 0 || !dir_is_maildir(imp->root_fd, d->d_name))
			continue;
		buffer_init_pool(&name, pool, STORE_MAILBOX_NAME_MAX);
		if (maildir_folder_name_decode(d->d_name, strlen(d->d_name), &name) < 0 ||
		    !store_mailbox_name_valid(name.data) ||
		    strcasecmp(name.data, "INBOX") == 0) {
			warn(imp, "skipping folder %s: not a name we can keep", d->d_name);
			imp->stats->unreadable++;
			continue;
		}
		folders = p_grow(pool, folders, sizeof(*folders), count, &alloc, 16);
		memset(&folders[count], 0, sizeof(folders[count]));
		folders[count].dir = p_strdup(pool, d->d_name);
		folders[count].name = name.data;
		count++;
	}
	closedir(dir);
	qsort(folders + 1, count - 1, sizeof(*folders), folder_cmp);
	*folders_r = folders;
	*count_r = count;
	return 0;
}

static int folder_open(struct maildir_import *imp, const struct maildir_folder *f)
{
	if (*f->dir == '\0')
		return dup(imp->root_fd);
	return openat(imp->root_fd, f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
}

/* --- messages --- */

struct file_list {
	struct maildir_file *files;
	unsigned int count, alloc;
};

static int files_add_dir(struct maildir_import *imp, int folder_fd,
			 const char *subdir, struct file_list *list)
{
	struct dirent *d;
	DIR *dir;
	int fd = openat(folder_fd, subdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		return -1;
	}
	while ((d = readdir(dir)) != NULL) {
		struct maildir_file *f;
		size_t len = strlen(d->d_name);

		if (d->d_name[0] == '.')
			continue;
		list->files = p_grow(imp->pool, list->files, sizeof(*list->files),
				     list->count, &list->alloc, 256);
		f = &list->files[list->count++];
		memset(f, 0, sizeof(*f));
		f->subdir = subdir;
		f->fname = p_strndup(imp->pool, d->d_name, len);
		{
			struct maildir_filename_info info;

			maildir_filename_parse(f->fname, len, &info);
			f->base_len = info.base_len;
			/* a file in new/ has no info part as a rule; Dovecot
			   reads one there as in cur/ */
			f->flags = info.flags;
			f->keywords = info.keywords;
		}
	}
	closedir(dir);
	return 0;
}

static int file_sort_cmp(const void *a, const void *b)
{
	const struct maildir_file *fa = a, *fb = b;

	if (fa->uid != fb->uid) {
		/* the listed ones first, by UID; then the new ones */
		if (fa->uid == 0 || fb->uid == 0)
			return fa->uid == 0 ? 1 : -1;
		return fa->uid < fb->uid ? -1 : 1;
	}
	return maildir_filename_sort_cmp(fa->fname, fb->fname);
}

/* Copy one file into a new blob. 1 done, 0 skipped (counted), -1 store
   error. */
static int file_copy(struct maildir_import *imp, int folder_fd,
		     const struct maildir_file *f, struct store_blob_writer **writer_r,
		     time_t *mtime_r)
{
	char path[PATH_MAX], buf[65536];
	struct store_blob_writer *writer;
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", f->subdir, f->fname);
	fd = openat(folder_fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		/* Dovecot running alongside may have renamed it (flags):
		   a rerun finds it */
		warn(imp, "skipping %s: %s", path, fd < 0 ? strerror(errno) :
		     "not a regular file");
		if (fd >= 0)
			close(fd);
		imp->stats->unreadable++;
		return 0;
	}
	if ((uint64_t)st.st_size > imp->conf->max_message_size || st.st_size == 0) {
		warn(imp, "skipping %s: %s", path, st.st_size == 0 ? "empty" :
		     "larger than max_message_size");
		close(fd);
		if (st.st_size == 0)
			imp->stats->unreadable++;
		else
			imp->stats->too_big++;
		return 0;
	}
	writer = store_blob_writer_create(imp->store);
	if (writer == NULL) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (store_blob_writer_write(writer, buf, (size_t)n) < 0) {
			store_blob_writer_abort(&writer);
			close(fd);
			return -1;
		}
	}
	close(fd);
	if (n < 0 || store_blob_writer_size(writer) > imp->conf->max_message_size) {
		warn(imp, "skipping %s: %s", path, n < 0 ? strerror(errno) : "grew");
		store_blob_writer_abort(&writer);
		imp->stats->unreadable++;
		return 0;
	}
	*writer_r = writer;
	*mtime_r = st.st_mtime;
	return 1;
}

static int uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* The UIDs the mailbox has, sorted. */
static int mailbox_uids(struct maildir_import *imp, int64_t mailbox_id,
			uint32_t **uids_r, unsigned int *count_r)
{
	struct store_message_iter *iter =
		store_message_iter_init(imp->store, mailbox_id, 1, UINT32_MAX,
					STORE_FIELD_STATE);
	struct store_message msg;
	uint32_t *uids = NULL;
	unsigned int count = 0, alloc = 0;
	int ret;

	while ((ret = store_message_iter_next(iter, &msg)) > 0) {
		uids = p_grow(imp->pool, uids, sizeof(*uids), count, &alloc, 256);
		uids[count++] = msg.uid;
	}
	store_message_iter_deinit(&iter);
	*uids_r = uids;
	*count_r = count;
	return ret;
}

static int folder_import(struct maildir_import *imp, struct maildir_folder *folder,
			 struct import_batch *batch)
{
	struct uidlist_read uidlist;
	struct keywords_read keywords;
	struct file_list list;
	struct store_mailbox mb;
	uint32_t *have, next_uid, uidnext_min;
	unsigned int have_count;
	int fd, ret = 0;

	pool_clear(imp->pool);
	fd = folder_open(imp, folder);
	if (fd < 0) {
		warn(imp, "cannot open folder %s: %s", folder->name, strerror(errno));
		imp->stats->unreadable++;
		return 0;
	}
	memset(&list, 0, sizeof(list));
	memset(&keywords, 0, sizeof(keywords));
	keywords.imp = imp;
	if (uidlist_read(imp, fd, &uidlist) < 0) {
		/* what Dovecot does too: the folder starts over, with UIDs
		   from 1 (and the mailbox's own UIDVALIDITY) */
		warn(imp, "%s: dovecot-uidlist ignored: %s", folder->name,
		     uidlist.error);
		uidlist.header_ok = false;
		uidlist.count = 0;
	}
	if (control_file_read(fd, "dovecot-keywords", keywords_line, &keywords) < 0 ||
	    files_add_dir(imp, fd, "cur", &list) < 0 ||
	    files_add_dir(imp, fd, "new", &list) < 0) {
		warn(imp, "cannot read folder %s: %s", folder->name, strerror(errno));
		close(fd);
		imp->stats->unreadable++;
		return 0;
	}
	if (uidlist.damaged > 0) {
		warn(imp, "%s: %u damaged dovecot-uidlist lines ignored",
		     folder->name, uidlist.damaged);
	}
	/* UIDs: the listed ones as listed, the rest as Dovecot would give
	   them, from its next UID in its file name order */
	next_uid = uidlist.header_ok ? uidlist.header.next_uid : 1;
	for (unsigned int i = 0; i < list.count; i++) {
		char *base = p_strndup(imp->pool, list.files[i].fname,
				       list.files[i].base_len);

		list.files[i].uid = uidlist_lookup(&uidlist, base);
	}
	if (list.count > 0)
		qsort(list.files, list.count, sizeof(*list.files), file_sort_cmp);
	for (unsigned int i = 0; i < list.count; i++) {
		struct maildir_file *f = &list.files[i];

		if (f->uid == 0 && next_uid < UINT32_MAX)
			f->uid = next_uid++;
		else if (f->uid >= next_uid)
			next_uid = f->uid + 1;
	}
	uidnext_min = next_uid;

	ret = store_import_mailbox(imp->store, imp->user->id, folder->name,
				   uidlist.header_ok ? uidlist.header.uidvalidity : 0,
				   false, imp->pool, &mb);
	if (ret < 0 || mailbox_uids(imp, mb.id, &have, &have_count) < 0) {
		close(fd);
		return -1;
	}
	imp->stats->folders++;
	batch->mailbox_id = mb.id;
	for (unsigned int i = 0; i < list.count; i++) {
		struct maildir_file *f = &list.files[i];
		struct store_blob_writer *writer;
		struct mime_summary sum;
		char blob[33];
		time_t mtime;

		if (f->uid == 0 || (i > 0 && f->uid == list.files[i - 1].uid)) {
			/* the same base name in cur/ and new/, or out of UIDs */
			imp->stats->unreadable++;
			continue;
		}
		if (have_count > 0 &&
		    bsearch(&f->uid, have, have_count, sizeof(*have), uid_cmp) != NULL) {
			imp->stats->present++;
			import_progress(batch);
			continue;
		}
		if (f->uid < mb.uidnext) {
			/* given to a message since expunged: never reuse it */
			imp->stats->uid_used++;
			continue;
		}
		ret = file_copy(imp, fd, f, &writer, &mtime);
		if (ret == 0)
			continue;
		if (ret < 0 || import_blob_finish(batch, &writer, blob, &sum) < 0 ||
		    import_batch_add(batch, blob, &sum, f->uid, import_store_flags(f->flags),
				     keywords_string(imp, &keywords, f->keywords),
				     mtime) < 0) {
			close(fd);
			return -1;
		}
	}
	close(fd);
	return import_batch_flush(batch, uidnext_min);
}

/* --- subscriptions --- */

struct subs_read {
	struct maildir_import *imp;
	unsigned int version;
	bool first;
	bool failed;
};

static void subscription_line(void *context, const char *line, size_t len)
{
	struct subs_read *ctx = context;
	struct buffer name;

	if (ctx->first) {
		/* "V\t2" then an empty line */
		ctx->first = false;
		if (line != NULL && len == 3 && memcmp(line, "V\t2", 3) == 0) {
			ctx->version = 2;
			return;
		}
		ctx->version = 1;
	}
	if (line == NULL || len == 0 || ctx->failed)
		return;
	buffer_init_pool(&name, ctx->imp->pool, STORE_MAILBOX_NAME_MAX);
	if (maildir_subscription_decode(ctx->version, line, len, &name) < 0 ||
	    !store_mailbox_name_valid(name.data)) {
		warn(ctx->imp, "skipping subscription %.*s: not a name we can keep",
		     (int)(len > 100 ? 100 : len), line);
		return;
	}
	if (store_mailbox_subscribe(ctx->imp->store, ctx->imp->user->id,
				    name.data, true) < 0)
		ctx->failed = true;
}

static int subscriptions_import(struct maildir_import *imp)
{
	struct subs_read ctx = { imp, 1, true, false };

	pool_clear(imp->pool);
	if (control_file_read(imp->root_fd, "subscriptions", subscription_line, &ctx) < 0)
		warn(imp, "cannot read subscriptions: %s", strerror(errno));
	return ctx.failed ? -1 : 0;
}

/* Before anything is written: does every folder fit its mailbox? */
static int folders_check(struct maildir_import *imp, struct maildir_folder *folders,
			 unsigned int count)
{
	for (unsigned int i = 0; i < count; i++) {
		struct maildir_folder *f = &folders[i];
		struct store_mailbox mb;
		char line[MAILDIR_LINE_MAX + 1];
		const char *error;
		int fd = folder_open(imp, f), ufd;
		ssize_t n;

		if (fd < 0)
			continue;
		ufd = openat(fd, "dovecot-uidlist", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		close(fd);
		if (ufd < 0)
			continue;
		n = read(ufd, line, sizeof(line) - 1);
		close(ufd);
		if (n <= 0)
			continue;
		line[n] = '\0';
		line[strcspn(line, "\n")] = '\0';
		if (maildir_uidlist_parse_header(line, strlen(line), &f->uidlist, &error) < 0)
			continue;
		f->has_uidlist = true;
		pool_clear(imp->pool);
		if (store_import_mailbox(imp->store, imp->user->id, f->name,
					 f->uidlist.uidvalidity, true, imp->pool,
					 &mb) < 0)
			return -1;
	}
	return 0;
}

int import_maildir(struct store *store, const struct conf *conf,
		   const struct store_user *user, const char *path,
		   FILE *progress, struct import_stats *stats_r)
{
	struct maildir_import imp;
	struct maildir_folder *folders;
	struct import_batch batch;
	struct pool *pool;
	unsigned int count;
	int ret = 0;

	memset(stats_r, 0, sizeof(*stats_r));
	memset(&imp, 0, sizeof(imp));
	imp.store = store;
	imp.conf = conf;
	imp.user = user;
	imp.progress = progress;
	imp.stats = stats_r;
	imp.path = path;
	imp.root_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (imp.root_fd < 0 || !dir_is_maildir(imp.root_fd, "")) {
		fprintf(stderr, "infostore: no Maildir at %s: %s\n", path,
			imp.root_fd < 0 ? strerror(errno) : "no cur/ directory");
		if (imp.root_fd >= 0)
			close(imp.root_fd);
		return EX_NOINPUT;
	}
	pool = pool_create(4096);
	imp.pool = pool_create(65536);
	if (folders_list(&imp, pool, &folders, &count) < 0) {
		ret = EX_NOINPUT;
	} else if (folders_check(&imp, folders, count) < 0) {
		fprintf(stderr, "infostore: %s\n", store_last_error_detail(store));
		ret = store_last_error(store) == STORE_ERROR_EXISTS ? EX_DATAERR :
			EX_TEMPFAIL;
	} else {
		import_batch_init(&batch, store, stats_r, progress);
		for (unsigned int i = 0; i < count && ret == 0; i++) {
			if (folder_import(&imp, &folders[i], &batch) < 0)
				ret = -1;
		}
		if (ret == 0 && subscriptions_import(&imp) < 0)
			ret = -1;
		import_batch_deinit(&batch);
		if (ret < 0) {
			fprintf(stderr, "infostore: import stopped: %s\n",
				store_last_error_detail(store));
			ret = store_last_error(store) == STORE_ERROR_EXISTS ?
				EX_DATAERR : EX_TEMPFAIL;
		}
	}
	pool_destroy(&imp.pool);
	pool_destroy(&pool);
	close(imp.root_fd);
	return ret;
}
