"""An IMAP4rev2 (RFC 9051) session end to end, byte for byte: the
capabilities the server claims, ENABLE IMAP4rev2, and then what RFC 9051
changes against IMAP4rev1 — no \\Recent and no RECENT or UNSEEN in SELECT,
the LIST response in SELECT (6.3.2), ESEARCH for every SEARCH (6.4.4),
STATUS DELETED and SIZE (6.3.11), APPENDUID/COPYUID (UIDPLUS is part of
rev2), MOVE, UID EXPUNGE, UNSELECT, LIST-EXTENDED with RETURN (STATUS),
NAMESPACE, BINARY, IDLE. A rev1 session beside it gets the rev1 forms, so
the difference is the ENABLE's doing."""
import re
import unittest

from infostore_harness import SharedServerTest, make_message
from test_imap_raw import RawImap

ALICE = "alice@example.test"

# RFC 9051 7.2.2: what an IMAP4rev2 server implements (SASL-IR, ENABLE,
# IDLE, NAMESPACE, UNSELECT, UIDPLUS, ESEARCH, SEARCHRES, MOVE, LITERAL-
# (LITERAL+ is its superset), BINARY, SPECIAL-USE, LIST-EXTENDED,
# LIST-STATUS, STATUS=SIZE, CHILDREN)
REV2_CAPS = {"IMAP4rev2", "ENABLE", "IDLE", "NAMESPACE", "UNSELECT", "UIDPLUS", "ESEARCH",
             "SEARCHRES", "MOVE", "LITERAL+", "BINARY", "SPECIAL-USE", "LIST-EXTENDED",
             "LIST-STATUS", "STATUS=SIZE", "CHILDREN", "SASL-IR"}


