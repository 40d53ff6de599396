"""CalDAV and CardDAV over HTTPS with http.client, request by request:
discovery, PROPFIND, PUT/GET/DELETE with ETags and the 412 rules, each
REPORT, sync-collection with tombstones, MKCALENDAR, cross-user access,
and scheduling with a local and a remote attendee (a fake relay)."""
import base64
import email
import http.client
import re
import time
import unittest
import xml.etree.ElementTree as ET

from infostore_harness import InfostoreServer, SharedServerTest, client_tls_context
from smtp_relay import Relay
from test_web import ALICE, ALICE_PW, BOB, BOB_PW, WebClient
from test_web_meeting import inbox_subjects, item_token

NS = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:caldav",
      "CR": "urn:ietf:params:xml:ns:carddav", "CS": "http://calendarserver.org/ns/"}
CAL = "/dav/calendars/%s/calendar/" % ALICE
BOOK = "/dav/addressbooks/%s/contacts/" % ALICE


def event(uid, summary="Lunch", start="20301203T120000Z", end="20301203T130000Z",
          extra=()):
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//infostore tests//EN",
             "BEGIN:VEVENT", "UID:%s" % uid, "DTSTAMP:20261201T000000Z",
             "DTSTART:%s" % start, "DTEND:%s" % end, "SUMMARY:%s" % summary]
    lines += list(extra)
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines)


def card(uid, fn, email_addr):
    return ("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:%s\r\nFN:%s\r\nN:%s;;;;\r\n"
            "item1.EMAIL;TYPE=INTERNET:%s\r\nitem1.X-ABLabel:work\r\nEND:VCARD\r\n"
            % (uid, fn, fn, email_addr))


class Dav:
    """A DAV client on one keep-alive connection with Basic credentials."""

    def __init__(self, port, user, password, https=True):
        self.port, self.https = port, https
        self.auth = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        self.conn = None

    def close(self):
        if self.conn:
            self.conn.close()

    def request(self, method, path, body=None, headers=None, auth=True):
        hdrs = dict(headers or {})
        if auth:
            hdrs["Authorization"] = self.auth
        if isinstance(body, str):
            body = body.encode()
        for attempt in range(2):
            if self.conn is None:
                if self.https:
                    self.conn = http.client.HTTPSConnection(
                        "127.0.0.1", self.port, timeout=30, context=client_tls_context())
                else:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        resp.body = data
        if (resp.getheader("Connection") or "").lower() == "close":
            self.conn.close()
            self.conn = None
        return resp

    def xml(self, method, path, body, depth="1", headers=None):
        h = {"Depth": depth, "Content-Type": "application/xml; charset=utf-8"}
        h.update(headers or {})
        r = self.request(method, path, body, h)
        r.tree = ET.fromstring(r.body) if r.body.strip().startswith(b"<") else None
        return r

    def propfind(self, path, props, depth="0", headers=None):
        body = ('<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:C="%s" '
                'xmlns:CR="%s" xmlns:CS="%s"><D:prop>%s</D:prop></D:propfind>'
                % (NS["C"], NS["CR"], NS["CS"], "".join("<%s/>" % p for p in props)))
        return self.xml("PROPFIND", path, body, depth, headers)

    def put(self, path, text, headers=None, ctype="text/calendar; charset=utf-8"):
        h = {"Content-Type": ctype}
        h.update(headers or {})
        return self.request("PUT", path, text, h)


def responses(tree):
    """{href: {"status": ..., "props": {tag: element}}} of a multistatus"""
    out = {}
    for resp in tree.findall("D:response", NS):
        href = resp.find("D:href", NS).text
        entry = {"status": None, "props": {}, "missing": set()}
        st = resp.find("D:status", NS)
        if st is not None:
            entry["status"] = st.text
        for ps in resp.findall("D:propstat", NS):
            code = ps.find("D:status", NS).text
            for prop in ps.find("D:prop", NS):
                if " 200 " in code:
                    entry["props"][prop.tag] = prop
                else:
                    entry["missing"].add(prop.tag)
        out[href] = entry
    return out


def tag(prefix, name):
    return "{%s}%s" % (NS[prefix], name)


