"""Recurrence and time zones from outside can never stall the server:
invitations whose RRULE or VTIMEZONE libical would walk for centuries
(a rule that passes a look at its parts one by one but never matches, the
same with COUNT or UNTIL, yearly observances that never match, from the
year 1) are delivered over LMTP, and the web agenda that shows them is
served, within bounds of time, while IMAP keeps answering.

The bounds are generous (the server runs under ASan on a busy machine);
without the bounds in src/lib-ical each of these takes from seconds to
minutes, on the event loop that every protocol shares."""
import datetime
import os
import sys
import threading
import time

from test_imip_util import SharedServerTest, calendar_list, ics, imip_message
from test_web import WebClient

USERS = {"alice@example.test": "alice-secret"}
USERS.update(("user%d@example.test" % i, "secret-%d" % i) for i in range(1, 6))
RECIPIENTS = sorted(USERS)

DELIVERY_MAX = 3.0   # seconds, one invitation to every recipient
AGENDA_MAX = 2.0     # seconds, the agenda page with all of them
NOOP_MAX = 2.0       # seconds, an IMAP NOOP while the agenda is made
# HOSTILE_TIMES=1: print each time taken (to compare builds)
SHOW_TIMES = bool(os.environ.get("HOSTILE_TIMES"))


def show(what, seconds):
    if SHOW_TIMES:
        sys.stderr.write("\n  %6.2f s  %s" % (seconds, what))

# Each passes a check of its parts one by one and never matches: libical
# expands every month (or year) to the year 20000 looking for a first day,
# or walks day by day to 2582, in one call.
NEVER = [
    "FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=15",
    "FREQ=MONTHLY;BYDAY=-1FR;BYMONTHDAY=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20",
    "FREQ=MONTHLY;BYDAY=2TU,3WE;BYMONTHDAY=1,2,3,4,5,6,7,-1,-2,-3,-4,-5,-6,-7",
    "FREQ=MONTHLY;BYDAY=1SU,1SA;BYMONTHDAY=8,9,10,11,12,13,14,15",
    "FREQ=YEARLY;BYDAY=1MO;BYMONTHDAY=15",
    "FREQ=YEARLY;BYDAY=-1SU;BYMONTHDAY=1,2,3;BYMONTH=4",
    "FREQ=YEARLY;BYWEEKNO=1;BYMONTH=6;BYDAY=MO",
    "FREQ=MONTHLY;INTERVAL=12;BYMONTH=3;BYDAY=1MO;BYMONTHDAY=20",
    "FREQ=DAILY;BYMONTHDAY=-1",
    "FREQ=DAILY;BYDAY=1MO,2TU",
]
COUNTED = [
    "FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=15;COUNT=10",
    "FREQ=MONTHLY;BYDAY=3FR;BYMONTHDAY=1,2,3,4,5,6,7;UNTIL=20991231T000000Z",
    "FREQ=DAILY;BYMONTHDAY=-1;COUNT=5",
]


def hostile_zone(tzid, observances=40):
    """A VTIMEZONE of yearly observances from the year 1, most of which
    never match."""
    rules = ["BYMONTH=2;BYMONTHDAY=30", "BYDAY=1MO;BYMONTHDAY=15",
             "BYWEEKNO=1;BYMONTH=6;BYDAY=MO", "BYMONTH=3;BYDAY=-1SU"]
    lines = ["BEGIN:VTIMEZONE", "TZID:%s" % tzid]
    for i in range(observances):
        kind = "STANDARD" if i % 2 == 0 else "DAYLIGHT"
        lines += ["BEGIN:%s" % kind, "DTSTART:%04d0101T000000" % (i + 1),
                  "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:X",
                  "RRULE:FREQ=YEARLY;%s" % rules[i % 4], "END:%s" % kind]
    lines.append("END:VTIMEZONE")
    return "\r\n".join(lines) + "\r\n"


def with_timezone(calendar, vtimezone):
    return calendar.replace("BEGIN:VEVENT", vtimezone + "BEGIN:VEVENT", 1)


