"""Web sessions end when [web] session_lifetime runs out, on the server's
side (a client that keeps the cookie gets the login page), however much
they are used (use slides a session by session_idle, never past its
lifetime: test_web_settings.py drives the idle end), and a POST
that fails the CSRF check changes nothing in the store. Of web-route.c's
POST routes, the message and folder actions and compose are checked so in
test_web_compose.py (test_no_csrf); here the rest: logout, "mark unread",
the answer on an item page and "new meeting", each sent without a token,
with a wrong one and with another session's. The store is read through
IMAP and its tables before and after, and the same POST with the right
token then does change it (so the check could see a change)."""
import time
import unittest

from infostore_harness import SharedServerTest, make_message, wait_for
from test_web import ALICE, ALICE_PW, BOB, BOB_PW, WebClient, logged_in_client, mailbox_id

LIFETIME = 4


class WebSessionTest(SharedServerTest):
    SERVER_ARGS = {"listeners": ("imaps", "https"),
                   "conf": {"web": {"session_lifetime": "%ds" % LIFETIME},
                            "outbound": {"relay": ""}}}

    def logged_in(self, user=ALICE, password=ALICE_PW):
        return logged_in_client(self, self.srv.ports["https"], user, password)

    def test_session_expires(self):
        c = self.logged_in()
        start = time.time()
        cookie = [sc for sc in c.get("/mail").all("Set-Cookie")] or None
        self.assertIsNone(cookie)   # no new cookie on a page view
        self.assertIn(ALICE, c.get("/mail").text)
        csrf = c.csrf(c.get("/mail"))
        # the client keeps sending the cookie: only the server ends it
        expired = wait_for(lambda: 'name="password"' in c.get("/mail").text,
                           timeout=LIFETIME + 30, interval=0.25)
        self.assertTrue(expired, "the session outlived session_lifetime")
        self.assertGreaterEqual(time.time() - start, LIFETIME - 1.5)
        # and its form token died with it: a form is answered with the
        # login page (which keeps it, see test_web_settings.py); logging
        # out has nothing to keep
        r = c.post("/logout", {"csrf": csrf})
        self.assertEqual(r.status, 403)
        self.assertIn('name="password"', r.text)
        self.assertNotIn("kept_target", r.text)
        r = c.post("/calendar/new", {"csrf": csrf, "summary": "Too late"})
        self.assertEqual(r.status, 403)
        self.assertIn('name="kept_target" value="/calendar/new"', r.text)
        self.assertIn('name="k.summary" value="Too late"', r.text)
        self.assertIn('name="password"', c.get("/mail/%d" % mailbox_id(self.srv, ALICE)).text)

    def test_login_sets_lifetime(self):
        c = WebClient(self.srv.ports["https"])
        self.addCleanup(c.close)
        r = c.login(ALICE, ALICE_PW)
        self.assertIn("Max-Age=%d;" % LIFETIME, r.header("Set-Cookie"))


