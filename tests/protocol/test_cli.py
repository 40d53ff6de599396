"""The admin commands: users, deliver, mailbox list, fetch; their output
and sysexits exit codes."""
import os
import pty
import select
import subprocess
import unittest

from infostore_harness import BIN, InfostoreServer, make_message

EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_NOUSER = 64, 65, 66, 67


class Terminal:
    """A command on a pseudo-terminal (stdin, stdout and stderr), as an
    admin at a shell runs it: expect() reads what it shows, type() types."""

    def __init__(self, args):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave,
                                     close_fds=True, start_new_session=True)
        os.close(slave)
        self.seen = b""

    def expect(self, text, timeout=30):
        """Read until text has been shown; everything shown so far."""
        while text not in self.seen:
            ready, _, _ = select.select([self.master], [], [], timeout)
            if not ready:
                raise AssertionError("waited for %r, got %r" % (text, self.seen))
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # EIO: the command is gone
                chunk = b""
            if not chunk:
                raise AssertionError("ended before %r: %r" % (text, self.seen))
            self.seen += chunk
        return self.seen

    def type(self, line):
        os.write(self.master, line.encode() + b"\r")

    def finish(self, timeout=60):
        """The exit code, and everything the terminal showed."""
        code = self.proc.wait(timeout)
        while True:
            try:
                ready, _, _ = select.select([self.master], [], [], 0)
                chunk = os.read(self.master, 4096) if ready else b""
            except OSError:
                chunk = b""
            if not chunk:
                break
            self.seen += chunk
        os.close(self.master)
        return code, self.seen


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = InfostoreServer(listeners=())
        # no server process: the CLI works on the store directly
        for user, pw in cls.srv.users.items():
            cls.srv.cli("user", "add", user, input=pw + "\n", check=True)

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def test_help_everywhere(self):
        for args in (["--help"], ["serve", "--help"], ["config", "check", "--help"],
                     ["user", "add", "--help"], ["deliver", "--help"],
                     ["mailbox", "list", "--help"], ["fetch", "--help"],
                     ["calendar", "list", "--help"]):
            proc = self.srv.cli(*args)
            self.assertEqual(proc.returncode, 0, args)
            self.assertIn(b"usage: infostore", proc.stdout, args)

    def test_usage_errors(self):
        for args in ([], ["frobnicate"], ["user"], ["user", "add"],
                     ["fetch", "alice@example.test", "INBOX"],
                     ["fetch", "alice@example.test", "INBOX", "x"],
                     ["user", "add", "no-at-sign"]):
            proc = self.srv.cli(*args)
            self.assertEqual(proc.returncode, EX_USAGE, (args, proc.stderr))

    def test_user_lifecycle(self):
        srv = self.srv
        self.assertEqual(srv.cli("user", "add", "dora@example.test", input="password-1\n").returncode, 0)
        proc = srv.cli("user", "add", "dora@example.test", input="password-1\n")
        self.assertEqual(proc.returncode, EX_DATAERR)
        self.assertIn(b"exists", proc.stderr)
        self.assertEqual(srv.cli("user", "add", "empty@example.test", input="\n").returncode,
                         EX_DATAERR)
        users = srv.cli("user", "list", check=True).stdout.decode().split()
        self.assertIn("dora@example.test", users)
        self.assertIn("alice@example.test", users)
        pw = srv.sql("select password from users where address='dora@example.test'")[0][0]
        self.assertTrue(pw.startswith("$argon2id$"), pw)
        self.assertNotIn("password-1", pw)
        self.assertEqual(srv.cli("user", "passwd", "dora@example.test", input="password-2\n").returncode, 0)
        pw2 = srv.sql("select password from users where address='dora@example.test'")[0][0]
        self.assertNotEqual(pw, pw2)
        self.assertEqual(srv.cli("user", "passwd", "nobody@example.test", input="password-x\n").returncode,
                         EX_NOUSER)
        self.assertEqual(srv.cli("user", "set", "dora@example.test",
                                 "calendar_format=url").returncode, 0)
        self.assertIn("dora@example.test\tcalendar_format=url",
                      srv.cli("user", "list", check=True).stdout.decode())
        self.assertEqual(srv.cli("user", "set", "dora@example.test",
                                 "calendar_format=pdf").returncode, EX_USAGE)
        self.assertEqual(srv.cli("user", "set", "dora@example.test",
                                 "calendar_format=default").returncode, 0)
        self.assertEqual(srv.cli("user", "del", "dora@example.test").returncode, 0)
        self.assertEqual(srv.cli("user", "del", "dora@example.test").returncode, EX_NOUSER)
        self.assertNotIn("dora@example.test", srv.cli("user", "list").stdout.decode())

    def terminal(self, *args):
        return Terminal([BIN, "-c", self.srv.conf_path] + list(args))

    def password_hash(self, user):
        rows = self.srv.sql("select password from users where address = ?", (user,))
        return rows[0][0] if rows else None

    def test_password_prompt_on_a_terminal(self):
        def answer(args, first, second):
            t = self.terminal(*args)
            t.expect(b"New password: ")
            t.type(first)
            t.expect(b"Repeat the password: ")
            t.type(second)
            return t.finish()

        # asked twice, never echoed
        code, shown = answer(("user", "add", "tty@example.test"),
                             "correct horse", "correct horse")
        self.assertEqual(code, 0, shown)
        self.assertNotIn(b"correct", shown)
        self.assertTrue(self.password_hash("tty@example.test").startswith("$argon2id$"))
        # two different answers: nothing changes
        before = self.password_hash("tty@example.test")
        code, shown = answer(("user", "passwd", "tty@example.test"),
                             "battery staple", "battery stapler")
        self.assertEqual(code, EX_DATAERR, shown)
        self.assertIn(b"do not match", shown)
        self.assertNotIn(b"battery", shown)
        self.assertEqual(self.password_hash("tty@example.test"), before)
        # too short: refused at once, not asked again
        t = self.terminal("user", "passwd", "tty@example.test")
        t.expect(b"New password: ")
        t.type("short")
        code, shown = t.finish()
        self.assertEqual(code, EX_DATAERR, shown)
        self.assertIn(b"too short: at least 8 characters", shown)
        self.assertNotIn(b"Repeat", shown)
        self.assertEqual(self.password_hash("tty@example.test"), before)

    def test_password_minimum_from_stdin(self):
        proc = self.srv.cli("user", "add", "short@example.test", input="seven77\n")
        self.assertEqual(proc.returncode, EX_DATAERR)
        self.assertIn(b"too short: at least 8 characters", proc.stderr)
        self.assertIsNone(self.password_hash("short@example.test"))
        # characters, not bytes: four two-byte letters are too short
        proc = self.srv.cli("user", "add", "short@example.test", input="\u00e9" * 4 + "\n")
        self.assertEqual(proc.returncode, EX_DATAERR)
        proc = self.srv.cli("user", "add", "short@example.test", input="\u00e9" * 8 + "\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        # no line at all is a usage error
        proc = self.srv.cli("user", "passwd", "short@example.test", input="")
        self.assertEqual(proc.returncode, EX_USAGE)

    def test_deliver_sender_checked(self):
        srv = self.srv
        for bad in ("not an address", "a@b@c", "<unclosed@example.test", "x@",
                    "@example.test", "a b@example.test"):
            proc = srv.cli("deliver", "-f", bad, "bob@example.test", input=make_message())
            self.assertEqual(proc.returncode, EX_USAGE, (bad, proc.stderr))
            self.assertIn(b"-f needs an address", proc.stderr)
        before = self.mailboxes("bob@example.test")["INBOX"]["uidnext"]
        msg = make_message(subject="null sender")
        # <> and the empty string are the null sender of bounces
        srv.deliver("bob@example.test", msg, sender="<>")
        srv.cli("deliver", "-f", "", "bob@example.test", input=msg, check=True)
        srv.deliver("bob@example.test", msg, sender="<carol@remote.test>")
        got = [srv.cli("fetch", "bob@example.test", "INBOX", str(before + i),
                       check=True).stdout for i in range(3)]
        self.assertEqual(got[0], b"Return-Path: <>\r\n" + msg)
        self.assertEqual(got[1], b"Return-Path: <>\r\n" + msg)
        self.assertEqual(got[2], b"Return-Path: <carol@remote.test>\r\n" + msg)

    def test_exit_codes_documented(self):
        out = self.srv.cli("--help", check=True).stdout.decode()
        for code in (0, 64, 65, 66, 67, 70, 71, 73, 74, 75, 78):
            self.assertRegex(out, r"\n  %d\s" % code)
        man = os.path.join(os.path.dirname(__file__), "..", "..", "doc", "infostore.8")
        with open(man) as f:
            text = f.read()
        section = text.split(".SH EXIT STATUS", 1)[1].split(".SH ", 1)[0]
        for code in (0, 64, 65, 66, 67, 70, 71, 73, 74, 75, 78):
            self.assertRegex(section, r"\.B %d\b" % code)

    def test_deliver_and_fetch_byte_exact(self):
        srv = self.srv
        before = self.mailboxes("bob@example.test")["INBOX"]
        msg = make_message(subject="exact", body="line\r\n.dot\r\n\r\nend\r\n")
        srv.deliver("bob@example.test", msg)
        after = self.mailboxes("bob@example.test")["INBOX"]
        self.assertEqual(after["messages"], before["messages"] + 1)
        self.assertEqual(after["unseen"], before["unseen"] + 1)
        self.assertEqual(after["uidnext"], before["uidnext"] + 1)
        self.assertEqual(after["uidvalidity"], before["uidvalidity"])
        uid = before["uidnext"]
        got = srv.cli("fetch", "bob@example.test", "INBOX", str(uid), check=True).stdout
        self.assertEqual(got, msg)
        # with a sender, Return-Path is the one header added
        srv.deliver("bob@example.test", msg, sender="carol@remote.test")
        got = srv.cli("fetch", "bob@example.test", "inbox", str(uid + 1), check=True).stdout
        self.assertEqual(got, b"Return-Path: <carol@remote.test>\r\n" + msg)
        # bare-LF messages keep their bytes, and the trace header follows suit
        lf = make_message(subject="lf", eol="\n")
        srv.deliver("bob@example.test", lf, sender="x@remote.test")
        got = srv.cli("fetch", "bob@example.test", "INBOX", str(uid + 2), check=True).stdout
        self.assertEqual(got, b"Return-Path: <x@remote.test>\n" + lf)

    def test_deliver_errors(self):
        srv = self.srv
        proc = srv.cli("deliver", "nobody@example.test", input=make_message())
        self.assertEqual(proc.returncode, EX_NOUSER)
        self.assertIn(b"unknown user", proc.stderr)
        self.assertEqual(srv.cli("deliver", "alice@example.test", input=b"").returncode,
                         EX_DATAERR)

    def test_deliver_too_big(self):
        srv = InfostoreServer(listeners=(), conf={"limits": {"max_message_size": "2K"}})
        self.addCleanup(srv.cleanup)
        srv.cli("user", "add", "alice@example.test", input="password-1\n", check=True)
        proc = srv.cli("deliver", "alice@example.test",
                       input=make_message(body="x" * 4000 + "\r\n"))
        self.assertEqual(proc.returncode, EX_DATAERR)
        self.assertIn(b"max_message_size", proc.stderr)
        self.assertEqual(srv.cli("deliver", "alice@example.test",
                                 input=make_message()).returncode, 0)

    def test_fetch_missing(self):
        srv = self.srv
        self.assertEqual(srv.cli("fetch", "alice@example.test", "INBOX", "9999").returncode,
                         EX_NOINPUT)
        self.assertEqual(srv.cli("fetch", "alice@example.test", "NoSuchBox", "1").returncode,
                         EX_NOINPUT)
        self.assertEqual(srv.cli("fetch", "nobody@example.test", "INBOX", "1").returncode,
                         EX_NOUSER)

    def test_mailbox_list(self):
        boxes = self.mailboxes("alice@example.test")
        self.assertEqual(sorted(boxes), ["Drafts", "INBOX", "Junk", "Sent", "Trash"])
        self.assertEqual(len({b["uidvalidity"] for b in boxes.values()}), 5)
        self.assertEqual(self.srv.cli("mailbox", "list", "nobody@example.test").returncode,
                         EX_NOUSER)

    def mailboxes(self, user):
        out = self.srv.cli("mailbox", "list", user, check=True).stdout.decode()
        boxes = {}
        for line in out.splitlines():
            name, messages, unseen, uidvalidity, uidnext = line.split("\t")
            boxes[name] = dict(messages=int(messages), unseen=int(unseen),
                               uidvalidity=int(uidvalidity), uidnext=int(uidnext))
        return boxes


if __name__ == "__main__":
    unittest.main()
