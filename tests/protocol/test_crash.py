"""SIGKILL of `infostore serve` in the middle of writes: during LMTP group
commits (four senders, two recipients each) and during a pipelined IMAP
write batch (APPEND with LITERAL+, UID STORE, UID EXPUNGE). After a
restart, every 250 and every tagged OK the clients saw is there, read
back through IMAP (APPENDs byte for byte), nothing is stored twice, and
once the start-up collection ran, blobs/ and tmp/ hold only what the
index refers to.

The start-up collection (store_blob_gc in cmd-serve.c) removes only files
older than an hour, so that a `deliver` running beside the server never
loses its blob between rename and commit. So the test checks what that
design promises: right after the crash, young orphans survive a restart;
aged past the hour (mtime moved back), every unreferenced file in blobs/
and tmp/ is gone at the next start and every referenced one is kept.
(tests/protocol/test_durability.py kills the `deliver` CLI instead.)"""
import os
import re
import socket
import threading
import time
import unittest
import urllib.request

from infostore_harness import InfostoreServer, wait_for

ALICE, BOB = "alice@example.test", "bob@example.test"
GC_AGE = 3600   # cmd-serve.c: store_blob_gc(store, 3600)


def body_of(i, tag, size):
    line = ("%s %d " % (tag, i) + "abcdefghijklmnopqrstuvwxyz" * 3)[:70]
    return ("From: crash@example.test\r\nTo: alice@example.test\r\n"
            "Subject: %s %d\r\nMessage-ID: <%s-%d@example.test>\r\n\r\n%s"
            % (tag, i, tag, i, (line + "\r\n") * (size // 72 + 1))).encode()


def blob_files(srv):
    """{name: path} of every file under blobs/XX/, and [paths] in tmp/."""
    blobs, tmp = {}, []
    base = srv.blob_dir or srv.data_dir   # PostgreSQL: the shared blob_dir
    root = os.path.join(base, "blobs")
    for sub in os.listdir(root):
        for name in os.listdir(os.path.join(root, sub)):
            blobs[name] = os.path.join(root, sub, name)
    tmp_dir = os.path.join(base, "tmp")
    tmp = [os.path.join(tmp_dir, n) for n in os.listdir(tmp_dir)]
    return blobs, tmp


def referenced(srv):
    return {name for (name,) in srv.sql("SELECT name FROM blobs WHERE refs > 0")}


def imap_messages(srv, user, mailbox="INBOX"):
    """{uid: (flags, bytes)} of every message, through IMAP."""
    c = srv.imap(login=user, timeout=60)
    try:
        typ, _ = c.select(mailbox)
        assert typ == "OK", typ
        typ, data = c.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
        assert typ == "OK", typ
        found = {}
        for item in data:
            if not isinstance(item, tuple):
                continue
            head = item[0].decode()
            uid = int(re.search(r"UID (\d+)", head).group(1))
            flags = re.search(r"FLAGS \(([^)]*)\)", head).group(1).split()
            found[uid] = (flags, item[1])
        return found
    finally:
        c.logout()


def group_commits(srv):
    """How many of the delivery thread's commits held more than one
    message (LMTP submits a request per recipient: two here)."""
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % srv.ports["metrics"],
                                  timeout=20).read().decode()
    count = re.search(r"^infostore_delivery_batch_messages_count (\S+)", text, re.M)
    two = re.search(r'^infostore_delivery_batch_messages_bucket\{le="2.0"\} (\S+)', text, re.M)
    return float(count.group(1)) - float(two.group(1))


class CrashTest(unittest.TestCase):
    def server(self):
        # plain IMAP from loopback: the batch's reader and writer threads
        # share one socket, which an SSL object does not allow
        srv = InfostoreServer(listeners=("imap", "imaps", "lmtp", "metrics"),
                              conf={"server": {"plaintext_auth_from": "127.0.0.0/8"}})
        self.addCleanup(srv.cleanup)
        srv.start()
        return srv

    def restart_and_check_orphans(self, srv):
        """After the kill: young orphans survive a start (the design); aged
        past GC_AGE, the next start removes every unreferenced file and
        keeps every referenced one. Returns the orphans the crash left."""
        blobs, tmp = blob_files(srv)
        refs = referenced(srv)
        crash_orphans = sorted(set(blobs) - refs) + tmp
        # one planted orphan of each kind stays young: it must survive
        young_blob = os.path.join(srv.blob_dir or srv.data_dir, "blobs", "ab", "ab" + "0" * 30)
        os.makedirs(os.path.dirname(young_blob), exist_ok=True)
        with open(young_blob, "wb") as f:
            f.write(b"young orphan")
        young_tmp = os.path.join(srv.blob_dir or srv.data_dir, "tmp", "young-orphan")
        with open(young_tmp, "wb") as f:
            f.write(b"young orphan")
        srv.start()
        srv.stop()
        blobs, tmp = blob_files(srv)
        self.assertIn(os.path.basename(young_blob), blobs, "a young orphan blob was removed")
        self.assertIn(young_tmp, tmp, "a young tmp file was removed")
        # every referenced blob has its file
        self.assertEqual(refs - set(blobs), set(), "referenced blobs without a file")
        # age everything past the collection's limit: the next start
        # removes exactly the unreferenced files
        old = time.time() - GC_AGE - 600
        for path in list(blobs.values()) + tmp:
            os.utime(path, (old, old))
        srv.start()
        self.assertTrue(wait_for(lambda: "removed unreferenced blobs" in srv.read_log()),
                        srv.read_log()[-2000:])
        blobs, tmp = blob_files(srv)
        refs = referenced(srv)
        self.assertEqual(tmp, [], "tmp/ holds files after the start-up collection")
        self.assertEqual(set(blobs), refs, "blobs/ and the index disagree")
        return crash_orphans

    def test_sigkill_during_lmtp_group_commit(self):
        srv = self.server()
        acked = {}          # (i, rcpt) -> message bytes
        sent = {}
        lock = threading.Lock()
        enough = threading.Event()
        errors = []

        def sender(n):
            i = n * 100000
            try:
                s = socket.create_connection(("127.0.0.1", srv.ports["lmtp"]), 30)
                f = s.makefile("rwb")

                def reply():
                    while True:
                        line = f.readline()
                        if not line:
                            raise EOFError
                        if line[3:4] != b"-":
                            return int(line[:3])

                assert reply() == 220
                f.write(b"LHLO crash.example.test\r\n")
                f.flush()
                assert reply() == 250
                while True:
                    i += 1
                    msg = body_of(i, "lmtp", 2000 + (i % 7) * 9000)
                    with lock:
                        sent[i] = msg
                    f.write(b"MAIL FROM:<crash@example.test>\r\n"
                            b"RCPT TO:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\n"
                            b"DATA\r\n")
                    f.flush()
                    codes = [reply() for _ in range(4)]
                    assert codes == [250, 250, 250, 354], codes
                    f.write(msg + b".\r\n")
                    f.flush()
                    for rcpt in (ALICE, BOB):
                        if reply() == 250:
                            with lock:
                                acked[(i, rcpt)] = msg
                                if len(acked) >= 120:
                                    enough.set()
            except (EOFError, OSError, ValueError):
                return  # the server was killed
            except AssertionError as e:
                errors.append(e)
                enough.set()

        threads = [threading.Thread(target=sender, args=(n,), daemon=True)
                   for n in range(4)]
        for t in threads:
            t.start()
        self.assertTrue(enough.wait(120), "no progress: %s" % srv.read_log()[-2000:])
        groups = group_commits(srv)
        srv.kill()
        with lock:
            seen = dict(acked)
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [])
        self.assertGreater(len(sent) * 2, len(seen), "nothing was in flight at the kill")
        self.assertGreater(groups, 0, "no commit held messages of several senders")

        crash_orphans = self.restart_and_check_orphans(srv)
        for rcpt in (ALICE, BOB):
            stored = imap_messages(srv, rcpt)
            by_id = {}
            for uid, (_, data) in stored.items():
                i = int(re.search(rb"Message-ID: <lmtp-(\d+)@", data).group(1))
                self.assertNotIn(i, by_id, "message %d stored twice for %s" % (i, rcpt))
                by_id[i] = data
                # LMTP adds Return-Path and Received in front, nothing else
                self.assertTrue(data.endswith(sent[i]), "message %d differs" % i)
            lost = sorted(i for (i, r) in seen if r == rcpt and i not in by_id)
            self.assertEqual(lost, [], "acknowledged with 250 and lost for %s" % rcpt)
        srv.stop()
        print("\n  lmtp crash: %d sent, %d recipient 250s before the kill, %d group "
              "commits of several messages, %d orphan file(s) left by the crash" % (
                  len(sent), len(seen), groups, len(crash_orphans)))

    def test_sigkill_during_imap_write_batch(self):
        """Three connections pipeline their writes at once, so the writer
        thread commits jobs of several clients in one transaction."""
        srv = self.server()
        conns = [BatchClient(srv, "Batch%d" % n, n) for n in range(3)]
        lock = threading.Lock()
        enough = threading.Event()
        total = [0]

        def counted():
            with lock:
                total[0] += 1
                if total[0] >= 150:
                    enough.set()

        threads = []
        for conn in conns:
            threads += [threading.Thread(target=conn.writer, daemon=True),
                        threading.Thread(target=conn.reader, args=(counted,), daemon=True)]
        for t in threads:
            t.start()
        self.assertTrue(enough.wait(120), "no progress: %s" % srv.read_log()[-2000:])
        srv.kill()
        for t in threads:
            t.join(30)
        # everything the server sent before it died counts as seen
        seen = [dict(conn.oks) for conn in conns]
        for conn in conns:
            conn.sock.close()
        self.assertLess(sum(map(len, seen)), sum(len(c.commands) for c in conns),
                        "the kill came after the batch")

        crash_orphans = self.restart_and_check_orphans(srv)
        appended = flagged = expunged = 0
        for conn, oks in zip(conns, seen):
            stored = imap_messages(srv, ALICE, conn.mailbox)
            by_body = {}
            for uid, (flags, data) in stored.items():
                self.assertNotIn(data, by_body, "stored twice: uid %d and %d" % (
                    by_body.get(data, 0), uid))
                by_body[data] = uid
            for tag, line in oks.items():
                kind, arg = conn.commands[tag]
                if kind == "append":
                    m = re.search(rb"\[APPENDUID \d+ (\d+)\]", line)
                    self.assertTrue(m, line)
                    uid = int(m.group(1))
                    self.assertIn(uid, stored, "APPEND %s acknowledged and lost" % tag)
                    self.assertEqual(stored[uid][1], arg, "APPEND %s differs" % tag)
                    self.assertIn("\\Seen", stored[uid][0])
                    appended += 1
                elif kind == "flag":
                    if arg in stored:   # an OK'd EXPUNGE may have removed it since
                        self.assertIn("\\Flagged", stored[arg][0], "STORE %s lost" % tag)
                        self.assertIn("$Crash", stored[arg][0], "STORE %s lost" % tag)
                    flagged += 1
                else:
                    self.assertNotIn(arg, stored, "UID EXPUNGE %s acknowledged, still "
                                     "there" % tag)
                    expunged += 1
        srv.stop()
        self.assertGreater(appended, 0)
        self.assertGreater(flagged, 0)
        self.assertGreater(expunged, 0)
        print("\n  imap crash: %d commands sent on 3 connections, %d OK before the kill "
              "(%d APPEND, %d STORE, %d EXPUNGE), %d orphan file(s) left by the crash" % (
                  sum(len(c.commands) for c in conns), sum(map(len, seen)), appended,
                  flagged, expunged, len(crash_orphans)))


class BatchClient:
    """One IMAP connection that pipelines 400 writes into its own mailbox
    (40 messages there first, for the STOREs and EXPUNGEs) from one
    thread and reads the tagged OKs in another."""

    def __init__(self, srv, mailbox, n):
        self.mailbox = mailbox
        self.n = n
        c = srv.imap(login=ALICE)
        c.create(mailbox)
        for i in range(40):
            c.append(mailbox, None, None, body_of(n * 1000 + i, "base", 500))
        c.logout()
        self.sock = socket.create_connection(("127.0.0.1", srv.ports["imap"]), 30)
        self.f = self.sock.makefile("rwb")
        self.f.readline()
        self.f.write(b'l LOGIN "%s" "%s"\r\nsel SELECT %s\r\n' % (
            ALICE.encode(), srv.users[ALICE].encode(), mailbox.encode()))
        self.f.flush()
        while not self.f.readline().startswith(b"sel OK"):
            pass
        self.commands = {}       # tag -> (kind, argument)
        self.oks = {}            # tag -> tagged line

    def writer(self):
        f = self.f
        try:
            for i in range(400):
                if i % 10 == 3:
                    uid = i // 10 + 1
                    tag = "s%d" % i
                    self.commands[tag] = ("flag", uid)
                    f.write(b"%s UID STORE %d +FLAGS.SILENT (\\Flagged $Crash)\r\n"
                            % (tag.encode(), uid))
                elif i % 10 == 7:
                    uid = 40 - i // 10
                    tag = "e%d" % i
                    self.commands[tag] = ("expunge", uid)
                    f.write(b"d%s UID STORE %d +FLAGS.SILENT (\\Deleted)\r\n"
                            b"%s UID EXPUNGE %d\r\n" % (tag.encode(), uid,
                                                          tag.encode(), uid))
                else:
                    msg = body_of(self.n * 1000 + i, "append", 300 + (i % 13) * 4000)
                    tag = "a%d" % i
                    self.commands[tag] = ("append", msg)
                    f.write(b"%s APPEND %s (\\Seen) {%d+}\r\n%s\r\n"
                            % (tag.encode(), self.mailbox.encode(), len(msg), msg))
                f.flush()
        except (OSError, ValueError):
            pass     # the server was killed

    def reader(self, counted):
        try:
            while True:
                line = self.f.readline()
                if not line:
                    return
                m = re.match(rb"([ase]\d+) OK", line)
                if m:
                    self.oks[m.group(1).decode()] = line
                    counted()
        except (OSError, ValueError):
            return


if __name__ == "__main__":
    unittest.main()
