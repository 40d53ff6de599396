"""[auth] postfix_socket: Dovecot's authentication protocol on a unix
socket, so that a Postfix doing submission checks passwords against
infostore's users. First line by line with a raw client (the handshake,
PLAIN and LOGIN with and without initial responses, wrong passwords,
requests Postfix did not mark secured, the throttle keyed by the SMTP
client's address), then a real Postfix with smtpd_sasl_type = dovecot,
driven by swaks: AUTH over STARTTLS lets an infostore user relay, a wrong
password gets 535, and the message reaches a local INBOX over LMTP.

Postfix must run as root (make check does); Postfix or swaks missing or
not starting fails the Postfix part with the reason, never skips it."""
import base64
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from infostore_harness import InfostoreServer, wait_for
from test_postfix import MAIN_CF, SWAKS, PostfixInstance, why_no_postfix

ALICE, BOB = "alice@example.test", "bob@example.test"
PASSWORDS = {ALICE: "alice-secret", BOB: "bob-secret"}


def b64(data):
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def plain(user, password, authzid=""):
    return b64("%s\0%s\0%s" % (authzid, user, password))


class AuthClient:
    """The client side, as Postfix's xsasl_dovecot_server.c speaks it."""

    def __init__(self, path, handshake=True):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(20)
        self.sock.connect(path)
        self.buf = b""
        self.server_handshake = []
        if handshake:
            self.send("VERSION\t1\t0\nCPID\t%d\n" % os.getpid())
            while True:
                line = self.line()
                self.server_handshake.append(line)
                if line == "DONE":
                    break

    def send(self, text):
        self.sock.sendall(text.encode())

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise EOFError("closed; buffered %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def request(self, text):
        self.send(text + "\n")
        return self.line().split("\t")

    def closed(self):
        try:
            while True:
                if not self.sock.recv(4096):
                    return True
        except (socket.timeout, ConnectionError):
            return False

    def close(self):
        self.sock.close()


class AuthSocketTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="infostore-auth-")
        cls.path = os.path.join(cls.dir, "auth")
        cls.srv = InfostoreServer(listeners=(), conf={
            "auth": {"postfix_socket": cls.path},
            "server": {"plaintext_auth_from": "192.0.2.0/24"},
            "limits": {"auth_user_ip_failures": "3"}})
        try:
            cls.srv.start()
            if not wait_for(lambda: os.path.exists(cls.path), timeout=20):
                raise AssertionError("no socket:\n" + cls.srv.read_log())
        except BaseException:
            cls.srv.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()
            shutil.rmtree(cls.dir, ignore_errors=True)

    def client(self):
        c = AuthClient(self.path)
        self.addCleanup(c.close)
        return c

    def test_handshake(self):
        c = self.client()
        lines = [l.split("\t") for l in c.server_handshake]
        self.assertEqual(lines[0][:2], ["VERSION", "1"])
        self.assertIn(["MECH", "PLAIN", "plaintext"], lines)
        self.assertIn(["MECH", "LOGIN", "plaintext"], lines)
        kinds = [l[0] for l in lines]
        self.assertEqual(kinds[-1], "DONE")
        for kind in ("SPID", "CUID", "COOKIE"):
            self.assertIn(kind, kinds)
        self.assertEqual(os.stat(self.path).st_mode & 0o777, 0o666)

    def test_plain(self):
        c = self.client()
        # the initial response in the request, as Postfix passes it on
        self.assertEqual(c.request("AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\t"
                                   "rip=203.0.113.5\tsecured\tresp=" +
                                   plain("Alice@Example.TEST", PASSWORDS[ALICE])),
                         ["OK", "1", "user=" + ALICE])
        # without: an empty challenge first
        self.assertEqual(c.request("AUTH\t2\tPLAIN\tservice=smtp\tsecured"), ["CONT", "2", ""])
        self.assertEqual(c.request("CONT\t2\t" + plain(BOB, PASSWORDS[BOB])),
                         ["OK", "2", "user=" + BOB])

    def test_login(self):
        c = self.client()
        self.assertEqual(c.request("AUTH\t5\tLOGIN\tservice=smtp\tsecured\trip=203.0.113.5"),
                         ["CONT", "5", b64("Username:")])
        self.assertEqual(c.request("CONT\t5\t" + b64(ALICE)), ["CONT", "5", b64("Password:")])
        self.assertEqual(c.request("CONT\t5\t" + b64(PASSWORDS[ALICE])),
                         ["OK", "5", "user=" + ALICE])
        # LOGIN's initial response is the user name
        self.assertEqual(c.request("AUTH\t6\tLOGIN\tservice=smtp\tsecured\tresp=" + b64(BOB)),
                         ["CONT", "6", b64("Password:")])
        self.assertEqual(c.request("CONT\t6\t" + b64(PASSWORDS[BOB])),
                         ["OK", "6", "user=" + BOB])

    def test_refusals(self):
        c = self.client()
        self.assertEqual(c.request("AUTH\t1\tPLAIN\tservice=smtp\tsecured\trip=203.0.113.6\t"
                                   "resp=" + plain(ALICE, "wrong")),
                         ["FAIL", "1", "user=" + ALICE])
        reply = c.request("AUTH\t2\tCRAM-MD5\tservice=smtp\tsecured")
        self.assertEqual(reply[:2], ["FAIL", "2"])
        self.assertIn("reason=Unsupported authentication mechanism", reply)
        # authorization as someone else
        reply = c.request("AUTH\t3\tPLAIN\tservice=smtp\tsecured\tresp=" +
                          plain(ALICE, PASSWORDS[ALICE], authzid=BOB))
        self.assertEqual(reply[:2], ["FAIL", "3"])
        reply = c.request("AUTH\t4\tPLAIN\tservice=smtp\tsecured\tresp=not*base64")
        self.assertEqual(reply[:2], ["FAIL", "4"])
        # a continuation nobody asked for
        self.assertEqual(c.request("CONT\t99\tabc=")[:2], ["FAIL", "99"])
        # the connection goes on after all that
        self.assertEqual(c.request("AUTH\t5\tPLAIN\tservice=smtp\tsecured\tresp=" +
                                   plain(ALICE, PASSWORDS[ALICE]))[0], "OK")

    def test_not_secured(self):
        """No TLS between the SMTP client and Postfix: refused unchecked,
        unless its address is in plaintext_auth_from."""
        c = self.client()
        reply = c.request("AUTH\t1\tPLAIN\tservice=smtp\trip=203.0.113.7\tresp=" +
                          plain(ALICE, PASSWORDS[ALICE]))
        self.assertEqual(reply[:2], ["FAIL", "1"])
        self.assertTrue([f for f in reply if f.startswith("reason=Plaintext authentication "
                                                          "disallowed")], reply)
        self.assertEqual(c.request("AUTH\t2\tPLAIN\tservice=smtp\trip=192.0.2.9\tresp=" +
                                   plain(ALICE, PASSWORDS[ALICE])),
                         ["OK", "2", "user=" + ALICE])

    def test_throttle_by_smtp_client_address(self):
        """The login limits apply to the SMTP client's address (rip=), not
        to Postfix's: one client guessing is held back, another is not."""
        c = self.client()
        for i in range(3):
            reply = c.request("AUTH\t%d\tPLAIN\tservice=smtp\tsecured\trip=198.51.100.66\t"
                              "resp=%s" % (i + 1, plain(BOB, "guess%d" % i)))
            self.assertEqual(reply, ["FAIL", str(i + 1), "user=" + BOB])
        reply = c.request("AUTH\t9\tPLAIN\tservice=smtp\tsecured\trip=198.51.100.66\tresp=" +
                          plain(BOB, PASSWORDS[BOB]))
        self.assertEqual(reply[:2], ["FAIL", "9"])
        self.assertIn("temp", reply)
        self.assertTrue([f for f in reply if f.startswith("reason=Too many login attempts")])
        self.assertEqual(c.request("AUTH\t10\tPLAIN\tservice=smtp\tsecured\t"
                                   "rip=198.51.100.67\tresp=" + plain(BOB, PASSWORDS[BOB])),
                         ["OK", "10", "user=" + BOB])

    def test_protocol_errors_close(self):
        c = AuthClient(self.path, handshake=False)
        self.addCleanup(c.close)
        c.send("AUTH\t1\tPLAIN\tservice=smtp\tsecured\n")
        self.assertTrue(c.closed())
        c = AuthClient(self.path, handshake=False)
        self.addCleanup(c.close)
        c.send("VERSION\t2\t0\n")
        self.assertTrue(c.closed())
        c = self.client()
        c.send("AUTH\t0\tPLAIN\n")
        self.assertTrue(c.closed())
        self.assertIn("auth-socket: protocol error", self.srv.read_log())


