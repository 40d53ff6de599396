"""Message submission (RFC 6409) against the real server, driven by
Python's smtplib (STARTTLS on [submission] listen, SMTP_SSL on tls_listen),
swaks, and a raw client where the bytes matter: AUTH only after TLS, the
user's own address in MAIL FROM and in From:, local recipients straight
into their INBOX (an iMIP invitation into the attendee's calendar), the
rest through the outbound queue to a fake relay (and a bounce back when it
refuses), the size limit, and no 250 before every copy is durable."""
import base64
import email
import email.policy
import os
import re
import smtplib
import socket
import ssl
import subprocess
import time
import unittest
import urllib.parse

from infostore_harness import (HOSTNAME, InfostoreServer, SharedServerTest,
                               client_tls_context, make_message, wait_for)
from smtp_relay import Relay

ALICE, BOB = "alice@example.test", "bob@example.test"
PASSWORDS = {ALICE: "alice-secret", BOB: "bob-secret"}
SWAKS = "/usr/bin/swaks"
LISTENERS = ("imap", "imaps", "lmtp", "https", "submission", "submissions")
MAX_SIZE = 256 * 1024

RECEIVED_RE = re.compile(
    r"^Received: from client\.example\.test \(\[127\.0\.0\.1\]\) "
    r"\(using TLSv1\.[23] with cipher [A-Z0-9_-]+\) by mail\.example\.test "
    r"\(infostore\) with ESMTPSA id ([0-9a-f]{16})( for <[^>]+>)?; "
    r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\r$", re.M)


def inbox(srv, user):
    """Every message in user's INBOX, as stored (bytes)."""
    out = srv.cli("mailbox", "list", user, check=True).stdout.decode()
    uidnext = [int(l.split("\t")[4]) for l in out.splitlines()
               if l.startswith("INBOX\t")][0]
    found = []
    for uid in range(1, uidnext):
        p = srv.cli("fetch", user, "INBOX", str(uid))
        if p.returncode == 0:
            found.append(p.stdout)
    return found


def with_subject(srv, user, subject):
    return [m for m in inbox(srv, user) if ("Subject: %s\r\n" % subject).encode() in m]


def message(subject, sender=ALICE, to=BOB, extra="", body="Hello.\r\n", msgid=True,
            date=True):
    lines = ["From: %s" % sender, "To: %s" % to, "Subject: %s" % subject]
    if date:
        lines.append("Date: Tue, 24 Nov 2026 09:00:00 +0000")
    if msgid:
        lines.append("Message-ID: <%d.%s@example.test>" % (time.time_ns(), subject[:8]))
    text = "\r\n".join(lines) + "\r\n" + extra + "\r\n" + body
    return text.encode()


class Raw:
    """A byte-exact client that can switch to TLS."""

    def __init__(self, port, tls=False):
        self.sock = socket.create_connection(("127.0.0.1", port), 20)
        if tls:
            self.sock = client_tls_context().wrap_socket(self.sock)
        self.buf = b""
        code, _ = self.reply()
        assert code == 220, code

    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("closed; buffered %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        lines = []
        while True:
            line = self.line()
            lines.append(line[4:].decode("utf-8", "replace"))
            if line[3:4] != b"-":
                return int(line[:3]), lines

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def starttls(self):
        code, _ = self.cmd("STARTTLS")
        assert code == 220, code
        assert self.buf == b"", self.buf
        self.sock = client_tls_context().wrap_socket(self.sock)

    def login(self, user=ALICE):
        code, lines = self.cmd("AUTH PLAIN " + base64.b64encode(
            b"\0" + user.encode() + b"\0" + PASSWORDS[user].encode()).decode())
        assert code == 235, (code, lines)

    def close(self):
        self.sock.close()


class SubmissionTest(SharedServerTest):
    SERVER_ARGS = {"listeners": LISTENERS}

    @classmethod
    def setUpClass(cls):
        cls.relay = Relay(tls=True, rcpt_replies={
            "gone@partner.test": ["550 5.1.1 <gone@partner.test>: Recipient address rejected"]})
        try:
            super().setUpClass()
        except BaseException:
            cls.relay.close()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.relay.close()

    @classmethod
    def configure(cls, settings):
        settings["outbound"]["relay"] = "127.0.0.1:%d" % cls.relay.port
        settings["limits"]["max_message_size"] = str(MAX_SIZE)

    def relayed(self, subject):
        """The relay's (sender, recipients, data) for the message."""
        sessions = self.relay.wait(lambda ss: any(
            s.get("data") and ("Subject: %s\r\n" % subject).encode() in s["data"]
            for s in ss))
        return [(s["mail"], [r for r, code in s["rcpts"] if code < 300], s["data"])
                for s in sessions
                if s.get("data") and ("Subject: %s\r\n" % subject).encode() in s["data"]]

    # --- the session ---

    def test_ehlo_before_and_after_tls(self):
        c = self.srv.submission(starttls=False)
        try:
            self.assertTrue(c.has_extn("starttls"))
            self.assertFalse(c.has_extn("auth"), "AUTH offered before TLS")
            self.assertEqual(c.esmtp_features["size"], str(MAX_SIZE))
            for ext in ("pipelining", "8bitmime", "enhancedstatuscodes", "chunking",
                        "smtputf8"):
                self.assertTrue(c.has_extn(ext), ext)
            c.starttls(context=client_tls_context())
            c.ehlo("client.example.test")
            self.assertFalse(c.has_extn("starttls"))
            self.assertEqual(c.esmtp_features["auth"].split(), ["PLAIN", "LOGIN"])
            c.login(ALICE, PASSWORDS[ALICE])
            # logged in: AUTH no longer offered, nor accepted
            c.ehlo("client.example.test")
            self.assertFalse(c.has_extn("auth"))
            self.assertEqual(c.docmd("AUTH", "PLAIN")[0], 503)
        finally:
            c.quit()
        c = self.srv.submission(tls=True)
        try:
            self.assertFalse(c.has_extn("starttls"))
            self.assertTrue(c.has_extn("auth"))
            self.assertEqual(c.docmd("STARTTLS")[0], 503)
        finally:
            c.quit()

    def test_auth_refused_before_tls(self):
        c = self.srv.submission(starttls=False)
        try:
            with self.assertRaises(smtplib.SMTPNotSupportedError):
                c.login(ALICE, PASSWORDS[ALICE])
            code, text = c.docmd("AUTH", "PLAIN " + base64.b64encode(
                b"\0alice@example.test\0alice-secret").decode())
            self.assertEqual(code, 538)
            self.assertTrue(text.startswith(b"5.7.11 "), text)
            self.assertEqual(c.docmd("AUTH", "LOGIN")[0], 538)
            # nothing else works without a login either
            self.assertEqual(c.docmd("MAIL", "FROM:<alice@example.test>")[0], 530)
        finally:
            c.quit()

    def test_wrong_password(self):
        c = self.srv.submission()
        try:
            with self.assertRaises(smtplib.SMTPAuthenticationError) as cm:
                c.login(ALICE, "not-her-password")
            self.assertEqual(cm.exception.smtp_code, 535)
            self.assertIn(b"5.7.8", cm.exception.smtp_error)
            self.assertEqual(c.docmd("MAIL", "FROM:<alice@example.test>")[0], 530)
        finally:
            c.close()
        # a PLAIN message for someone else is refused unchecked
        c = self.srv.submission()
        try:
            code, _ = c.docmd("AUTH", "PLAIN " + base64.b64encode(
                b"bob@example.test\0alice@example.test\0alice-secret").decode())
            self.assertEqual(code, 535)
            code, _ = c.docmd("AUTH", "PLAIN not*base64")
            self.assertEqual(code, 501)
            # cancelled exchange
            self.assertEqual(c.docmd("AUTH", "PLAIN")[0], 334)
            self.assertEqual(c.docmd("*")[0], 501)
            c.login(ALICE, PASSWORDS[ALICE])
        finally:
            c.quit()

    def test_auth_login_on_implicit_tls(self):
        c = self.srv.submission(tls=True)
        try:
            c.user, c.password = ALICE, PASSWORDS[ALICE]
            code, _ = c.auth("LOGIN", c.auth_login)
            self.assertEqual(code, 235)
            c.sendmail(ALICE, [BOB], message("over implicit tls"))
        finally:
            c.quit()
        stored, = with_subject(self.srv, BOB, "over implicit tls")
        self.assertRegex(stored.decode(), RECEIVED_RE)

    def test_rcpt_before_auth(self):
        c = self.srv.submission()
        try:
            code, text = c.docmd("RCPT", "TO:<bob@example.test>")
            self.assertEqual(code, 530)
            self.assertTrue(text.startswith(b"5.7.0 "), text)
            self.assertEqual(c.docmd("DATA")[0], 530)
        finally:
            c.quit()

    def test_bdat_before_auth_closes(self):
        """A chunk from a client that has not logged in is not read: 530,
        and the connection is closed."""
        r = Raw(self.srv.ports["submissions"], tls=True)
        try:
            self.assertEqual(r.cmd("EHLO client.example.test")[0], 250)
            r.send("BDAT 1000000000 LAST\r\n")
            code, lines = r.reply()
            self.assertEqual(code, 530)
            self.assertTrue(lines[0].startswith("5.7.0 "), lines)
            with self.assertRaises((EOFError, ConnectionError)):
                r.line()
        finally:
            r.close()

    def test_mail_from_someone_else(self):
        c = self.srv.submission(login=ALICE)
        try:
            for sender in ("bob@example.test", "", "alice@other.test", "ceo@bank.test"):
                code, text = c.docmd("MAIL", "FROM:<%s>" % sender)
                self.assertEqual(code, 553, sender)
                self.assertTrue(text.startswith(b"5.7.1 "), text)
            # her own address, in any case
            self.assertEqual(c.docmd("MAIL", "FROM:<Alice@Example.TEST>")[0], 250)
            self.assertEqual(c.docmd("RSET")[0], 250)
            with self.assertRaises(smtplib.SMTPSenderRefused):
                c.sendmail(BOB, [BOB], message("as bob", sender=BOB))
        finally:
            c.quit()
        self.assertEqual(with_subject(self.srv, BOB, "as bob"), [])

    def test_from_header_someone_else(self):
        c = self.srv.submission(login=ALICE)
        try:
            for i, header in enumerate((
                    "Bob <bob@example.test>",
                    "bob@example.test",
                    "alice@example.test <bob@example.test>",
                    "Alice <alice@example.test>, bob@example.test",
                    "\"Alice <alice@example.test>\" <ceo@bank.test>")):
                subject = "forged %d" % i
                with self.assertRaises(smtplib.SMTPDataError) as cm:
                    c.sendmail(ALICE, [BOB, "x@partner.test"],
                               message(subject, sender=header))
                self.assertEqual(cm.exception.smtp_code, 553, header)
                self.assertIn(b"5.7.1", cm.exception.smtp_error)
            with self.assertRaises(smtplib.SMTPDataError):
                c.sendmail(ALICE, [BOB], message("two froms", extra="From: bob@example.test\r\n"))
            with self.assertRaises(smtplib.SMTPDataError):
                c.sendmail(ALICE, [BOB], message("sender bob",
                                                 extra="Sender: bob@example.test\r\n"))
            with self.assertRaises(smtplib.SMTPDataError):
                c.sendmail(ALICE, [BOB], b"Subject: no from\r\n\r\nHello.\r\n")
            # any display name, any case: her own address is enough
            c.sendmail(ALICE, [BOB], message("display name",
                                             sender="\"The Boss\" <ALICE@example.test>"))
        finally:
            c.quit()
        for i in range(5):
            self.assertEqual(with_subject(self.srv, BOB, "forged %d" % i), [])
        self.assertEqual(len(with_subject(self.srv, BOB, "display name")), 1)
        self.assertFalse([s for s in self.relay.sessions
                          if s.get("data") and b"Subject: forged" in s["data"]])
        self.assertIn("refused id=", self.srv.read_log())

    # --- where the message goes ---

    def test_local_recipient_inbox(self):
        c = self.srv.submission(login=ALICE)
        try:
            refused = c.sendmail(ALICE, [BOB], message("to bob", msgid=False, date=False))
            self.assertEqual(refused, {})
        finally:
            c.quit()
        stored, = with_subject(self.srv, BOB, "to bob")
        text = stored.decode()
        # the delivery path's Return-Path, then our Received:
        self.assertTrue(text.startswith("Return-Path: <alice@example.test>\r\nReceived: "),
                        text[:200])
        m = RECEIVED_RE.search(text)
        self.assertIsNotNone(m, text[:400])
        self.assertEqual(m.group(2), " for <bob@example.test>")
        # RFC 6409 8.2, 8.3: Date and Message-ID added at the end of the header
        header = text.split("\r\n\r\n")[0]
        self.assertRegex(header, r"\r\nDate: \w{3}, \d\d? \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}"
                         r"\r\nMessage-ID: <[^@>]+@mail\.example\.test>$")
        self.assertTrue(text.endswith("\r\n\r\nHello.\r\n"))
        # an app's own Date and Message-ID are kept, not doubled
        c = self.srv.submission(login=ALICE)
        try:
            c.sendmail(ALICE, [BOB], message("has ids", msgid=True, date=True))
        finally:
            c.quit()
        stored, = with_subject(self.srv, BOB, "has ids")
        self.assertEqual(stored.count(b"\nMessage-ID: "), 1)
        self.assertEqual(stored.count(b"\nDate: "), 1)
        # the log says where it went
        self.assertRegex(self.srv.read_log(), r"submission: sent id=[0-9a-f]{16} "
                         r"from=alice@example\.test local=1 remote=0")

    def test_remote_recipient_reaches_relay(self):
        c = self.srv.submission(login=ALICE)
        try:
            c.sendmail(ALICE, ["carol@partner.test", "dan@partner.test"],
                       message("to the partners", to="carol@partner.test"))
        finally:
            c.quit()
        (sender, rcpts, data), = self.relayed("to the partners")
        self.assertEqual(sender, ALICE)
        self.assertEqual(sorted(rcpts), ["carol@partner.test", "dan@partner.test"])
        text = data.decode()
        self.assertTrue(text.startswith("Received: from client.example.test "), text[:200])
        # two recipients: neither is named in the trace field
        self.assertIsNone(RECEIVED_RE.search(text).group(2))
        self.assertIn("\r\nSubject: to the partners\r\n", text)

    def test_local_and_remote_together(self):
        c = self.srv.submission(login=ALICE)
        try:
            c.sendmail(ALICE, [BOB, "erin@partner.test", ALICE, BOB.upper()],
                       message("mixed"))
        finally:
            c.quit()
        (sender, rcpts, data), = self.relayed("mixed")
        self.assertEqual(rcpts, ["erin@partner.test"])
        self.assertEqual(len(with_subject(self.srv, BOB, "mixed")), 1)
        self.assertEqual(len(with_subject(self.srv, ALICE, "mixed")), 1)
        self.assertRegex(self.srv.read_log(), r"submission: sent id=\w+ "
                         r"from=alice@example\.test local=2 remote=1")

    def test_bounce_for_submitted_mail(self):
        """The relay refuses a recipient: the outbound queue's report
        (RFC 3464) reaches the sender's INBOX."""
        c = self.srv.submission(login=BOB)
        try:
            c.sendmail(BOB, ["gone@partner.test"], message("will bounce", sender=BOB,
                                                            to="gone@partner.test"))
        finally:
            c.quit()

        def bounce():
            return [m for m in inbox(self.srv, BOB)
                    if b"report-type=delivery-status" in m and b"will bounce" in m]
        found = wait_for(bounce, timeout=30)
        self.assertTrue(found, self.srv.read_log()[-3000:])
        report = email.message_from_bytes(found[0], policy=email.policy.compat32)
        self.assertEqual(report.get_content_type(), "multipart/report")
        self.assertIn(b"gone@partner.test", found[0])
        self.assertIn(b"5.1.1", found[0])

    def test_imip_invitation_to_local_attendee(self):
        """An invitation sent from a mail app (as Thunderbird sends it)
        reaches the local attendee's calendar through the delivery
        path's calendar hook."""
        uid = "submitted-%d@example.test" % time.time_ns()
        body = ("--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCome along.\r\n"
                "--b1\r\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\r\n\r\n"
                "BEGIN:VCALENDAR\r\nPRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN\r\n"
                "VERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:%s\r\nSEQUENCE:0\r\n"
                "DTSTAMP:20261101T090000Z\r\nDTSTART:20301205T110000Z\r\n"
                "DTEND:20301205T120000Z\r\nSUMMARY:Submitted meeting\r\n"
                "ORGANIZER;CN=Alice:mailto:alice@example.test\r\n"
                "ATTENDEE;CN=Bob;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.test\r\n"
                "END:VEVENT\r\nEND:VCALENDAR\r\n--b1--\r\n" % uid)
        msg = message("Invitation: Submitted meeting",
                      extra="MIME-Version: 1.0\r\nContent-Type: multipart/alternative; "
                            "boundary=\"b1\"\r\n", body=body)
        c = self.srv.submission(login=ALICE)
        try:
            c.sendmail(ALICE, [BOB], msg)
        finally:
            c.quit()
        out = self.srv.cli("calendar", "list", BOB, check=True).stdout.decode()
        line = [l for l in out.splitlines() if l.startswith(uid)]
        self.assertEqual(len(line), 1, out)
        self.assertIn("Submitted meeting", line[0])

    # --- limits ---

    def test_size_limit(self):
        c = self.srv.submission(login=ALICE)
        try:
            code, text = c.docmd("MAIL", "FROM:<alice@example.test> SIZE=%d" % (MAX_SIZE + 1))
            self.assertEqual(code, 552)
            self.assertTrue(text.startswith(b"5.3.4"), text)
            # no SIZE given (smtplib would send it): found out in the data
            big = message("too big", body="x" * 76 + "\r\n") + b"y" * 76 * (MAX_SIZE // 76)
            self.assertEqual(c.mail(ALICE)[0], 250)
            self.assertEqual(c.rcpt(BOB)[0], 250)
            code, text = c.data(big)
            self.assertEqual(code, 552)
            self.assertTrue(text.startswith(b"5.3.4 "), text)
            # the session goes on
            c.sendmail(ALICE, [BOB], message("after too big"))
        finally:
            c.quit()
        self.assertEqual(with_subject(self.srv, BOB, "too big"), [])
        self.assertEqual(len(with_subject(self.srv, BOB, "after too big")), 1)

    def test_too_many_recipients(self):
        c = self.srv.submission(login=ALICE)
        try:
            self.assertEqual(c.docmd("MAIL", "FROM:<alice@example.test>")[0], 250)
            for i in range(100):
                self.assertEqual(c.docmd("RCPT", "TO:<r%d@partner.test>" % i)[0], 250)
            code, text = c.docmd("RCPT", "TO:<r100@partner.test>")
            self.assertEqual(code, 452)
            self.assertTrue(text.startswith(b"4.5.3"))
            # no domain: nowhere to send it
            self.assertEqual(c.docmd("RSET")[0], 250)
            self.assertEqual(c.docmd("MAIL", "FROM:<alice@example.test>")[0], 250)
            self.assertEqual(c.docmd("RCPT", "TO:<Postmaster>")[0], 553)
        finally:
            c.quit()

    def test_pipelining_and_bdat(self):
        r = Raw(self.srv.ports["submissions"], tls=True)
        try:
            self.assertEqual(r.cmd("EHLO client.example.test")[0], 250)
            r.login()
            msg = message("chunked")
            half = len(msg) // 2
            # RFC 2920 and 3030: everything in one write
            r.send(b"MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\n"
                   b"BDAT %d\r\n%sBDAT %d LAST\r\n%sNOOP\r\n" % (
                       half, msg[:half], len(msg) - half, msg[half:]))
            codes = [r.reply()[0] for _ in range(5)]
            self.assertEqual(codes, [250, 250, 250, 250, 250])
            # a chunk without a transaction is read and refused
            r.send(b"BDAT 5 LAST\r\nxxxxxNOOP\r\n")
            self.assertEqual(r.reply()[0], 503)
            self.assertEqual(r.reply()[0], 250)
            self.assertEqual(r.cmd("QUIT")[0], 221)
        finally:
            r.close()
        stored, = with_subject(self.srv, BOB, "chunked")
        self.assertTrue(stored.endswith(msg))

    def test_starttls_drops_pipelined_plaintext(self):
        """RFC 3207 5: what came after STARTTLS in plaintext is not read
        as if it came over TLS."""
        r = Raw(self.srv.ports["submission"])
        try:
            self.assertEqual(r.cmd("EHLO client.example.test")[0], 250)
            r.send("STARTTLS\r\nRSET\r\n")
            self.assertEqual(r.reply()[0], 220)
            r.sock = client_tls_context().wrap_socket(r.sock)
            # the state is forgotten: EHLO again before AUTH
            code, _ = r.cmd("AUTH PLAIN " + base64.b64encode(
                b"\0alice@example.test\0alice-secret").decode())
            self.assertEqual(code, 503)
            code, lines = r.cmd("EHLO client.example.test")
            self.assertEqual(code, 250)
            self.assertIn("AUTH PLAIN LOGIN", lines)
            r.login()
            self.assertEqual(r.cmd("QUIT")[0], 221)
        finally:
            r.close()

    # --- with other tools ---

    def swaks(self, *args):
        return subprocess.run([SWAKS, "--server", "127.0.0.1", "--helo", "client.example.test",
                               "--timeout", "30"] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)

    def test_swaks(self):
        for subject, args in (
                ("swaks starttls", ["--port", str(self.srv.ports["submission"]), "--tls"]),
                ("swaks implicit tls", ["--port", str(self.srv.ports["submissions"]),
                                        "--tls-on-connect"])):
            for auth in ("PLAIN", "LOGIN"):
                p = self.swaks(*args, "--auth", auth, "--auth-user", ALICE,
                               "--auth-password", PASSWORDS[ALICE], "--from", ALICE,
                               "--to", BOB, "--header", "Subject: %s %s" % (subject, auth))
                self.assertEqual(p.returncode, 0, p.stdout.decode())
                self.assertIn(b"<~  235 2.7.0", p.stdout)
                self.assertEqual(len(with_subject(self.srv, BOB, "%s %s" % (subject, auth))), 1)
        # no TLS, no AUTH: swaks is told there is none to use
        p = self.swaks("--port", str(self.srv.ports["submission"]), "--auth", "PLAIN",
                       "--auth-user", ALICE, "--auth-password", PASSWORDS[ALICE],
                       "--from", ALICE, "--to", BOB)
        self.assertNotEqual(p.returncode, 0)
        self.assertNotIn(b"235 ", p.stdout)
        # wrong password
        p = self.swaks("--port", str(self.srv.ports["submissions"]), "--tls-on-connect",
                       "--auth", "PLAIN", "--auth-user", ALICE, "--auth-password", "wrong",
                       "--from", ALICE, "--to", BOB)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"535 5.7.8 ", p.stdout)

    # --- what apps are told ---

    def test_autoconfig_names_the_outgoing_server(self):
        from test_autoconfig import ad_request, tb_read_from_xml, AD_OUTLOOK_NS
        from test_web import WebClient
        import xml.etree.ElementTree as ET
        c = WebClient(self.srv.ports["https"])
        try:
            resp = c.get("/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=" +
                         urllib.parse.quote(ALICE))
            self.assertEqual(resp.status, 200)
            d = tb_read_from_xml(resp.body)
            out = [d["outgoing"]] + d["outgoingAlternatives"]
            self.assertEqual([(s["type"], s["hostname"], s["port"], s["socketType"])
                              for s in out],
                             [("smtp", HOSTNAME, self.srv.ports["submissions"], "SSL"),
                              ("smtp", HOSTNAME, self.srv.ports["submission"],
                               "alwaysSTARTTLS")])
            self.assertEqual({s["auth"] for s in out}, {"passwordCleartext"})
            self.assertEqual({s["username"] for s in out}, {"%EMAILADDRESS%"})
            resp = c.request("POST", "/autodiscover/autodiscover.xml", ad_request(ALICE),
                             {"Content-Type": "text/xml"})
            self.assertEqual(resp.status, 200)
            ns = {"o": AD_OUTLOOK_NS}
            smtp = [p for p in ET.fromstring(resp.body).iter("{%s}Protocol" % AD_OUTLOOK_NS)
                    if p.findtext("o:Type", namespaces=ns) == "SMTP"]
            self.assertEqual(len(smtp), 1)
            self.assertEqual(int(smtp[0].findtext("o:Port", namespaces=ns)),
                             self.srv.ports["submissions"])
            self.assertEqual(smtp[0].findtext("o:SSL", namespaces=ns), "on")
            self.assertEqual(smtp[0].findtext("o:AuthRequired", namespaces=ns), "on")
        finally:
            c.close()

    def test_apple_profile_has_the_mail_account(self):
        import plistlib
        from test_web import WebClient
        c = WebClient(self.srv.ports["https"])
        try:
            self.assertEqual(c.login(ALICE, PASSWORDS[ALICE]).status, 303)
            resp = c.get("/settings/apple-profile")
        finally:
            c.close()
        profile = plistlib.loads(resp.body)
        mail, = [p for p in profile["PayloadContent"]
                 if p["PayloadType"] == "com.apple.mail.managed"]
        self.assertEqual(mail["OutgoingMailServerHostName"], HOSTNAME)
        self.assertEqual(mail["OutgoingMailServerPortNumber"], self.srv.ports["submissions"])
        self.assertIs(mail["OutgoingMailServerUseSSL"], True)
        self.assertEqual(mail["OutgoingMailServerUsername"], ALICE)

    def test_config_check_says_where_apps_send(self):
        out = self.srv.cli("config", "check", check=True).stdout.decode()
        self.assertIn("\n[submission]\nlisten = 127.0.0.1:%d\ntls_listen = 127.0.0.1:%d\n" % (
            self.srv.ports["submission"], self.srv.ports["submissions"]), out)
        self.assertIn("mail apps send: 127.0.0.1:%d (TLS), 127.0.0.1:%d (STARTTLS); "
                      "to other servers through 127.0.0.1:%d\n" % (
                          self.srv.ports["submissions"], self.srv.ports["submission"],
                          self.relay.port), out)

    def test_config_dns(self):
        from test_autoconfig import zone_records
        proc = self.srv.cli("config", "dns")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        srv = {name: rdata for name, ttl, cls, rtype, rdata in
               zone_records(proc.stdout.decode()) if rtype == "SRV"}
        prio_s, _, port_s, target_s = srv["_submissions._tcp.example.test."]
        prio, _, port, target = srv["_submission._tcp.example.test."]
        self.assertEqual((int(port_s), target_s), (self.srv.ports["submissions"],
                                                   HOSTNAME + "."))
        self.assertEqual((int(port), target), (self.srv.ports["submission"], HOSTNAME + "."))
        # RFC 8314 5.1: implicit TLS first
        self.assertLess(int(prio_s), int(prio))
        self.assertNotIn("no submission service", proc.stdout.decode())


class SubmissionDurabilityTest(unittest.TestCase):
    """250 only once every copy is on disk: SIGKILL right after it, and the
    local copy and the outbound entry are both there after a restart."""

    def test_sigkill_after_250(self):
        relay = Relay(tls=False)
        self.addCleanup(relay.close)
        # no relay at first: the queued copies wait for one
        srv = InfostoreServer(listeners=("submission",))
        self.addCleanup(srv.cleanup)
        srv.start()
        sent = []
        for i in range(5):
            c = srv.submission(login=ALICE)
            c.sendmail(ALICE, [BOB, "far%d@partner.test" % i], message("durable %d" % i))
            sent.append("durable %d" % i)
            if i == 4:
                srv.kill()   # right after the last 250, before QUIT
                c.close()
            else:
                c.quit()
        for subject in sent:
            self.assertEqual(len(with_subject(srv, BOB, subject)), 1, subject)
        # restart with a relay that answers: the queued copies go out
        settings = srv.settings()
        settings["outbound"]["relay"] = "127.0.0.1:%d" % relay.port
        srv.write_conf(settings)
        srv.start()
        self.addCleanup(srv.stop)
        relay.wait(lambda ss: len([s for s in ss if s.get("data")]) >= 5)
        got = sorted(r for _, rcpts, _ in relay.messages for r in rcpts)
        self.assertEqual(got, ["far%d@partner.test" % i for i in range(5)])

    def test_tempfail_then_retry(self):
        """An fsync that fails: 451, nothing delivered or queued; the
        app's retry goes through."""
        srv = InfostoreServer(listeners=("submission",))
        self.addCleanup(srv.cleanup)
        os.environ["INFOSTORE_FAULT"] = "fsync:1"
        try:
            srv.start()
        finally:
            del os.environ["INFOSTORE_FAULT"]
        self.addCleanup(srv.stop)
        c = srv.submission(login=ALICE)
        try:
            with self.assertRaises(smtplib.SMTPDataError) as cm:
                c.sendmail(ALICE, [BOB, "far@partner.test"], message("retried"))
            self.assertEqual(cm.exception.smtp_code, 451)
            self.assertIn(b"4.3.0", cm.exception.smtp_error)
            self.assertEqual(with_subject(srv, BOB, "retried"), [])
            c.sendmail(ALICE, [BOB, "far@partner.test"], message("retried"))
        finally:
            c.quit()
        self.assertEqual(len(with_subject(srv, BOB, "retried")), 1)
        self.assertRegex(srv.read_log(), r"not sent id=\w+ from=alice@example\.test "
                         r"status=tempfail")


class SubmissionLimitsTest(SharedServerTest):
    SERVER_ARGS = {"listeners": ("submission", "submissions"),
                   "conf": {"limits": {"submission_idle_timeout": "2s",
                                       "max_bad_commands": "3",
                                       "max_connections_per_ip": "4"}}}

    def test_idle_timeout(self):
        r = Raw(self.srv.ports["submission"])
        try:
            start = time.time()
            with self.assertRaises(EOFError):
                r.line()
            self.assertLess(time.time() - start, 15)
        finally:
            r.close()

    def test_bad_commands(self):
        r = Raw(self.srv.ports["submissions"], tls=True)
        try:
            self.assertEqual(r.cmd("FOO")[0], 500)
            self.assertEqual(r.cmd("MAIL FROM:<alice@example.test>")[0], 503)
            code, _ = r.cmd("BAR")
            self.assertEqual(code, 500)
            self.assertEqual(r.reply()[0], 421)
            with self.assertRaises(EOFError):
                r.line()
        finally:
            r.close()

    def test_connection_limit(self):
        held = [Raw(self.srv.ports["submission"]) for _ in range(4)]
        try:
            r = socket.create_connection(("127.0.0.1", self.srv.ports["submission"]), 10)
            data = r.recv(1024)
            self.assertTrue(data.startswith(b"421 4.3.2 "), data)
            r.close()
        finally:
            for h in held:
                h.close()

    def test_too_many_failed_logins(self):
        r = Raw(self.srv.ports["submissions"], tls=True)
        try:
            self.assertEqual(r.cmd("EHLO client.example.test")[0], 250)
            wrong = "AUTH PLAIN " + base64.b64encode(b"\0alice@example.test\0wrong").decode()
            self.assertEqual(r.cmd(wrong)[0], 535)
            self.assertEqual(r.cmd(wrong)[0], 535)
            self.assertEqual(r.cmd(wrong)[0], 535)
            self.assertEqual(r.reply()[0], 421)
            with self.assertRaises(EOFError):
                r.line()
        finally:
            r.close()


if __name__ == "__main__":
    unittest.main()