class WebCsrfTest(SharedServerTest):
    """The default session lifetime: the checks below take longer than
    WebSessionTest's sessions live on a slow machine."""
    SERVER_ARGS = {"listeners": ("imaps", "https"), "conf": {"outbound": {"relay": ""}}}
    logged_in = WebSessionTest.logged_in

    def refused(self, c, path, fields, other):
        """POST fields to path without a token, with a wrong one and with
        another session's: each is refused with 403."""
        for token in (None, "x" * 43, other.csrf(other.get("/mail"))):
            sent = dict(fields)
            if token is not None:
                sent["csrf"] = token
            r = c.post(path, sent)
            self.assertEqual(r.status, 403, (path, token, r.text[:200]))

    def imap_flags(self, user, uid):
        imap = self.srv.imap(login=user)
        try:
            imap.select("INBOX")
            typ, data = imap.uid("FETCH", str(uid), "(FLAGS)")
            self.assertEqual(typ, "OK")
            return data[0].decode()
        finally:
            imap.logout()

    def imap_count(self, user):
        imap = self.srv.imap(login=user)
        try:
            return int(imap.select("INBOX")[1][0])
        finally:
            imap.logout()

    def test_refused_csrf_changes_nothing(self):
        srv = self.srv
        c = self.logged_in()
        other = self.logged_in(BOB, BOB_PW)

        # mark unread: the message stays \Seen
        srv.deliver(ALICE, make_message(subject="csrf unread"))
        mb = mailbox_id(srv, ALICE)
        uid = srv.sql("SELECT max(uid) FROM messages WHERE mailbox_id = ?", (mb,))[0][0]
        page = c.get("/mail/%d/%d" % (mb, uid))   # opening it marks it \Seen
        self.assertIn("\\Seen", self.imap_flags(ALICE, uid))
        self.refused(c, "/mail/%d/%d/unread" % (mb, uid), {}, other)
        self.assertIn("\\Seen", self.imap_flags(ALICE, uid))

        # the answer on an item page: PARTSTAT stays, nothing is sent
        form = other.get("/calendar/new")
        r = other.post("/calendar/new", {"csrf": other.csrf(form), "summary": "CSRF meeting",
                                         "attendees": ALICE, "date": "2030-12-04",
                                         "start": "09:00", "end": "10:00", "tz": "UTC"})
        self.assertEqual(r.status, 303, r.text[:300])
        token = wait_for(lambda: srv.sql(
            "SELECT token FROM cal_items i JOIN users u ON u.id = i.user_id "
            "WHERE u.address = ? AND i.summary = 'CSRF meeting'", (ALICE,)))[0][0]
        item = lambda: srv.sql("SELECT partstat, ical, updated FROM cal_items "
                               "WHERE token = ?", (token,))[0]
        before_item = item()
        queued = lambda: srv.sql("SELECT count(*) FROM outbound")[0][0]
        bob_inbox = self.imap_count(BOB)
        for answer in ("accept", "decline"):
            self.refused(c, "/item/" + token, {"answer": answer, "comment": "no"}, other)
        self.assertEqual(item(), before_item)
        self.assertEqual(queued(), 0)
        self.assertEqual(self.imap_count(BOB), bob_inbox)

        # new meeting: no item, no invitation (local or queued)
        items = lambda: srv.sql("SELECT count(*) FROM cal_items")[0][0]
        before_items = items()
        meeting = {"summary": "Forged meeting", "attendees": BOB + ", far@partner.test",
                   "date": "2030-12-05", "start": "12:00", "end": "13:00",
                   "tz": "Europe/Berlin", "location": "Room 1", "description": "x"}
        self.refused(c, "/calendar/new", meeting, other)
        self.assertEqual(items(), before_items)
        self.assertEqual(queued(), 0)
        self.assertEqual(self.imap_count(BOB), bob_inbox)

        # logout: the session lives on
        sessions = lambda: srv.sql("SELECT count(*) FROM web_sessions")[0][0]
        before_sessions = sessions()
        self.refused(c, "/logout", {}, other)
        self.assertEqual(sessions(), before_sessions)
        self.assertIn(ALICE, c.get("/mail").text)

        # the same forms with the right token do change the store
        r = c.post("/mail/%d/%d/unread" % (mb, uid), {"csrf": c.csrf(page)})
        self.assertEqual(r.status, 303)
        self.assertNotIn("\\Seen", self.imap_flags(ALICE, uid))
        r = c.post("/item/" + token, {"csrf": c.csrf(c.get("/item/" + token)),
                                      "answer": "accept"})
        self.assertEqual(r.status, 303, srv.read_log()[-1000:])
        self.assertEqual(item()[0], "ACCEPTED")
        self.assertTrue(wait_for(lambda: self.imap_count(BOB) > bob_inbox))  # the REPLY
        bob_inbox = self.imap_count(BOB)
        meeting["csrf"] = c.csrf(c.get("/calendar/new"))
        r = c.post("/calendar/new", meeting)
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertGreater(items(), before_items)
        self.assertTrue(wait_for(lambda: self.imap_count(BOB) > bob_inbox))
        r = c.post("/logout", {"csrf": c.csrf(c.get("/mail"))})
        self.assertEqual(r.status, 303)
        self.assertEqual(sessions(), before_sessions - 1)


if __name__ == "__main__":
    unittest.main()
