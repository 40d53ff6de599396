"""`infostore store copy OTHER.conf` (DESIGN.md, "Several nodes"): a whole
store from SQLite to PostgreSQL and back, compared through the protocols:
every mailbox's UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ, every message's
UID, MODSEQ, flags, keywords and bytes, subscriptions, passwords (a login),
a calendar item's link token, a contact, the outbound queue; and a target
that is not empty is refused (73).
"""
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from infostore_harness import InfostoreServer, make_message  # noqa: E402
from test_dav import BOOK, CAL, Dav, card, event  # noqa: E402
from test_imap_raw import RawImap  # noqa: E402

ALICE = "alice@example.test"
BOB = "bob@example.test"
EX_CANTCREAT = 73
LISTENERS = ("imaps", "https", "submission")


def snapshot(srv):
    """What IMAP clients see of both users' mail on srv."""
    view = {}
    for user in (ALICE, BOB):
        c = RawImap(srv, login=user)
        try:
            c.cmd("ENABLE CONDSTORE")
            untagged, _ = c.cmd('LIST "" "*"')
            names = sorted(re.findall(rb'"/" "?([^"\r\n]+)"?\r\n', b"".join(untagged)))
            subs, _ = c.cmd('LSUB "" "*"')
            view[user, "subscribed"] = sorted(
                re.findall(rb'"/" "?([^"\r\n]+)"?\r\n', b"".join(subs)))
            for name in names:
                status, _ = c.cmd('STATUS "%s" (UIDVALIDITY UIDNEXT HIGHESTMODSEQ MESSAGES)'
                                  % name.decode())
                view[user, name, "status"] = re.search(rb"\((.*)\)", status[0]).group(1)
                c.cmd('EXAMINE "%s"' % name.decode())
                msgs, _ = c.cmd("UID FETCH 1:* (UID FLAGS MODSEQ BODY.PEEK[])")
                # \Recent is per session (whoever looks first), not stored
                view[user, name, "messages"] = re.sub(rb"\\Recent ?", b"",
                                                      b"".join(msgs))
        finally:
            c.close()
    return view


class StoreCopyTest(unittest.TestCase):
    def setUp(self):
        self.servers = []

    def tearDown(self):
        for srv in self.servers:
            srv.cleanup()

    def server(self, backend, **kw):
        srv = InfostoreServer(listeners=LISTENERS, backend=backend, **kw)
        self.servers.append(srv)
        return srv

    def fill(self, srv):
        """A little of everything a store keeps."""
        for i in range(3):
            srv.deliver(ALICE, make_message(subject="hello %d" % i,
                                            body="body %d\r\n" % i))
        srv.deliver(BOB, make_message(subject="for bob", to=BOB))
        c = RawImap(srv, login=ALICE)
        try:
            c.cmd("CREATE Projects/2026")
            c.cmd("SUBSCRIBE Projects/2026")
            c.cmd("SELECT INBOX")
            c.cmd("STORE 1 +FLAGS (\\Seen \\Flagged $Important)")
            c.cmd("STORE 2 +FLAGS (\\Deleted)")
            c.cmd("EXPUNGE")
            c.cmd("COPY 1 Projects/2026")
        finally:
            c.close()
        dav = Dav(srv.ports["https"], ALICE, srv.users[ALICE])
        uid = "copy-%d" % time.time_ns()
        self.assertEqual(dav.put(CAL + "lunch.ics", event(uid, "Copied lunch")).status, 201)
        self.assertEqual(dav.put(BOOK + "carol.vcf", card("c-" + uid, "Carol", "carol@x.test"),
                                 ctype="text/vcard").status, 201)
        dav.close()
        s = srv.submission(login=ALICE)
        s.sendmail(ALICE, ["someone@remote.example"],
                   make_message(subject="queued", sender=ALICE, to="someone@remote.example"))
        s.quit()
        return uid

    def extras(self, srv, uid):
        token = srv.sql("SELECT token FROM cal_items WHERE uid = ?", (uid,))
        queued = srv.sql("SELECT sender, recipients, attempts FROM outbound")
        dav = Dav(srv.ports["https"], ALICE, srv.users[ALICE])
        try:
            ev = dav.request("GET", CAL + "lunch.ics")
            vc = dav.request("GET", BOOK + "carol.vcf")
            return token, queued, ev.status, ev.body, vc.status, vc.body
        finally:
            dav.close()

    def copy(self, target, source):
        proc = target.cli("store", "copy", source.conf_path, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(b"store copy: done", proc.stderr)
        return proc

    def test_sqlite_to_postgresql_and_back(self):
        src = self.server("sqlite")
        src.start()
        uid = self.fill(src)
        before, extras_before = snapshot(src), self.extras(src, uid)
        src.stop()

        pg = self.server("postgresql", create_users=False)
        proc = self.copy(pg, src)
        self.assertIn(b"store copy: messages", proc.stderr)  # progress
        pg.start()
        self.assertEqual(snapshot(pg), before)
        self.assertEqual(self.extras(pg, uid), extras_before)
        # the link token is there and new rows get new ids after the copied
        c = RawImap(pg, login=ALICE)
        _, tagged = c.cmd("CREATE After")
        self.assertIn(b" OK ", tagged)
        c.close()
        pg.stop()

        back = self.server("sqlite", create_users=False)
        self.copy(back, pg)
        back.start()
        after = snapshot(back)
        del after[ALICE, b"After", "status"], after[ALICE, b"After", "messages"]
        self.assertEqual(after, before)
        self.assertEqual(self.extras(back, uid), extras_before)
        back.stop()

    def test_target_that_is_not_empty_is_refused(self):
        src = self.server("sqlite")
        other = self.server("postgresql")
        src.start()
        src.stop()
        other.start()
        other.stop()
        proc = other.cli("store", "copy", src.conf_path)
        self.assertEqual(proc.returncode, EX_CANTCREAT, proc.stderr)
        self.assertIn(b"not empty", proc.stderr)


if __name__ == "__main__":
    unittest.main()
