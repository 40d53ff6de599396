"""Answering meeting requests from the web access, end to end: a REQUEST
delivered to alice, her answer through the item page, and the iTIP REPLY
reaching a local organizer (item updated, "Accepted: ..." in INBOX) or an
external one (through the outbound queue to a fake SMTP relay)."""
import email
import email.header
import re
import time
import unittest

from smtp_relay import Relay
from infostore_harness import InfostoreServer
from test_imip_util import organizer_item_by_dav
from test_web import ALICE, ALICE_PW, BOB, WebClient

import os


def meeting_request(uid, summary, organizer="bob@example.test", organizer_cn="Bob Example",
                    method="REQUEST", sequence=0, status=None):
    ics = ["BEGIN:VCALENDAR", "PRODID:-//infostore tests//EN", "VERSION:2.0",
           "METHOD:%s" % method, "BEGIN:VEVENT", "UID:%s" % uid,
           "DTSTAMP:20261124T090000Z", "DTSTART:20301203T090000Z",
           "DTEND:20301203T100000Z", "SUMMARY:%s" % summary, "LOCATION:Room 4",
           "SEQUENCE:%d" % sequence,
           "ORGANIZER;CN=%s:mailto:%s" % (organizer_cn, organizer),
           "ATTENDEE;CN=Alice;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:"
           "mailto:alice@example.test"]
    if status:
        ics.append("STATUS:%s" % status)
    ics += ["END:VEVENT", "END:VCALENDAR", ""]
    return ("From: %s <%s>\r\nTo: alice@example.test\r\nSubject: Invitation: %s\r\n"
            "Date: Tue, 24 Nov 2026 09:00:00 +0000\r\nMessage-ID: <%s.%s@example.test>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/calendar; charset=utf-8; method=%s\r\n"
            "\r\n%s") % (organizer_cn, organizer, summary, method.lower(), uid, method,
                         "\r\n".join(ics))


