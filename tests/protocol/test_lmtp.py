"""LMTP (RFC 2033) against the real server: Python's smtplib.LMTP and a raw
socket client that checks every reply, including the one-reply-per-recipient
rule after DATA and BDAT, dot-unstuffing byte for byte, pipelining, limits,
the unix socket listener, and draining on SIGTERM."""
import imaplib
import os
import re
import signal
import smtplib
import socket
import time
import unittest

from infostore_harness import HOSTNAME, InfostoreServer, SharedServerTest, make_message, wait_for

RECEIVED_RE = re.compile(
    rb"Received: from (\S+) \(\[([^\]]+)\]\) by mail\.example\.test \(infostore\) "
    rb"with (U?T?F?8?LMTP) id ([0-9a-f]{16}) for <([^>]+)>; "
    rb"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\r\n")



class Raw:
    """A byte-exact LMTP client: send what we say, read whole replies."""

    def __init__(self, address, family=socket.AF_INET, greet=True):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(20)
        self.sock.connect(address)
        self.buf = b""
        if greet:
            code, lines = self.reply()
            assert code == 220, (code, lines)
            self.greeting = lines

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed; buffered %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        """(code, [text lines]) of one whole, possibly multi-line reply."""
        lines = []
        while True:
            line = self.line()
            assert re.match(rb"^[2-5]\d\d[ -]", line) or re.match(rb"^[2-5]\d\d$", line), line
            lines.append(line[4:].decode("utf-8", "replace"))
            if len(line) == 3 or line[3:4] == b" ":
                return int(line[:3]), lines

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def expect(self, line, code, text=None):
        got, lines = self.cmd(line)
        assert got == code, "%s: expected %d, got %d %s" % (line, code, got, lines)
        if text is not None:
            assert text in lines[-1], "%s: %r not in %r" % (line, text, lines)
        return lines

    def closed(self, timeout=10):
        """True if the server closes the connection within timeout."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


def stuff(message):
    """Dot-stuff a CRLF message for DATA (RFC 5321 4.5.2)."""
    out = re.sub(rb"(^|\r\n)\.", rb"\1..", message)
    return out + b".\r\n"


class LmtpBase(SharedServerTest):
    SERVER_ARGS = {"listeners": ("lmtp",)}

    def raw(self):
        c = Raw(("127.0.0.1", self.srv.ports["lmtp"]))
        self.addCleanup(c.close)
        return c

    def inbox(self, user):
        out = self.srv.cli("mailbox", "list", user, check=True).stdout.decode()
        for line in out.splitlines():
            f = line.split("\t")
            if f[0] == "INBOX":
                return int(f[1]), int(f[4])   # messages, uidnext
        raise AssertionError(out)

    def fetch(self, user, uid):
        proc = self.srv.cli("fetch", user, "INBOX", str(uid), check=True)
        return proc.stdout

    def assert_stored(self, user, uid, sender, message, helo=None, protocol=b"LMTP"):
        """Stored bytes = Return-Path + Received + the message, exactly."""
        stored = self.fetch(user, uid)
        prefix = b"Return-Path: <%s>\r\n" % sender.encode()
        self.assertTrue(stored.startswith(prefix), stored[:200])
        m = RECEIVED_RE.match(stored, len(prefix))
        self.assertIsNotNone(m, stored[:400])
        self.assertEqual(m.group(5), user.encode())
        self.assertEqual(m.group(3), protocol)
        if helo is not None:
            self.assertEqual(m.group(1), helo.encode())
        self.assertEqual(stored[m.end():], message)

    def transaction(self, c, sender, rcpts, message):
        c.expect("MAIL FROM:<%s>" % sender, 250)
        for r in rcpts:
            c.expect("RCPT TO:<%s>" % r, 250)
        c.expect("DATA", 354)
        c.send(stuff(message))
        return [c.reply() for _ in rcpts]


class LmtpTest(LmtpBase):
    @classmethod
    def configure(cls, settings):
        # IMAP too, for IDLE, if that front-end is there (not waited for)
        settings["imap"]["listen"] = "127.0.0.1:%d" % cls.srv.ports["imap"]
    def test_lhlo_capabilities(self):
        c = smtplib.LMTP("127.0.0.1", self.srv.ports["lmtp"], timeout=20)
        self.addCleanup(c.close)
        code, msg = c.ehlo("mx.example.test")   # LMTP.ehlo sends LHLO
        self.assertEqual(code, 250)
        self.assertEqual(msg.split(b"\n")[0], HOSTNAME.encode())
        for ext in ("pipelining", "enhancedstatuscodes", "8bitmime", "smtputf8",
                    "chunking"):
            self.assertTrue(c.has_extn(ext), ext)
        self.assertEqual(c.esmtp_features["size"], str(50 * 1024 * 1024))
        self.assertNotIn("starttls", c.esmtp_features)
        self.assertEqual(c.noop()[0], 250)
        self.assertEqual(c.quit()[0], 221)

    def test_greeting_and_hello(self):
        c = self.raw()
        self.assertIn(HOSTNAME, c.greeting[0])
        # LMTP is not SMTP: HELO and EHLO are refused (RFC 2033 4.1)
        c.expect("HELO mx.example.test", 500, "LHLO")
        c.expect("EHLO mx.example.test", 500, "LHLO")
        c.expect("MAIL FROM:<bob@example.test>", 503, "LHLO first")
        lines = c.expect("LHLO mx.example.test", 250)
        self.assertEqual(lines, [HOSTNAME, "PIPELINING", "ENHANCEDSTATUSCODES",
                                 "8BITMIME", "SMTPUTF8", "SIZE 52428800", "CHUNKING"])
        c.expect("VRFY alice@example.test", 252, "2.5.2")
        c.expect("EXPN list", 502, "5.5.1")
        c.expect("STARTTLS", 502, "5.5.1")
        c.expect("HELP", 214)
        c.expect("NOOP", 250, "2.0.0 OK")
        c.expect("RSET", 250, "2.0.0")
        c.expect("QUIT", 221, "2.0.0")
        self.assertTrue(c.closed())

    def test_recipients_one_unknown(self):
        alice_before = self.inbox("alice@example.test")
        bob_before = self.inbox("bob@example.test")
        c = self.raw()
        c.expect("LHLO mx.example.test", 250)
        c.expect("MAIL FROM:<sender@remote.example>", 250, "2.1.0")
        c.expect("RCPT TO:<alice@example.test>", 250, "2.1.5")
        c.expect("RCPT TO:<nobody@example.test>", 550, "5.1.1")
        c.expect("RCPT TO:<Bob@Example.Test>", 250, "2.1.5")
        c.expect("DATA", 354)
        message = make_message(subject="two of three")
        c.send(stuff(message))
        # one reply per accepted recipient, in RCPT order (RFC 2033 4.2)
        r1, r2 = c.reply(), c.reply()
        self.assertEqual(r1[0], 250)
        self.assertTrue(r1[1][0].startswith("2.0.0 <alice@example.test>"), r1)
        self.assertEqual(r2[0], 250)
        self.assertTrue(r2[1][0].startswith("2.0.0 <Bob@Example.Test>"), r2)
        c.expect("NOOP", 250)   # nothing else was queued
        self.assertEqual(self.inbox("alice@example.test")[0], alice_before[0] + 1)
        self.assertEqual(self.inbox("bob@example.test")[0], bob_before[0] + 1)
        self.assert_stored("alice@example.test", alice_before[1],
                           "sender@remote.example", message, helo="mx.example.test")
        # DATA with no accepted recipient fails (RFC 2033 4.2)
        c.expect("MAIL FROM:<sender@remote.example>", 250)
        c.expect("RCPT TO:<nobody@example.test>", 550)
        c.expect("DATA", 503, "5.5.1")
        c.expect("RSET", 250)

    def test_smtplib_sendmail(self):
        before = self.inbox("alice@example.test")
        c = smtplib.LMTP("127.0.0.1", self.srv.ports["lmtp"], timeout=20)
        self.addCleanup(c.close)
        message = make_message(subject="via smtplib")
        refused = c.sendmail("bob@example.test", ["alice@example.test"], message)
        self.assertEqual(refused, {})
        c.quit()
        self.assertEqual(self.inbox("alice@example.test")[0], before[0] + 1)
        self.assert_stored("alice@example.test", before[1], "bob@example.test", message)

    def test_dot_unstuffing_byte_exact(self):
        before = self.inbox("alice@example.test")
        body = (b".\r\n..\r\n...\r\n.leading dot\r\n..two dots\r\n"
                b"middle . dot\r\nend dot .\r\n"
                b"bare\nlf\n.after bare lf\r\n"
                b"\xc3\xa9 8-bit \xff\r\n"
                b"\r\n.\r\n ..\r\n")
        message = make_message(subject="dots").split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n" + body
        c = self.raw()
        c.expect("LHLO mx.example.test", 250)
        c.expect("MAIL FROM:<bob@example.test> BODY=8BITMIME", 250)
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("DATA", 354)
        # stuffed by hand, sent in odd-sized pieces so that CRLF.CRLF and
        # stuffed dots fall across packet boundaries
        wire = stuff(message)
        self.assertIn(b"\r\n...\r\n", wire)
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(0, len(wire), 7):
            c.send(wire[i:i + 7])
            if i % 70 == 0:
                time.sleep(0.001)
        code, lines = c.reply()
        self.assertEqual(code, 250, lines)
        self.assert_stored("alice@example.test", before[1], "bob@example.test", message)
        # the null sender
        before = self.inbox("alice@example.test")
        replies = self.transaction(c, "", ["alice@example.test"], b"Subject: bounce\r\n\r\nx\r\n")
        self.assertEqual(replies[0][0], 250)
        self.assertTrue(self.fetch("alice@example.test", before[1]).startswith(
            b"Return-Path: <>\r\n"))

    def test_bdat(self):
        before = self.inbox("alice@example.test")
        bob_before = self.inbox("bob@example.test")
        c = self.raw()
        c.expect("LHLO mx.example.test", 250)
        # BDAT out of sequence: the chunk is still read, then 503
        c.send("BDAT 11\r\nNOOP NOOP\r\n")
        self.assertEqual(c.reply()[0], 503)
        c.expect("NOOP", 250)
        message = make_message(subject="chunks", body=".\r\n..\r\nno unstuffing\r\n")
        c.expect("MAIL FROM:<bob@example.test>", 250)
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("RCPT TO:<bob@example.test>", 250)
        first, second = message[:50], message[50:]
        c.send(b"BDAT %d\r\n" % len(first) + first)
        code, lines = c.reply()
        self.assertEqual(code, 250)
        self.assertIn("%d octets" % len(first), lines[0])
        c.expect("DATA", 503)      # no DATA once BDAT has started
        c.send(b"BDAT %d LAST\r\n" % len(second) + second)
        r1, r2 = c.reply(), c.reply()
        self.assertEqual((r1[0], r2[0]), (250, 250), (r1, r2))
        self.assertIn("<alice@example.test>", r1[1][0])
        self.assertIn("<bob@example.test>", r2[1][0])
        self.assert_stored("alice@example.test", before[1], "bob@example.test", message)
        self.assert_stored("bob@example.test", bob_before[1], "bob@example.test", message)
        # BDAT 0 LAST ends a message sent in earlier chunks
        before = self.inbox("alice@example.test")
        c.expect("MAIL FROM:<bob@example.test>", 250)
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.send(b"BDAT %d\r\n" % len(message) + message)
        self.assertEqual(c.reply()[0], 250)
        c.expect("BDAT 0 LAST", 250)
        self.assert_stored("alice@example.test", before[1], "bob@example.test", message)

    def test_pipelining(self):
        """Everything in one write: two transactions and QUIT."""
        before = self.inbox("alice@example.test")
        m1 = make_message(subject="pipelined one")
        m2 = make_message(subject="pipelined two", body="..\r\n")
        c = self.raw()
        c.send(b"LHLO mx.example.test\r\n"
               b"MAIL FROM:<bob@example.test>\r\nRCPT TO:<alice@example.test>\r\n"
               b"RCPT TO:<nobody@example.test>\r\nDATA\r\n" + stuff(m1) +
               b"MAIL FROM:<bob@example.test> SIZE=%d\r\nRCPT TO:<alice@example.test>\r\n"
               b"BDAT %d LAST\r\n" % (len(m2), len(m2)) + m2 +
               b"NOOP\r\nQUIT\r\n")
        codes = []
        while True:
            try:
                codes.append(c.reply()[0])
            except EOFError:
                break
        self.assertEqual(codes, [250, 250, 250, 550, 354, 250, 250, 250, 250, 250, 221])
        self.assertEqual(self.inbox("alice@example.test")[0], before[0] + 2)
        self.assert_stored("alice@example.test", before[1], "bob@example.test", m1)
        self.assert_stored("alice@example.test", before[1] + 1, "bob@example.test", m2)

    def test_syntax_errors_then_good(self):
        before = self.inbox("alice@example.test")
        c = self.raw()
        c.expect("LHLO", 501, "5.5.4")
        c.expect("LHLO mx.example.test", 250)
        c.expect("MAIL FROM: <bob@example.test>", 501, "5.5.4")
        c.expect("MAIL FROM:<bob@@example.test>", 501, "5.1.7")
        c.expect("MAIL FROM:<bob@example.test> FOO=BAR", 555, "5.5.4")
        c.expect("RCPT TO:<alice@example.test>", 503, "MAIL first")
        c.expect("DATA", 503)
        c.expect("FROB", 500, "5.5.1")
        c.expect("DATA now", 501)
        c.expect("MAIL FROM:<bob@example.test>", 250)
        c.expect("MAIL FROM:<bob@example.test>", 503)
        c.expect("RCPT TO:alice@example.test", 501)
        c.expect("RCPT TO:<alice@example.test> NOTIFY=NEVER", 555)
        c.expect("RCPT TO:<j\u00f6rg@example.test>", 553, "5.6.7")
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("DATA", 354)
        message = make_message(subject="after errors")
        c.send(stuff(message))
        self.assertEqual(c.reply()[0], 250)
        self.assert_stored("alice@example.test", before[1], "bob@example.test", message)

    def test_smtputf8(self):
        c = self.raw()
        c.expect("LHLO mx.example.test", 250)
        c.expect("MAIL FROM:<j\u00f6rg@example.test>", 553, "5.6.7")
        c.expect("MAIL FROM:<j\u00f6rg@example.test> SMTPUTF8", 250)
        c.expect("RCPT TO:<\u00e9l\u00e8ve@example.test>", 550, "5.1.1")
        c.expect("RCPT TO:<alice@example.test>", 250)
        before = self.inbox("alice@example.test")
        c.expect("DATA", 354)
        message = "Subject: caf\u00e9\r\n\r\nna\u00efve\r\n".encode()
        c.send(stuff(message))
        self.assertEqual(c.reply()[0], 250)
        self.assert_stored("alice@example.test", before[1], "j\u00f6rg@example.test",
                           message, protocol=b"UTF8LMTP")

    def test_too_many_recipients(self):
        c = self.raw()
        c.expect("LHLO mx.example.test", 250)
        c.expect("MAIL FROM:<bob@example.test>", 250)
        c.send("RCPT TO:<alice@example.test>\r\n" * 101)
        codes = [c.reply()[0] for _ in range(101)]
        self.assertEqual(codes, [250] * 100 + [452])
        c.expect("RSET", 250)
        c.expect("QUIT", 221)

    def test_imap_idle_wakes(self):
        # no skip paths: a missing listener, a failed login or no IDLE is
        # the regression this test is here to catch
        imap = self.srv.imap(tls=False, login=None, timeout=5)
        self.addCleanup(imap.shutdown)
        imap.starttls(ssl_context=__import__("infostore_harness").client_tls_context())
        imap.login("alice@example.test", self.srv.users["alice@example.test"])
        self.assertIn("IDLE", imap.capabilities)
        typ, data = imap.select("INBOX")
        count = int(data[0])
        tag = imap._new_tag().decode()
        imap.send(("%s IDLE\r\n" % tag).encode())
        self.assertTrue(imap.readline().startswith(b"+"))
        start = time.time()
        c = self.raw()
        c.expect("LHLO mx.example.test", 250)
        self.assertEqual(self.transaction(c, "bob@example.test", ["alice@example.test"],
                                          make_message(subject="idle"))[0][0], 250)
        imap.sock.settimeout(5)
        line = imap.readline()
        self.assertEqual(line.strip(), b"* %d EXISTS" % (count + 1))
        self.assertLess(time.time() - start, 2.0)
        imap.send(b"DONE\r\n")


class LmtpLimitsTest(LmtpBase):
    """Small limits, and the unix socket listener next to TCP."""

    @classmethod
    def configure(cls, settings):
        cls.sock_path = os.path.join(cls.srv.dir, "lmtp.sock")
        settings["limits"].update({"max_message_size": "4K", "max_line_length": "1K",
                                   "max_bad_commands": "5", "lmtp_idle_timeout": "2s"})
        settings["lmtp"]["listen"] = "127.0.0.1:%d, unix:%s" % (
            cls.srv.ports["lmtp"], cls.sock_path)

    def test_message_too_big(self):
        before = self.inbox("alice@example.test")
        c = self.raw()
        c.expect("LHLO mx.example.test", 250, None)
        c.expect("MAIL FROM:<bob@example.test> SIZE=5000", 552, "5.3.4")
        c.expect("MAIL FROM:<bob@example.test> SIZE=4096", 250)
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("RCPT TO:<bob@example.test>", 250)
        c.expect("DATA", 354)
        big = make_message(subject="big", body="x" * 70 + "\r\n") * 100
        c.send(stuff(big))
        r1, r2 = c.reply(), c.reply()
        self.assertEqual((r1[0], r2[0]), (552, 552))
        self.assertIn("5.3.4", r1[1][0])
        # the session goes on, and a message that fits is delivered
        small = make_message(subject="fits")
        self.assertEqual(self.transaction(c, "bob@example.test", ["alice@example.test"],
                                          small)[0][0], 250)
        # BDAT: the chunk that passes the limit is refused, so is LAST
        c.expect("MAIL FROM:<bob@example.test>", 250)
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.send(b"BDAT 3000\r\n" + b"a" * 3000)
        self.assertEqual(c.reply()[0], 250)
        c.send(b"BDAT 3000\r\n" + b"b" * 3000)
        self.assertEqual(c.reply()[0], 552)
        c.send(b"BDAT 10 LAST\r\n" + b"c" * 10)
        self.assertEqual(c.reply()[0], 552)
        c.expect("NOOP", 250)
        self.assertEqual(self.inbox("alice@example.test")[0], before[0] + 1)

    def test_line_too_long(self):
        c = self.raw()
        c.expect("LHLO mx.example.test", 250)
        c.expect("NOOP " + "x" * 5000, 500, "5.5.2")
        # max_line_length = 1K counts the CRLF
        c.expect("NOOP " + "x" * 1018, 500, "5.5.2")
        c.expect("NOOP " + "x" * 1017, 250)
        c.expect("NOOP", 250)

    def test_bad_command_limit(self):
        c = self.raw()
        for _ in range(4):
            c.expect("FROB", 500)
        # the fifth gets its answer, then the session ends
        c.expect("FROB", 500)
        code, lines = c.reply()
        self.assertEqual(code, 421)
        self.assertIn("4.7.0", lines[0])
        self.assertTrue(c.closed())

    def test_idle_timeout(self):
        c = self.raw()
        c.expect("LHLO mx.example.test", 250)
        start = time.time()
        self.assertTrue(c.closed(timeout=10))
        self.assertGreater(time.time() - start, 1.0)

    def test_unix_socket(self):
        self.assertTrue(wait_for(lambda: os.path.exists(self.sock_path)))
        before = self.inbox("bob@example.test")
        c = smtplib.LMTP(self.sock_path, timeout=20)
        self.addCleanup(c.close)
        message = make_message(subject="over a unix socket", to="bob@example.test")
        self.assertEqual(c.sendmail("alice@example.test", ["bob@example.test"], message), {})
        c.quit()
        self.assert_stored("bob@example.test", before[1], "alice@example.test", message)
        stored = self.fetch("bob@example.test", before[1])
        self.assertIn(b"([unix])", stored.split(b"\r\n")[1])


class LmtpTempfailTest(LmtpBase):
    """When the store cannot take the message now: 451 per recipient, and
    nothing is stored; the next message goes through."""

    @classmethod
    def setUpClass(cls):
        os.environ["INFOSTORE_FAULT"] = "fsync:1"
        try:
            LmtpBase.setUpClass.__func__(cls)
        finally:
            del os.environ["INFOSTORE_FAULT"]

    def test_tempfail_then_ok(self):
        before = self.inbox("alice@example.test")
        c = self.raw()
        c.expect("LHLO mx.example.test", 250)
        replies = self.transaction(c, "bob@example.test", ["alice@example.test"],
                                   make_message(subject="fails"))
        self.assertEqual(replies[0][0], 451, replies)
        self.assertIn("4.3.0", replies[0][1][0])
        self.assertEqual(self.inbox("alice@example.test")[0], before[0])
        message = make_message(subject="works")
        replies = self.transaction(c, "bob@example.test", ["alice@example.test"], message)
        self.assertEqual(replies[0][0], 250, replies)
        self.assert_stored("alice@example.test", before[1], "bob@example.test", message)


class LmtpDrainTest(unittest.TestCase):
    def test_sigterm_finishes_transaction(self):
        srv = InfostoreServer(listeners=("lmtp",))
        self.addCleanup(srv.cleanup)
        srv.start()
        idle = Raw(("127.0.0.1", srv.ports["lmtp"]))
        busy = Raw(("127.0.0.1", srv.ports["lmtp"]))
        self.addCleanup(idle.close)
        self.addCleanup(busy.close)
        busy.expect("LHLO mx.example.test", 250)
        busy.expect("MAIL FROM:<bob@example.test>", 250)
        busy.expect("RCPT TO:<alice@example.test>", 250)
        busy.expect("DATA", 354)
        message = make_message(subject="in flight during SIGTERM")
        wire = stuff(message)
        busy.send(wire[:40])
        srv.proc.send_signal(signal.SIGTERM)
        # the idle session is told at once
        self.assertEqual(idle.reply()[0], 421)
        self.assertTrue(idle.closed())
        # the one in the middle of a message finishes it
        time.sleep(0.2)
        busy.send(wire[40:])
        code, lines = busy.reply()
        self.assertEqual(code, 250, lines)
        self.assertEqual(busy.reply()[0], 421)
        self.assertTrue(busy.closed())
        srv.proc.wait(20)
        srv.stop()
        out = srv.cli("fetch", "alice@example.test", "INBOX", "1", check=True).stdout
        self.assertTrue(out.endswith(message))


if __name__ == "__main__":
    unittest.main()
