"""IMAP concurrency: two sessions on one mailbox, IDLE woken by a delivery
from another process, CONDSTORE/QRESYNC resynchronisation, and a FETCH of
thousands of messages written in chunks."""
import re
import socket
import time
import unittest

from infostore_harness import InfostoreServer, make_message
from test_imap_raw import RawImap

USERS = {
    "alice@example.test": "alice-secret",
    "bob@example.test": "bob-secret",
}
srv = None


def setUpModule():
    global srv
    srv = InfostoreServer(listeners=("imap", "imaps"), users=USERS)
    srv.start()


def tearDownModule():
    srv.stop()
    srv.cleanup()


def norecent(lines):
    """The lines without \\Recent (which the first session to select sees)."""
    return [l.replace(b"\\Recent ", b"").replace(b"(\\Recent)", b"()") for l in lines]


def fill(user, mailbox, count, subject="msg"):
    r = RawImap(srv, login=user)
    if mailbox != "INBOX":
        r.cmd("CREATE %s" % mailbox)
    res = r.append_multi(mailbox, [make_message(subject="%s %d" % (subject, i),
                                                msgid="<%s.%d.%f@x>" % (mailbox, i, time.time()))
                                   for i in range(count)])
    assert b" OK [APPENDUID " in res, res
    r.close()


class TestTwoSessions(unittest.TestCase):
    def test_expunge_and_flags_seen_at_the_right_moments(self):
        fill("alice@example.test", "Shared", 5)
        a = RawImap(srv, login="alice@example.test")
        b = RawImap(srv, login="alice@example.test")
        a.cmd("SELECT Shared")
        b.cmd("SELECT Shared")
        b.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)")
        untagged, tagged = b.cmd("EXPUNGE")
        self.assertEqual(untagged, [b"* 2 EXPUNGE\r\n"])
        self.assertIn(b"OK", tagged)
        # RFC 9051 7.5.1: no EXPUNGE while answering FETCH, STORE, SEARCH
        untagged, tagged = a.cmd("FETCH 1:5 (UID)")
        self.assertFalse([l for l in untagged if b"EXPUNGE" in l], untagged)
        self.assertEqual([l for l in untagged if b"FETCH" in l],
                         [b"* 1 FETCH (UID 1)\r\n", b"* 3 FETCH (UID 3)\r\n",
                          b"* 4 FETCH (UID 4)\r\n", b"* 5 FETCH (UID 5)\r\n"])
        self.assertIn(b"NO [EXPUNGEISSUED]", tagged)
        untagged, tagged = a.cmd("SEARCH ALL")
        self.assertFalse([l for l in untagged if b"EXPUNGE" in l], untagged)
        untagged, tagged = a.cmd("STORE 5 +FLAGS (\\Seen)")
        # the first session to select sees the messages as \\Recent
        self.assertIn(b"* 5 FETCH (FLAGS (\\Recent \\Seen))\r\n", untagged)
        untagged = norecent(untagged)
        self.assertFalse([l for l in untagged if b"EXPUNGE" in l], untagged)
        # sequence numbers still those the client knows: 5 is UID 5
        self.assertIn(b"* 5 FETCH (FLAGS (\\Seen))\r\n", untagged)
        # now it is told, and numbers shift
        untagged, tagged = a.cmd("NOOP")
        self.assertIn(b"* 2 EXPUNGE\r\n", untagged)
        untagged, _ = a.cmd("FETCH 2 (UID)")
        self.assertIn(b"* 2 FETCH (UID 3)\r\n", untagged)
        # flags changed by the other session
        b.cmd("NOOP")
        b.cmd("STORE 1 +FLAGS.SILENT (\\Flagged)")
        untagged, _ = a.cmd("NOOP")
        untagged = norecent(untagged)
        self.assertIn(b"* 1 FETCH (FLAGS (\\Flagged))\r\n", untagged)
        # a UID command may get the EXPUNGE
        b.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)")
        b.cmd("EXPUNGE")
        untagged, _ = a.cmd("UID FETCH 4 (FLAGS)")
        untagged = norecent(untagged)
        self.assertEqual(untagged, [b"* 3 FETCH (UID 4 FLAGS ())\r\n", b"* 1 EXPUNGE\r\n"])
        # new mail shows as EXISTS after any command
        b.cmd("APPEND Shared {%d}\r\n%s" % (len(make_message()), make_message().decode()))
        untagged, _ = a.cmd("CHECK")
        self.assertIn(b"* 4 EXISTS\r\n", untagged)
        # both sessions agree
        ua, _ = a.cmd("UID SEARCH ALL")
        ub, _ = b.cmd("UID SEARCH ALL")
        self.assertEqual(ua[-1], b"* SEARCH 3 4 5 6\r\n")
        self.assertEqual(ub[-1], ua[-1])
        a.close()
        b.close()

    def test_keyword_from_other_session_announced(self):
        fill("bob@example.test", "Kw", 1)
        a = RawImap(srv, login="bob@example.test")
        b = RawImap(srv, login="bob@example.test")
        a.cmd("SELECT Kw")
        b.cmd("SELECT Kw")
        b.cmd("STORE 1 +FLAGS ($Important)")
        untagged, _ = a.cmd("NOOP")
        untagged = norecent(untagged)
        flags = [l for l in untagged if l.startswith(b"* FLAGS")]
        self.assertTrue(flags and b"$Important" in flags[0], untagged)
        self.assertLess(untagged.index(flags[0]),
                        untagged.index(b"* 1 FETCH (FLAGS ($Important))\r\n"))
        a.close()
        b.close()

    def test_deleted_mailbox_ends_selected_session(self):
        fill("bob@example.test", "Doomed", 1)
        a = RawImap(srv, login="bob@example.test")
        b = RawImap(srv, login="bob@example.test")
        a.cmd("SELECT Doomed")
        b.cmd("DELETE Doomed")
        a.send("x NOOP\r\n")
        self.assertIn(b"BYE", a.readline())
        a.close()
        b.close()


