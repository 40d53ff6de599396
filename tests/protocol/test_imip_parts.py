"""Meeting requests keep the organizer's words: in the url and both formats
the stored message carries every part the organizer sent (text, HTML, an
inline image, a PDF) byte for byte, with our summary and link beside it
and, in both, the calendar part named invite.ics; icalendar stores the
message as it came. Times in the summary are in the recipient's time zone
when they have one. A CANCEL is treated alike. Hostile shapes (deep
nesting, many parts, broken MIME, a huge attachment) stay bounded. Read
over IMAP (BODYSTRUCTURE and the parts) and in the web access."""
import base64
import email
import email.policy
import os
import re
import time

from test_imip_util import (SharedServerTest, calendar_list, last_uid, parse, parts,
                            stored, wait_for)
from test_web import WebClient, mailbox_id

USERS = {
    "url@example.test": "url-secret-1",
    "both@example.test": "both-secret-1",
    "ical@example.test": "ical-secret-1",
    "berlin@example.test": "berlin-secret-1",
    "tokyo@example.test": "tokyo-secret-1",
}
URL, BOTH, ICAL, BERLIN, TOKYO = USERS
SETTINGS = {
    URL: ["calendar_format=url"],
    ICAL: ["calendar_format=icalendar"],
    BERLIN: ["timezone=Europe/Berlin"],
    TOKYO: ["calendar_format=url", "timezone=Asia/Tokyo"],
}
ORGANIZER = "olivia@partner.test"

# a small PNG and a PDF-like attachment whose bytes are all 256 values
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")


def pdf_bytes(size):
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    body = bytes(range(256)) * (size // 256 + 1)
    return head + body[:size - len(head)]


def b64_lines(data):
    text = base64.b64encode(data)
    return b"\r\n".join(text[i:i + 76] for i in range(0, len(text), 76)) + b"\r\n"


def unique(name):
    return "%s-%d-%d@partner.test" % (name, os.getpid(), time.time_ns())


def calendar(uid, method="REQUEST", sequence=0, start="20261203T090000Z",
             end="20261203T100000Z", tzid=None, attendees=tuple(USERS),
             description="Bitte die Tagesordnung lesen.", summary="Quartalsplanung Q1"):
    tz = ";TZID=%s" % tzid if tzid else ""
    lines = ["BEGIN:VCALENDAR", "PRODID:-//partner//EN", "VERSION:2.0",
             "METHOD:%s" % method, "BEGIN:VEVENT", "UID:%s" % uid,
             "SEQUENCE:%d" % sequence, "DTSTAMP:20261124T090000Z",
             "DTSTART%s:%s" % (tz, start), "DTEND%s:%s" % (tz, end),
             "SUMMARY:%s" % summary, "LOCATION:Raum 3",
             "DESCRIPTION:%s" % description,
             "ORGANIZER;CN=Olivia Partner:mailto:%s" % ORGANIZER]
    lines += ["ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:%s" % a
              for a in attendees]
    if method == "CANCEL":
        lines.append("STATUS:CANCELLED")
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines).encode()


def headers(subject, to=", ".join(USERS), msgid=None):
    msgid = msgid or "<%d.%d@partner.test>" % (time.time_ns(), os.getpid())
    return ("From: Olivia Partner <%s>\r\nTo: %s\r\nCc: Carl <carl@partner.test>\r\n"
            "Subject: %s\r\nDate: Tue, 24 Nov 2026 09:00:00 +0100\r\n"
            "Message-ID: %s\r\nReferences: <thread-1@partner.test>\r\n"
            "MIME-Version: 1.0\r\n" % (ORGANIZER, to, subject, msgid)).encode()


