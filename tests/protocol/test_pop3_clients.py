"""POP3 with real clients: curl (pop3s:// and STLS) and fetchmail draining a
large maildrop into an MDA, and POP3 next to IMAP on the same INBOX.

The fetchmail maildrop has 1,000 messages with INFOSTORE_SLOW=1. In `make
check` it has 300 when the server has an LMTP listener to deliver them
through, else 150: without LMTP each message costs an `infostore deliver`
process (~0.15 s under ASan, run 3 at a time), and the suite must stay fast.
"""
import concurrent.futures
import glob
import os
import poplib
import shutil
import subprocess
import tempfile
import time
import unittest

from infostore_harness import InfostoreServer, ServerError, make_message
from test_pop3 import RawPop3, as_sent, unstuff, wait_for_login

ALICE, ALICE_PW = "alice@example.test", "alice-secret"
BOB, BOB_PW = "bob@example.test", "bob-secret"
FM_USER, FM_PW = "fetch@example.test", "fetch-secret"
USERS = {ALICE: ALICE_PW, BOB: BOB_PW, FM_USER: FM_PW}
SLOW = bool(os.environ.get("INFOSTORE_SLOW"))


def fetch_message(i):
    # sizes from a few hundred bytes to ~20 KB, dot lines and bare LFs mixed
    # in; lines stay under RFC 5322's 998 (fetchmail mangles longer ones)
    body = "".join("line %d of message %d\r\n" % (k, i) for k in range(i % 40))
    body += ".dot line %d\r\n" % i + ("x" * 75 + "\r\n") * (i * 37 % 250)
    if i % 3 == 0:
        body = body.replace("\r\n", "\n")
    return make_message(subject="fetchmail %d" % i, to=FM_USER, body=body,
                        msgid="<fm-%d@example.test>" % i)