class DavProtocolTest(SharedServerTest):
    SERVER_ARGS = {"listeners": ("https", "http", "lmtp")}

    def client(self, user=ALICE, password=ALICE_PW, https=True):
        c = Dav(self.srv.ports["https" if https else "http"], user, password, https)
        self.addCleanup(c.close)
        return c

    def test_unauthenticated_gets_401(self):
        c = self.client()
        for path in ("/dav/", CAL, "/dav/nonexistent"):
            r = c.request("PROPFIND", path, auth=False, headers={"Depth": "0"})
            self.assertEqual(r.status, 401, path)
            self.assertIn("Basic", r.getheader("WWW-Authenticate"))
        bad = Dav(self.srv.ports["https"], ALICE, "wrong")
        self.addCleanup(bad.close)
        self.assertEqual(bad.request("PROPFIND", "/dav/", headers={"Depth": "0"}).status, 401)

    def test_plain_http_refuses_credentials(self):
        c = self.client(https=False)
        r = c.request("PROPFIND", "/dav/", headers={"Depth": "0"})
        # no password over plain HTTP: sent on to https, never checked
        self.assertEqual(r.status, 308)
        self.assertTrue(r.getheader("Location").startswith("https://"))

    def test_well_known_and_discovery(self):
        c = self.client()
        for name in ("caldav", "carddav"):
            r = c.request("PROPFIND", "/.well-known/" + name, auth=False)
            self.assertEqual(r.status, 301)
            self.assertEqual(r.getheader("Location"), "/dav/")
        r = c.propfind("/dav/", ["D:current-user-principal"])
        self.assertEqual(r.status, 207)
        principal = r.tree.find(".//D:current-user-principal/D:href", NS).text
        self.assertEqual(principal, "/dav/principals/%s/" % ALICE)
        r = c.propfind(principal, ["C:calendar-home-set", "CR:addressbook-home-set",
                                   "C:calendar-user-address-set", "C:schedule-inbox-URL",
                                   "C:schedule-outbox-URL", "D:principal-URL",
                                   "D:principal-collection-set", "D:displayname"])
        self.assertEqual(r.status, 207)
        self.assertEqual(r.tree.find(".//C:calendar-home-set/D:href", NS).text,
                         "/dav/calendars/%s/" % ALICE)
        self.assertEqual(r.tree.find(".//CR:addressbook-home-set/D:href", NS).text,
                         "/dav/addressbooks/%s/" % ALICE)
        addrs = [h.text for h in r.tree.findall(".//C:calendar-user-address-set/D:href", NS)]
        self.assertIn("mailto:" + ALICE, addrs)
        self.assertTrue(r.tree.find(".//C:schedule-outbox-URL/D:href", NS).text
                        .endswith("/outbox/"))
        # the percent-encoded address names the same principal
        r = c.propfind("/dav/principals/alice%40example.test/", ["D:displayname"])
        self.assertEqual(r.status, 207)
        # the home lists the default calendar and the scheduling boxes
        r = c.propfind("/dav/calendars/%s/" % ALICE,
                       ["D:resourcetype", "CS:getctag", "D:sync-token",
                        "C:supported-calendar-component-set", "D:supported-report-set",
                        "D:current-user-privilege-set", "C:max-resource-size"], depth="1")
        res = responses(r.tree)
        cal = res[CAL]
        self.assertIsNotNone(cal["props"][tag("D", "resourcetype")].find("C:calendar", NS))
        self.assertTrue(cal["props"][tag("D", "sync-token")].text.startswith("data:,"))
        self.assertIsNotNone(cal["props"][tag("C", "supported-calendar-component-set")]
                             .find("C:comp[@name='VEVENT']", NS))
        reports = [e.tag for e in cal["props"][tag("D", "supported-report-set")].iter()]
        self.assertIn(tag("D", "sync-collection"), reports)
        self.assertIn(tag("C", "calendar-multiget"), reports)
        self.assertIn("/dav/calendars/%s/inbox/" % ALICE, res)
        # OPTIONS says what we do
        r = c.request("OPTIONS", CAL)
        dav = r.getheader("DAV")
        for word in ("1", "3", "calendar-access", "calendar-auto-schedule", "addressbook",
                     "extended-mkcol", "access-control"):
            self.assertIn(word, [w.strip() for w in dav.split(",")])
        self.assertIn("REPORT", r.getheader("Allow"))

    def test_brief_and_unknown_props(self):
        c = self.client()
        r = c.propfind(CAL, ["D:displayname", "D:getcontentlanguage"])
        self.assertEqual(r.status, 207)
        entry = responses(r.tree)[CAL]
        self.assertIn(tag("D", "getcontentlanguage"), entry["missing"])
        r = c.propfind(CAL, ["D:displayname", "D:getcontentlanguage"],
                       headers={"Prefer": "return=minimal"})
        self.assertNotIn(b"404", r.body)
        self.assertEqual(r.getheader("Preference-Applied"), "return=minimal")
        r = c.xml("PROPFIND", CAL, '<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>', "0")
        self.assertIsNotNone(r.tree.find(".//D:prop/CS:getctag", NS))
        r = c.xml("PROPFIND", CAL, '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>', "0")
        self.assertIsNotNone(r.tree.find(".//D:prop/D:resourcetype", NS))
        self.assertEqual(c.propfind(CAL, ["D:displayname"], depth="infinity").status, 403)
        self.assertEqual(c.xml("PROPFIND", CAL, "<not xml").status, 400)

    def test_put_get_etag_rules(self):
        c = self.client()
        uid = "etag-%d@example.test" % time.time_ns()
        path = CAL + uid + ".ics"
        text = event(uid)
        r = c.put(path, text, {"If-None-Match": "*"})
        self.assertEqual(r.status, 201, r.body)
        etag = r.getheader("ETag")
        self.assertTrue(etag and etag.startswith('"'), etag)
        r = c.request("GET", path)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body.decode(), text)  # byte for byte what was PUT
        self.assertEqual(r.getheader("ETag"), etag)
        self.assertTrue(r.getheader("Content-Type").startswith("text/calendar"))
        # create-only on an existing one, a stale If-Match: 412
        self.assertEqual(c.put(path, text, {"If-None-Match": "*"}).status, 412)
        self.assertEqual(c.put(path, text, {"If-Match": '"1"'}).status, 412)
        r = c.put(path, event(uid, "Longer lunch"), {"If-Match": etag})
        self.assertEqual(r.status, 204)
        new_etag = r.getheader("ETag")
        self.assertNotEqual(new_etag, etag)
        self.assertEqual(c.request("DELETE", path, headers={"If-Match": etag}).status, 412)
        # the UID is one resource: a second name for it is a conflict
        r = c.put(CAL + "other-name.ics", event(uid))
        self.assertEqual(r.status, 409)
        self.assertIn(b"no-uid-conflict", r.body)
        # not iCalendar, a METHOD, two UIDs: refused
        self.assertEqual(c.put(CAL + "bad.ics", "hello").status, 403)
        self.assertEqual(c.put(CAL + "bad.ics", event("m-%d" % time.time_ns(),
                                                      extra=()).replace(
            "VERSION:2.0", "VERSION:2.0\r\nMETHOD:REQUEST")).status, 403)
        todo = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VTODO\r\n"
                "UID:todo-1\r\nDTSTAMP:20261201T000000Z\r\nSUMMARY:Buy milk\r\n"
                "END:VTODO\r\nEND:VCALENDAR\r\n")
        r = c.put(CAL + "todo.ics", todo)
        self.assertEqual(r.status, 403)
        self.assertIn(b"supported-calendar-component", r.body)
        self.assertEqual(c.request("DELETE", path, headers={"If-Match": new_etag}).status, 204)
        self.assertEqual(c.request("GET", path).status, 404)
        # the item shows in the CLI's calendar list while it exists
        self.assertNotIn(uid, self.srv.cli("calendar", "list", ALICE, check=True).stdout.decode())

    def test_dav_item_is_in_the_calendar(self):
        c = self.client()
        uid = "shared-%d@example.test" % time.time_ns()
        self.assertEqual(c.put(CAL + "shared.ics", event(uid, "Quarterly planning")).status, 201)
        out = self.srv.cli("calendar", "list", ALICE, check=True).stdout.decode()
        self.assertIn("Quarterly planning", out)
        self.assertIn(uid, out)

    def test_sync_collection_with_tombstones(self):
        c = self.client()
        c.request("MKCALENDAR", "/dav/calendars/%s/sync-test/" % ALICE)
        base = "/dav/calendars/%s/sync-test/" % ALICE
        body = ('<D:sync-collection xmlns:D="DAV:"><D:sync-token>%s</D:sync-token>'
                '<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop>%s'
                '</D:sync-collection>')
        r = c.xml("REPORT", base, body % ("", ""), "0")
        self.assertEqual(r.status, 207)
        token0 = r.tree.find("D:sync-token", NS).text
        self.assertEqual(responses(r.tree), {})
        for i in range(3):
            self.assertEqual(c.put(base + "e%d.ics" % i,
                                   event("sync-%d-%d" % (i, time.time_ns()))).status, 201)
        r = c.xml("REPORT", base, body % (token0, ""), "0")
        res = responses(r.tree)
        self.assertEqual(sorted(res), [base + "e0.ics", base + "e1.ics", base + "e2.ics"])
        token1 = r.tree.find("D:sync-token", NS).text
        self.assertEqual(c.request("DELETE", base + "e1.ics").status, 204)
        r = c.xml("REPORT", base, body % (token1, ""), "0")
        res = responses(r.tree)
        self.assertEqual(list(res), [base + "e1.ics"])
        self.assertIn("404", res[base + "e1.ics"]["status"])
        # the full listing has no tombstones
        r = c.xml("REPORT", base, body % ("", ""), "0")
        self.assertEqual(sorted(responses(r.tree)), [base + "e0.ics", base + "e2.ics"])
        # limit: 507 for the collection and a token to go on from
        r = c.xml("REPORT", base, body % (token0, "<D:limit><D:nresults>1</D:nresults>"
                                                  "</D:limit>"), "0")
        res = responses(r.tree)
        self.assertIn("507", res[base]["status"])
        self.assertEqual(len(res), 2)
        partial = r.tree.find("D:sync-token", NS).text
        r = c.xml("REPORT", base, body % (partial, ""), "0")
        self.assertEqual(len(responses(r.tree)), 2)
        # a token that is not ours, or of another collection
        for bad in ("http://example.test/x", token0.replace("infostore-", "infostore-9999")):
            r = c.xml("REPORT", base, body % (bad, ""), "0")
            self.assertEqual(r.status, 403)
            self.assertIn(b"valid-sync-token", r.body)
        # and the collection goes away, except the default one
        self.assertEqual(c.request("DELETE", base).status, 204)
        self.assertEqual(c.request("DELETE", CAL).status, 403)

    def test_calendar_query_and_multiget(self):
        c = self.client()
        base = "/dav/calendars/%s/query-test/" % ALICE
        r = c.xml("MKCALENDAR", base,
                  '<C:mkcalendar xmlns:D="DAV:" xmlns:C="%s"><D:set><D:prop>'
                  '<D:displayname>Work</D:displayname></D:prop></D:set></C:mkcalendar>' % NS["C"])
        self.assertEqual(r.status, 201)
        stamp = time.time_ns()
        c.put(base + "a.ics", event("qa-%d" % stamp, "Team sync", "20301201T090000Z",
                                    "20301201T100000Z"))
        c.put(base + "b.ics", event("qb-%d" % stamp, "Dentist", "20310115T090000Z",
                                    "20310115T100000Z"))
        c.put(base + "w.ics", event("qw-%d" % stamp, "Weekly", "20300101T080000Z",
                                    "20300101T083000Z", ["RRULE:FREQ=WEEKLY"]))
        query = ('<C:calendar-query xmlns:D="DAV:" xmlns:C="%s"><D:prop><D:getetag/>'
                 '</D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter '
                 'name="VEVENT">%s</C:comp-filter></C:comp-filter></C:filter>'
                 '</C:calendar-query>')
        r = c.xml("REPORT", base, query % (NS["C"], '<C:time-range start="20301201T000000Z" '
                                                     'end="20301202T000000Z"/>'))
        self.assertEqual(r.status, 207, r.body)
        # the weekly series has an occurrence on 2030-12-01? (a Sunday: no)
        got = sorted(responses(r.tree))
        self.assertIn(base + "a.ics", got)
        self.assertNotIn(base + "b.ics", got)
        r = c.xml("REPORT", base, query % (NS["C"], '<C:time-range start="20310301T000000Z" '
                                                     'end="20310308T000000Z"/>'))
        self.assertEqual(sorted(responses(r.tree)), [base + "w.ics"])  # by its recurrence
        # expand: each occurrence in the range on its own, in UTC
        expand = query.replace("<D:getetag/>", '<C:calendar-data><C:expand start='
                               '"20310301T000000Z" end="20310315T000000Z"/></C:calendar-data>')
        r = c.xml("REPORT", base, expand % (NS["C"], '<C:time-range start="20310301T000000Z" '
                                                      'end="20310315T000000Z"/>'))
        data = r.tree.find(".//C:calendar-data", NS).text
        self.assertEqual(data.count("BEGIN:VEVENT"), 2, data)
        self.assertIn("RECURRENCE-ID:20310304T080000Z", data)
        self.assertIn("RECURRENCE-ID:20310311T080000Z", data)
        self.assertNotIn("RRULE", data)
        r = c.xml("REPORT", base, query % (NS["C"], '<C:prop-filter name="SUMMARY">'
                                                     '<C:text-match>dentist</C:text-match>'
                                                     '</C:prop-filter>'))
        self.assertEqual(sorted(responses(r.tree)), [base + "b.ics"])
        r = c.xml("REPORT", base,
                  '<C:calendar-multiget xmlns:D="DAV:" xmlns:C="%s"><D:prop><D:getetag/>'
                  '<C:calendar-data/></D:prop><D:href>%sa.ics</D:href><D:href>%snope.ics'
                  '</D:href></C:calendar-multiget>' % (NS["C"], base, base))
        res = responses(r.tree)
        self.assertIn("Team sync", res[base + "a.ics"]["props"][tag("C", "calendar-data")].text)
        self.assertIn("404", res[base + "nope.ics"]["status"])
        r = c.xml("REPORT", base, '<C:free-busy-query xmlns:C="%s"><C:time-range '
                  'start="20301201T000000Z" end="20301202T000000Z"/></C:free-busy-query>'
                  % NS["C"])
        self.assertEqual(r.status, 200)
        self.assertIn(b"FREEBUSY;FBTYPE=BUSY:20301201T090000Z/20301201T100000Z", r.body)

    def test_move_and_copy(self):
        c = self.client()
        other = "/dav/calendars/%s/move-test/" % ALICE
        self.assertEqual(c.request("MKCALENDAR", other).status, 201)
        uid = "move-%d@example.test" % time.time_ns()
        self.assertEqual(c.put(CAL + "m.ics", event(uid, "Moving")).status, 201)
        r = c.request("MOVE", CAL + "m.ics",
                      headers={"Destination": "https://127.0.0.1%s" % (other + "moved.ics")})
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(c.request("GET", CAL + "m.ics").status, 404)
        r = c.request("GET", other + "moved.ics")
        self.assertEqual(r.status, 200)
        self.assertIn(uid, r.body.decode())
        # still one item, with its link
        self.assertEqual(self.srv.cli("calendar", "list", ALICE, check=True)
                         .stdout.decode().count(uid), 1)
        # an event cannot be copied (its UID would be there twice)
        r = c.request("COPY", other + "moved.ics", headers={"Destination": CAL + "copy.ics"})
        self.assertEqual(r.status, 403)
        # Overwrite: F on an existing target
        c.put(CAL + "x.ics", event("x-%d" % time.time_ns()))
        r = c.request("MOVE", other + "moved.ics", headers={"Destination": CAL + "x.ics",
                                                           "Overwrite": "F"})
        self.assertEqual(r.status, 412)
        # cards copy
        text = card("copy-%d" % time.time_ns(), "Eve", "eve@example.test")
        c.put(BOOK + "eve.vcf", text, ctype="text/vcard")
        self.assertEqual(c.request("MOVE", BOOK + "eve.vcf",
                                   headers={"Destination": BOOK + "eve2.vcf"}).status, 201)
        self.assertEqual(c.request("GET", BOOK + "eve2.vcf").body.decode(), text)
        self.assertEqual(c.request("MOVE", BOOK + "eve2.vcf",
                                   headers={"Destination": CAL + "eve.ics"}).status, 403)

    def test_free_busy_post_to_outbox(self):
        c = self.client()
        bob = self.client(BOB, BOB_PW)
        bob_cal = "/dav/calendars/%s/calendar/" % BOB
        self.assertEqual(bob.put(bob_cal + "busy.ics", event(
            "fb-%d" % time.time_ns(), "Busy", "20301210T100000Z",
            "20301210T110000Z")).status, 201)
        req = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nMETHOD:REQUEST\r\n"
               "BEGIN:VFREEBUSY\r\nUID:fbq-1\r\nDTSTAMP:20261201T000000Z\r\n"
               "DTSTART:20301210T000000Z\r\nDTEND:20301211T000000Z\r\n"
               "ORGANIZER:mailto:%s\r\nATTENDEE:mailto:%s\r\n"
               "ATTENDEE:mailto:someone@elsewhere.test\r\nEND:VFREEBUSY\r\n"
               "END:VCALENDAR\r\n") % (ALICE, BOB)
        outbox = "/dav/calendars/%s/outbox/" % ALICE
        r = c.request("POST", outbox, req, {"Content-Type": "text/calendar; charset=utf-8"})
        self.assertEqual(r.status, 200, r.body)
        tree = ET.fromstring(r.body)
        got = {}
        for resp in tree.findall("C:response", NS):
            who = resp.find("C:recipient/D:href", NS).text
            got[who] = (resp.find("C:request-status", NS).text,
                        (resp.find("C:calendar-data", NS).text or "")
                        if resp.find("C:calendar-data", NS) is not None else "")
        self.assertTrue(got["mailto:" + BOB][0].startswith("2.0"))
        self.assertIn("FREEBUSY;FBTYPE=BUSY:20301210T100000Z/20301210T110000Z",
                      got["mailto:" + BOB][1])
        self.assertTrue(got["mailto:someone@elsewhere.test"][0].startswith("3.7"))
        # only as oneself
        r = c.request("POST", outbox, req.replace("ORGANIZER:mailto:" + ALICE,
                                                  "ORGANIZER:mailto:" + BOB),
                      {"Content-Type": "text/calendar"})
        self.assertEqual(r.status, 403)

    def test_proppatch(self):
        c = self.client()
        body = ('<D:propertyupdate xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/">'
                '<D:set><D:prop><D:displayname>Mine</D:displayname>'
                '<A:calendar-color>#FF0000FF</A:calendar-color></D:prop></D:set>'
                '</D:propertyupdate>')
        r = c.xml("PROPPATCH", CAL, body, "0")
        self.assertEqual(r.status, 207)
        self.assertNotIn(b"403", r.body)
        r = c.propfind(CAL, ["D:displayname"])
        self.assertEqual(r.tree.find(".//D:displayname", NS).text, "Mine")
        bad = body.replace("<D:displayname>Mine</D:displayname>",
                           "<D:getetag>x</D:getetag>")
        r = c.xml("PROPPATCH", CAL, bad, "0")
        self.assertIn(b"403", r.body)
        self.assertIn(b"424", r.body)

    def test_carddav(self):
        c = self.client()
        r = c.propfind(BOOK, ["D:resourcetype", "CR:supported-address-data"])
        self.assertIsNotNone(r.tree.find(".//D:resourcetype/CR:addressbook", NS))
        stamp = time.time_ns()
        text = card("card-%d" % stamp, "Carol Partner", "carol@partner.test")
        r = c.put(BOOK + "carol.vcf", text, ctype="text/vcard; charset=utf-8")
        self.assertEqual(r.status, 201, r.body)
        r = c.request("GET", BOOK + "carol.vcf")
        self.assertEqual(r.body.decode(), text)  # item1.EMAIL and X-ABLabel kept
        c.put(BOOK + "dave.vcf", card("card2-%d" % stamp, "Dave", "dave@example.test"),
              ctype="text/vcard")
        q = ('<CR:addressbook-query xmlns:D="DAV:" xmlns:CR="%s"><D:prop><D:getetag/>'
             '<CR:address-data/></D:prop><CR:filter><CR:prop-filter name="EMAIL">'
             '<CR:text-match match-type="contains">partner</CR:text-match></CR:prop-filter>'
             '</CR:filter></CR:addressbook-query>' % NS["CR"])
        r = c.xml("REPORT", BOOK, q)
        self.assertEqual(sorted(responses(r.tree)), [BOOK + "carol.vcf"])
        self.assertEqual(c.put(BOOK + "x.vcf", "BEGIN:VCARD\r\nEND:VCARD\r\n",
                               ctype="text/vcard").status, 403)
        self.assertEqual(c.put(BOOK + "dup.vcf", text, ctype="text/vcard").status, 409)
        r = c.xml("REPORT", BOOK, '<CR:addressbook-multiget xmlns:D="DAV:" xmlns:CR="%s">'
                  '<D:prop><CR:address-data/></D:prop><D:href>%sdave.vcf</D:href>'
                  '</CR:addressbook-multiget>' % (NS["CR"], BOOK))
        self.assertIn("FN:Dave", r.tree.find(".//CR:address-data", NS).text)

    def test_other_users_are_invisible(self):
        c = self.client()
        bob = self.client(BOB, BOB_PW)
        self.assertEqual(bob.put("/dav/calendars/%s/calendar/x.ics" % BOB,
                                 event("bob-private-%d" % time.time_ns())).status, 201)
        for method, path in (("PROPFIND", "/dav/calendars/%s/" % BOB),
                             ("PROPFIND", "/dav/principals/%s/" % BOB),
                             ("GET", "/dav/calendars/%s/calendar/x.ics" % BOB),
                             ("DELETE", "/dav/calendars/%s/calendar/x.ics" % BOB),
                             ("PUT", "/dav/calendars/%s/calendar/y.ics" % BOB),
                             ("PROPFIND", "/dav/calendars/nobody@example.test/")):
            r = c.request(method, path, body=event("x") if method == "PUT" else None,
                          headers={"Depth": "0"})
            self.assertEqual(r.status, 404, (method, path))
        self.assertEqual(bob.request("GET", "/dav/calendars/%s/calendar/x.ics" % BOB).status, 200)