def item_token(srv, user, uid, timeout=20):
    """The link token of user's item uid, once delivery has made it."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        rows = srv.sql("SELECT c.token FROM cal_items c JOIN users u ON u.id = c.user_id"
                       " WHERE u.address = ? AND c.uid = ?", (user, uid))
        if rows:
            return rows[0][0]
        time.sleep(0.1)
    raise AssertionError("no calendar item %s for %s" % (uid, user))


def inbox_subjects(srv, user):
    out = srv.cli("mailbox", "list", user, check=True).stdout.decode()
    uidnext = [int(l.split("\t")[4]) for l in out.splitlines() if l.startswith("INBOX\t")][0]
    subjects = []
    for uid in range(1, uidnext):
        p = srv.cli("fetch", user, "INBOX", str(uid))
        if p.returncode == 0:
            msg = email.message_from_bytes(p.stdout)
            subjects.append(str(email.header.make_header(
                email.header.decode_header(msg.get("Subject", "")))))
    return subjects


class WebMeetingTest(unittest.TestCase):

    def start(self, **kw):
        srv = InfostoreServer(listeners=("https",), **kw)
        self.addCleanup(srv.cleanup)
        srv.start()
        self.addCleanup(srv.stop)
        return srv

    def login(self, srv, next_path):
        c = WebClient(srv.ports["https"])
        self.addCleanup(c.close)
        r = c.login(ALICE, ALICE_PW, next_path=next_path)
        self.assertEqual(r.status, 303)
        return c

    def answer(self, c, token, answer, comment=""):
        page = c.get("/item/" + token)
        self.assertEqual(page.status, 200, page.text)
        return c.post("/item/" + token, {"csrf": c.csrf(page), "answer": answer,
                                         "comment": comment})

    def test_accept_local_organizer(self):
        srv = self.start()
        uid = "web-accept-%d@example.test" % time.time_ns()
        msg = meeting_request(uid, "Design review")
        # bob's own item, where he made the meeting (mail naming him as
        # organizer is never taken as his copy)
        ics_text = msg.split("\r\n\r\n", 1)[1]
        organizer_item_by_dav(srv, BOB, "bob-secret", ics_text)
        srv.deliver(ALICE, msg, sender=BOB)
        token = item_token(srv, ALICE, uid)
        c = self.login(srv, "/item/" + token)
        page = c.get("/item/" + token)
        self.assertIn("Design review", page.text)
        self.assertIn("Room 4", page.text)
        self.assertIn("bob@example.test", page.text)
        r = self.answer(c, token, "accept", "See you there")
        self.assertEqual(r.status, 303, r.text)
        self.assertIn("Accepted", c.get(r.header("Location")).text)
        deadline = time.time() + 20
        while time.time() < deadline:
            if any(s.startswith("Accepted:") and "Design review" in s
                   for s in inbox_subjects(srv, BOB)):
                break
            time.sleep(0.2)
        else:
            self.fail("no Accepted: message in bob's INBOX: %r" % inbox_subjects(srv, BOB))
        out = srv.cli("calendar", "list", BOB, check=True).stdout.decode()
        self.assertTrue(re.search(r"alice@example\.test\S*\s*[=:]?\s*ACCEPTED", out, re.I)
                        or re.search(r"ACCEPTED.*alice@example\.test", out, re.I), out)
        # answering twice changes the answer
        r = self.answer(c, token, "decline")
        self.assertEqual(r.status, 303)
        self.assertIn("Declined", c.get("/item/" + token).text)
        out = srv.cli("calendar", "list", ALICE, check=True).stdout.decode()
        self.assertIn("DECLINED", out)
        # the agenda says so too: a declined meeting does not look attended
        agenda = c.get("/calendar?from=2030-12-01").text
        self.assertRegex(agenda, r"Design review</a> <span class=\"badge DECLINED\">Declined<")

    def test_external_organizer_reply_through_relay(self):
        relay = Relay(tls=False)
        self.addCleanup(relay.close)
        srv = self.start(conf={"outbound": {"relay": "127.0.0.1:%d" % relay.port}})
        uid = "web-ext-%d@example.test" % time.time_ns()
        srv.deliver(ALICE, meeting_request(uid, "Vendor call", organizer="carol@partner.test",
                                           organizer_cn="Carol"), sender="carol@partner.test")
        token = item_token(srv, ALICE, uid)
        c = self.login(srv, "/item/" + token)
        r = self.answer(c, token, "tentative")
        self.assertEqual(r.status, 303, r.text)
        deadline = time.time() + 30
        while time.time() < deadline and not relay.messages:
            time.sleep(0.2)
        self.assertTrue(relay.messages, "the relay received nothing")
        sender, rcpts, data = relay.messages[0]
        self.assertEqual(rcpts, ["carol@partner.test"])
        self.assertEqual(sender, ALICE)
        unfolded = data.replace(b"\r\n ", b"").replace(b"\n ", b"")
        self.assertIn(b"METHOD:REPLY", unfolded)
        self.assertRegex(unfolded, rb"PARTSTAT=TENTATIVE[^\r\n]*mailto:alice@example\.test")

    def test_cancelled_meeting_says_so(self):
        srv = self.start()
        uid = "web-cancel-%d@example.test" % time.time_ns()
        srv.deliver(ALICE, meeting_request(uid, "Offsite"), sender=BOB)
        token = item_token(srv, ALICE, uid)
        srv.deliver(ALICE, meeting_request(uid, "Offsite", method="CANCEL", sequence=1,
                                           status="CANCELLED"), sender=BOB)
        c = self.login(srv, "/item/" + token)
        deadline = time.time() + 20
        while time.time() < deadline:
            page = c.get("/item/" + token)
            if "cancelled" in page.text:
                break
            time.sleep(0.2)
        self.assertIn("cancelled", page.text)
        self.assertNotIn(">Accept<", page.text)
        r = c.post("/item/" + token, {"csrf": c.csrf(page), "answer": "accept"})
        self.assertEqual(r.status, 409)

    def test_create_meeting_invites_local_attendee(self):
        srv = self.start()
        c = WebClient(srv.ports["https"])
        self.addCleanup(c.close)
        self.assertEqual(c.login(BOB, "bob-secret").status, 303)
        form = c.get("/calendar/new")
        r = c.post("/calendar/new", {"csrf": c.csrf(form), "summary": "Lunch and learn",
                                     "attendees": "alice@example.test", "date": "2030-12-05",
                                     "start": "12:00", "end": "13:00", "tz": "Europe/Berlin",
                                     "location": "Kitchen", "description": "Bring food"})
        self.assertEqual(r.status, 303, r.text)
        self.assertTrue(r.header("Location").startswith("/item/"))
        page = c.get(r.header("Location"))
        self.assertIn("Lunch and learn", page.text)
        self.assertIn("12:00", page.text)  # organizer's zone: Europe/Berlin
        deadline = time.time() + 20
        while time.time() < deadline:
            if any("Lunch and learn" in s for s in inbox_subjects(srv, ALICE)):
                break
            time.sleep(0.2)
        else:
            self.fail("alice got no meeting request")


if __name__ == "__main__":
    unittest.main()