class TestIdle(unittest.TestCase):
    def test_idle_woken_by_cli_delivery(self):
        a = RawImap(srv, login="alice@example.test")
        untagged, _ = a.cmd("SELECT INBOX")
        exists = int([l for l in untagged if l.endswith(b"EXISTS\r\n")][0].split()[1])
        a.send("i1 IDLE\r\n")
        self.assertTrue(a.readline().startswith(b"+ "))
        # delivered by another process (the CLI), not through the daemon
        srv.deliver("alice@example.test", make_message(subject="idle wake"))
        delivered = time.time()
        line = a.wait_for(rb"^\* %d EXISTS" % (exists + 1), timeout=3.0)
        self.assertLess(time.time() - delivered, 1.0)
        a.send("DONE\r\n")
        _, tagged = a.read_until_tagged("i1")
        self.assertIn(b"i1 OK", tagged)
        # the session goes on
        untagged, tagged = a.cmd("FETCH %d (ENVELOPE)" % (exists + 1))
        self.assertIn(b"idle wake", untagged[0])
        a.close()

    def test_idle_sees_other_session_changes(self):
        fill("alice@example.test", "IdleBox", 2)
        a = RawImap(srv, login="alice@example.test")
        b = RawImap(srv, login="alice@example.test")
        a.cmd("SELECT IdleBox")
        b.cmd("SELECT IdleBox")
        a.send("i IDLE\r\n")
        self.assertTrue(a.readline().startswith(b"+ "))
        b.cmd("STORE 1 +FLAGS.SILENT (\\Seen)")
        self.assertEqual(a.wait_for(rb"FETCH", 1.0), b"* 1 FETCH (FLAGS (\\Recent \\Seen))\r\n")
        b.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)")
        b.cmd("EXPUNGE")
        # in IDLE, expunges are told at once
        a.wait_for(rb"^\* 2 EXPUNGE", 1.0)
        a.send("DONE\r\n")
        _, tagged = a.read_until_tagged("i")
        self.assertIn(b"OK", tagged)
        # anything but DONE ends IDLE with BAD
        a.send("j IDLE\r\n")
        a.readline()
        a.send("NOPE\r\n")
        _, tagged = a.read_until_tagged("j")
        self.assertIn(b"j BAD", tagged)
        a.close()
        b.close()


