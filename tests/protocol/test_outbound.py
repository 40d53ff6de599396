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
import socket
import ssl
import threading
import time
import unittest

from infostore_harness import InfostoreServer, cert_files, free_port
from test_web import WebClient

ALICE, BOB = "alice@example.test", "bob@example.test"
PASSWORDS = {ALICE: "alice-secret", BOB: "bob-secret"}


class Relay:
    """An SMTP relay on loopback that records every session.

    rcpt_replies: address -> replies for successive attempts (the last one
    repeats); mail_replies: sender -> reply to MAIL FROM. Everything else
    is accepted. STARTTLS is offered when tls is set."""

    def __init__(self, tls=True, rcpt_replies=None, mail_replies=None):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.rcpt_replies = {k: list(v) for k, v in (rcpt_replies or {}).items()}
        self.mail_replies = dict(mail_replies or {})
        self.tls = None
        if tls:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(*cert_files())
        self.sessions = []
        self.cond = threading.Condition()
        threading.Thread(target=self.serve, daemon=True).start()

    def close(self):
        self.sock.close()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.session, args=(conn,), daemon=True).start()

    def rcpt_reply(self, address):
        replies = self.rcpt_replies.get(address)
        if not replies:
            return "250 2.1.5 Ok"
        return replies.pop(0) if len(replies) > 1 else replies[0]

    def session(self, conn):
        s = {"tls": False, "helo": None, "mail": None, "rcpts": [], "data": None}
        with self.cond:
            self.sessions.append(s)
        conn.settimeout(30)
        f = conn.makefile("rwb")

        def reply(text):
            f.write(text.encode() + b"\r\n")
            f.flush()

        try:
            reply("220 relay.test ESMTP fake")
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.rstrip(b"\r\n").decode("utf-8", "replace")
                verb = cmd[:4].upper()
                if verb == "EHLO":
                    s["helo"] = cmd[5:]
                    caps = ["relay.test", "PIPELINING", "SIZE 10240000", "8BITMIME"]
                    if self.tls and not s["tls"]:
                        caps.append("STARTTLS")
                    reply("\r\n".join("250-" + c for c in caps[:-1]) + "\r\n250 " + caps[-1])
                elif cmd.upper() == "STARTTLS" and self.tls and not s["tls"]:
                    reply("220 2.0.0 Ready to start TLS")
                    conn = self.tls.wrap_socket(conn, server_side=True)
                    f = conn.makefile("rwb")
                    s["tls"] = True
                elif verb == "MAIL":
                    s["mail"] = re.search(r"<([^>]*)>", cmd).group(1)
                    reply(self.mail_replies.get(s["mail"], "250 2.1.0 Ok"))
                elif verb == "RCPT":
                    addr = re.search(r"<([^>]*)>", cmd).group(1)
                    r = self.rcpt_reply(addr)
                    s["rcpts"].append((addr, int(r[:3])))
                    reply(r)
                elif verb == "DATA":
                    reply("354 End data with <CR><LF>.<CR><LF>")
                    data = b""
                    while True:
                        l = f.readline()
                        if l == b".\r\n" or not l:
                            break
                        data += l[1:] if l.startswith(b".") else l
                    with self.cond:
                        s["data"] = data
                        self.cond.notify_all()
                    reply("250 2.0.0 Ok: queued as FAKE")
                elif verb == "QUIT":
                    reply("221 2.0.0 Bye")
                    return
                else:
                    reply("250 2.0.0 Ok")
        except (OSError, ssl.SSLError):
            return
        finally:
            with self.cond:
                s["closed"] = True
                self.cond.notify_all()
            conn.close()

    def wait(self, predicate, timeout=30):
        """Wait until predicate(sessions) holds; return the sessions."""
        deadline = time.time() + timeout
        with self.cond:
            while not predicate(self.sessions):
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError("relay: condition not met; sessions: %r" % (
                        self.sessions,))
                self.cond.wait(left)
            return list(self.sessions)


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
