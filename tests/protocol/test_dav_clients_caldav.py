"""CalDAV with a real client library: python3-caldav (Debian's package,
0.11), our test code on top of its public API, against /dav/ over HTTPS
with the certificate verified (ssl_verify_cert = the test certificate).

Discovery (principal, calendar home, calendars), MKCALENDAR, PUT of an
event, calendar-query by time range (date_search and search), server-side
recurrence expansion, update with ETags, sync-collection through the
library's sync(), PROPPATCH, free-busy and DELETE of items and calendars.

python3-caldav 0.11 has no CardDAV API (no address-book objects), so the
address book is tested with vdirsyncer (test_dav_clients_vdirsyncer.py),
not here."""
import datetime
import sys
import time
import unittest
import urllib.parse

from infostore_harness import SharedServerTest
from test_web import ALICE, ALICE_PW, BOB, BOB_PW

try:
    import caldav
except ImportError:
    # Debian's python3-caldav lives in the system interpreter's
    # dist-packages; tests/run.py may run under another python3 of the
    # same version (pyenv, a venv) that does not see it.
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import caldav
    except ImportError:
        caldav = None

if caldav is not None:
    from caldav.elements import dav as dav_elements
    from caldav.elements import ical as ical_elements
    from caldav.lib import error as caldav_error

MISSING = "python3-caldav is not installed: apt-get install -y python3-caldav"


def ics(uid, summary, start, end, extra=()):
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//infostore tests//caldav-lib//EN",
             "BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20261201T000000Z",
             "DTSTART:" + start, "DTEND:" + end, "SUMMARY:" + summary]
    lines += list(extra)
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines)


def path_of(url):
    """The decoded path of a caldav URL object or string: the library
    percent-encodes the @ of the address (alice%40example.test)."""
    return urllib.parse.unquote(urllib.parse.urlsplit(str(url)).path)


def utc(*args):
    return datetime.datetime(*args, tzinfo=datetime.timezone.utc)


