"""Backups: `infostore store backup DIR` on a running server (DESIGN.md,
"Admin CLI"; store_backup() in src/store/store-backup.c).

A thread delivers over LMTP without pause, recording each acknowledged
Message-ID. The backup runs in the middle of that stream and is stopped
(INFOSTORE_PAUSE=backup-bodies, a SIGSTOP of its own) right after its
index snapshot and before it links the bodies: meanwhile more messages
are acknowledged and messages of the snapshot are expunged, whose bodies
the daemon would remove at once but for the backup's lock. Then a fresh
server started with data_dir = DIR must serve every message acknowledged
before the backup started, byte for byte through IMAP, the expunged ones
included; messages whose delivery began after the snapshot must not be
there (it is one snapshot). The copy's index passes PRAGMA
integrity_check. Also: a non-empty DIR is refused (exit 73) and left
alone, a backup onto another filesystem copies the bodies, `store copy`
restores a backup into another store, and a store on PostgreSQL is told
what to use instead (exit 78).

Always on SQLite, whatever INFOSTORE_TEST_BACKEND says: this command
copies SQLite stores.
"""
import imaplib
import os
import re
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest

from infostore_harness import (BIN, InfostoreServer, client_tls_context,
                               make_message, wait_for)

ALICE = "alice@example.test"


class Deliverer(threading.Thread):
    """Delivers to ALICE over one LMTP connection until stopped. acked:
    (message-id, bytes, start, end) of every message the server answered
    250 to, with the monotonic times the transaction began and ended."""

    def __init__(self, srv):
        super().__init__(daemon=True)
        self.srv = srv
        self.acked = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.error = None

    def count(self):
        with self.lock:
            return len(self.acked)

    def run(self):
        try:
            c = self.srv.lmtp(timeout=60)
            n = 0
            while not self.stop.is_set():
                n += 1
                msgid = "<backup-%d-%d@example.test>" % (os.getpid(), n)
                body = ("message %d\r\n" % n) + ("line of body %d\r\n" % n) * (n % 40)
                msg = make_message(subject="backup %d" % n, body=body, msgid=msgid)
                start = time.monotonic()
                refused = c.sendmail("carol@example.net", [ALICE], msg)
                end = time.monotonic()
                if refused:
                    raise AssertionError("LMTP refused %s: %r" % (msgid, refused))
                with self.lock:
                    self.acked.append((msgid, msg, start, end))
            c.quit()
        except Exception as e:  # reported by the test
            self.error = e


def imap_messages(srv, password):
    """{message-id: stored bytes} of ALICE's INBOX on srv, through IMAP."""
    c = imaplib.IMAP4_SSL("127.0.0.1", srv.ports["imaps"],
                          ssl_context=client_tls_context(), timeout=60)
    try:
        c.login(ALICE, password)
        typ, _ = c.select("INBOX", readonly=True)
        assert typ == "OK"
        typ, data = c.uid("FETCH", "1:*", "(BODY.PEEK[])")
        assert typ == "OK", data
        out = {}
        for item in data:
            if not isinstance(item, tuple):
                continue
            m = re.search(rb"^Message-ID: (<[^>]+>)", item[1], re.M | re.I)
            assert m, item[1][:300]
            out[m.group(1).decode()] = item[1]
        return out
    finally:
        c.logout()


def expunge(srv, password, msgids):
    c = imaplib.IMAP4_SSL("127.0.0.1", srv.ports["imaps"],
                          ssl_context=client_tls_context(), timeout=60)
    try:
        c.login(ALICE, password)
        c.select("INBOX")
        for msgid in msgids:
            typ, data = c.uid("SEARCH", "HEADER", "Message-ID", msgid)
            assert typ == "OK" and data[0], (msgid, data)
            typ, _ = c.uid("STORE", data[0].decode(), "+FLAGS.SILENT", "(\\Deleted)")
            assert typ == "OK"
        typ, _ = c.expunge()
        assert typ == "OK"
    finally:
        c.logout()


