"""A real MTA in front: a private Postfix instance on loopback, with its own
configuration, queue and data directories, hands mail for example.test to
infostore over LMTP. Messages sent with swaks to Postfix must land in the
recipients' INBOX byte for byte (after the trace headers), several
recipients go in one LMTP transaction, and an unknown recipient is refused
at RCPT so that Postfix bounces it.

Postfix must run as root (it drops to its own user; make check does);
Postfix or swaks missing or not starting fails the test with the reason,
never skips it."""
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from infostore_harness import InfostoreServer, free_port

POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"
SWAKS = shutil.which("swaks")

MASTER_CF = """\
127.0.0.1:{smtp_port} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
lmtp      unix  - - n -  - lmtp
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
"""

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = {dir}
maillog_file = {dir}/maillog
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.example.test
mydomain = example.test
myorigin = example.test
mydestination = example.test
mynetworks = 127.0.0.0/8
# everything for example.test goes to infostore
local_transport = lmtp:inet:127.0.0.1:{lmtp_port}
local_recipient_maps =
alias_maps =
alias_database =
# nothing leaves this test; no DNS on loopback
default_transport = error:outside mail is off in this test
smtpd_peername_lookup = no
lmtp_host_lookup = native
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
biff = no
"""


class PostfixInstance:
    def __init__(self, lmtp_port):
        self.dir = tempfile.mkdtemp(prefix="infostore-postfix-")
        # the postfix user must be able to reach its queue
        os.chmod(self.dir, 0o755)
        self.conf_dir = os.path.join(self.dir, "conf")
        os.mkdir(self.conf_dir)
        os.mkdir(os.path.join(self.dir, "queue"))
        os.mkdir(os.path.join(self.dir, "data"))
        pw = pwd.getpwnam("postfix")
        os.chown(os.path.join(self.dir, "data"), pw.pw_uid, pw.pw_gid)
        self.smtp_port = free_port()
        with open(os.path.join(self.conf_dir, "main.cf"), "w") as f:
            f.write(MAIN_CF.format(dir=self.dir, lmtp_port=lmtp_port))
        with open(os.path.join(self.conf_dir, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(smtp_port=self.smtp_port))
        self.started = False

    def postfix(self, *args):
        return subprocess.run([POSTFIX, "-c", self.conf_dir] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=60)

    def maillog(self):
        try:
            with open(os.path.join(self.dir, "maillog"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def start(self):
        # (start runs "postfix check" itself)
        start = self.postfix("start")
        if start.returncode != 0:
            return "postfix start failed: %s %s" % (start.stdout.decode(), self.maillog())
        self.started = True
        import socket
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.smtp_port), 0.5).close()
                return None
            except OSError:
                time.sleep(0.1)
        return "postfix smtpd did not listen:\n" + self.maillog()

    def master_running(self):
        try:
            with open(os.path.join(self.dir, "queue", "pid", "master.pid")) as f:
                os.kill(int(f.read().strip()), 0)
            return True
        except (OSError, ValueError):
            return False

    def stop(self):
        if self.started:
            self.postfix("stop")
            # master exits after its children
            deadline = time.time() + 15
            while self.master_running() and time.time() < deadline:
                time.sleep(0.05)
            if self.master_running():
                self.postfix("abort")
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)


def why_no_postfix():
    if not os.path.exists(POSTFIX):
        return "Postfix is not installed (scripts/install-deps check installs it)"
    if SWAKS is None:
        return "swaks is not installed (scripts/install-deps check installs it)"
    if os.geteuid() != 0:
        return "Postfix must be started as root"
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return "no postfix system user"
    return None


class PostfixTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        reason = why_no_postfix()
        if reason:
            # Postfix is installed by scripts/install-deps check: missing is a failure
            raise AssertionError(reason)
        cls.srv = InfostoreServer(listeners=("lmtp",))
        cls.srv.start()
        cls.pf = PostfixInstance(cls.srv.ports["lmtp"])
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

    def inbox(self, user):
        out = self.srv.cli("mailbox", "list", user, check=True).stdout.decode()
        for line in out.splitlines():
            f = line.split("\t")
            if f[0] == "INBOX":
                return int(f[1]), int(f[4])
        raise AssertionError(out)

    def wait_inbox(self, user, count, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.inbox(user)[0] >= count:
                return
            time.sleep(0.1)
        self.fail("%s has %d messages, expected %d\nPostfix log:\n%s" % (
            user, self.inbox(user)[0], count, self.pf.maillog()[-4000:]))

    def swaks(self, *args):
        proc = subprocess.run([SWAKS, "--server", "127.0.0.1", "--port",
                               str(self.pf.smtp_port), "--helo", "client.example",
                               "--silent", "1"] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stdout.decode(errors="replace"))
        return proc

    def fetch(self, user, uid):
        return self.srv.cli("fetch", user, "INBOX", str(uid), check=True).stdout

    def test_swaks_to_inbox(self):
        before = self.inbox("alice@example.test")
        message = (b"From: Bob <bob@remote.example>\r\nTo: alice@example.test\r\n"
                   b"Subject: via postfix\r\nDate: Tue, 24 Nov 2026 09:00:00 +0000\r\n"
                   b"Message-Id: <postfix-test-1@remote.example>\r\n\r\n"
                   b"Hello through Postfix.\r\n.a line that starts with a dot\r\n"
                   b"..and two\r\n.\r\nlast line\r\n")
        path = os.path.join(self.pf.dir, "message.eml")
        with open(path, "wb") as f:
            f.write(message)
        self.swaks("--from", "bob@remote.example", "--to", "alice@example.test",
                   "--data", "@" + path)
        self.wait_inbox("alice@example.test", before[0] + 1)
        stored = self.fetch("alice@example.test", before[1])
        # our trace headers, Postfix's Received, then the message exactly
        # (swaks ends the data with one CRLF more than the file has)
        m = re.match(rb"Return-Path: <bob@remote\.example>\r\n"
                     rb"Received: from mx\.example\.test \(\[127\.0\.0\.1\]\) "
                     rb"by mail\.example\.test \(infostore\) with LMTP id [0-9a-f]{16} "
                     rb"for <alice@example\.test>; [^\r\n]+\r\n"
                     rb"Received: from client\.example \(\w+ \[127\.0\.0\.1\]\)\r\n"
                     rb"(\t[^\r\n]+\r\n)+", stored)
        self.assertIsNotNone(m, stored[:600])
        self.assertIn(b"by mx.example.test (Postfix) with ESMTP", m.group(0))
        self.assertEqual(stored[m.end():], message + b"\r\n")
        log = self.pf.maillog()
        self.assertRegex(log, r"to=<alice@example\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, "
                         r".*status=sent \(250 2\.0\.0 <alice@example\.test>")

    def test_two_recipients_and_unknown(self):
        alice = self.inbox("alice@example.test")
        bob = self.inbox("bob@example.test")
        self.swaks("--from", "carol@remote.example",
                   "--to", "alice@example.test,bob@example.test,nobody@example.test",
                   "--header", "Subject: to three",
                   "--header", "Message-Id: <postfix-test-2@remote.example>",
                   "--body", "one message, three recipients\r\n")
        self.wait_inbox("alice@example.test", alice[0] + 1)
        self.wait_inbox("bob@example.test", bob[0] + 1)
        for user, uid in (("alice@example.test", alice[1]), ("bob@example.test", bob[1])):
            stored = self.fetch(user, uid)
            self.assertIn(b"for <%s>;" % user.encode(), stored.split(b"\r\n")[1])
            # (swaks --body adds CRLFs of its own at the end)
            self.assertTrue(stored.rstrip(b"\r\n").endswith(
                b"\r\n\r\none message, three recipients"), stored[-200:])
        # the unknown one is refused at RCPT (550 5.1.1), so Postfix bounces it
        deadline = time.time() + 30
        pattern = re.compile(r"to=<nobody@example\.test>.*status=bounced .*550 5\.1\.1")
        while time.time() < deadline and not pattern.search(self.pf.maillog()):
            time.sleep(0.1)
        self.assertRegex(self.pf.maillog(), pattern)
        # and Postfix put all three in one LMTP transaction
        log = self.srv.read_log()
        ids = re.findall(r"rcpt id=([0-9a-f]{16}) from=carol@remote\.example to=\S+ "
                         r"size=\d+ status=delivered", log)
        self.assertEqual(len(ids), 2, log[-3000:])
        self.assertEqual(ids[0], ids[1])


if __name__ == "__main__":
    unittest.main()
