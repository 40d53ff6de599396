"""The outbound queue against a fake SMTP relay written here: invitations
to external attendees (queued by the web access's "new meeting" form)
reach the relay over STARTTLS; each recipient's fate is its own: sent,
refused at RCPT (bounced at once), deferred with 4xx and retried, and
bounced when [outbound] max_age runs out. Bounces are RFC 3464 reports in
the sender's INBOX. Also: a relay that refuses the sender, a relay that is
down, and no relay configured at all."""
import email
import email.policy
import re
import time
import unittest

from infostore_harness import InfostoreServer, free_port
from smtp_relay import Relay
from test_web import WebClient

ALICE, BOB = "alice@example.test", "bob@example.test"
PASSWORDS = {ALICE: "alice-secret", BOB: "bob-secret"}


def messages(srv, user):
    """Every message in user's INBOX, parsed."""
    out = srv.cli("mailbox", "list", user, check=True).stdout.decode()
    uidnext = [int(l.split("\t")[4]) for l in out.splitlines() if l.startswith("INBOX\t")][0]
    found = []
    for uid in range(1, uidnext):
        p = srv.cli("fetch", user, "INBOX", str(uid))
        if p.returncode == 0:
            found.append((p.stdout, email.message_from_bytes(p.stdout,
                                                             policy=email.policy.compat32)))
    return found


def bounces(srv, user):
    return [(raw, m) for raw, m in messages(srv, user)
            if m.get_content_type() == "multipart/report"]