# The organizer's message as Outlook or Apple Mail send one with an inline
# image and an attachment:
#   1 multipart/related  1.1 multipart/alternative (1.1.1 text/plain,
#   1.1.2 text/html, 1.1.3 text/calendar), 1.2 image/png;  2 application/pdf
PLAIN = ("Hallo zusammen,\r\n\r\nanbei die Tagesordnung f=C3=BCr die Quartalsplanung =E2=80=\r\n"
         "=93 bis gleich!\r\n\r\nOlivia\r\n").encode()
HTML = ("<html><body><p>Hallo zusammen,</p><p>anbei die Tagesordnung f\u00fcr die "
        "Quartalsplanung \u2013 bis gleich!</p><img src=\"cid:logo@partner.test\" "
        "alt=\"Logo\"></body></html>\r\n").encode()


def organizer_message(uid, pdf=pdf_bytes(3000), **cal):
    ics = calendar(uid, **cal)
    body = (b"This is a multi-part message in MIME format.\r\n"
            b"--outer-7f3a\r\n"
            b"Content-Type: multipart/related; boundary=\"rel-7f3a\";\r\n"
            b"\ttype=\"multipart/alternative\"\r\n\r\n"
            b"--rel-7f3a\r\n"
            b"Content-Type: multipart/alternative; boundary=\"alt-7f3a\"\r\n\r\n"
            b"--alt-7f3a\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + PLAIN +
            b"--alt-7f3a\r\n"
            b"Content-Type: text/html; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n\r\n" + HTML +
            b"--alt-7f3a\r\n"
            b"Content-Type: text/calendar; charset=utf-8; method=" +
            cal.get("method", "REQUEST").encode() + b"\r\n\r\n" + ics +
            b"--alt-7f3a--\r\n\r\n"
            b"--rel-7f3a\r\n"
            b"Content-Type: image/png\r\nContent-ID: <logo@partner.test>\r\n"
            b"Content-Disposition: inline; filename=\"logo.png\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + b64_lines(PNG) +
            b"--rel-7f3a--\r\n\r\n"
            b"--outer-7f3a\r\n"
            b"Content-Type: application/pdf; name=\"agenda.pdf\"\r\n"
            b"Content-Disposition: attachment; filename=\"agenda.pdf\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + b64_lines(pdf) +
            b"--outer-7f3a--\r\n")
    return (headers("=?utf-8?q?Quartalsplanung_=E2=80=93_Q1?=") +
            b"Content-Type: multipart/mixed; boundary=\"outer-7f3a\"\r\n\r\n" + body)


def without_calendar(message, method="REQUEST"):
    """The organizer's body with their calendar part (and its delimiter
    line, RFC 2046 5.1.1) cut out: what the stored message must carry."""
    body = message.split(b"\r\n\r\n", 1)[1]
    start = body.index(b"\r\n--alt-7f3a\r\nContent-Type: text/calendar")
    end = body.index(b"\r\n--alt-7f3a--")
    return body[:start] + body[end:]


# --- BODYSTRUCTURE, read as IMAP sends it ---

def parse_sexp(text):
    tokens = re.findall(rb'\(|\)|"(?:[^"\\]|\\.)*"|[^\s()"]+', text)
    pos = 0

    def value():
        nonlocal pos
        tok = tokens[pos]
        pos += 1
        if tok == b"(":
            items = []
            while tokens[pos] != b")":
                items.append(value())
            pos += 1
            return items
        if tok.startswith(b'"'):
            return re.sub(rb'\\(.)', rb'\1', tok[1:-1]).decode()
        if tok.upper() == b"NIL":
            return None
        return int(tok) if tok.isdigit() else tok.decode()
    return value()


def shape(node):
    """("multipart/mixed", [children]) or ("text/plain", {params})."""
    if isinstance(node[0], list):
        # a multipart: its parts, then its subtype (RFC 9051 7.5.2)
        kids = []
        for c in node:
            if not isinstance(c, list):
                break
            kids.append(shape(c))
        return ("multipart/" + node[len(kids)].lower(), kids)
    params = node[2] or []
    return ("%s/%s" % (node[0].lower(), node[1].lower()),
            {params[i].lower(): params[i + 1] for i in range(0, len(params), 2)})