class DavSchedulingTest(unittest.TestCase):
    """Thunderbird-style implicit scheduling, end to end."""

    def test_meeting_with_local_and_remote_attendee(self):
        relay = Relay(tls=False)
        self.addCleanup(relay.close)
        srv = InfostoreServer(listeners=("https",),
                              conf={"outbound": {"relay": "127.0.0.1:%d" % relay.port}})
        self.addCleanup(srv.cleanup)
        srv.start()
        self.addCleanup(srv.stop)
        alice = Dav(srv.ports["https"], ALICE, ALICE_PW)
        bob = Dav(srv.ports["https"], BOB, BOB_PW)
        self.addCleanup(alice.close)
        self.addCleanup(bob.close)
        uid = "sched-%d@example.test" % time.time_ns()
        path = CAL + "meeting.ics"
        text = event(uid, "Budget meeting", extra=[
            "ORGANIZER;CN=Alice:mailto:%s" % ALICE,
            "ATTENDEE;CN=Alice;PARTSTAT=ACCEPTED:mailto:%s" % ALICE,
            "ATTENDEE;CN=Bob;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:%s" % BOB,
            "ATTENDEE;CN=Carol;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:carol@partner.test",
            "SEQUENCE:0"])
        r = alice.put(path, text, {"If-None-Match": "*"})
        self.assertEqual(r.status, 201, r.body)
        self.assertIsNotNone(r.getheader("Schedule-Tag"))
        # SCHEDULE-STATUS was set: what is stored is no longer what was sent
        stored = alice.request("GET", path).body.decode()
        self.assertRegex(stored, r"SCHEDULE-STATUS=1\.2[^\r\n]*\r?\n?[^\r\n]*bob@example\.test"
                         r"|bob@example\.test")
        self.assertIn("SCHEDULE-STATUS=", stored)
        # bob: the request in INBOX with the https link, and in his calendar
        token = item_token(srv, BOB, uid)
        deadline = time.time() + 20
        while time.time() < deadline:
            if any("Budget meeting" in s for s in inbox_subjects(srv, BOB)):
                break
            time.sleep(0.2)
        out = srv.cli("mailbox", "list", BOB, check=True).stdout.decode()
        self.assertRegex(out, r"INBOX\t[1-9]")
        msg = srv.cli("fetch", BOB, "INBOX", "1", check=True).stdout.decode("utf-8", "replace")
        self.assertIn("https://", msg)
        self.assertIn("/item/" + token, msg)
        q = ('<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
             '<D:prop><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR">'
             '<C:comp-filter name="VEVENT"/></C:comp-filter></C:filter></C:calendar-query>')
        r = bob.xml("REPORT", "/dav/calendars/%s/calendar/" % BOB, q)
        self.assertIn(uid, r.body.decode())
        # carol's iMIP REQUEST reaches the relay
        deadline = time.time() + 30
        while time.time() < deadline and not relay.messages:
            time.sleep(0.2)
        self.assertTrue(relay.messages, "the relay received nothing")
        sender, rcpts, data = relay.messages[0]
        self.assertEqual(rcpts, ["carol@partner.test"])
        self.assertIn(b"METHOD:REQUEST", data)
        # bob accepts in the web access
        web = WebClient(srv.ports["https"])
        self.addCleanup(web.close)
        self.assertEqual(web.login(BOB, BOB_PW, next_path="/item/" + token).status, 303)
        page = web.get("/item/" + token)
        r = web.post("/item/" + token, {"csrf": web.csrf(page), "answer": "accept",
                                        "comment": ""})
        self.assertEqual(r.status, 303, r.text)
        # alice's CalDAV copy shows it
        deadline = time.time() + 20
        while time.time() < deadline:
            stored = alice.request("GET", path).body.decode().replace("\r\n ", "")
            if re.search(r"PARTSTAT=ACCEPTED[^\r\n]*mailto:bob@example\.test", stored):
                break
            time.sleep(0.2)
        else:
            self.fail("alice's copy does not show bob's answer:\n" + stored)
        # alice deletes the meeting: bob's item is cancelled
        self.assertEqual(alice.request("DELETE", path).status, 204)
        deadline = time.time() + 20
        while time.time() < deadline:
            out = srv.cli("calendar", "list", BOB, check=True).stdout.decode()
            line = [l for l in out.splitlines() if l.startswith(uid)]
            if line and "CANCELLED" in line[0]:
                break
            time.sleep(0.2)
        else:
            self.fail("bob's item is not cancelled:\n" + out)
        # and carol got the CANCEL through the relay
        deadline = time.time() + 30
        while time.time() < deadline and not any(b"METHOD:CANCEL" in m[2]
                                                 for m in relay.messages):
            time.sleep(0.2)
        self.assertTrue(any(b"METHOD:CANCEL" in m[2] for m in relay.messages))

    def test_attendee_answer_by_caldav_reaches_organizer(self):
        srv = InfostoreServer(listeners=("https",))
        self.addCleanup(srv.cleanup)
        srv.start()
        self.addCleanup(srv.stop)
        alice = Dav(srv.ports["https"], ALICE, ALICE_PW)
        bob = Dav(srv.ports["https"], BOB, BOB_PW)
        self.addCleanup(alice.close)
        self.addCleanup(bob.close)
        uid = "reply-%d@example.test" % time.time_ns()
        text = event(uid, "Design sync", extra=[
            "ORGANIZER:mailto:%s" % ALICE,
            "ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:%s" % BOB])
        self.assertEqual(alice.put(CAL + "d.ics", text).status, 201)
        item_token(srv, BOB, uid)
        bob_cal = "/dav/calendars/%s/calendar/" % BOB
        r = bob.xml("REPORT", bob_cal,
                    '<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:prop><D:getetag/>'
                    '</D:prop></D:sync-collection>', "0")
        hrefs = list(responses(r.tree))
        self.assertEqual(len(hrefs), 1)
        got = bob.request("GET", hrefs[0])
        mine = got.body.decode().replace("PARTSTAT=NEEDS-ACTION", "PARTSTAT=TENTATIVE")
        tag_before = alice.request("GET", CAL + "d.ics").getheader("Schedule-Tag")
        r = bob.put(hrefs[0], mine, {"If-Match": got.getheader("ETag")})
        self.assertEqual(r.status, 204, r.body)
        deadline = time.time() + 20
        while time.time() < deadline:
            stored = alice.request("GET", CAL + "d.ics").body.decode().replace("\r\n ", "")
            if re.search(r"PARTSTAT=TENTATIVE[^\r\n]*mailto:bob@example\.test", stored):
                break
            time.sleep(0.2)
        else:
            self.fail("alice's copy does not show bob's answer:\n" + stored)
        # the reply changed alice's copy (a new ETag) but not its Schedule-Tag
        # (RFC 6638 3.2.10): her client may still write with If-Schedule-Tag-Match
        got = alice.request("GET", CAL + "d.ics")
        self.assertEqual(got.getheader("Schedule-Tag"), tag_before)
        r = alice.put(CAL + "d.ics", got.body.decode().replace("Design sync", "Design sync!"),
                      {"If-Schedule-Tag-Match": tag_before})
        self.assertEqual(r.status, 204, r.body)
        r = alice.put(CAL + "d.ics", got.body.decode(), {"If-Schedule-Tag-Match": tag_before})
        self.assertEqual(r.status, 412)
        out = srv.cli("calendar", "list", BOB, check=True).stdout.decode()
        self.assertIn("TENTATIVE", out)


if __name__ == "__main__":
    unittest.main()