class HostileRecurrenceTest(SharedServerTest):
    SERVER_ARGS = {"users": USERS}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # tomorrow, well inside the agenda's 30 days from today
        day = datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=1)
        cls.day = day.strftime("%Y%m%d")

    def deliver_timed(self, rcpts, calendar, what):
        """Deliver an invitation over LMTP; the time it took."""
        data = imip_message(calendar, to=", ".join(rcpts))
        start = time.monotonic()
        c = self.srv.lmtp(timeout=600)
        try:
            c.ehlo_or_helo_if_needed()
            self.assertEqual(c.sendmail("olivia@partner.test", rcpts, data), {})
        finally:
            c.quit()
        elapsed = time.monotonic() - start
        show("delivery of %s to %d" % (what, len(rcpts)), elapsed)
        self.assertLess(elapsed, DELIVERY_MAX,
                        "delivering %s to %d took %.1f s" % (what, len(rcpts), elapsed))
        return elapsed

    def invitation(self, uid, rule, summary, **kw):
        return ics(uid, summary=summary, start=self.day + "T090000Z",
                   end=self.day + "T100000Z", rrule=rule,
                   attendees=[(r, "NEEDS-ACTION") for r in RECIPIENTS], **kw)

    def test_agenda_with_rules_that_never_match(self):
        user = "alice@example.test"
        for i, rule in enumerate(NEVER):
            self.deliver_timed([user], self.invitation("never-%d@partner.test" % i, rule,
                                                       "Never %d" % i), rule)
        items = calendar_list(self.srv, user)
        for i in range(len(NEVER)):
            self.assertIn("never-%d@partner.test" % i, items)

        c = WebClient(self.srv.ports["https"])
        self.addCleanup(c.close)
        self.assertEqual(c.login(user, USERS[user]).status, 303)
        # the agenda on the event loop, and IMAP asked meanwhile
        noop = {}

        def imap_noop():
            time.sleep(0.05)
            start = time.monotonic()
            m = self.srv.imap(login=user)
            m.noop()
            noop["elapsed"] = time.monotonic() - start
            m.logout()
        t = threading.Thread(target=imap_noop)
        start = time.monotonic()
        t.start()
        page = c.get("/calendar")
        elapsed = time.monotonic() - start
        t.join(600)
        show("agenda with %d such series" % len(NEVER), elapsed)
        show("IMAP NOOP meanwhile", noop["elapsed"])
        self.assertEqual(page.status, 200)
        self.assertLess(elapsed, AGENDA_MAX, "the agenda took %.1f s" % elapsed)
        self.assertLess(noop["elapsed"], NOOP_MAX,
                        "IMAP waited %.1f s for the agenda" % noop["elapsed"])
        # each series is its DTSTART alone
        for i in range(len(NEVER)):
            self.assertEqual(page.text.count("Never %d<" % i), 1, NEVER[i])

    def test_counted_rules_to_many_recipients(self):
        """COUNT and UNTIL make delivery walk the rule (for the item's
        span), once for each recipient."""
        for i, rule in enumerate(COUNTED):
            self.deliver_timed(RECIPIENTS, self.invitation("counted-%d@partner.test" % i, rule,
                                                           "Counted %d" % i), rule)
        for user in RECIPIENTS:
            items = calendar_list(self.srv, user)
            for i in range(len(COUNTED)):
                self.assertIn("counted-%d@partner.test" % i, items)

    def test_timezone_that_never_matches(self):
        tz = hostile_zone("Hostile Standard Time")
        cal = with_timezone(ics("zone@partner.test", summary="Zoned", start=self.day + "T090000",
                                end=self.day + "T100000", rrule="FREQ=WEEKLY;COUNT=52",
                                tzid="Hostile Standard Time",
                                attendees=[(r, "NEEDS-ACTION") for r in RECIPIENTS]), tz)
        self.deliver_timed(RECIPIENTS, cal, "an invitation in a hostile zone")
        user = RECIPIENTS[-1]
        self.assertIn("zone@partner.test", calendar_list(self.srv, user))
        c = WebClient(self.srv.ports["https"])
        self.addCleanup(c.close)
        self.assertEqual(c.login(user, USERS[user]).status, 303)
        start = time.monotonic()
        page = c.get("/calendar")
        elapsed = time.monotonic() - start
        show("agenda with the zoned series", elapsed)
        self.assertEqual(page.status, 200)
        self.assertLess(elapsed, AGENDA_MAX, "the agenda took %.1f s" % elapsed)
        self.assertIn("Zoned<", page.text)
