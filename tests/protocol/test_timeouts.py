"""Idle connections are closed. Before login, [limits] login_timeout
(IMAP, POP3, on plain and TLS listeners, and an implicit-TLS handshake
that never starts); after LHLO/EHLO, lmtp_idle_timeout and
submission_idle_timeout. After login, IMAP and POP3 switch to
imap_idle_timeout and pop3_idle_timeout, whose RFC minimums (30 and 10
minutes, refused below that by src/conf/conf.c) no test can wait for; the
test shows the switch instead: a logged-in session outlives the short
login timeout several times over."""
import re
import socket
import ssl
import time
import unittest

from infostore_harness import SharedServerTest, client_tls_context

TIMEOUT = 2
LISTENERS = ("imap", "imaps", "pop3", "pop3s", "lmtp", "submission", "submissions")


class Conn:
    def __init__(self, srv, listener, tls=False, greet=True):
        self.sock = socket.create_connection(("127.0.0.1", srv.ports[listener]), 30)
        if tls:
            self.sock = client_tls_context().wrap_socket(self.sock)
        self.f = self.sock.makefile("rwb")
        self.greeting = self.f.readline() if greet else None

    def cmd(self, line):
        self.f.write(line.encode() + b"\r\n")
        self.f.flush()
        out = [self.f.readline()]
        while re.match(rb"^(\*|\d{3}-)", out[-1]):
            out.append(self.f.readline())
        return out

    def closed_after(self):
        """Seconds until the server closes the connection (what it sends
        before, e.g. a BYE, is read and kept in self.last)."""
        start = time.time()
        self.last = b""
        try:
            while True:
                data = self.sock.recv(4096)
                if not data:
                    break
                self.last += data
        except (ConnectionResetError, ssl.SSLError):
            pass
        return time.time() - start

    def close(self):
        self.sock.close()


class TimeoutTest(SharedServerTest):
    SERVER_ARGS = {"listeners": LISTENERS, "conf": {"limits": {
        "login_timeout": "%ds" % TIMEOUT, "lmtp_idle_timeout": "%ds" % TIMEOUT,
        "submission_idle_timeout": "%ds" % TIMEOUT}}}

    def conn(self, *args, **kwargs):
        c = Conn(self.srv, *args, **kwargs)
        self.addCleanup(c.close)
        return c

    def assert_closes(self, c, what):
        elapsed = c.closed_after()
        # not at once (it is the timer), and long before the next-longer
        # timeout (60 s for a handshake, 5 minutes and more otherwise)
        self.assertGreater(elapsed, TIMEOUT - 1.0, what)
        self.assertLess(elapsed, TIMEOUT + 25, what)
        return c.last

    def test_imap_before_login(self):
        for listener, tls in (("imap", False), ("imaps", True)):
            c = self.conn(listener, tls=tls)
            self.assertTrue(c.greeting.startswith(b"* OK"), c.greeting)
            last = self.assert_closes(c, listener)
            self.assertRegex(last, rb"^(\* BYE [^\r]*\r\n)?$")
        # halfway through a command counts as idle too
        c = self.conn("imaps", tls=True)
        c.f.write(b"a LOGIN {5}\r\n")
        c.f.flush()
        self.assertTrue(c.f.readline().startswith(b"+ "))
        self.assert_closes(c, "imap literal")

    def test_pop3_before_login(self):
        for listener, tls in (("pop3", False), ("pop3s", True)):
            c = self.conn(listener, tls=tls)
            self.assertTrue(c.greeting.startswith(b"+OK"), c.greeting)
            if tls:   # USER is refused without TLS; a refusal is no login
                self.assertTrue(c.cmd("USER alice@example.test")[0].startswith(b"+OK"))
            self.assert_closes(c, listener)

    def test_tls_handshake_never_started(self):
        for listener in ("imaps", "pop3s", "submissions"):
            c = self.conn(listener, greet=False)
            self.assertEqual(self.assert_closes(c, listener), b"")

    def test_lmtp_and_submission_idle(self):
        c = self.conn("lmtp")
        self.assertEqual(c.cmd("LHLO mx.example.test")[-1][:4], b"250 ")
        self.assert_closes(c, "lmtp")
        c = self.conn("submission")
        self.assertEqual(c.cmd("EHLO client.example.test")[-1][:4], b"250 ")
        self.assert_closes(c, "submission")
        c = self.conn("submissions", tls=True)
        self.assert_closes(c, "submissions")

    def test_logged_in_sessions_outlive_login_timeout(self):
        imap = self.conn("imaps", tls=True)
        self.assertRegex(imap.cmd('a LOGIN "alice@example.test" "alice-secret"')[-1],
                         rb"^a OK")
        pop3 = self.conn("pop3s", tls=True)
        self.assertTrue(pop3.cmd("USER alice@example.test")[0].startswith(b"+OK"))
        self.assertTrue(pop3.cmd("PASS alice-secret")[0].startswith(b"+OK"))
        # meanwhile a connection that does not log in is closed
        idle = self.conn("imaps", tls=True)
        self.assert_closes(idle, "imap before login")
        time.sleep(TIMEOUT * 2)   # the logged-in ones must survive this idle time
        self.assertRegex(imap.cmd("b NOOP")[-1], rb"^b OK")
        self.assertTrue(pop3.cmd("NOOP")[0].startswith(b"+OK"))


if __name__ == "__main__":
    unittest.main()
