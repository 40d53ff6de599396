"""The web calendar: Day, Week and Month views (events in their slots, a
recurring and an all-day event, overlapping events side by side), and the
organizer's meeting form: create, edit and cancel, with the attendees'
REQUEST, updated REQUEST (SEQUENCE+1) and CANCEL, validation with every
error at once, refusals that change nothing and send nothing, CalDAV and
the web seeing the same items, and a page that hostile recurrence cannot
make slow."""
import base64
import email
import email.policy
import http.client
import os
import re
import time
import unittest

from infostore_harness import InfostoreServer, client_tls_context
from test_web import WebClient

ALICE, BOB, CAROL = "alice@example.test", "bob@example.test", "carol@example.test"
USERS = {ALICE: "alice-secret", BOB: "bob-secret", CAROL: "carol-secret"}


def wait(predicate, what, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def day_sections(page):
    """{YYYY-MM-DD: html of that day's column} of a Day or Week grid."""
    out = {}
    # a Week's days are sections (regions); the Day view's one is a div
    for m in re.finditer(r'<(section|div) class="tg-day[^"]*"[^>]*>\s*<h2 class="tg-head" id="d-([0-9-]+)">'
                         r'(.*?)</\1>', page, re.S):
        out[m.group(2)] = m.group(3)
    return out


def month_cells(page):
    """{day number: html of its cell} for the days of the month shown."""
    out = {}
    for m in re.finditer(r'<td class="in[^"]*"><a class="dnum"[^>]*>(\d+)</a>(.*?)</td>', page, re.S):
        out[int(m.group(1))] = m.group(2)
    return out


def calendar_parts(data):
    """The text/calendar parts of a message, decoded and unfolded."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    out = []
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            out.append(part.get_content().replace("\r\n ", "").replace("\n ", ""))
    return out


class CalendarBase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = InfostoreServer(listeners=("https",), users=USERS)
        try:
            cls.srv.start()
        except BaseException:
            cls.srv.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def client(self, user):
        c = WebClient(self.srv.ports["https"])
        self.addCleanup(c.close)
        c.cookies["infostore-tz"] = "UTC"
        self.assertEqual(c.login(user, USERS[user]).status, 303)
        return c

    def dav(self, method, user, path, body=None, headers=None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.srv.ports["https"], timeout=30,
                                           context=client_tls_context())
        try:
            auth = base64.b64encode(("%s:%s" % (user, USERS[user])).encode()).decode()
            hdrs = {"Authorization": "Basic " + auth}
            hdrs.update(headers or {})
            conn.request(method, path, body, hdrs)
            r = conn.getresponse()
            return r.status, r.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def put_event(self, user, uid, lines):
        text = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tests//EN",
                            "BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20261201T000000Z"] +
                           lines + ["END:VEVENT", "END:VCALENDAR", ""])
        status, body = self.dav("PUT", user, "/dav/calendars/%s/calendar/%s.ics" % (user, uid),
                                text.encode(), {"Content-Type": "text/calendar"})
        self.assertEqual(status, 201, body)

    def form(self, c, path="/calendar/new"):
        r = c.get(path)
        self.assertEqual(r.status, 200, r.text[:500])
        return WebClient.csrf(r)

    def meeting(self, c, path="/calendar/new", csrf=True, **fields):
        data = {"summary": "Review", "attendees": ALICE, "date": "2030-12-05",
                "start": "10:00", "end_date": "2030-12-05", "end": "11:00",
                "tz": "Europe/Berlin", "location": "Room 1", "description": "Agenda.",
                "repeat": "none"}
        data.update(fields)
        if csrf:
            data["csrf"] = self.form(c, path if path.startswith("/calendar") else path)
        return c.post(path, data)

    def item(self, user, uid=None, summary=None):
        rows = self.srv.sql("SELECT c.uid, c.sequence, c.dtstart, c.status, c.summary,"
                            " c.token, c.ical, c.href FROM cal_items c JOIN users u"
                            " ON u.id = c.user_id WHERE u.address = ? AND (c.uid = ? OR"
                            " c.summary = ?)", (user, uid or "", summary or ""))
        return rows[0] if rows else None

    def inbox(self, user):
        out = []
        for (uid,) in self.srv.sql("SELECT m.uid FROM messages m JOIN mailboxes b ON"
                                   " b.id = m.mailbox_id JOIN users u ON u.id = b.user_id"
                                   " WHERE u.address = ? AND b.name = 'INBOX' ORDER BY m.uid",
                                   (user,)):
            out.append(self.srv.cli("fetch", user, "INBOX", str(uid), check=True).stdout)
        return out

    def itip(self, user, uid, method):
        """The text/calendar parts with METHOD and UID in user's INBOX."""
        found = []
        for data in self.inbox(user):
            for part in calendar_parts(data):
                if "METHOD:%s" % method in part and "UID:%s" % uid in part:
                    found.append(part)
        return found

    def outbound(self):
        return self.srv.sql("SELECT count(*) FROM outbound")[0][0]


class CalendarViewTest(CalendarBase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

    def setUp(self):
        if getattr(CalendarViewTest, "_made", False):
            return
        CalendarViewTest._made = True
        # made through CalDAV: the web shows what CalDAV clients write
        self.put_event(CAROL, "standup@tests", [
            "DTSTART:20301204T090000Z", "DTEND:20301204T100000Z", "SUMMARY:Standup",
            "RRULE:FREQ=DAILY;COUNT=3"])
        self.put_event(CAROL, "holiday@tests", [
            "DTSTART;VALUE=DATE:20301203", "DTEND;VALUE=DATE:20301204", "SUMMARY:Holiday"])
        self.put_event(CAROL, "overlap-a@tests", [
            "DTSTART:20301205T140000Z", "DTEND:20301205T150000Z", "SUMMARY:Overlap A"])
        self.put_event(CAROL, "overlap-b@tests", [
            "DTSTART:20301205T143000Z", "DTEND:20301205T153000Z", "SUMMARY:Overlap B"])

    def test_week_view_slots(self):
        c = self.client(CAROL)
        r = c.get("/calendar/week?date=2030-12-06")
        self.assertEqual(r.status, 200)
        self.assertIn("Week of Mon 2 Dec 2030", r.text)
        days = day_sections(r.text)
        self.assertEqual(sorted(days), ["2030-12-%02d" % d for d in range(2, 9)])
        # the recurring event: each occurrence in its day, 09:00 = quarter
        # hour row 37, one hour = 4 rows
        for d in ("04", "05", "06"):
            self.assertRegex(days["2030-12-" + d],
                             r'class="ev r37 h4 ln1-0"><span class="when">09:00–10:00</span>'
                             r' <a href="/item/[^"]+">Standup</a>')
        for d in ("02", "03", "07", "08"):
            self.assertNotIn("Standup", days["2030-12-" + d])
        # the all-day event: in the all-day row of its day only
        allday = re.search(r'<ul class="tg-allday"[^>]*>(.*?)</ul>', days["2030-12-03"], re.S)
        self.assertIn("Holiday", allday.group(1))
        self.assertEqual(sum("Holiday" in v for v in days.values()), 1)
        # overlapping events side by side: two lanes
        self.assertRegex(days["2030-12-05"], r'class="ev r57 h4 ln2-0">.*?Overlap A')
        self.assertRegex(days["2030-12-05"], r'class="ev r59 h4 ln2-1">.*?Overlap B')
        # navigation and the other views
        self.assertIn('href="/calendar/week?date=2030-11-25"', r.text)
        self.assertIn('href="/calendar/week?date=2030-12-09"', r.text)
        for label, path in (("Day", "/calendar/day"), ("Month", "/calendar/month"),
                            ("Agenda", "/calendar")):
            self.assertRegex(r.text, r'<a href="%s\?[a-z]+=2030-12-02"[^>]*>%s</a>' % (path, label))

    def test_day_view(self):
        c = self.client(CAROL)
        r = c.get("/calendar/day?date=2030-12-05")
        self.assertEqual(r.status, 200)
        days = day_sections(r.text)
        self.assertEqual(list(days), ["2030-12-05"])
        self.assertIn("Standup", days["2030-12-05"])
        self.assertIn("Overlap B", days["2030-12-05"])
        self.assertNotIn("Holiday", r.text)
        self.assertIn('href="/calendar/day?date=2030-12-04"', r.text)
        self.assertIn('href="/calendar/day?date=2030-12-06"', r.text)
        self.assertIn('aria-current="page">Day<', r.text)

    def test_month_view_with_more(self):
        c = self.client(CAROL)
        self.put_event(CAROL, "extra1@tests", ["DTSTART:20301205T180000Z",
                                               "DTEND:20301205T190000Z", "SUMMARY:Dinner"])
        r = c.get("/calendar/month?date=2030-12-17")
        self.assertEqual(r.status, 200)
        self.assertIn("<h1 id=\"cal-title\">December 2030</h1>", r.text)
        cells = month_cells(r.text)
        self.assertEqual(sorted(cells), list(range(1, 32)))
        self.assertIn("Holiday", cells[3])
        self.assertIn("Standup", cells[4])
        # 5 Dec holds four: three shown and "+1 more" to that day
        self.assertEqual(cells[5].count('class="ev'), 3)
        self.assertIn('<a class="more" href="/calendar/day?date=2030-12-05">+1 more</a>', cells[5])
        self.assertNotIn("Standup", cells[7])
        self.assertIn('href="/calendar/month?date=2030-11-30"', r.text)
        self.assertIn('href="/calendar/month?date=2031-01-02"', r.text)

    def test_agenda_kept(self):
        c = self.client(CAROL)
        r = c.get("/calendar?from=2030-12-01")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.text.count(">Standup</a>"), 3)
        self.assertIn("Holiday", r.text)

    def hostile_rows(self, user, first, count):
        """count items walked day by day for 50 years, in one INSERT."""
        rows, params = [], []
        for i in range(first, first + count):
            uid = "hostile-%d@tests" % i
            ical = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
                    "UID:%s\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:19800101T090000Z\r\n"
                    "DTEND:19800101T100000Z\r\nRRULE:FREQ=DAILY;INTERVAL=%d\r\n"
                    "SUMMARY:Hostile %d\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n") % (uid, 1 + i % 3, i)
            rows.append("(?, ?, 0, 315565200, 0, 0, ?, 'CONFIRMED', ?, ?, 'test', 0, 0)")
            params += [user, uid, "Hostile %d" % i, ical, "%048x" % (i + 1)]
        self.srv.sql("INSERT INTO cal_items (user_id, uid, sequence, dtstart, dtend,"
                     " all_day, summary, status, ical, token, source, created, updated)"
                     " VALUES " + ", ".join(rows), tuple(params))

    def test_hostile_recurrence_bounded(self):
        """More recurring items than a page may expand, straight into the
        store: the page still comes within bounds and says what it left
        out."""
        user = self.srv.sql("SELECT id FROM users WHERE address = ?", (BOB,))[0][0]
        # a walk of 50 years, day by day, for each of 600 items: more
        # items than a page expands (500), and more work than its 250 ms
        for first in range(0, 600, 50):
            self.hostile_rows(user, first, 50)
        c = self.client(BOB)
        for path in ("/calendar/month?date=2030-12-01", "/calendar/week?date=2030-12-01",
                     "/calendar?from=2030-12-01"):
            t0 = time.monotonic()
            r = c.get(path)
            took = time.monotonic() - t0
            self.assertEqual(r.status, 200)
            # the page's budget is 250 ms of expansion
            if os.environ.get("HOSTILE_TIMES"):
                print("%s: %.3f s" % (path, took))
            self.assertLess(took, 1.5, path)
            self.assertIn("could not be shown", r.text)