class CaldavLibraryTest(SharedServerTest):
    SERVER_ARGS = {"listeners": ("https",)}

    @classmethod
    def setUpClass(cls):
        if caldav is None:
            raise AssertionError(MISSING)
        super().setUpClass()

    def client(self, user=ALICE, password=ALICE_PW, path="/dav/"):
        c = caldav.DAVClient(url=self.srv.url(path), username=user, password=password,
                             ssl_verify_cert=self.srv.cert)
        self.addCleanup(c.session.close)
        return c

    def new_calendar(self, principal, name):
        cal_id = "%s-%d" % (name.lower().replace(" ", "-"), time.time_ns())
        cal = principal.make_calendar(name=name, cal_id=cal_id)
        self.addCleanup(self._drop, cal)
        return cal

    @staticmethod
    def _drop(cal):
        try:
            cal.delete()
        except Exception:
            pass

    def uid(self, what):
        return "%s-%d@example.test" % (what, time.time_ns())

    # --- discovery ---

    def test_discovery_finds_principal_home_and_default_calendar(self):
        principal = self.client().principal()
        self.assertEqual(path_of(principal.url), "/dav/principals/%s/" % ALICE)
        self.assertEqual(path_of(principal.calendar_home_set.url), "/dav/calendars/%s/" % ALICE)
        self.assertIn("mailto:" + ALICE, principal.calendar_user_address_set())
        cals = {path_of(c.url): c for c in principal.calendars()}
        default = "/dav/calendars/%s/calendar/" % ALICE
        self.assertIn(default, cals, "calendars() lists %s" % sorted(cals))
        # the scheduling inbox and outbox are not calendars
        self.assertFalse([p for p in cals if p.endswith(("/inbox/", "/outbox/"))], cals)
        cal = principal.calendar(cal_id="calendar")
        self.assertEqual(path_of(cal.url), default)
        self.assertEqual(cal.get_supported_components(), ["VEVENT"])
        self.assertTrue(cals[default].name)
        self.assertEqual(path_of(principal.schedule_outbox().url),
                         "/dav/calendars/%s/outbox/" % ALICE)

    def test_wrong_password_is_an_authorization_error(self):
        with self.assertRaises(caldav_error.AuthorizationError):
            self.client(password="not-the-password").principal()

    # --- calendars and events ---

    def test_make_calendar_save_and_search_by_time_range(self):
        principal = self.client().principal()
        cal = self.new_calendar(principal, "Project X")
        # MKCALENDAR with a displayname: listed with it, VEVENT only
        listed = {path_of(c.url): c for c in principal.calendars()}
        self.assertIn(path_of(cal.url), listed)
        self.assertEqual(listed[path_of(cal.url)].get_display_name(), "Project X")
        self.assertEqual(cal.get_supported_components(), ["VEVENT"])
        uid_a, uid_b = self.uid("range-a"), self.uid("range-b")
        ev_a = cal.save_event(ics(uid_a, "Kickoff", "20301203T090000Z", "20301203T100000Z"))
        cal.save_event(ics(uid_b, "Retrospective", "20310115T090000Z", "20310115T100000Z"))
        self.assertTrue(path_of(ev_a.url).startswith(path_of(cal.url)))
        # date_search: a calendar-query with a time-range
        found = cal.date_search(utc(2030, 12, 1), utc(2030, 12, 5))
        self.assertEqual([e.icalendar_instance.walk("VEVENT")[0]["UID"] for e in found], [uid_a])
        # search(start=, end=, event=True): the same, and one for the other
        found = cal.search(start=utc(2031, 1, 1), end=utc(2031, 2, 1), event=True)
        self.assertEqual([str(e.icalendar_instance.walk("VEVENT")[0]["SUMMARY"])
                          for e in found], ["Retrospective"])
        # a range with neither, and one with both
        self.assertEqual(cal.search(start=utc(2030, 6, 1), end=utc(2030, 7, 1), event=True), [])
        both = cal.search(start=utc(2030, 1, 1), end=utc(2032, 1, 1), event=True)
        self.assertEqual(len(both), 2)
        # a text search on SUMMARY: the library asks for collation
        # i;octet, a case-sensitive substring match (RFC 4790)
        found = cal.search(summary="Retro", event=True)
        self.assertEqual(len(found), 1)
        self.assertIn("Retrospective", found[0].data)
        self.assertEqual(cal.search(summary="retro", event=True), [])
        self.assertIn("Kickoff", cal.event_by_uid(uid_a).data)
        # events(): everything in the calendar, with data
        self.assertEqual(sorted(str(e.icalendar_instance.walk("VEVENT")[0]["UID"])
                                for e in cal.events()), sorted([uid_a, uid_b]))

    def test_text_search_matches_the_unescaped_value(self):
        # RFC 4791 9.7.5: text-match is a match against the property's
        # value; in iCalendar TEXT, \, and \; are escapes for "," and ";"
        # (RFC 5545 3.3.11), and the library writes them escaped, so a UID
        # or SUMMARY with a comma or a semicolon is only found if the server
        # unescapes the value before matching.
        cal = self.new_calendar(self.client().principal(), "Escapes")
        stamp = time.time_ns()
        uid = "team;budget,%d@example.test" % stamp
        ev = cal.save_event(ics("team\\;budget\\,%d@example.test" % stamp,
                                "Budget\\, plan\\; next steps", "20301211T090000Z",
                                "20301211T100000Z"))
        ev.load()
        self.assertIn("SUMMARY:Budget\\, plan\\; next steps", ev.data)  # on the wire
        found = [path_of(e.url) for e in cal.search(summary="Budget, plan", event=True)]
        try:
            by_uid = path_of(cal.event_by_uid(uid).url)
        except caldav_error.NotFoundError:
            by_uid = None
        self.assertEqual({"search(summary=)": found, "event_by_uid": by_uid},
                         {"search(summary=)": [path_of(ev.url)], "event_by_uid": path_of(ev.url)})

    def test_event_in_the_default_calendar_is_in_the_store(self):
        principal = self.client().principal()
        cal = principal.calendar(cal_id="calendar")
        uid = self.uid("default")
        ev = cal.save_event(ics(uid, "Dentist appointment", "20301210T080000Z",
                                "20301210T090000Z"))
        self.addCleanup(ev.delete)
        # one item, every view: the admin CLI lists it
        out = self.srv.cli("calendar", "list", ALICE, check=True).stdout.decode()
        self.assertIn(uid, out)
        self.assertIn("Dentist appointment", out)

    def test_recurring_event_expanded_by_the_server(self):
        principal = self.client().principal()
        cal = self.new_calendar(principal, "Weekly")
        uid = self.uid("weekly")
        cal.save_event(ics(uid, "Standup", "20301202T090000Z", "20301202T091500Z",
                           ["RRULE:FREQ=WEEKLY;COUNT=4"]))
        # the time range matches by an occurrence, not by the first one
        found = cal.search(start=utc(2030, 12, 15), end=utc(2030, 12, 17), event=True)
        self.assertEqual(len(found), 1)
        # the library's own query with <C:expand>, sent as is (no
        # client-side fallback): the server answers with the occurrences
        xml, _ = cal.build_search_xml_query(start=utc(2030, 12, 8), end=utc(2030, 12, 22),
                                            event=True, expand=True)
        found = cal.search(xml=xml)
        self.assertEqual(len(found), 1)
        data = found[0].data.replace("\r\n", "\n")
        self.assertNotIn("RRULE", data)
        self.assertEqual(sorted(l for l in data.split("\n") if l.startswith("RECURRENCE-ID")),
                         ["RECURRENCE-ID:20301209T090000Z", "RECURRENCE-ID:20301216T090000Z"])
        # split by the library into two occurrences
        occ = cal.search(start=utc(2030, 12, 8), end=utc(2030, 12, 22), event=True,
                         expand=True)
        self.assertEqual(len(occ), 2)

    def test_update_with_etag(self):
        client = self.client()
        cal = self.new_calendar(client.principal(), "Edits")
        uid = self.uid("etag")
        ev = cal.save_event(ics(uid, "Draft title", "20301205T120000Z", "20301205T130000Z"))
        ev = cal.event_by_uid(uid)
        ev.load()
        etag = ev.props.get("{DAV:}getetag")
        self.assertTrue(etag and etag.startswith('"'), ev.props)
        # change SUMMARY through the library's icalendar object and save
        ev.icalendar_instance.walk("VEVENT")[0]["SUMMARY"] = "Final title"
        ev.save()
        again = cal.event_by_uid(uid)
        again.load()
        self.assertIn("SUMMARY:Final title", again.data)
        new_etag = again.props.get("{DAV:}getetag")
        self.assertTrue(new_etag)
        self.assertNotEqual(new_etag, etag)
        # the library's save() does not send If-Match; its client does the
        # conditional PUT a careful app sends, and the stale ETag loses
        body = again.data.replace("Final title", "Lost update")
        r = client.put(str(again.url), body, {"If-Match": etag,
                                              "Content-Type": "text/calendar; charset=utf-8"})
        self.assertEqual(r.status, 412)
        self.assertIn("SUMMARY:Final title", cal.event_by_uid(uid).data)
        r = client.put(str(again.url), body, {"If-Match": new_etag,
                                              "Content-Type": "text/calendar; charset=utf-8"})
        self.assertIn(r.status, (200, 204))
        self.assertIn("SUMMARY:Lost update", cal.event_by_uid(uid).data)

    def test_sync_collection_through_the_library(self):
        cal = self.new_calendar(self.client().principal(), "Synced")
        keep = cal.save_event(ics(self.uid("keep"), "Keep", "20301201T090000Z",
                                  "20301201T100000Z"))
        change = cal.save_event(ics(self.uid("change"), "Change me", "20301202T090000Z",
                                    "20301202T100000Z"))
        gone = cal.save_event(ics(self.uid("gone"), "Delete me", "20301203T090000Z",
                                  "20301203T100000Z"))
        objs = cal.objects_by_sync_token(load_objects=True)
        self.assertTrue(objs.sync_token)
        self.assertEqual(len(list(objs)), 3)
        first_token = objs.sync_token
        # nothing changed: nothing to fetch
        self.assertEqual(objs.sync(), ([], []))
        change.icalendar_instance.walk("VEVENT")[0]["SUMMARY"] = "Changed"
        change.save()
        gone.delete()
        added = cal.save_event(ics(self.uid("added"), "New one", "20301204T090000Z",
                                   "20301204T100000Z"))
        updated, deleted = objs.sync()
        self.assertEqual(sorted(path_of(o.url) for o in updated),
                         sorted([path_of(change.url), path_of(added.url)]))
        self.assertEqual([path_of(o.url) for o in deleted], [path_of(gone.url)])
        self.assertNotEqual(objs.sync_token, first_token)
        self.assertIn("SUMMARY:Changed", [o for o in updated
                                          if path_of(o.url) == path_of(change.url)][0].data)
        self.assertEqual(sorted(path_of(o.url) for o in objs.objects),
                         sorted(path_of(o.url) for o in (keep, change, added)))

    def test_calendar_properties(self):
        cal = self.new_calendar(self.client().principal(), "Colors")
        cal.set_properties([dav_elements.DisplayName("Renamed"),
                            ical_elements.CalendarColor("#00AA00FF")])
        props = cal.get_properties([dav_elements.DisplayName(), ical_elements.CalendarColor()])
        self.assertEqual(props[dav_elements.DisplayName.tag], "Renamed")
        self.assertEqual(props[ical_elements.CalendarColor.tag], "#00AA00FF")
        # a fresh client sees the new name in the listing
        names = {path_of(c.url): c.get_display_name()
                 for c in self.client().principal().calendars()}
        self.assertEqual(names[path_of(cal.url)], "Renamed")

    def test_freebusy(self):
        cal = self.new_calendar(self.client().principal(), "Busy")
        cal.save_event(ics(self.uid("busy"), "Busy time", "20301207T140000Z",
                           "20301207T150000Z"))
        fb = cal.freebusy_request(utc(2030, 12, 7), utc(2030, 12, 8))
        self.assertIn("FREEBUSY", fb.data)
        self.assertIn("20301207T140000Z/20301207T150000Z", fb.data.replace("\r\n ", ""))

    def test_delete_event_and_calendar(self):
        principal = self.client().principal()
        cal = self.new_calendar(principal, "Short lived")
        uid = self.uid("delete")
        ev = cal.save_event(ics(uid, "Soon gone", "20301208T090000Z", "20301208T100000Z"))
        ev.delete()
        with self.assertRaises(caldav_error.NotFoundError):
            cal.event_by_uid(uid)
        self.assertEqual(cal.events(), [])
        cal.delete()
        self.assertNotIn(path_of(cal.url), [path_of(c.url) for c in principal.calendars()])
        # the default calendar holds every item of the user: it stays
        # (403: the library raises its AuthorizationError)
        with self.assertRaises(caldav_error.AuthorizationError):
            principal.calendar(cal_id="calendar").delete()
        self.assertIn("/dav/calendars/%s/calendar/" % ALICE,
                      [path_of(c.url) for c in principal.calendars()])

    def test_other_users_calendars_are_not_reachable(self):
        bob = self.client(BOB, BOB_PW).principal()
        bob_cal = bob.calendar(cal_id="calendar")
        bob_cal.save_event(ics(self.uid("bob"), "Bob's secret", "20301209T090000Z",
                               "20301209T100000Z"))
        alice = self.client()
        foreign = caldav.Calendar(client=alice, url=self.srv.url(
            "/dav/calendars/%s/calendar/" % BOB))
        with self.assertRaises(caldav_error.DAVError):
            foreign.events()
        self.assertNotIn("Bob's secret", "".join(
            e.data for e in alice.principal().calendar(cal_id="calendar").events()))


if __name__ == "__main__":
    unittest.main()