MAIN_CF_SASL = """
# submission by Postfix, passwords checked by infostore
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {socket}
smtpd_sasl_authenticated_header = yes
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
"""


class PostfixSaslTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        reason = why_no_postfix()
        if reason:
            # Postfix is installed by scripts/install-deps check: missing is a failure
            raise AssertionError(reason)
        cls.srv = InfostoreServer(listeners=("lmtp",))
        cls.pf = PostfixInstance(cls.srv.ports["lmtp"])
        # Postfix (user postfix) must reach the socket: its own directory
        cls.socket = os.path.join(cls.pf.dir, "infostore-auth")
        settings = cls.srv.settings()
        settings["auth"] = {"postfix_socket": cls.socket}
        cls.srv.write_conf(settings)
        try:
            cls.srv.start()
        except BaseException:
            cls.pf.stop()
            cls.srv.cleanup()
            raise
        # the base test's configuration, where only a logged-in client
        # may relay, and TLS (which needs tlsmgr)
        main_cf = (MAIN_CF.format(dir=cls.pf.dir, lmtp_port=cls.srv.ports["lmtp"])
                   .replace("mynetworks = 127.0.0.0/8", "mynetworks =")
                   .replace("smtpd_relay_restrictions = permit_mynetworks,",
                            "smtpd_relay_restrictions = permit_sasl_authenticated,"))
        with open(os.path.join(cls.pf.conf_dir, "main.cf"), "w") as f:
            f.write(main_cf + MAIN_CF_SASL.format(socket=cls.socket, cert=cls.srv.cert,
                                                  key=cls.srv.key))
        with open(os.path.join(cls.pf.conf_dir, "master.cf"), "a") as f:
            f.write("tlsmgr    unix  - - n 1000? 1 tlsmgr\n")
        error = cls.pf.start()
        if error:
            cls.pf.stop()
            cls.srv.stop()
            cls.srv.cleanup()
            raise AssertionError("Postfix cannot be started here: " + error)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.pf.stop()
        finally:
            try:
                cls.srv.stop()
            finally:
                cls.srv.cleanup()

    def swaks(self, *args):
        return subprocess.run([SWAKS, "--server", "127.0.0.1", "--port", str(self.pf.smtp_port),
                               "--helo", "client.example", "--timeout", "30"] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)

    def inbox(self, user):
        out = self.srv.cli("mailbox", "list", user, check=True).stdout.decode()
        f = [l.split("\t") for l in out.splitlines() if l.startswith("INBOX\t")][0]
        return int(f[1]), int(f[4])

    def test_auth_through_infostore(self):
        before = self.inbox(BOB)
        p = self.swaks("--tls", "--auth", "PLAIN", "--auth-user", ALICE,
                       "--auth-password", PASSWORDS[ALICE], "--from", ALICE, "--to", BOB,
                       "--header", "Subject: through postfix sasl")
        out = p.stdout.decode(errors="replace")
        self.assertEqual(p.returncode, 0, out + self.pf.maillog()[-3000:])
        self.assertIn("235 2.7.0 Authentication successful", out)
        self.assertTrue(wait_for(lambda: self.inbox(BOB)[0] > before[0], timeout=30),
                        self.pf.maillog()[-3000:])
        stored = self.srv.cli("fetch", BOB, "INBOX", str(before[1]), check=True).stdout
        # Postfix got the user name from us
        self.assertIn(b"(Authenticated sender: alice@example.test)", stored)
        self.assertIn(b"Subject: through postfix sasl", stored)
        self.assertRegex(self.srv.read_log(), r"auth-socket: login user=alice@example\.test "
                         r"rip=127\.0\.0\.1")

    def test_login_mechanism_and_relaying(self):
        # an outside address: only an authenticated client may relay
        p = self.swaks("--tls", "--from", ALICE, "--to", "carol@remote.example",
                       "--quit-after", "RCPT")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"Relay access denied", p.stdout)
        p = self.swaks("--tls", "--auth", "LOGIN", "--auth-user", BOB,
                       "--auth-password", PASSWORDS[BOB], "--from", BOB,
                       "--to", "carol@remote.example", "--quit-after", "RCPT")
        self.assertIn(b"235 2.7.0", p.stdout, p.stdout.decode(errors="replace"))
        # past the relay check (this test's Postfix then refuses all
        # outside mail with its error transport)
        self.assertNotIn(b"Relay access denied", p.stdout)
        self.assertIn(b"outside mail is off in this test", p.stdout)

    def test_wrong_password_and_no_tls(self):
        p = self.swaks("--tls", "--auth", "PLAIN", "--auth-user", ALICE,
                       "--auth-password", "wrong", "--from", ALICE, "--to", BOB)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"535 5.7.8", p.stdout)
        self.assertRegex(self.srv.read_log(), r"auth-socket: login failed "
                         r"user=alice@example\.test rip=127\.0\.0\.1")
        # smtpd_tls_auth_only: no AUTH before STARTTLS
        p = self.swaks("--auth", "PLAIN", "--auth-user", ALICE,
                       "--auth-password", PASSWORDS[ALICE], "--from", ALICE, "--to", BOB)
        self.assertNotEqual(p.returncode, 0)
        self.assertNotIn(b"235 ", p.stdout)


if __name__ == "__main__":
    unittest.main()
