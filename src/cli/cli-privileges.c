/*
 * [server] user: who owns the store and who runs the daemon.
 *
 * `infostore serve` started as root binds its ports and loads its TLS key
 * as root, then becomes the configured user (setgroups, setgid, setuid,
 * in that order: after setuid the other two are no longer allowed). Every
 * file of the store must then belong to that user, so:
 *
 *  - before the daemon or an admin command opens the store as root,
 *    cli_privileges_prepare() creates data_dir (0700) and gives the user
 *    the store's directories and index files: a store that root made
 *    (the first `infostore user add` before the first start) stays usable;
 *  - an admin command run as root becomes that user before it opens the
 *    store (as doveadm does), so that nothing it writes, a delivered
 *    message or the index's WAL, belongs to root.
 */
#include "cli.h"
#include "conf.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cli_chown_at(int dir_fd, const char *name, const struct passwd *pw,
			bool *changed_r)
{
	struct stat st;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (S_ISLNK(st.st_mode) || (st.st_uid == pw->pw_uid && st.st_gid == pw->pw_gid))
		return 0;
	if (changed_r != NULL)
		*changed_r = true;
	return fchownat(dir_fd, name, pw->pw_uid, pw->pw_gid, AT_SYMLINK_NOFOLLOW);
}

/* Everything below dir_fd (blobs/ and tmp/ are two levels at most). */
static int cli_chown_tree(int dir_fd, const struct passwd *pw, unsigned int depth)
{
	DIR *dir;
	struct dirent *d;
	int fd, ret = 0;

	fd = dup(dir_fd);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (cli_chown_at(dir_fd, d->d_name, pw, NULL) < 0) {
			ret = -1;
			continue;
		}
		if (depth > 0 && d->d_type == DT_DIR) {
			int sub = openat(dir_fd, d->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub < 0 || cli_chown_tree(sub, pw, depth - 1) < 0)
				ret = -1;
			if (sub >= 0)
				close(sub);
		}
	}
	closedir(dir);
	return ret;
}

static const struct passwd *cli_run_user(const struct conf *conf)
{
	const struct passwd *pw = getpwnam(conf->run_user);

	if (pw == NULL)
		fprintf(stderr, "%s: user: no such system user: %s\n", conf->path,
			conf->run_user);
	return pw;
}

int cli_privileges_prepare(const struct conf *conf)
{
	static const char *const top[] = {
		"index.db", "index.db-wal", "index.db-shm", "index.db-journal",
	};
	static const char *const trees[] = { "blobs", "tmp" };
	const struct passwd *pw;
	int dir_fd;

	if (conf->run_user == NULL || geteuid() != 0)
		return 0;
	pw = cli_run_user(conf);
	if (pw == NULL)
		return -1;
	if (mkdir(conf->data_dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "infostore: cannot create %s: %s\n", conf->data_dir,
			strerror(errno));
		return -1;
	}
	dir_fd = open(conf->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0 || fchown(dir_fd, pw->pw_uid, pw->pw_gid) < 0) {
		fprintf(stderr, "infostore: cannot give %s to %s: %s\n", conf->data_dir,
			conf->run_user, strerror(errno));
		if (dir_fd >= 0)
			close(dir_fd);
		return -1;
	}
	for (size_t i = 0; i < sizeof(top) / sizeof(*top); i++) {
		if (cli_chown_at(dir_fd, top[i], pw, NULL) < 0)
			goto failed;
	}
	for (size_t i = 0; i < sizeof(trees) / sizeof(*trees); i++) {
		bool changed = false;
		int sub;

		if (cli_chown_at(dir_fd, trees[i], pw, &changed) < 0)
			goto failed;
		/* The whole tree only when its top was not the user's: a store
		   made by root before [server] user was set. Since then every
		   writer runs as the user, so the next start looks at two
		   directories, not at every message. */
		if (!changed)
			continue;
		sub = openat(dir_fd, trees[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0 || cli_chown_tree(sub, pw, 1) < 0) {
			if (sub >= 0)
				close(sub);
			goto failed;
		}
		close(sub);
	}
	close(dir_fd);
	return 0;
failed:
	fprintf(stderr, "infostore: cannot give the store in %s to %s: %s\n",
		conf->data_dir, conf->run_user, strerror(errno));
	close(dir_fd);
	return -1;
}

int cli_privileges_drop(const struct conf *conf)
{
	const struct passwd *pw;

	if (conf->run_user == NULL)
		return 0;
	pw = cli_run_user(conf);
	if (pw == NULL)
		return -1;
	if (getuid() != 0 && geteuid() != 0) {
		if (getuid() == pw->pw_uid)
			return 0;
		fprintf(stderr, "infostore: user = %s needs starting as root\n",
			conf->run_user);
		return -1;
	}
	/* supplementary groups first, the uid last: each step needs root */
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		fprintf(stderr, "infostore: cannot drop privileges to %s: %s\n",
			conf->run_user, strerror(errno));
		return -1;
	}
	/* setuid() from root must have dropped the saved uid as well */
	if (setuid(0) == 0) {
		fprintf(stderr, "infostore: still able to regain root after dropping to %s\n",
			conf->run_user);
		return -1;
	}
	if (access(conf->data_dir, R_OK | W_OK | X_OK) < 0) {
		fprintf(stderr, "infostore: data_dir %s is not usable by %s: %s\n",
			conf->data_dir, conf->run_user, strerror(errno));
		return -1;
	}
	return 0;
}
