"""The web access's message list on a big folder: paging newest first,
and every page fast (under 100 ms) with 10,000 messages."""
import os
import re
import statistics
import time
import unittest

from infostore_harness import InfostoreServer, make_message
from test_web import ALICE, ALICE_PW, WebClient, mailbox_id

COUNT = 10000


class WebBigFolderTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = InfostoreServer(listeners=("https",))
        srv = cls.srv
        # one real delivery, then its index row copied to UIDs 2..COUNT
        # (same blob): a 10,000-message INBOX in a second instead of minutes
        srv.cli("user", "add", ALICE, input=ALICE_PW + "\n", check=True)
        srv.cli("user", "add", "bob@example.test", input="bob-secret\n", check=True)
        srv.deliver(ALICE, make_message(subject="Message 1", body="first\r\n"))
        mb = mailbox_id(srv, ALICE)
        cols = ["mailbox_id", "flags", "keywords", "internaldate", "internaldate_tz",
                "save_date", "size", "vsize", "header_size", "crlf", "blob_id",
                "bodystructure", "body", "message_id", "sent_date", "sent_time", "parts"]
        # a message's id is (mailbox_id << 32) + uid in the store
        srv.sql("WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
                " INSERT INTO messages (id, uid, modseq, envelope, %s)"
                " SELECT (m.mailbox_id << 32) + n.i, n.i, n.i,"
                " replace(m.envelope, 'Message 1', 'Message ' || n.i), %s"
                " FROM n, messages m WHERE m.mailbox_id = ? AND m.uid = 1"
                % (", ".join(cols), ", ".join("m." + c for c in cols)), (COUNT, mb))
        srv.sql("UPDATE mailboxes SET uidnext = ?, highestmodseq = ? WHERE id = ?",
                (COUNT + 1, COUNT + 1, mb))
        srv.create_users = False
        srv.start()
        cls.mb = mb

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def setUp(self):
        self.c = WebClient(self.srv.ports["https"])
        self.addCleanup(self.c.close)
        self.assertEqual(self.c.login(ALICE, ALICE_PW).status, 303)

    def uids(self, resp):
        return [int(u) for u in re.findall(r'href="/mail/%d/(\d+)"' % self.mb, resp.text)]

    def test_paging_newest_first(self):
        r = self.c.get("/mail/%d" % self.mb)
        self.assertEqual(r.status, 200)
        uids = self.uids(r)
        self.assertEqual(uids, list(range(COUNT, COUNT - 50, -1)))
        self.assertIn("1–50 of %d" % COUNT, r.text)
        self.assertIn("Message %d" % COUNT, r.text)
        older = re.search(r'href="(/mail/%d\?before=\d+)"' % self.mb, r.text).group(1)
        # nothing newer than the first page
        self.assertNotIn('href="/mail/%d?after=' % self.mb, r.text)
        r = self.c.get(older)
        self.assertEqual(self.uids(r), list(range(COUNT - 50, COUNT - 100, -1)))
        self.assertIn("51–100 of %d" % COUNT, r.text)
        newer = re.search(r'href="(/mail/%d\?after=\d+)"' % self.mb, r.text).group(1)
        self.assertEqual(self.uids(self.c.get(newer)), list(range(COUNT, COUNT - 50, -1)))
        # the last page: only UIDs 1..10 left, no "Older" link
        r = self.c.get("/mail/%d?before=11" % self.mb)
        self.assertEqual(self.uids(r), list(range(10, 0, -1)))
        self.assertNotIn('href="/mail/%d?before=' % self.mb, r.text)
        self.assertEqual(self.c.get("/mail/%d?before=abc" % self.mb).status, 400)

    def test_pages_fast(self):
        paths = ["/mail/%d" % self.mb, "/mail/%d?before=5000" % self.mb,
                 "/mail/%d?before=51" % self.mb, "/mail/%d?after=9000" % self.mb,
                 "/mail/%d/5000" % self.mb, "/mail"]
        self.c.get(paths[0])  # warm the connection
        for path in paths:
            times = []
            for _ in range(5):
                start = time.perf_counter()
                r = self.c.get(path)
                times.append(time.perf_counter() - start)
                self.assertEqual(r.status, 200, path)
            median = statistics.median(times)
            print("  %s: median %.1f ms" % (path, median * 1000))
            self.assertLess(median, 0.100, "%s took %.0f ms" % (path, median * 1000))


if __name__ == "__main__":
    unittest.main()
