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
import subprocess
import time
import unittest

from infostore_harness import InfostoreServer, free_port, wait_for
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


class OutboundRestartTest(unittest.TestCase):
    """The queue across a SIGKILL of the server, with the relay's answer
    at the end of DATA: 250; 554 (bounced at once); 451 then 250 (sent at
    the retry, after the restart); 452 for good (bounced when max_age
    runs out, after the restart); no answer at all, because the server is
    killed while the relay holds it (tried again once its claim runs
    out, not bounced). Each message reaches the relay with a
    250 at most once, each refusal bounces exactly once, and after a
    second restart nothing is tried again."""

    CASES = {   # recipient -> the relay's replies to DATA, attempt by attempt
        "ok@partner.test": ["250 2.0.0 Ok: queued as FAKE"],
        # no answer: the server is killed in the middle of this attempt
        "cut@partner.test": ["HOLD", "250 2.0.0 Ok: queued as FAKE"],
        "refused@partner.test": ["554 5.6.0 Message content rejected"],
        "later@partner.test": ["451 4.3.0 Queue full, try later",
                               "250 2.0.0 Ok: queued as FAKE"],
        "never@partner.test": ["452 4.3.1 Insufficient system storage"],
    }

    def data_sessions(self, rcpt):
        return [s for s in self.relay.sessions
                if s["data"] is not None and rcpt in [r for r, _ in s["rcpts"]]]

    def test_restart_between_attempts(self):
        self.relay = Relay(tls=False, data_replies=self.CASES)
        self.addCleanup(self.relay.close)
        # the retry after a 4xx comes at max_age (the first delay is a
        # minute), long after the restart
        srv = InfostoreServer(listeners=("submission", "imaps"), conf={
            "outbound": {"relay": "127.0.0.1:%d" % self.relay.port, "max_age": "15s"}})
        self.addCleanup(srv.cleanup)
        srv.start()
        for rcpt in sorted(self.CASES, key=lambda r: r == "cut@partner.test"):
            c = srv.submission(login=ALICE)
            c.sendmail(ALICE, [rcpt], ("From: %s\r\nTo: %s\r\nSubject: for %s\r\n"
                                       "Message-ID: <%s.restart@example.test>\r\n\r\n"
                                       "Hello.\r\n" % (ALICE, rcpt, rcpt, rcpt)).encode())
            c.quit()
        # the first attempts: two done (sent, bounced), two deferred at
        # DATA, and the last one waiting for the relay's answer
        self.relay.wait(lambda ss: all(
            any(s["data"] is not None and rcpt in [r for r, _ in s["rcpts"]] and (
                "closed" in s or rcpt == "cut@partner.test")
                for s in ss) for rcpt in self.CASES))
        self.assertTrue(wait_for(lambda: len(re.findall(r"outbound: deferred id=",
                                                        srv.read_log())) == 2
                                 and len(re.findall(r"outbound: done id=",
                                                    srv.read_log())) == 2),
                        srv.read_log()[-3000:])
        self.assertRegex(srv.read_log(), r"attempt id=\d+ n=1 from=alice@example\.test "
                         r"to=later@partner\.test .*status=deferred "
                         r"stage=\"end of data\" "
                         r"reply=\"451 4\.3\.0 Queue full, try later\"")
        self.assertEqual(len(bounces(srv, ALICE)), 1)
        self.assertEqual(srv.sql("SELECT count(*) FROM outbound")[0][0], 3)
        srv.kill()
        self.relay.release.set()
        # the attempt cut short holds its claim (store_outbound_due: a
        # 10-minute lease, so that no other node sends it meanwhile): the
        # design retries it when the lease runs out. Run it out here.
        (lease,), = srv.sql("SELECT next_attempt - created FROM outbound "
                            "WHERE recipients = 'cut@partner.test'")
        self.assertGreaterEqual(lease, 590)
        srv.sql("UPDATE outbound SET next_attempt = created "
                "WHERE recipients = 'cut@partner.test'")

        srv.start()
        wait_bounces(srv, ALICE, 2, timeout=60)
        self.assertTrue(wait_for(lambda: srv.sql("SELECT count(*) FROM outbound")[0][0] == 0,
                                 timeout=30), srv.read_log()[-3000:])
        # a second restart: nothing left to try, nothing tried again
        srv.stop()
        sessions = len(self.relay.sessions)
        srv.start()
        self.assertFalse(wait_for(lambda: len(self.relay.sessions) > sessions, timeout=3))
        srv.stop()

        tried = {rcpt: [s["data_reply"] for s in self.data_sessions(rcpt)]
                 for rcpt in self.CASES}
        self.assertEqual(tried, {"ok@partner.test": [250], "refused@partner.test": [554],
                                 "cut@partner.test": [None, 250],
                                 "later@partner.test": [451, 250],
                                 "never@partner.test": [452, 452]})
        later = self.data_sessions("later@partner.test")
        self.assertEqual(later[0]["data"], later[1]["data"])
        cut = self.data_sessions("cut@partner.test")
        self.assertEqual(cut[0]["data"], cut[1]["data"])
        found = bounces(srv, ALICE)
        self.assertEqual(len(found), 2, [m["Subject"] for _, m in found])
        reports = sorted((delivery_status(m)[0][0] for _, m in found),
                         key=lambda r: r["Final-Recipient"])
        self.assertEqual([(r["Final-Recipient"], r["Status"], r["Diagnostic-Code"])
                          for r in reports],
                         [("rfc822; never@partner.test", "5.4.7",
                           "smtp; 452 4.3.1 Insufficient system storage"),
                          ("rfc822; refused@partner.test", "5.6.0",
                           "smtp; 554 5.6.0 Message content rejected")])
        log = srv.read_log()
        self.assertRegex(log, r"attempt id=\d+ n=2 .*to=later@partner\.test .*status=sent")
        self.assertRegex(log, r"attempt id=\d+ n=2 .*to=never@partner\.test .*status=expired")