class MeetingTest(CalendarBase):

    def test_create_edit_cancel(self):
        bob, alice = self.client(BOB), self.client(ALICE)
        r = self.meeting(bob, summary="Budget review", attendees=ALICE + ", far@partner.test",
                         repeat="weekly", repeat_end="count", repeat_count="3")
        self.assertEqual(r.status, 303, r.text[:2000])
        token = r.header("Location").split("/")[-1]
        mine = self.item(BOB, summary="Budget review")
        uid = mine[0]
        # the attendee's item and REQUEST
        theirs = wait(lambda: self.item(ALICE, uid=uid), "alice's item")
        self.assertEqual(theirs[1], 0)
        requests = self.itip(ALICE, uid, "REQUEST")
        self.assertEqual(len(requests), 1)
        self.assertIn("RRULE:FREQ=WEEKLY;COUNT=3", requests[0])
        self.assertIn("TZID=Europe/Berlin", requests[0])
        # the remote attendee's waits in the outbound queue
        rows = self.srv.sql("SELECT recipients FROM outbound WHERE sender = ?", (BOB,))
        self.assertTrue(any("far@partner.test" in r[0] for r in rows), rows)
        # the organizer sees Edit and Cancel meeting; the attendee does not
        page = bob.get("/item/" + token).text
        self.assertIn(">Edit</a>", page)
        self.assertIn(">Cancel meeting</button>", page)
        atoken = theirs[5]
        apage = alice.get("/item/" + atoken).text
        self.assertNotIn(">Edit</a>", apage)
        self.assertNotIn("Cancel meeting", apage)
        # the attendee answers with a comment: the organizer sees both
        r = alice.post("/item/" + atoken, {"csrf": WebClient.csrf(alice.get("/item/" + atoken)),
                                           "answer": "accept", "comment": "I bring the numbers"})
        self.assertEqual(r.status, 303, r.text[:500])
        page = wait(lambda: (lambda t: "I bring the numbers" in t and t)(bob.get("/item/" + token).text),
                    "the answer on bob's item")
        self.assertRegex(page, r"alice@example\.test</span> <span class=\"badge ACCEPTED\">Accepted</span>"
                               r" <q class=\"comment\">I bring the numbers</q>")

        # edit: the form comes filled in; a new time and title
        form = bob.get("/item/%s/edit" % token)
        self.assertEqual(form.status, 200)
        self.assertIn('value="Budget review"', form.text)
        self.assertIn('value="2030-12-05"', form.text)
        self.assertIn('value="10:00"', form.text)
        self.assertRegex(form.text, r'<option value="weekly" selected>')
        self.assertIn("Availability on", form.text)
        r = self.meeting(bob, "/item/%s/edit" % token, summary="Budget review (moved)",
                         attendees=ALICE + ", far@partner.test", start="15:00", end="16:00",
                         repeat="weekly", repeat_end="count", repeat_count="3")
        self.assertEqual(r.status, 303, r.text[:2000])
        theirs = wait(lambda: (lambda i: i and i[1] == 1 and i)(self.item(ALICE, uid=uid)),
                      "alice's item at SEQUENCE 1")
        self.assertEqual(theirs[4], "Budget review (moved)")
        self.assertEqual(theirs[2], 1922709600)  # 2030-12-05 14:00 UTC = 15:00 Berlin
        updates = [p for p in self.itip(ALICE, uid, "REQUEST") if "SEQUENCE:1" in p]
        self.assertEqual(len(updates), 1)
        self.assertIn("SUMMARY:Budget review (moved)", updates[0])
        self.assertEqual(self.item(BOB, uid=uid)[1], 1)

        # cancel
        page = bob.get("/item/" + token)
        r = bob.post("/item/%s/cancel" % token, {"csrf": WebClient.csrf(page)})
        self.assertEqual(r.status, 303, r.text[:500])
        wait(lambda: self.item(ALICE, uid=uid)[3] == "CANCELLED", "alice's item cancelled")
        cancels = self.itip(ALICE, uid, "CANCEL")
        self.assertEqual(len(cancels), 1)
        self.assertIn("SEQUENCE:2", cancels[0])
        self.assertEqual(self.item(BOB, uid=uid)[3], "CANCELLED")
        page = bob.get("/item/" + token).text
        self.assertIn("cancelled", page)
        self.assertNotIn(">Edit</a>", page)
        self.assertIn("has been cancelled", alice.get("/item/" + atoken).text)

    def test_month_view_with_meeting(self):
        bob = self.client(BOB)
        r = self.meeting(bob, summary="Month planning", date="2030-11-14", end_date="2030-11-14")
        self.assertEqual(r.status, 303, r.text[:2000])
        for c in (bob, self.client(ALICE)):
            page = wait(lambda: (lambda t: "Month planning" in t and t)(
                c.get("/calendar/month?date=2030-11-01").text), "the meeting in the month")
            cells = month_cells(page)
            self.assertIn("Month planning", cells[14])
            self.assertIn('<span class="when">09:00</span>', cells[14])   # 10:00 Berlin
            self.assertEqual(sum("Month planning" in v for v in cells.values()), 1)

    def test_all_day_and_until(self):
        bob = self.client(BOB)
        r = self.meeting(bob, summary="Conference", all_day="1", date="2030-10-07",
                         end_date="2030-10-08", start="", end="", repeat="monthly",
                         repeat_end="until", repeat_until="2030-12-31")
        self.assertEqual(r.status, 303, r.text[:2000])
        uid = self.item(BOB, summary="Conference")[0]
        status, body = self.dav("GET", BOB, "/dav/calendars/%s/calendar/%s" % (
            BOB, self.item(BOB, uid=uid)[7]))
        self.assertEqual(status, 200)
        self.assertIn("DTSTART;VALUE=DATE:20301007", body)
        self.assertIn("DTEND;VALUE=DATE:20301009", body)
        self.assertIn("RRULE:FREQ=MONTHLY;UNTIL=20301231", body)
        week = day_sections(bob.get("/calendar/week?date=2030-11-07").text)
        self.assertIn("Conference", re.search(r'tg-allday"[^>]*>(.*?)</ul>',
                                              week["2030-11-07"], re.S).group(1))
        self.assertIn("Conference", week["2030-11-08"])
        self.assertNotIn("Conference", week["2030-11-09"])

    def test_web_meeting_read_by_caldav(self):
        bob = self.client(BOB)
        r = self.meeting(bob, summary="Seen by CalDAV")
        self.assertEqual(r.status, 303, r.text[:2000])
        href = self.item(BOB, summary="Seen by CalDAV")[7]
        status, body = self.dav("GET", BOB, "/dav/calendars/%s/calendar/%s" % (BOB, href))
        self.assertEqual(status, 200)
        self.assertIn("SUMMARY:Seen by CalDAV", body)
        self.assertIn("ATTENDEE", body)

    def test_validation_all_errors_at_once(self):
        bob = self.client(BOB)
        sent = self.outbound()
        r = self.meeting(bob, summary="", attendees="alice@example.test, not-an-address",
                         start="11:00", end="10:00", repeat="daily", repeat_end="until",
                         repeat_until="2030-12-01")
        self.assertEqual(r.status, 400)
        for text in ("Please give the meeting a title.", "“not-an-address” is not an email address.",
                     "The meeting ends before it starts.",
                     "The repetition ends before the meeting starts."):
            self.assertIn(text, r.text)
        self.assertIn('aria-invalid="true"', r.text)
        # what was typed is kept
        self.assertIn("not-an-address", r.text)
        # in the past: asked to confirm, then made
        r = self.meeting(bob, summary="Looking back", date="2020-01-06", end_date="2020-01-06")
        self.assertEqual(r.status, 400)
        self.assertIn("Yes, in the past", r.text)
        self.assertIsNone(self.item(BOB, summary="Looking back"))
        r = self.meeting(bob, summary="Looking back", date="2020-01-06", end_date="2020-01-06",
                         past_ok="1")
        self.assertEqual(r.status, 303, r.text[:1000])
        self.assertIsNotNone(self.item(BOB, summary="Looking back"))
        self.assertEqual(self.outbound(), sent)

    def test_free_busy_of_local_attendees(self):
        self.put_event(ALICE, "busy@tests", ["DTSTART:20300612T080000Z",
                                             "DTEND:20300612T093000Z", "SUMMARY:Private"])
        bob = self.client(BOB)
        r = self.meeting(bob, summary="", attendees=ALICE + ", far@partner.test",
                         date="2030-06-12", tz="UTC", check="1")
        self.assertEqual(r.status, 200)
        self.assertIn("Availability on Wed 12 Jun 2030", r.text)
        self.assertRegex(r.text, r"<strong>alice@example\.test</strong>: busy <span class=\"busy\">08:00–09:30</span>")
        self.assertNotIn("Private", r.text)   # times only
        self.assertNotIn("<strong>far@partner.test</strong>", r.text)
        self.assertIsNone(self.item(BOB, summary=""))

    def refused_state(self, uid):
        return (self.item(BOB, uid=uid), self.item(ALICE, uid=uid), self.outbound(),
                len(self.inbox(ALICE)), len(self.inbox(BOB)))

    def test_attendee_cannot_edit_or_cancel(self):
        bob = self.client(BOB)
        r = self.meeting(bob, summary="Not yours", attendees=ALICE)
        self.assertEqual(r.status, 303, r.text[:1000])
        uid = self.item(BOB, summary="Not yours")[0]
        atoken = wait(lambda: self.item(ALICE, uid=uid), "alice's item")[5]
        btoken = self.item(BOB, uid=uid)[5]
        before = self.refused_state(uid)
        alice = self.client(ALICE)
        csrf = WebClient.csrf(alice.get("/item/" + atoken))
        self.assertEqual(alice.get("/item/%s/edit" % atoken).status, 403)
        r = self.meeting(alice, "/item/%s/edit" % atoken, csrf=False,
                         summary="Hijacked", attendees=BOB)
        self.assertEqual(r.status, 403)
        data = {"csrf": csrf, "summary": "Hijacked", "attendees": BOB, "date": "2030-12-05",
                "start": "10:00", "end": "11:00", "tz": "UTC"}
        self.assertEqual(alice.post("/item/%s/edit" % atoken, data).status, 403)
        self.assertEqual(alice.post("/item/%s/cancel" % atoken, {"csrf": csrf}).status, 403)
        # the organizer's token is not alice's: not found, as any other
        self.assertEqual(alice.post("/item/%s/cancel" % btoken, {"csrf": csrf}).status, 404)
        self.assertEqual(alice.post("/item/%s/edit" % btoken, data).status, 404)
        self.assertEqual(self.refused_state(uid), before)

    def test_refused_csrf_changes_nothing(self):
        bob = self.client(BOB)
        r = self.meeting(bob, summary="Guarded", attendees=ALICE)
        self.assertEqual(r.status, 303, r.text[:1000])
        uid = self.item(BOB, summary="Guarded")[0]
        wait(lambda: self.item(ALICE, uid=uid), "alice's item")
        token = self.item(BOB, uid=uid)[5]
        before = self.refused_state(uid)
        data = {"summary": "Changed", "attendees": ALICE, "date": "2030-12-05",
                "start": "10:00", "end": "11:00", "tz": "UTC"}
        for bad in ({}, {"csrf": "0" * 64}):
            self.assertEqual(bob.post("/item/%s/edit" % token, dict(data, **bad)).status, 403)
            self.assertEqual(bob.post("/item/%s/cancel" % token, bad).status, 403)
            self.assertEqual(bob.post("/calendar/new", dict(data, summary="New", **bad)).status, 403)
        self.assertEqual(self.refused_state(uid), before)
        self.assertIsNone(self.item(BOB, summary="New"))


if __name__ == "__main__":
    unittest.main()