class TestCondstoreQresync(unittest.TestCase):
    def test_qresync_select_and_vanished(self):
        fill("bob@example.test", "Q", 6)
        a = RawImap(srv, login="bob@example.test")
        a.cmd("ENABLE QRESYNC")
        untagged, _ = a.cmd("SELECT Q")
        text = b"".join(untagged)
        uidvalidity = int(re.search(rb"UIDVALIDITY (\d+)", text).group(1))
        modseq = int(re.search(rb"HIGHESTMODSEQ (\d+)", text).group(1))
        a.cmd("STORE 2 +FLAGS.SILENT (\\Flagged)")
        a.cmd("STORE 3,5 +FLAGS.SILENT (\\Deleted)")
        untagged, tagged = a.cmd("EXPUNGE")
        # QRESYNC sessions get VANISHED instead of EXPUNGE
        self.assertEqual(untagged, [b"* VANISHED 3,5\r\n"])
        self.assertIn(b"[HIGHESTMODSEQ", tagged)
        a.close()
        b = RawImap(srv, login="bob@example.test")
        _, tagged = b.cmd("SELECT Q (QRESYNC (%d %d))" % (uidvalidity, modseq))
        self.assertIn(b"BAD", tagged)  # not enabled yet
        b.cmd("ENABLE QRESYNC")
        untagged, tagged = b.cmd("SELECT Q (QRESYNC (%d %d 1:6))" % (uidvalidity, modseq))
        self.assertIn(b"* VANISHED (EARLIER) 3,5\r\n", untagged)
        self.assertTrue(any(re.match(rb"\* 2 FETCH \(UID 2 FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)", l)
                            for l in untagged), untagged)
        self.assertIn(b"[READ-WRITE]", tagged)
        untagged, _ = b.cmd("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % modseq)
        self.assertEqual(untagged[0], b"* VANISHED (EARLIER) 3,5\r\n")
        self.assertEqual(len(untagged), 2)
        # a different UIDVALIDITY: nothing to resync
        untagged, _ = b.cmd("SELECT Q (QRESYNC (%d %d))" % (uidvalidity + 1, modseq))
        self.assertFalse([l for l in untagged if b"VANISHED" in l])
        self.assertIn(b"* OK [CLOSED] Previous mailbox closed.\r\n", untagged)
        b.close()

    def test_uidvalidity_uidnext_stable(self):
        fill("bob@example.test", "Stable", 3)
        a = RawImap(srv, login="bob@example.test")
        t1 = b"".join(a.cmd("SELECT Stable")[0])
        a.cmd("STORE 3 +FLAGS.SILENT (\\Deleted)")
        a.cmd("EXPUNGE")
        a.close()
        b = RawImap(srv, login="bob@example.test")
        t2 = b"".join(b.cmd("SELECT Stable")[0])
        uv = re.compile(rb"UIDVALIDITY (\d+)")
        self.assertEqual(uv.search(t1).group(1), uv.search(t2).group(1))
        self.assertIn(b"[UIDNEXT 4]", t1)
        self.assertIn(b"[UIDNEXT 4]", t2)
        self.assertIn(b"* 2 EXISTS", t2)
        # a mailbox created again gets a new UIDVALIDITY
        b.cmd("UNSELECT")
        b.cmd("DELETE Stable")
        b.cmd("CREATE Stable")
        t3 = b"".join(b.cmd("SELECT Stable")[0])
        self.assertNotEqual(uv.search(t1).group(1), uv.search(t3).group(1))
        b.close()


class TestBigFetch(unittest.TestCase):
    def test_fetch_thousands_in_chunks(self):
        n = 1500
        fill("bob@example.test", "Big", n)
        a = RawImap(srv, login="bob@example.test")
        a.cmd("SELECT Big")
        # read slowly at first, so that the server's output fills up
        a.send("f1 FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE)\r\n")
        time.sleep(0.3)
        untagged, tagged = a.read_until_tagged("f1")
        self.assertIn(b"f1 OK", tagged)
        self.assertEqual(len(untagged), n)
        for i, line in enumerate(untagged):
            self.assertTrue(line.startswith(b"* %d FETCH (UID %d " % (i + 1, i + 1)), line)
        untagged, tagged = a.cmd("UID FETCH 1:* (BODY.PEEK[])")
        self.assertEqual(len(untagged), n)
        self.assertIn(b"Subject: msg 1499\r\n", untagged[-1])
        untagged, _ = a.cmd("UID SEARCH SUBJECT \"msg 1499\"")
        self.assertEqual(untagged, [b"* SEARCH 1500\r\n"])
        untagged, _ = a.cmd("SEARCH RETURN (COUNT) UNSEEN")
        self.assertRegex(untagged[0], rb"COUNT 1500")
        a.close()


if __name__ == "__main__":
    unittest.main()