class OutboundBounceCrashTest(unittest.TestCase):
    """The bounce and the queue's record of it commit together: the
    server is SIGKILLed (by gdb, at a breakpoint) right after the bounce
    is stored and before the loop hears of it. After a restart the
    refused message is neither tried again nor bounced a second time."""

    def test_sigkill_after_bounce_stored(self):
        relay = Relay(tls=False, data_replies={
            "refused@partner.test": ["554 5.6.0 Message content rejected"]})
        self.addCleanup(relay.close)
        srv = InfostoreServer(listeners=("submission", "imaps"), conf={
            "outbound": {"relay": "127.0.0.1:%d" % relay.port}})
        self.addCleanup(srv.cleanup)
        srv.start()
        # where the delivery thread hands the stored bounce back to the loop
        gdb = subprocess.Popen(["gdb", "-p", str(srv.proc.pid), "-batch", "-nx",
                                "-ex", "break outbound_bounce_delivered",
                                "-ex", "continue", "-ex", "kill"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
        self.addCleanup(gdb.kill)

        def traced_and_running():
            # gdb attached (TracerPid), set the breakpoint and let it run
            with open("/proc/%d/status" % srv.proc.pid) as f:
                status = dict(l.split(":", 1) for l in f.read().splitlines())
            return (status["TracerPid"].strip() != "0"
                    and status["State"].split()[0] not in ("t", "T"))
        self.assertTrue(wait_for(traced_and_running, timeout=60))
        c = srv.submission(login=ALICE)
        c.sendmail(ALICE, ["refused@partner.test"], (
            "From: %s\r\nTo: refused@partner.test\r\nSubject: refused once\r\n"
            "\r\nHello.\r\n" % ALICE).encode())
        c.quit()
        out = gdb.communicate(timeout=120)[0]
        self.assertIn(b"Breakpoint 1, outbound_bounce_delivered", out,
                      out.decode(errors="replace"))
        self.assertIsNotNone(srv.proc.wait(30))
        srv.kill()
        self.assertEqual(len(bounces(srv, ALICE)), 1)

        # restart; a claim left behind by the crash has run out
        srv.sql("UPDATE outbound SET next_attempt = created")
        srv.start()
        self.addCleanup(srv.stop)
        self.assertTrue(wait_for(lambda: srv.sql("SELECT count(*) FROM outbound")[0][0] == 0,
                                 timeout=30), srv.read_log()[-3000:])
        self.assertEqual(len([s for s in relay.sessions if s["data"] is not None]), 1)
        self.assertEqual(len(bounces(srv, ALICE)), 1)


if __name__ == "__main__":
    unittest.main()
