"""Security properties of the daemon as a whole: privilege drop to
[server] user with a store that user owns, and hostile input that must
cost little and leave the server answering."""
import os
import pwd
import stat
import unittest

from infostore_harness import InfostoreServer, make_message, wait_for


def proc_ids(pid):
    """(real, effective, saved) uids and gids of a process, from /proc."""
    uids = gids = None
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                uids = tuple(int(x) for x in line.split()[1:4])
            elif line.startswith("Gid:"):
                gids = tuple(int(x) for x in line.split()[1:4])
    return uids, gids


def owners(top):
    """Every path under top whose owner is not the expected one."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in [""] + dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            found[path] = (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode))
    return found


@unittest.skipUnless(hasattr(os, "geteuid") and os.geteuid() == 0,
                     "not-root: privilege drop needs root (make check and CI run as root)")
class PrivilegeDropTest(unittest.TestCase):
    """[server] user: the daemon binds and loads its key as root, then runs
    as that user; the store it and the admin commands write belongs to
    that user and is readable by nobody else."""

    RUN_USER = "nobody"

    def setUp(self):
        self.pw = pwd.getpwnam(self.RUN_USER)  # every Debian system has it
        # LeakSanitizer stops the world with ptrace, which a process that
        # changed its uid (no longer dumpable) does not allow.
        old = os.environ.get("ASAN_OPTIONS")
        os.environ["ASAN_OPTIONS"] = (old + ":" if old else "") + "detect_leaks=0"
        self.addCleanup(self._restore_env, old)

    def _restore_env(self, old):
        if old is None:
            os.environ.pop("ASAN_OPTIONS", None)
        else:
            os.environ["ASAN_OPTIONS"] = old

    def _server(self, user):
        conf = {"server": {"user": user}} if user else None
        srv = InfostoreServer(listeners=("imaps", "lmtp"), conf=conf)
        self.addCleanup(srv.cleanup)
        # the run user must be able to reach data_dir (mkdtemp made 0700)
        os.chmod(srv.dir, 0o711)
        return srv

    def _deliver_and_read(self, srv, subject):
        lmtp = srv.lmtp()
        try:
            lmtp.sendmail("bob@example.test", ["alice@example.test"],
                          make_message(subject=subject))
        finally:
            lmtp.quit()
        imap = srv.imap(login="alice@example.test")
        try:
            imap.select("INBOX")
            typ, data = imap.search(None, "SUBJECT", '"%s"' % subject)
            self.assertEqual(typ, "OK")
            self.assertEqual(len(data[0].split()), 1, data)
        finally:
            imap.logout()

    def _check_store_owned(self, srv):
        for path, (uid, gid, mode) in owners(srv.data_dir).items():
            self.assertEqual((uid, gid), (self.pw.pw_uid, self.pw.pw_gid),
                             "%s is owned by %d:%d" % (path, uid, gid))
            self.assertEqual(mode & 0o077, 0, "%s has mode %o" % (path, mode))

    def test_daemon_runs_as_user(self):
        srv = self._server(self.RUN_USER)
        srv.start()   # users added by `infostore user add` run as root
        self.assertTrue(wait_for(lambda: "running as user=nobody" in srv.read_log()),
                        srv.read_log())
        uids, gids = proc_ids(srv.proc.pid)
        self.assertEqual(uids, (self.pw.pw_uid,) * 3)
        self.assertEqual(gids, (self.pw.pw_gid,) * 3)
        self._deliver_and_read(srv, "dropped privileges")
        # the CLI run by root works as the user too
        srv.deliver("alice@example.test", make_message(subject="from the cli"))
        self._check_store_owned(srv)
        srv.stop()

    def test_store_made_by_root_is_handed_over(self):
        """A store root made before [server] user was set (files owned by
        root, blobs included) is given to the user at the next start."""
        srv = self._server(None)
        srv.start()
        self._deliver_and_read(srv, "as root")
        srv.stop()
        root_owned = [p for p, (uid, _, _) in owners(srv.data_dir).items() if uid == 0]
        self.assertTrue(any("/blobs/" in p for p in root_owned), root_owned)

        settings = srv.settings()
        settings["server"]["user"] = self.RUN_USER
        srv.write_conf(settings)
        srv.start()
        self._deliver_and_read(srv, "as nobody")
        imap = srv.imap(login="alice@example.test")
        try:
            imap.select("INBOX")
            typ, data = imap.fetch(b"1", "(BODY[HEADER.FIELDS (SUBJECT)])")
            self.assertEqual(typ, "OK")
            self.assertIn(b"as root", data[0][1])
        finally:
            imap.logout()
        self._check_store_owned(srv)
        srv.stop()

    def test_store_created_by_the_daemon(self):
        """A fresh install: the daemon itself creates the store (as root,
        before it binds), and it is still the user's after the drop."""
        srv = self._server(self.RUN_USER)
        srv.create_users = False
        srv.start()
        self.assertTrue(wait_for(lambda: "running as user=nobody" in srv.read_log()),
                        srv.read_log())
        # the admin adds users as the daemon's user (sudo -u ... infostore)
        import subprocess
        from infostore_harness import BIN
        os.chmod(srv.conf_path, 0o644)
        for user, password in srv.users.items():
            proc = subprocess.run([BIN, "-c", srv.conf_path, "user", "add", user],
                                  input=(password + "\n").encode(), user=self.pw.pw_uid,
                                  group=self.pw.pw_gid, extra_groups=[],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr)
        self._deliver_and_read(srv, "fresh store")
        self._check_store_owned(srv)
        srv.stop()

    def test_unknown_user_is_a_config_error(self):
        srv = self._server("no-such-user-infostore")
        srv.create_users = False
        proc = srv.cli("user", "list")
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(b"no such system user", proc.stderr)
        import subprocess
        from infostore_harness import BIN
        proc = subprocess.run([BIN, "-c", srv.conf_path, "serve"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(proc.returncode, 78, proc.stderr)
        self.assertIn(b"no such system user", proc.stderr)


if __name__ == "__main__":
    unittest.main()


class StoreHandlesTest(unittest.TestCase):
    """The daemon opens a store handle per thread (the loop, password
    checks, deliveries) while the others are in use. Nothing it does when
    opening one may drop the locks of another: without them a process that
    closes its SQLite connection (the CLI, an admin's sqlite3 shell) takes
    itself for the last one, checkpoints and deletes the WAL the daemon
    still writes to, and every later delivery it acknowledges is lost."""

    def test_acknowledged_after_another_process_closed(self):
        import sqlite3
        srv = InfostoreServer(listeners=("imaps", "lmtp"))
        self.addCleanup(srv.cleanup)
        srv.start()
        acknowledged = []
        for i in range(3):
            lmtp = srv.lmtp()
            try:
                lmtp.sendmail("bob@example.test", ["alice@example.test"],
                              make_message(subject="handles %d" % i))
            finally:
                lmtp.quit()
            acknowledged.append("handles %d" % i)
            # another process opens the index, reads, and closes
            db = sqlite3.connect(os.path.join(srv.data_dir, "index.db"), timeout=30)
            db.execute("SELECT count(*) FROM messages").fetchone()
            db.close()
        out = srv.cli("mailbox", "list", "alice@example.test", check=True).stdout.decode()
        inbox = [l.split("\t") for l in out.splitlines() if l.startswith("INBOX\t")][0]
        self.assertEqual(int(inbox[1]), len(acknowledged), out)
        srv.stop()
        # and after a restart, too
        srv.start()
        imap = srv.imap(login="alice@example.test")
        try:
            typ, data = imap.select("INBOX")
            self.assertEqual(int(data[0]), len(acknowledged))
        finally:
            imap.logout()
        srv.stop()