def wait_bounces(srv, user, count, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = bounces(srv, user)
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError("%s has %d bounce(s), expected %d; log:\n%s" % (
        user, len(bounces(srv, user)), count, srv.read_log()[-3000:]))


def delivery_status(msg):
    """[per-recipient dict] from the message/delivery-status part."""
    part = [p for p in msg.walk() if p.get_content_type() == "message/delivery-status"][0]
    # compat32 parses the status groups as sub-messages
    groups = part.get_payload()
    return [dict(g.items()) for g in groups[1:]], dict(groups[0].items())


def create_meeting(srv, user, summary, attendees):
    c = WebClient(srv.ports["https"])
    try:
        r = c.login(user, PASSWORDS[user])
        assert r.status == 303, r.status
        form = c.get("/calendar/new")
        r = c.post("/calendar/new", {"csrf": c.csrf(form), "summary": summary,
                                     "attendees": ", ".join(attendees),
                                     "date": "2030-12-05", "start": "12:00", "end": "13:00",
                                     "tz": "Europe/Berlin", "location": "Room 1",
                                     "description": "Agenda follows."})
        assert r.status == 303, (r.status, r.text)
    finally:
        c.close()


class OutboundRelayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.relay = Relay(tls=True, rcpt_replies={
            "gone@partner.test": ["550 5.1.1 <gone@partner.test>: Recipient address rejected"],
            "flaky@partner.test": ["451 4.3.0 Try again later", "250 2.1.5 Ok"],
            "down@partner.test": ["451 4.4.1 No answer from the next hop"],
        }, mail_replies={ALICE: "553 5.7.1 <alice@example.test>: Sender address rejected"})
        cls.srv = InfostoreServer(listeners=("https",), conf={
            "outbound": {"relay": "127.0.0.1:%d" % cls.relay.port, "max_age": "3s"}})
        try:
            cls.srv.start()
        except Exception:
            cls.srv.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()
            cls.relay.close()

    def test_per_recipient_outcomes(self):
        """sent / bounced at RCPT / deferred then sent / deferred then
        expired, from one queued invitation."""
        create_meeting(self.srv, BOB, "Quarterly planning",
                       ["ok@partner.test", "gone@partner.test", "flaky@partner.test",
                        "down@partner.test"])
        mine = lambda ss: [s for s in ss if s["mail"] == BOB]
        # first attempt: everyone is tried, only ok@ gets the data
        sessions = self.relay.wait(lambda ss: mine(ss) and "closed" in mine(ss)[0])
        first = mine(sessions)[0]
        self.assertTrue(first["tls"], "STARTTLS was offered and not used")
        self.assertEqual(first["helo"], "mail.example.test")
        self.assertEqual(first["rcpts"], [("ok@partner.test", 250), ("gone@partner.test", 550),
                                          ("flaky@partner.test", 451),
                                          ("down@partner.test", 451)])
        self.assertIsNotNone(first["data"])
        unfolded = first["data"].replace(b"\r\n ", b"")
        self.assertIn(b"METHOD:REQUEST", unfolded)
        self.assertIn(b"SUMMARY:Quarterly planning", unfolded)
        self.assertNotIn(b"\n", first["data"].replace(b"\r\n", b""), "bare LF on the wire")

        # gone@ bounces at once
        (raw, bounce), = wait_bounces(self.srv, BOB, 1)
        self.assertTrue(raw.startswith(b"Return-Path: <>\r\n"), raw[:100])
        self.assertEqual(bounce["Auto-Submitted"], "auto-replied")
        self.assertIn("MAILER-DAEMON@mail.example.test", bounce["From"])
        self.assertEqual(bounce.get_param("report-type"), "delivery-status")
        rcpts, per_msg = delivery_status(bounce)
        self.assertEqual(per_msg["Reporting-MTA"], "dns; mail.example.test")
        self.assertEqual(len(rcpts), 1)
        self.assertEqual(rcpts[0]["Final-Recipient"], "rfc822; gone@partner.test")
        self.assertEqual(rcpts[0]["Action"], "failed")
        self.assertEqual(rcpts[0]["Status"], "5.1.1")
        self.assertEqual(rcpts[0]["Remote-MTA"], "dns; 127.0.0.1")
        self.assertEqual(rcpts[0]["Diagnostic-Code"],
                         "smtp; 550 5.1.1 <gone@partner.test>: Recipient address rejected")
        headers = [p for p in bounce.walk() if p.get_content_type() == "text/rfc822-headers"]
        self.assertIn(b"Quarterly planning", headers[0].get_payload(decode=True))

        # the retry (at max_age) goes to the two deferred ones only
        sessions = self.relay.wait(lambda ss: len(mine(ss)) >= 2 and "closed" in mine(ss)[1],
                                   timeout=20)
        second = mine(sessions)[1]
        self.assertEqual(second["rcpts"], [("flaky@partner.test", 250),
                                           ("down@partner.test", 451)])
        self.assertIsNotNone(second["data"])
        self.assertEqual(second["data"], first["data"])

        # down@ is out of time: the second bounce, and the queue is empty
        found = wait_bounces(self.srv, BOB, 2)
        rcpts, _ = delivery_status(found[1][1])
        self.assertEqual([r["Final-Recipient"] for r in rcpts], ["rfc822; down@partner.test"])
        self.assertEqual(rcpts[0]["Status"], "5.4.7")
        self.assertEqual(rcpts[0]["Diagnostic-Code"],
                         "smtp; 451 4.4.1 No answer from the next hop")
        log = self.srv.read_log()
        self.assertRegex(log, r"outbound: attempt id=\d+ n=1 from=bob@example\.test "
                         r"to=flaky@partner\.test relay=127\.0\.0\.1:\d+ tls status=deferred "
                         r"stage=\"RCPT TO\" reply=\"451 4\.3\.0 Try again later\"")
        self.assertRegex(log, r"attempt id=\d+ n=2 .*to=flaky@partner\.test .*status=sent")
        self.assertRegex(log, r"attempt id=\d+ n=2 .*to=down@partner\.test .*status=expired")
        self.assertRegex(log, r"outbound: done id=\d+")

    def test_sender_refused(self):
        """5xx to MAIL FROM: every recipient bounces, no data is sent."""
        create_meeting(self.srv, ALICE, "Refused sender",
                       ["x@partner.test", "y@partner.test"])
        sessions = self.relay.wait(lambda ss: any(s["mail"] == ALICE and "closed" in s
                                                  for s in ss))
        s = [s for s in sessions if s["mail"] == ALICE][0]
        self.assertEqual(s["rcpts"], [])
        self.assertIsNone(s["data"])
        (raw, bounce), = wait_bounces(self.srv, ALICE, 1)
        rcpts, _ = delivery_status(bounce)
        self.assertEqual([r["Final-Recipient"] for r in rcpts],
                         ["rfc822; x@partner.test", "rfc822; y@partner.test"])
        self.assertEqual({r["Status"] for r in rcpts}, {"5.7.1"})


class OutboundNoRelayTest(unittest.TestCase):
    def run_server(self, relay):
        srv = InfostoreServer(listeners=("https",), conf={
            "outbound": {"relay": relay, "max_age": "2s"}})
        self.addCleanup(srv.cleanup)
        srv.start()
        self.addCleanup(srv.stop)
        create_meeting(srv, BOB, "Nobody hears", ["far@partner.test"])
        (raw, bounce), = wait_bounces(srv, BOB, 1)
        rcpts, _ = delivery_status(bounce)
        self.assertEqual(rcpts[0]["Final-Recipient"], "rfc822; far@partner.test")
        self.assertEqual(rcpts[0]["Status"], "5.4.7")
        self.assertNotIn("Remote-MTA", rcpts[0])
        return srv, rcpts[0]["Diagnostic-Code"]

    def test_relay_down(self):
        port = free_port()   # nothing listens there
        srv, diagnostic = self.run_server("127.0.0.1:%d" % port)
        self.assertEqual(diagnostic, "x-infostore; connect to 127.0.0.1:%d: "
                         "Connection refused" % port)
        self.assertEqual(len(re.findall(r"attempt id=1 n=\d .*status=deferred",
                                        srv.read_log())), 1)

    def test_no_relay_configured(self):
        srv, diagnostic = self.run_server("")
        self.assertEqual(diagnostic,
                         "x-infostore; no [outbound] relay is configured on this server")
        self.assertIn("wait: no [outbound] relay is configured", srv.read_log())


if __name__ == "__main__":
    unittest.main()