def trace_headers_only(prefix):
    """LMTP may put Return-Path and Received in front, nothing else
    (DESIGN.md, "Stored bytes")."""
    fields = re.split(rb"\r\n(?![ \t])", prefix.rstrip(b"\r\n")) if prefix else []
    return all(re.match(rb"(Return-Path|Received):", f, re.I) for f in fields)


class BackupTest(unittest.TestCase):
    def setUp(self):
        self.srv = InfostoreServer(listeners=("imaps", "lmtp"), backend="sqlite")
        self.srv.start()
        self.password = self.srv.users[ALICE]
        self.servers = [self.srv]

    def tearDown(self):
        for srv in self.servers:
            try:
                srv.stop()
            finally:
                srv.cleanup()

    def restored(self, backup_dir):
        """A fresh server whose data_dir is the backup."""
        srv = InfostoreServer(listeners=("imaps",), backend="sqlite",
                              create_users=False,
                              conf={"server": {"data_dir": backup_dir}})
        self.servers.append(srv)
        return srv.start()

    def test_backup_during_deliveries(self):
        deliverer = Deliverer(self.srv)
        deliverer.start()
        try:
            self.assertTrue(wait_for(lambda: deliverer.count() >= 60 or deliverer.error,
                                     timeout=120))
            self.assertIsNone(deliverer.error)
            with deliverer.lock:
                before = list(deliverer.acked)
            backup_dir = os.path.join(self.srv.dir, "backup")
            env = dict(os.environ, INFOSTORE_PAUSE="backup-bodies")
            proc = subprocess.Popen([BIN, "-c", self.srv.conf_path, "store", "backup",
                                     backup_dir], env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            try:
                # stopped by itself between the index snapshot and the bodies
                _, status = os.waitpid(proc.pid, os.WUNTRACED)
                self.assertTrue(os.WIFSTOPPED(status), status)
                paused = time.monotonic()
                # the stream goes on while the backup holds its snapshot
                seen = deliverer.count()
                self.assertTrue(wait_for(lambda: deliverer.count() >= seen + 20 or
                                         deliverer.error, timeout=120))
                self.assertIsNone(deliverer.error)
                # messages of the snapshot deleted now: their bodies must
                # stay for the backup (the daemon would remove them at once)
                expunged = {m for m, _, _, _ in before[:10]}
                live_before = imap_messages(self.srv, self.password)
                expunge(self.srv, self.password, sorted(expunged))
                self.assertIn("a backup runs", self.srv.read_log())
            finally:
                os.kill(proc.pid, signal.SIGCONT)
                out, err = proc.communicate(timeout=120)
            err = err.decode(errors="replace")
            self.assertEqual(proc.returncode, 0, err)
            self.assertRegex(err, r"backed up \d+ messages into .* bodies hard-linked")
            self.assertIn("backup: index", err)
        finally:
            deliverer.stop.set()
            deliverer.join(60)
        self.assertIsNone(deliverer.error)
        with deliverer.lock:
            after_pause = [m for m, _, start, _ in deliverer.acked if start > paused]
        self.assertGreater(len(after_pause), 0)

        db = sqlite3.connect(os.path.join(backup_dir, "index.db"))
        try:
            self.assertEqual(db.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
        finally:
            db.close()

        # the live store's bytes of every message acknowledged before
        live_after = imap_messages(self.srv, self.password)
        self.assertFalse(expunged & live_after.keys())
        live = dict(live_before, **live_after)
        restored = self.restored(backup_dir)
        got = imap_messages(restored, self.password)
        for msgid, sent, _, _ in before:
            self.assertIn(msgid, got, "acknowledged before the backup, missing")
            self.assertEqual(got[msgid], live[msgid], msgid)
            self.assertTrue(got[msgid].endswith(sent), msgid)
            self.assertTrue(trace_headers_only(got[msgid][:-len(sent)]), msgid)
        for msgid in after_pause:
            self.assertNotIn(msgid, got, "delivered after the snapshot, yet in it")

    def test_refuses_non_empty_dir(self):
        backup_dir = os.path.join(self.srv.dir, "not-empty")
        os.mkdir(backup_dir)
        with open(os.path.join(backup_dir, "keep"), "w") as f:
            f.write("mine\n")
        proc = self.srv.cli("store", "backup", backup_dir)
        self.assertEqual(proc.returncode, 73, proc.stderr)
        self.assertIn(b"not empty", proc.stderr)
        self.assertEqual(os.listdir(backup_dir), ["keep"])
        # a file where the directory should be: refused too
        proc = self.srv.cli("store", "backup", os.path.join(backup_dir, "keep"))
        self.assertEqual(proc.returncode, 73, proc.stderr)
        # an empty directory is fine
        empty = os.path.join(self.srv.dir, "empty")
        os.mkdir(empty)
        proc = self.srv.cli("store", "backup", empty)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        proc = self.srv.cli("store", "backup")
        self.assertEqual(proc.returncode, 64, proc.stderr)

    def test_backup_onto_another_filesystem(self):
        """Where a hard link is impossible the bodies are copied; the
        result is as complete. /dev/shm is a tmpfs on Debian; when the
        test directory is on the same one, the bodies are linked and the
        backup is checked all the same."""
        for i in range(5):
            self.srv.deliver(ALICE, make_message(subject="fs %d" % i,
                                                 msgid="<fs-%d@example.test>" % i))
        shm = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
        parent = tempfile.mkdtemp(prefix="infostore-backup-", dir=shm)
        try:
            backup_dir = os.path.join(parent, "b")
            proc = self.srv.cli("store", "backup", backup_dir)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            other_fs = os.stat(parent).st_dev != os.stat(self.srv.data_dir).st_dev
            self.assertRegex(proc.stderr.decode(),
                             r"0 bodies hard-linked, 5 copied" if other_fs else
                             r"5 bodies hard-linked, 0 copied")
            mode = os.stat(backup_dir).st_mode & 0o777
            self.assertEqual(mode, 0o700)
            live = imap_messages(self.srv, self.password)
            got = imap_messages(self.restored(backup_dir), self.password)
            self.assertEqual(got, live)
        finally:
            subprocess.run(["rm", "-rf", parent], check=True)

    def test_restore_with_store_copy(self):
        """A backup is a store like any other: `store copy` reads it into
        another, empty one (DESIGN.md: "store copy restores it")."""
        for i in range(5):
            self.srv.deliver(ALICE, make_message(subject="copy %d" % i,
                                                 msgid="<copy-%d@example.test>" % i))
        backup_dir = os.path.join(self.srv.dir, "backup")
        proc = self.srv.cli("store", "backup", backup_dir)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        backup_conf = os.path.join(self.srv.dir, "backup.conf")
        with open(self.srv.conf_path) as f:
            text = f.read()
        with open(backup_conf, "w") as f:
            f.write(text.replace("data_dir = %s\n" % self.srv.data_dir,
                                 "data_dir = %s\n" % backup_dir))
        target = InfostoreServer(listeners=("imaps",), backend="sqlite",
                                 create_users=False)
        self.servers.append(target)
        proc = target.cli("store", "copy", backup_conf, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        target.start()
        self.assertEqual(imap_messages(target, self.password),
                         imap_messages(self.srv, self.password))

    def test_postgresql_says_what_to_use(self):
        conf = os.path.join(self.srv.dir, "pg.conf")
        with open(self.srv.conf_path) as f:
            text = f.read()
        with open(conf, "w") as f:
            f.write(text + "\n[store]\nbackend = postgresql\n"
                    "postgresql = host=/nonexistent dbname=x\n"
                    "blob_dir = %s\n" % os.path.join(self.srv.dir, "shared"))
        proc = subprocess.run([BIN, "-c", conf, "store", "backup",
                               os.path.join(self.srv.dir, "pg-backup")],
                              capture_output=True, timeout=60)
        self.assertEqual(proc.returncode, 78, proc.stderr)
        self.assertIn(b"pg_dump", proc.stderr)
        self.assertIn(b"the database first", proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.srv.dir, "pg-backup")))


if __name__ == "__main__":
    unittest.main()