def types(sh):
    if isinstance(sh[1], list):
        return (sh[0], [types(c) for c in sh[1]])
    return sh[0]


def raw_field(message, name):
    """The raw bytes of a top-level header field (folds and all)."""
    head = message.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    m = re.search(rb"(?im)^" + re.escape(name.encode()) + rb":.*\r\n(?:[ \t].*\r\n)*", head)
    return m.group(0) if m else None


def deliver_lmtp(srv, message, uid, users=tuple(USERS)):
    """One LMTP transaction for all users; their INBOX UIDs once every
    item is there."""
    before = {u: last_uid(srv, u) for u in users}
    c = srv.lmtp()
    try:
        refused = c.sendmail(ORGANIZER, list(users), message)
        if refused:
            raise AssertionError("LMTP refused %r" % refused)
    finally:
        c.quit()
    for u in users:
        if not wait_for(lambda: calendar_list(srv, u).get(uid)):
            raise AssertionError("no item %s for %s" % (uid, u))
    uids = {u: last_uid(srv, u) for u in users}
    for u in users:
        if uids[u] != before[u] + 1:
            raise AssertionError("%s: INBOX went from UID %d to %d" % (u, before[u], uids[u]))
    return uids


class ImipPartsTest(SharedServerTest):
    SERVER_ARGS = {"users": USERS}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            for user, settings in SETTINGS.items():
                cls.srv.cli("user", "set", user, *settings, check=True)
            cls.uid = unique("parts")
            cls.message = organizer_message(cls.uid)
            cls.uids = deliver_lmtp(cls.srv, cls.message, cls.uid)
        except BaseException:
            cls.tearDownClass()
            raise

    def deliver_all(self, message, uid, users=tuple(USERS)):
        return deliver_lmtp(self.srv, message, uid, users)

    def imap_fetch(self, user, uid, *items):
        imap = self.srv.imap(login=user, password=USERS[user])
        try:
            imap.select("INBOX", readonly=True)
            out = {}
            for item in items:
                typ, data = imap.uid("FETCH", str(uid), "(%s)" % item)
                self.assertEqual(typ, "OK", item)
                if item == "BODYSTRUCTURE":
                    self.assertIsInstance(data[0], bytes, "a literal in BODYSTRUCTURE")
                    out[item] = parse_sexp(data[0].split(b"BODYSTRUCTURE ", 1)[1])
                else:
                    self.assertIsInstance(data[0], tuple, item)
                    out[item] = data[0][1]
            return out
        finally:
            imap.logout()

    def section(self, user, uid, section):
        return self.imap_fetch(user, uid, "BODY.PEEK[%s]" % section)[
            "BODY.PEEK[%s]" % section]

    def check_original_parts(self, user, uid):
        """Every part of the organizer's message is in the stored one, byte
        for byte: BODY[2] is their body less the calendar part, and each
        leaf's MIME header and body equal the original's (from the
        icalendar user, whose copy is the message as sent)."""
        ical_uid = self.uids[ICAL]
        mapping = {"1.1.1": "2.1.1.1", "1.1.2": "2.1.1.2", "1.2": "2.1.2", "2": "2.2",
                   "1.1": "2.1.1", "1": "2.1"}
        for orig, mine in mapping.items():
            # the multiparts 1 and 1.1 held the calendar part: their
            # headers are the same, their bodies are checked below
            for suffix in (".MIME",) if orig in ("1", "1.1") else ("", ".MIME"):
                self.assertEqual(self.section(ICAL, ical_uid, orig + suffix),
                                 self.section(user, uid, mine + suffix),
                                 "%s: %s%s vs %s%s" % (user, orig, suffix, mine, suffix))
        self.assertEqual(self.section(user, uid, "2"), without_calendar(self.message))
        self.assertNotIn(b"text/calendar", self.section(user, uid, "2"))
        self.assertEqual(self.section(user, uid, "2.MIME"),
                         b"Content-Type: multipart/mixed; boundary=\"outer-7f3a\"\r\n\r\n")

    def request(self):
        """The UIDs of the one rich REQUEST of this class, delivered to
        everyone in setUpClass."""
        return self.uids

    def test_icalendar_unchanged(self):
        uids = self.request()
        raw = stored(self.srv, ICAL, uids[ICAL])
        # LMTP's trace fields first, then the message exactly as sent
        self.assertTrue(raw.endswith(self.message))
        self.assertTrue(raw.startswith(b"Return-Path: <%s>\r\nReceived: " % ORGANIZER.encode()))
        self.assertNotIn(b"X-Infostore-Meeting-Request", raw)

    def check_rendered(self, user, fmt):
        uids = self.request()
        uid = uids[user]
        raw = stored(self.srv, user, uid)
        msg = parse(raw)
        fetched = self.imap_fetch(user, uid, "BODYSTRUCTURE")
        sh = shape(fetched["BODYSTRUCTURE"])
        ours = ["text/plain", "text/html"] + (["text/calendar"] if fmt == "both" else [])
        self.assertEqual(types(sh), (
            "multipart/mixed", [
                ("multipart/alternative", ours),
                ("multipart/mixed", [
                    ("multipart/related", [
                        ("multipart/alternative", ["text/plain", "text/html"]),
                        "image/png"]),
                    "application/pdf"])]))
        self.check_original_parts(user, uid)

        # the organizer's header fields, as written
        for name in ("From", "To", "Cc", "Date", "Subject", "Message-ID", "References"):
            self.assertEqual(raw_field(raw, name), raw_field(self.message, name), name)
        self.assertEqual(msg["X-Infostore-Meeting-Request"], fmt)

        # our summary and the link
        link = calendar_list(self.srv, user)[self.uid]["link"]
        found = parts(msg)
        text, html = found["text/plain"][0], found["text/html"][0]
        self.assertTrue(text.startswith("Meeting request: Quartalsplanung Q1\n"), text)
        for line in ("Organizer: Olivia Partner <%s>" % ORGANIZER, "Where:     Raum 3",
                     "Attendees: %s (not answered yet)" % URL, link):
            self.assertIn(line, text)
        self.assertIn('href="%s"' % link, html)
        # their words are theirs: the description is not said again
        self.assertNotIn("Bitte die Tagesordnung", text)
        self.assertIn("anbei die Tagesordnung f\u00fcr die Quartalsplanung \u2013",
                      found["text/plain"][1])
        self.assertEqual(found["application/pdf"][0], pdf_bytes(3000))
        self.assertEqual(found["image/png"][0], PNG)

        # bounded: the original once, a small summary, the iCalendar once
        self.assertLess(len(raw), len(self.message) + 12000)
        return sh, found

    def test_url_keeps_every_part(self):
        sh, found = self.check_rendered(URL, "url")
        self.assertNotIn("text/calendar", found)
        self.assertNotIn(b"BEGIN:VCALENDAR", stored(self.srv, URL, self.request()[URL]))

    def test_both_keeps_every_part_and_names_invite_ics(self):
        sh, found = self.check_rendered(BOTH, "both")
        self.assertEqual(len(found["text/calendar"]), 1)
        cal_type, params = sh[1][0][1][2]
        self.assertEqual(cal_type, "text/calendar")
        self.assertEqual(params, {"charset": "utf-8", "method": "REQUEST",
                                  "name": "invite.ics"})
        self.assertIn("UID:%s" % self.uid, found["text/calendar"][0])
        self.assertIn("METHOD:REQUEST", found["text/calendar"][0])
        msg = parse(stored(self.srv, BOTH, self.request()[BOTH]))
        cal = [p for p in msg.walk() if p.get_content_type() == "text/calendar"][0]
        self.assertEqual(cal.get_filename(), "invite.ics")
        # an alternative of our summary, not an attachment: RFC 6047 2.4
        self.assertIsNone(cal.get("Content-Disposition"))

    def test_times_in_the_recipients_zone(self):
        uids = self.request()
        text = {u: parts(parse(stored(self.srv, u, uids[u])))["text/plain"][0]
                for u in (BOTH, BERLIN, TOKYO)}
        # no zone of their own: as the organizer wrote it (UTC)
        self.assertIn("When:      Thursday, 3 December 2026, 09:00 \u2013 10:00 (UTC)\n"
                      "Where:", text[BOTH])
        self.assertIn("When:      Thursday, 3 December 2026, 10:00 \u2013 11:00 "
                      "(Europe/Berlin)\n"
                      "           Thursday, 3 December 2026, 09:00 \u2013 10:00 (UTC)\n",
                      text[BERLIN])
        self.assertIn("When:      Thursday, 3 December 2026, 18:00 \u2013 19:00 "
                      "(Asia/Tokyo)\n", text[TOKYO])

    def test_zone_across_midnight_and_summer_time(self):
        """The organizer in New York late in the evening is the next
        morning in Berlin; a July meeting is UTC+2 there."""
        for cal, when in (
                (dict(start="20261224T220000", end="20261224T233000",
                      tzid="America/New_York"),
                 "When:      Friday, 25 December 2026, 04:00 \u2013 05:30 (Europe/Berlin)\n"
                 "           Thursday, 24 December 2026, 22:00 \u2013 23:30 "
                 "(America/New_York)\n"),
                (dict(start="20270715T080000Z", end="20270715T090000Z"),
                 "When:      Thursday, 15 July 2027, 10:00 \u2013 11:00 (Europe/Berlin)\n")):
            uid = unique("zone")
            self.srv.deliver(BERLIN, organizer_message(uid, **cal))
            text = parts(parse(stored(self.srv, BERLIN, last_uid(self.srv, BERLIN))))
            self.assertIn(when, text["text/plain"][0])
        # a zone set as default again: the organizer's times and UTC
        self.srv.cli("user", "set", BERLIN, "timezone=default", check=True)
        try:
            uid = unique("zone")
            self.srv.deliver(BERLIN, organizer_message(uid, start="20261224T220000",
                                                       end="20261224T233000",
                                                       tzid="America/New_York"))
            text = parts(parse(stored(self.srv, BERLIN, last_uid(self.srv, BERLIN))))
            self.assertIn("When:      Thursday, 24 December 2026, 22:00 \u2013 23:30 "
                          "(America/New_York)\n"
                          "           Friday, 25 December 2026, 03:00 \u2013 04:30 UTC\n",
                          text["text/plain"][0])
        finally:
            self.srv.cli("user", "set", BERLIN, "timezone=Europe/Berlin", check=True)

    def test_cli_refuses_unknown_zone(self):
        for bad in ("Mars/Olympus", "../../etc/passwd", "/etc/localtime", ""):
            p = self.srv.cli("user", "set", BOTH, "timezone=" + bad)
            self.assertEqual(p.returncode, 64, bad)
            self.assertIn(b"timezone must be an IANA time zone", p.stderr)
        out = self.srv.cli("user", "list", check=True).stdout.decode()
        self.assertIn("%s\t" % BERLIN, out)
        self.assertRegex(out, r"(?m)^%s\t.*\ttimezone=Europe/Berlin$" % re.escape(BERLIN))
        self.assertNotRegex(out, r"(?m)^%s\t.*timezone=" % re.escape(BOTH))

    def test_cancel_keeps_the_organizers_words(self):
        uid = unique("cancel")
        users = (URL, BOTH, ICAL)
        self.deliver_all(organizer_message(uid, attendees=users), uid, users)
        note = b"Leider f=C3=A4llt das Treffen aus.\r\n"
        cancel = (headers("Abgesagt: Quartalsplanung Q1", to=", ".join(users)) +
                  b"Content-Type: multipart/alternative; boundary=\"c1\"\r\n\r\n"
                  b"--c1\r\nContent-Type: text/plain; charset=utf-8\r\n"
                  b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + note +
                  b"--c1\r\nContent-Type: text/calendar; charset=utf-8; method=CANCEL\r\n\r\n" +
                  calendar(uid, method="CANCEL", sequence=1, attendees=users) +
                  b"--c1--\r\n")
        for user in users:
            p = self.srv.deliver(user, cancel)
            self.assertIn("imip cancelled method=CANCEL", p.stderr.decode())
            self.assertEqual(calendar_list(self.srv, user)[uid]["status"], "CANCELLED")
        self.assertEqual(stored(self.srv, ICAL, last_uid(self.srv, ICAL)), cancel)
        for user, fmt in ((URL, "url"), (BOTH, "both")):
            last = last_uid(self.srv, user)
            raw = stored(self.srv, user, last)
            sh = shape(self.imap_fetch(user, last, "BODYSTRUCTURE")["BODYSTRUCTURE"])
            ours = ["text/plain", "text/html"] + (["text/calendar"] if fmt == "both" else [])
            self.assertEqual(types(sh), ("multipart/mixed", [
                ("multipart/alternative", ours), ("multipart/alternative", ["text/plain"])]))
            # their text byte for byte (less the line break before the
            # delimiter, which is the delimiter's), their header fields
            self.assertEqual(self.section(user, last, "2.1"), note[:-2])
            self.assertEqual(self.section(user, last, "2.1"),
                             self.section(ICAL, last_uid(self.srv, ICAL), "1"))
            self.assertEqual(self.section(user, last, "2.1.MIME"),
                             b"Content-Type: text/plain; charset=utf-8\r\n"
                             b"Content-Transfer-Encoding: quoted-printable\r\n\r\n")
            for name in ("From", "Subject", "Message-ID", "References"):
                self.assertEqual(raw_field(raw, name), raw_field(cancel, name), name)
            found = parts(parse(raw))
            self.assertTrue(found["text/plain"][0].startswith(
                "Meeting cancelled: Quartalsplanung Q1\n"))
            self.assertIn(calendar_list(self.srv, user)[uid]["link"], found["text/plain"][0])
            if fmt == "both":
                self.assertEqual(sh[1][0][1][2][1], {"charset": "utf-8", "method": "CANCEL",
                                                     "name": "invite.ics"})
                self.assertIn("METHOD:CANCEL", found["text/calendar"][0])
            else:
                self.assertNotIn(b"BEGIN:VCALENDAR", raw)

    def test_calendar_only_message_keeps_the_description(self):
        """With no words of the organizer's own (a bare text/calendar),
        the summary says the description."""
        uid = unique("bare")
        data = (headers("Einladung") +
                b"Content-Type: text/calendar; charset=utf-8; method=REQUEST\r\n\r\n" +
                calendar(uid, attendees=(BOTH,)))
        self.srv.deliver(BOTH, data)
        raw = stored(self.srv, BOTH, last_uid(self.srv, BOTH))
        msg = parse(raw)
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        found = parts(msg)
        self.assertIn("Bitte die Tagesordnung lesen.", found["text/plain"][0])
        self.assertEqual(len(found["text/calendar"]), 1)

    def test_huge_attachment_is_not_doubled(self):
        uid = unique("huge")
        big = pdf_bytes(4 * 1024 * 1024)
        data = organizer_message(uid, pdf=big, attendees=(URL, BOTH))
        for user in (URL, BOTH):
            self.srv.deliver(user, data)
            raw = stored(self.srv, user, last_uid(self.srv, user))
            self.assertLess(len(raw), len(data) + 12000, user)
            self.assertIn(b64_lines(big), raw)

    def test_hostile_shapes_bounded(self):
        """Deep nesting, many parts and broken MIME: delivered, the item
        made, what could not be looked into kept as it came, and the
        stored message no bigger than the original and a summary."""
        cal_part = (b"--a\r\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\r\n\r\n")
        cases = {}
        # 1. nested 200 deep below the calendar's alternative
        deep = b"".join(b"--d%d\r\nContent-Type: multipart/mixed; boundary=\"d%d\"\r\n\r\n"
                        % (i, i + 1) for i in range(200))
        deep += b"--d200\r\nContent-Type: text/plain\r\n\r\ndeep leaf\r\n--d200--\r\n"
        deep = b"Content-Type: multipart/mixed; boundary=\"d0\"\r\n\r\n" + deep
        cases["deep"] = deep
        # 2. 3000 parts
        many = b"".join(b"--m\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i
                        for i in range(3000)) + b"--m--\r\n"
        cases["many"] = b"Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n" + many
        # 3. no closing delimiter, and a boundary no line uses
        cases["unclosed"] = (b"Content-Type: multipart/mixed; boundary=\"u\"\r\n\r\n"
                             b"--u\r\nContent-Type: text/plain\r\n\r\nunclosed text\r\n")
        cases["no-delimiter"] = (b"Content-Type: multipart/mixed; boundary=\"nothere\"\r\n\r\n"
                                 b"--elsewhere\r\nContent-Type: text/plain\r\n\r\norphan\r\n")
        for name, inner in cases.items():
            uid = unique(name)
            data = (headers(name, to=BOTH) +
                    b"Content-Type: multipart/mixed; boundary=\"top\"\r\n\r\n"
                    b"--top\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n"
                    b"--a\r\nContent-Type: text/plain\r\n\r\nSee the invitation.\r\n" +
                    cal_part + calendar(uid, attendees=(BOTH,)) + b"--a--\r\n"
                    b"--top\r\n" + inner + b"--top--\r\n")
            p = self.srv.deliver(BOTH, data)
            self.assertIn("imip added method=REQUEST", p.stderr.decode(), name)
            raw = stored(self.srv, BOTH, last_uid(self.srv, BOTH))
            self.assertLess(len(raw), len(data) + 12000, name)
            self.assertIn(inner, raw, name)
            found = parts(parse(raw))
            self.assertEqual(len(found["text/calendar"]), 1, name)
            self.assertIn("See the invitation.", found["text/plain"], name)

    def test_web_access_shows_both(self):
        """The web access shows our summary and their message, offers the
        answer, and serves their attachment byte for byte."""
        uid = self.request()[BOTH]
        c = WebClient(self.srv.ports["https"])
        self.addCleanup(c.close)
        self.assertEqual(c.login(BOTH, USERS[BOTH]).status, 303)
        mb = mailbox_id(self.srv, BOTH)
        page = c.get("/mail/%d/%d" % (mb, uid))
        self.assertEqual(page.status, 200)
        self.assertIn("Quartalsplanung \u2013 Q1", page.text)
        self.assertIn('value="accept"', page.text)
        for name in ("agenda.pdf", "invite.ics"):
            self.assertIn(name, page.text)
        body = c.get("/mail/%d/%d/body" % (mb, uid))
        self.assertEqual(body.status, 200)
        link = calendar_list(self.srv, BOTH)[self.uid]["link"]
        self.assertIn(link, body.text)                    # our summary
        self.assertIn("anbei die Tagesordnung", body.text)  # their HTML
        pdf = c.get("/mail/%d/%d/part/2.2" % (mb, uid))
        self.assertEqual(pdf.status, 200)
        self.assertEqual(pdf.body, pdf_bytes(3000))


if __name__ == "__main__":
    import unittest
    unittest.main()