class Pop3ClientsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = InfostoreServer(listeners=("pop3", "pop3s", "lmtp"), users=USERS)
        try:
            cls.srv.start(timeout=5)
            cls.has_lmtp = True
        except ServerError:
            # no LMTP listener yet: POP3 is up (it is waited for first)
            cls.has_lmtp = False
        cls.bodies = [make_message(subject="curl %d" % i, to=ALICE,
                                   body="hello %d\r\n.dot\nbare\n" % i) for i in range(3)]
        for m in cls.bodies:
            cls.srv.deliver(ALICE, m)
        cls.fetch_count = 1000 if SLOW else 300 if cls.has_lmtp else 150
        cls.fetch_msgs = [fetch_message(i) for i in range(cls.fetch_count)]
        cls.deliver_many(FM_USER, cls.fetch_msgs)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()

    @classmethod
    def deliver_many(cls, rcpt, msgs):
        if cls.has_lmtp:
            lmtp = cls.srv.lmtp()
            for m in msgs:
                # LMTP is a CRLF protocol: smtplib would send bare LFs
                # as they are and add a CRLF after a last bare LF
                lmtp.sendmail("sender@example.test", [rcpt], as_sent(m))
            lmtp.quit()
            return
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda m: cls.srv.deliver(rcpt, m), msgs))

    def curl(self, *args):
        proc = subprocess.run(["curl", "-s", "-S", "-k", "--max-time", "20",
                               "-u", "%s:%s" % (ALICE, ALICE_PW)] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout

    def test_curl_pop3s_list_and_retrieve(self):
        base = "pop3s://127.0.0.1:%d/" % self.srv.ports["pop3s"]
        listing = self.curl(base)
        self.assertEqual(listing, b"".join(b"%d %d\r\n" % (i + 1, len(as_sent(m)))
                                           for i, m in enumerate(self.bodies)))
        for i, m in enumerate(self.bodies):
            self.assertEqual(self.curl(base + str(i + 1)), as_sent(m))
        # AUTH PLAIN with an initial response (RFC 5034 4)
        self.assertEqual(self.curl("--sasl-ir", base + "2"), as_sent(self.bodies[1]))
        # TOP through a custom request
        top = self.curl("-X", "TOP 1 0", base)
        self.assertTrue(top.startswith(b"From: "), top)
        self.assertNotIn(b"hello", top)

    def test_curl_stls(self):
        url = "pop3://127.0.0.1:%d/1" % self.srv.ports["pop3"]
        self.assertEqual(self.curl("--ssl-reqd", url), as_sent(self.bodies[0]))
        # without TLS the login is refused
        proc = subprocess.run(["curl", "-s", "-u", "%s:%s" % (ALICE, ALICE_PW),
                               "--max-time", "20", url],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        self.assertNotEqual(proc.returncode, 0)
        self.assertEqual(proc.stdout, b"")

    def run_fetchmail(self, tmp, keep, stls=False):
        maildir = os.path.join(tmp, "out")
        shutil.rmtree(maildir, ignore_errors=True)
        os.makedirs(maildir)
        rc = os.path.join(tmp, "fetchmailrc")
        port = self.srv.ports["pop3" if stls else "pop3s"]
        with open(rc, "w") as f:
            f.write('poll 127.0.0.1 service %d protocol POP3 auth password\n'
                    '  user "%s" there with password "%s" is "root" here\n'
                    '  %s no sslcertck %s fetchall\n'
                    % (port, FM_USER, FM_PW,
                       "sslproto tls1.2+" if stls else "ssl",
                       "keep" if keep else "nokeep"))
        os.chmod(rc, 0o600)
        env = dict(os.environ, HOME=tmp, FETCHMAILHOME=tmp)
        proc = subprocess.run(
            ["fetchmail", "-f", rc, "--nosyslog", "--pidfile", os.path.join(tmp, "pid"),
             "--idfile", os.path.join(tmp, "ids"),
             "--mda", "cat > %s/m.$$" % maildir],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stdout.decode(errors="replace")[-3000:])
        out = []
        for path in glob.glob(os.path.join(maildir, "m.*")):
            with open(path, "rb") as f:
                out.append(f.read())
        return out

    @staticmethod
    def msg_number(data):
        i = data.index(b"Message-ID: <fm-") + len(b"Message-ID: <fm-")
        return int(data[i:data.index(b"@", i)])

    def check_delivered(self, got, served):
        """got: what the MDA wrote; served: message number -> the bytes
        POP3 RETR gave. Returns the total size as served."""
        self.assertEqual(len(got), self.fetch_count)
        seen = set()
        total = 0
        for data in got:
            # fetchmail hands the MDA LF line ends and redoes the trace
            # headers (its own Received: on top, Return-Path: dropped);
            # from From: on it must be the message, byte for byte
            n = self.msg_number(data)
            original = as_sent(self.fetch_msgs[n])
            self.assertTrue(served[n].endswith(original))
            self.assertTrue(data.endswith(original.replace(b"\r\n", b"\n")), n)
            total += len(served[n])
            seen.add(n)
        self.assertEqual(seen, set(range(self.fetch_count)))
        return total

    def test_fetchmail(self):
        tmp = tempfile.mkdtemp(prefix="infostore-fetchmail-")
        self.addCleanup(shutil.rmtree, tmp, True)
        p = wait_for_login(self.srv, FM_USER, FM_PW)
        count, size = p.stat()
        self.assertEqual(count, self.fetch_count)
        # what POP3 serves: the delivered message, after the trace headers
        # that LMTP or deliver may have put on top
        served = {}
        for i in range(1, count + 1):
            data = b"".join(l + b"\r\n" for l in p.retr(i)[1])
            n = self.msg_number(data)
            original = as_sent(self.fetch_msgs[n])
            self.assertTrue(data.endswith(original), n)
            for line in data[:len(data) - len(original)].split(b"\r\n")[:-1]:
                self.assertTrue(line[:1] in (b" ", b"\t") or
                                line.split(b":")[0] in (b"Return-Path", b"Received",
                                                        b"Delivered-To"), line)
            served[n] = data
        p.quit()
        self.assertEqual(size, sum(len(d) for d in served.values()))
        # implicit TLS, --keep: everything arrives, nothing is deleted
        got = self.run_fetchmail(tmp, keep=True)
        self.assertEqual(self.check_delivered(got, served), size)
        p = wait_for_login(self.srv, FM_USER, FM_PW)
        self.assertEqual(p.stat(), (count, size))
        p.quit()
        # STLS, without keep: everything arrives again, then is deleted
        if os.path.exists(os.path.join(tmp, "ids")):
            os.unlink(os.path.join(tmp, "ids"))
        got = self.run_fetchmail(tmp, keep=False, stls=True)
        self.assertEqual(self.check_delivered(got, served), size)
        p = wait_for_login(self.srv, FM_USER, FM_PW)
        self.assertEqual(p.stat(), (0, 0))
        p.quit()


class Pop3ImapTest(unittest.TestCase):
    """POP3 and IMAP on the same INBOX: UIDLs survive IMAP flag changes,
    IMAP sees POP3's deletions, and a message IMAP expunges mid-session
    gives a clear -ERR to RETR."""

    @classmethod
    def setUpClass(cls):
        cls.srv = InfostoreServer(listeners=("pop3s", "imaps"))
        try:
            cls.srv.start(timeout=5)
        except ServerError:
            cls.srv.stop(check=False)
            cls.srv.cleanup()
            raise unittest.SkipTest("the server has no IMAP listener yet "
                                    "(src/imap not implemented)")
        for i in range(4):
            cls.srv.deliver(ALICE, make_message(subject="both %d" % i, to=ALICE))

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()

    def test_uidl_stable_across_imap_flag_changes(self):
        p = wait_for_login(self.srv, ALICE, ALICE_PW)
        before = p.uidl()[1]
        p.quit()
        imap = self.srv.imap(login=ALICE)
        imap.select("INBOX")
        imap.store("1:*", "+FLAGS", "(\\Flagged \\Seen $Label1)")
        imap.store("2", "-FLAGS", "(\\Seen)")
        imap.logout()
        p = wait_for_login(self.srv, ALICE, ALICE_PW)
        self.assertEqual(p.uidl()[1], before)
        p.quit()

    def test_retr_sets_seen_at_quit(self):
        self.srv.deliver(ALICE, make_message(subject="seen-a", to=ALICE))
        self.srv.deliver(ALICE, make_message(subject="seen-b", to=ALICE))
        imap = self.srv.imap(login=ALICE)

        def seen(subject):
            imap.select("INBOX")
            typ, data = imap.search(None, "SUBJECT", subject)
            typ, data = imap.fetch(data[0].split()[-1], "(FLAGS)")
            return b"\\Seen" in data[0]
        self.assertFalse(seen("seen-a"))
        p = wait_for_login(self.srv, ALICE, ALICE_PW)
        n = p.stat()[0]
        p.top(n - 1, 0)  # TOP is not reading the message
        p.retr(n)
        self.assertFalse(seen("seen-b"))  # nothing changes before UPDATE
        p.quit()
        self.assertFalse(seen("seen-a"))
        self.assertTrue(seen("seen-b"))
        imap.logout()

    def test_imap_expunge_during_session_and_pop3_dele(self):
        self.srv.deliver(ALICE, make_message(subject="victim", to=ALICE))
        p = wait_for_login(self.srv, ALICE, ALICE_PW)
        n = p.stat()[0]
        imap = self.srv.imap(login=ALICE)
        imap.select("INBOX")
        typ, data = imap.search(None, "SUBJECT", "victim")
        imap.store(data[0].split()[-1], "+FLAGS", "(\\Deleted)")
        imap.expunge()
        # the snapshot keeps its numbering; the message itself is gone
        self.assertEqual(p.stat()[0], n)
        deadline = time.time() + 10
        while True:
            try:
                p.retr(n)
            except poplib.error_proto as e:
                self.assertEqual(e.args[0],
                                 b"-ERR Message %d was expunged by another session." % n)
                break
            self.assertLess(time.time(), deadline, "RETR still served the message")
            time.sleep(0.05)
        p.dele(1)
        p.quit()
        typ, data = imap.select("INBOX")
        self.assertEqual(int(data[0]), n - 2)
        imap.logout()


if __name__ == "__main__":
    unittest.main()
