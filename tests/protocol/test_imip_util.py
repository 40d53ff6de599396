"""Helpers for the meeting-request tests (test_imip*.py, test_calendar*.py),
no tests of its own: samples, invitations made to order, `calendar list`
parsed, and messages taken apart."""
import email
import email.policy
import os
import re
import time

from infostore_harness import InfostoreServer, SharedServerTest, wait_for  # noqa: F401 (re-exported)

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(os.path.dirname(HERE), "data", "imip")
SAMPLES = ("outlook-request", "google-request", "apple-request", "thunderbird-request",
           "series-exception")


def sample(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


def sample_uid(name):
    """The UID in a sample's .ics (unfolded)."""
    text = sample(name + ".ics").replace(b"\r\n ", b"").decode()
    return re.search(r"^UID:(.*)$", text, re.M).group(1).strip()


def ics(uid, method="REQUEST", sequence=0, dtstamp="20261124T090000Z",
        summary="Planning", start="20261203T090000Z", end="20261203T100000Z",
        organizer="olivia@partner.test", organizer_cn="Olivia Partner",
        attendees=(("alice@example.test", "NEEDS-ACTION"),), extra=(), rid=None,
        rrule=None, status=None, tzid=None, events=None):
    """One VCALENDAR; events: a list of dicts of these keywords for several
    VEVENTs of one UID."""
    lines = ["BEGIN:VCALENDAR", "PRODID:-//infostore tests//EN", "VERSION:2.0"]
    if method:
        lines.append("METHOD:%s" % method)
    for ev in events or [{}]:
        e = dict(uid=uid, sequence=sequence, dtstamp=dtstamp, summary=summary,
                 start=start, end=end, organizer=organizer, organizer_cn=organizer_cn,
                 attendees=attendees, extra=extra, rid=rid, rrule=rrule, status=status,
                 tzid=tzid)
        e.update(ev)
        tz = ";TZID=%s" % e["tzid"] if e["tzid"] else ""
        lines += ["BEGIN:VEVENT", "UID:%s" % e["uid"], "SEQUENCE:%d" % e["sequence"],
                  "DTSTAMP:%s" % e["dtstamp"], "DTSTART%s:%s" % (tz, e["start"]),
                  "DTEND%s:%s" % (tz, e["end"]), "SUMMARY:%s" % e["summary"],
                  "ORGANIZER;CN=%s:mailto:%s" % (e["organizer_cn"], e["organizer"])]
        if e["rid"]:
            lines.append("RECURRENCE-ID%s:%s" % (tz, e["rid"]))
        if e["rrule"]:
            lines.append("RRULE:%s" % e["rrule"])
        if e["status"]:
            lines.append("STATUS:%s" % e["status"])
        for addr, partstat in e["attendees"]:
            lines.append("ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=%s;RSVP=TRUE:mailto:%s"
                         % (partstat, addr))
        lines += list(e["extra"])
        lines.append("END:VEVENT")
    lines += ["END:VCALENDAR", ""]
    return "\r\n".join(lines)


def imip_message(calendar, method="REQUEST", sender="olivia@partner.test",
                 to="alice@example.test", subject="Invitation", msgid=None,
                 ct_method=True):
    """A plain iMIP message: text/plain and text/calendar in
    multipart/alternative."""
    msgid = msgid or "<%d.%d@partner.test>" % (time.time_ns(), os.getpid())
    param = "; method=%s" % method if ct_method else ""
    return ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Tue, 24 Nov 2026 09:00:00 +0000\r\n"
            "Message-ID: %s\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n"
            "--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nSee the invitation.\r\n"
            "--b1\r\nContent-Type: text/calendar; charset=utf-8%s\r\n\r\n%s\r\n--b1--\r\n"
            % (sender, to, subject, msgid, param, calendar)).encode()


def calendar_list(srv, user):
    """`calendar list` as dicts keyed by UID."""
    out = srv.cli("calendar", "list", user, check=True).stdout.decode()
    items = {}
    for line in out.splitlines():
        f = line.split("\t")
        assert len(f) == 8, line
        items[f[0]] = dict(uid=f[0], start=f[1], summary=f[2], status=f[3], answer=f[4],
                           attendees=f[5], source=f[6], link=f[7])
    return items


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def parts(msg):
    """{content type: [decoded text (LF line ends) or bytes]} of every leaf."""
    found = {}
    for part in msg.walk():
        if part.is_multipart():
            continue
        ct = part.get_content_type()
        try:
            content = part.get_content()
        except (LookupError, KeyError):
            content = part.get_payload(decode=True)
        if isinstance(content, str):
            content = content.replace("\r\n", "\n")
        found.setdefault(ct, []).append(content)
    return found


LINK_RE = re.compile(r"(https?)://mail\.example\.test(?::(\d+))?/item/([A-Za-z0-9_-]+)")


def stored(srv, user, uid):
    """The stored bytes of user's INBOX message uid."""
    p = srv.cli("fetch", user, "INBOX", str(uid))
    assert p.returncode == 0, p.stderr
    return p.stdout


def last_uid(srv, user):
    out = srv.cli("mailbox", "list", user, check=True).stdout.decode()
    return [int(l.split("\t")[4]) for l in out.splitlines() if l.startswith("INBOX\t")][0] - 1


def organizer_item_by_dav(srv, user, password, request):
    """The organizer's own item, made where organizers make meetings
    (CalDAV here), with SCHEDULE-AGENT=CLIENT so that the server sends
    nothing: the attendees get the request by mail in the test. (Mail
    naming a local organizer is never taken as their copy.)"""
    import base64
    import http.client
    import re as _re
    from infostore_harness import client_tls_context
    text = request.replace("METHOD:REQUEST\r\n", "").replace(
        "ATTENDEE;", "ATTENDEE;SCHEDULE-AGENT=CLIENT;")
    uid = _re.search(r"UID:(\S+)", text).group(1)
    if "https" in srv.listeners:
        conn = http.client.HTTPSConnection("127.0.0.1", srv.ports["https"], timeout=30,
                                           context=client_tls_context())
    else:  # a plain web access, with loopback in plaintext_auth_from
        conn = http.client.HTTPConnection("127.0.0.1", srv.ports["http"], timeout=30)
    try:
        auth = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        conn.request("PUT", "/dav/calendars/%s/calendar/%s.ics" % (user, uid), text.encode(),
                     {"Authorization": "Basic " + auth, "Content-Type": "text/calendar"})
        r = conn.getresponse()
        r.read()
        if r.status != 201:
            raise AssertionError("organizer's item: PUT answered %d" % r.status)
    finally:
        conn.close()