class Imap4rev2Test(SharedServerTest):
    SERVER_ARGS = {"listeners": ("imaps",), "users": {ALICE: "alice-secret"}}

    def session(self, rev2=True):
        r = RawImap(self.srv, login=ALICE)
        self.addCleanup(r.close)
        if rev2:
            untagged, tagged = r.cmd("ENABLE IMAP4rev2")
            self.assertIn(b" OK ", tagged)
            self.assertEqual(untagged, [b"* ENABLED IMAP4rev2\r\n"])
        return r

    def ok(self, r, command):
        untagged, tagged = r.cmd(command)
        self.assertRegex(tagged, rb"^t\d+ OK ", (command, untagged, tagged))
        return untagged, tagged

    def test_capabilities(self):
        r = RawImap(self.srv)
        self.addCleanup(r.close)
        self.assertIn(b"IMAP4rev2", r.greeting)
        self.assertIn(b"IMAP4rev1", r.greeting)
        self.ok(r, 'LOGIN "%s" "alice-secret"' % ALICE)
        untagged, _ = self.ok(r, "CAPABILITY")
        caps = set(untagged[0].decode().split()[2:])
        self.assertEqual(REV2_CAPS - caps, set())
        # ENABLE answers only for what it newly enables (RFC 5161 3.1)
        self.assertEqual(self.ok(r, "ENABLE IMAP4rev2")[0], [b"* ENABLED IMAP4rev2\r\n"])
        self.assertEqual(self.ok(r, "ENABLE IMAP4rev2")[0], [b"* ENABLED\r\n"])

    def test_session(self):
        self.srv.deliver(ALICE, make_message(subject="rev2 one", body="first\r\n"))
        self.srv.deliver(ALICE, make_message(subject="rev2 two", body="second\r\n"))
        rev1 = self.session(rev2=False)
        r = self.session()

        # SELECT: no RECENT, no UNSEEN; the LIST response (RFC 9051 6.3.2)
        untagged, tagged = self.ok(r, "SELECT INBOX")
        text = b"".join(untagged)
        self.assertNotIn(b"RECENT", text)
        self.assertNotIn(b"[UNSEEN", text)
        self.assertIn(b'* LIST () "/" INBOX\r\n', untagged)
        self.assertIn(b"[READ-WRITE]", tagged)
        exists = int(re.search(rb"\* (\d+) EXISTS", text).group(1))
        self.assertGreaterEqual(exists, 2)
        self.assertRegex(text, rb"\* OK \[UIDVALIDITY \d+\]")
        self.assertRegex(text, rb"\* OK \[UIDNEXT \d+\]")
        # the rev1 session beside it sees the rev1 forms
        untagged1, _ = self.ok(rev1, "EXAMINE INBOX")
        self.assertRegex(b"".join(untagged1), rb"\* \d+ RECENT")
        self.assertNotIn(b'* LIST () "/" INBOX\r\n', untagged1)

        # no \Recent in FETCH (RFC 9051 2.3.2: removed)
        untagged, _ = self.ok(r, "FETCH 1:* (FLAGS)")
        self.assertEqual(len(untagged), exists)
        self.assertNotIn(b"\\Recent", b"".join(untagged))

        # SEARCH answers with ESEARCH, tagged with the command's tag
        untagged, tagged = self.ok(r, "SEARCH SUBJECT rev2")
        tag = tagged.split()[0].decode()
        self.assertEqual(len(untagged), 1, untagged)
        m = re.match(rb'\* ESEARCH \(TAG "%s"\) ALL ([\d:,]+)\r\n$' % tag.encode(),
                     untagged[0])
        self.assertTrue(m, untagged)
        untagged, tagged = self.ok(r, "UID SEARCH SUBJECT rev2")
        self.assertRegex(untagged[0], rb'^\* ESEARCH \(TAG "t\d+"\) UID ALL [\d:,]+\r\n$')
        uids = untagged[0].split()[-1].decode()
        # nothing found: ESEARCH without ALL (RFC 4731 3.1)
        untagged, tagged = self.ok(r, "SEARCH SUBJECT no-such-subject")
        self.assertRegex(untagged[0], rb'^\* ESEARCH \(TAG "t\d+"\)\r\n$')
        untagged, _ = self.ok(r, "SEARCH RETURN (MIN MAX COUNT) ALL")
        self.assertRegex(untagged[0], rb"MIN 1 MAX %d COUNT %d" % (exists, exists))
        # the rev1 session still gets * SEARCH
        untagged1, _ = self.ok(rev1, "SEARCH SUBJECT rev2")
        self.assertTrue(untagged1[0].startswith(b"* SEARCH "), untagged1)

        # SEARCHRES: SAVE, then $ (RFC 5182)
        untagged, _ = self.ok(r, "UID SEARCH RETURN (SAVE) SUBJECT rev2")
        self.assertEqual(untagged, [])
        untagged, _ = self.ok(r, "UID FETCH $ (UID)")
        self.assertEqual(len(untagged), 2)

        # BINARY (RFC 9051 6.4.5)
        untagged, _ = self.ok(r, "FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1])")
        self.assertIn(b"BINARY.SIZE[1]", untagged[0])

        # STATUS with DELETED and SIZE
        self.ok(r, "CREATE Rev2Box")
        self.ok(r, "STORE 1 +FLAGS.SILENT (\\Deleted)")
        untagged, _ = self.ok(r, "STATUS INBOX (MESSAGES UIDNEXT DELETED SIZE)")
        self.assertRegex(untagged[0], rb"^\* STATUS INBOX \(MESSAGES %d UIDNEXT \d+ DELETED 1 "
                         rb"SIZE \d+\)\r\n$" % exists)

        # APPENDUID, COPYUID on MOVE, UID EXPUNGE only of the given UIDs
        msg = make_message(subject="rev2 appended")
        untagged, tagged = self.ok(r, "APPEND Rev2Box (\\Seen) {%d+}\r\n%s" % (
            len(msg), msg.decode()))
        self.assertRegex(tagged, rb"\[APPENDUID \d+ 1\]")
        first_uid = uids.split(":")[0].split(",")[0]
        untagged, tagged = self.ok(r, "UID MOVE %s Rev2Box" % uids.split(",")[-1].split(":")[-1])
        self.assertRegex(b"".join(untagged), rb"\* OK \[COPYUID \d+ \d+ 2\]")
        self.assertRegex(b"".join(untagged), rb"\* \d+ EXPUNGE\r\n")
        untagged, _ = self.ok(r, "UID EXPUNGE %s" % first_uid)
        self.assertEqual([l for l in untagged if l.endswith(b"EXPUNGE\r\n")], [b"* 1 EXPUNGE\r\n"])

        # LIST-EXTENDED with RETURN (STATUS), special-use
        untagged, _ = self.ok(r, 'LIST "" "*" RETURN (SPECIAL-USE STATUS (MESSAGES SIZE))')
        text = b"".join(untagged)
        self.assertIn(b'* LIST (\\HasNoChildren) "/" Rev2Box\r\n', text)
        self.assertRegex(text, rb"\* STATUS Rev2Box \(MESSAGES 2 SIZE \d+\)")
        self.assertRegex(text, rb"\* LIST \([^)]*\\Sent[^)]*\)")
        untagged, _ = self.ok(r, "NAMESPACE")
        self.assertEqual(untagged, [b'* NAMESPACE (("" "/")) NIL NIL\r\n'])

        # IDLE: a delivery shows as EXISTS, without RECENT
        r.send("i1 IDLE\r\n")
        self.assertTrue(r.readline().startswith(b"+ "))
        self.srv.deliver(ALICE, make_message(subject="rev2 during idle"))
        line = r.wait_for(rb"EXISTS", timeout=20)
        self.assertRegex(line, rb"^\* \d+ EXISTS\r\n$")
        r.send("DONE\r\n")
        untagged, tagged = r.read_until_tagged("i1")
        self.assertIn(b" OK ", tagged)
        self.assertNotIn(b"RECENT", b"".join(untagged))
        # the rev1 session hears of it with RECENT
        untagged1, _ = self.ok(rev1, "NOOP")
        self.assertRegex(b"".join(untagged1), rb"\* \d+ RECENT")

        # UNSELECT leaves \Deleted messages alone (CLOSE would expunge)
        self.ok(r, "STORE 1 +FLAGS.SILENT (\\Deleted)")
        untagged, _ = self.ok(r, "UNSELECT")
        self.assertEqual(untagged, [])
        untagged, _ = self.ok(r, "STATUS INBOX (DELETED)")
        self.assertIn(b"DELETED 1", untagged[0])
        self.ok(r, "LOGOUT")


if __name__ == "__main__":
    unittest.main()
