"""Moving in: `infostore import` reads a Dovecot Maildir++ the way Dovecot
itself reads it, so that clients' caches stay valid.

A Maildir++ fixture is built here (folders, a dovecot-uidlist with gaps in
its UIDs and files it does not list yet, dovecot-keywords, flags in file
names, a folder with a non-ASCII name, subscriptions). Dovecot's doveadm
reads one copy and says what it sees; infostore imports another, pristine
copy; IMAP must then show the same mailboxes, UIDVALIDITY, UIDNEXT, UIDs,
flags, keywords, subscriptions and bytes. Then mbsync syncs from a running
Dovecot on loopback, is pointed at infostore with the same sync state, and
must download nothing. Also: reruns import nothing, an mbox round trip with
>From unquoting, and the exit codes.

doveadm and dovecot come from scripts/install-deps check (dovecot-imapd);
a missing one fails these tests.
"""
import base64
import email.utils
import imaplib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from infostore_harness import BIN, InfostoreServer, free_port, loopback_cert

USER = "alice@example.test"
INBOX_UIDVALIDITY = 1700000001
GUID = "0123456789abcdef0123456789abcdef"
MTIME = 1600000000


def utf7_encode(name):
    """RFC 3501 5.1.3 modified UTF-7."""
    out, run = [], []

    def flush():
        if run:
            b = base64.b64encode("".join(run).encode("utf-16-be")).decode()
            out.append("&" + b.rstrip("=").replace("/", ",") + "-")
            run.clear()
    for ch in name:
        if 0x20 <= ord(ch) <= 0x7e:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def message(n, crlf=True, extra=b""):
    eol = b"\r\n" if crlf else b"\n"
    lines = [b"From: Bob <bob@example.test>",
             b"To: alice@example.test",
             b"Subject: message %d" % n,
             b"Date: Mon, 14 Sep 2020 12:26:%02d +0000" % (n % 60),
             b"Message-ID: <m%d@example.test>" % n,
             b"", b"Body of %d." % n]
    return eol.join(lines) + eol + extra


# folder -> (directory, uidlist header or None,
#            [(subdir, base, info or None, uid in uidlist or None, bytes)])
def fixture_spec():
    return {
        "INBOX": ("", "3 V%d N20 G%s" % (INBOX_UIDVALIDITY, GUID), [
            ("cur", "1599000001.M1P100.host", "2,S", 3, message(1)),
            ("cur", "1599000002.M1P100.host,S=%d" % len(message(2, crlf=False)),
             "2,FRSac", 4, message(2, crlf=False)),
            ("cur", "1599000003.M1P100.host", "2,Tb", 7, message(3)),
            ("cur", "1599000004.M1P100.host", "2,Dd", 12, message(4)),
            ("new", "1599000005.M1P100.host", None, 13, message(5, extra=b"\x00\xff\r\n")),
            # not in the uidlist: Dovecot gives them 20 and 21, in its
            # file name order (seconds, then microseconds)
            ("cur", "1599000009.M20P100.host", "2,S", None, message(7)),
            ("new", "1599000009.M3P100.host", None, None, message(6)),
        ]),
        "Work": (".Work", "3 V1700000002 N9 G%s" % GUID, [
            ("cur", "1599000010.M1P1.host", "2,S", 2, message(10)),
            ("cur", "1599000011.M1P1.host", "2,a", 8, message(11)),
            # flags on a file still in new/ count too (UID 9, not listed)
            ("new", "1599000015.M1P1.host", "2,F", None, message(15)),
        ]),
        "Work/2024": (".Work.2024", "3 V1700000003 N2 G%s" % GUID, [
            ("cur", "1599000012.M1P1.host", "2,", 1, message(12)),
        ]),
        "Entw\u00fcrfe": (".Entw&APw-rfe", "3 V1700000004 N6 G%s" % GUID, [
            ("cur", "1599000013.M1P1.host", "2,DS", 5, message(13)),
        ]),
        # infostore's users have an empty Sent already: it takes this
        # UIDVALIDITY
        "Sent": (".Sent", "3 V1700000005 N4 G%s" % GUID, [
            ("cur", "1599000014.M1P1.host", "2,S", 3, message(14)),
        ]),
    }


KEYWORDS = "0 $Forwarded\n1 Work\n2 Later\n"
SUBSCRIPTIONS = "V\t2\n\nINBOX\nWork\nWork\t2024\nEntw&APw-rfe\n"


def build_fixture(path):
    os.makedirs(path)
    for name, (dirname, header, files) in fixture_spec().items():
        d = os.path.join(path, dirname) if dirname else path
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        if dirname:
            open(os.path.join(d, "maildirfolder"), "w").close()
        lines = [header]
        for sub, base, info, uid, data in files:
            fname = base + (":" + info if info else "")
            fpath = os.path.join(d, sub, fname)
            with open(fpath, "wb") as f:
                f.write(data)
            os.utime(fpath, (MTIME + uid if uid else MTIME, MTIME + uid if uid else MTIME))
            if uid is not None:
                lines.append("%d W%d :%s" % (uid, len(data), base))
        with open(os.path.join(d, "dovecot-uidlist"), "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(os.path.join(d, "dovecot-keywords"), "w") as f:
            f.write(KEYWORDS)
    with open(os.path.join(path, "subscriptions"), "w") as f:
        f.write(SUBSCRIPTIONS)


class Dovecot:
    """Dovecot on a copy of the fixture: doveadm without a running server,
    and the IMAP server on a loopback port. Dovecot refuses to touch mail
    as root, so as root the mail belongs to nobody."""

    def __init__(self, tmp, maildir):
        self.dir = os.path.join(tmp, "dovecot")
        os.makedirs(self.dir)
        os.chmod(tmp, 0o755)
        os.chmod(self.dir, 0o755)
        self.maildir = maildir
        self.port = free_port()
        if os.getuid() == 0:
            user, group = "nobody", "nogroup"
        else:
            pw = pwd.getpwuid(os.getuid())
            user, group = pw.pw_name, str(os.getgid())
        self.user = user
        index = os.path.join(self.dir, "index")
        os.makedirs(index)
        if os.getuid() == 0:
            for p in (index, maildir):
                subprocess.run(["chown", "-R", "%s:%s" % (user, group), p], check=True)
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write("""base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
mail_location = maildir:{m}:INDEX={index}
mail_uid = {user}
mail_gid = {group}
first_valid_uid = 1
protocols = imap
listen = 127.0.0.1
ssl = no
auth_mechanisms = plain
disable_plaintext_auth = no
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = static
  args = password=dovecot-secret
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={d}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
""".format(d=self.dir, m=maildir, index=index, user=user, group=group,
           port=self.port))
        for sub in ("run", "state"):
            os.makedirs(os.path.join(self.dir, sub))
        self.proc = None

    def doveadm(self, *args):
        env = dict(os.environ, USER=self.user, HOME=self.dir)
        proc = subprocess.run(["doveadm", "-c", self.conf] + list(args), env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if proc.returncode != 0:
            raise AssertionError("doveadm %s exited %d: %s" % (
                " ".join(args), proc.returncode, proc.stderr.decode(errors="replace")))
        return proc.stdout.decode()

    def doveadm_json(self, *args):
        return json.loads(self.doveadm("-f", "json", *args))

    def start(self):
        self.proc = subprocess.Popen(["dovecot", "-c", self.conf, "-F"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("dovecot exited %d: %s" % (
                    self.proc.returncode, self.log()))
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return
            except OSError:
                if time.time() > deadline:
                    raise AssertionError("dovecot does not listen: " + self.log())
                time.sleep(0.02)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)
        self.proc = None

    def log(self):
        try:
            with open(os.path.join(self.dir, "dovecot.log")) as f:
                return f.read()[-3000:]
        except OSError:
            return ""


def imap_view(imap, names):
    """{name: {"status": {...}, "messages": {uid: (flags, bytes, date)}}}"""
    view = {}
    for name in names:
        wire = '"%s"' % utf7_encode(name)
        typ, data = imap.status(wire, "(MESSAGES UIDNEXT UIDVALIDITY)")
        assert typ == "OK", (name, data)
        st = dict(re.findall(r"(MESSAGES|UIDNEXT|UIDVALIDITY) (\d+)", data[0].decode()))
        typ, _ = imap.select(wire, readonly=True)
        assert typ == "OK"
        msgs = {}
        typ, data = imap.uid("FETCH", "1:*", "(FLAGS INTERNALDATE BODY.PEEK[])")
        for item in data:
            if not isinstance(item, tuple):
                continue
            head = item[0].decode()
            uid = int(re.search(r"UID (\d+)", head).group(1))
            flags = set(re.search(r"FLAGS \(([^)]*)\)", head).group(1).split())
            flags.discard("\\Recent")
            date = imaplib.Internaldate2tuple(item[0])
            msgs[uid] = (flags, item[1], time.mktime(date))
        view[name] = {"status": {k: int(v) for k, v in st.items()}, "messages": msgs}
        imap.close()
    return view


def lsub(imap):
    typ, data = imap.lsub('""', "*")
    assert typ == "OK", data
    return [re.search(rb'"/" "?([^"]*)"?$', d).group(1).decode() for d in data]


class ImportTest(unittest.TestCase):
    """A server with IMAP (STARTTLS, a certificate mbsync accepts for
    127.0.0.1) and a temporary directory Dovecot's mail user can walk."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="infostore-import-")
        os.chmod(cls.tmp, 0o755)
        cert, key = loopback_cert(cls.tmp)
        cls.srv = InfostoreServer(listeners=("imap",),
                                  conf={"server": {"tls_cert": cert, "tls_key": key}})
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)


class TestImportMaildir(ImportTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pristine = os.path.join(cls.tmp, "Maildir")
        build_fixture(cls.pristine)

    def dovecot_copy(self, name):
        path = os.path.join(self.tmp, name)
        # copy2 keeps the mtimes (the internal dates)
        shutil.copytree(self.pristine, path, symlinks=True)
        return Dovecot(os.path.join(self.tmp, name + "-dc"), path)

    def import_maildir(self, path, user=USER):
        return self.srv.cli("import", user, "maildir", path)

    def login(self):
        imap = self.srv.imap(tls=False, starttls=True, login=USER)
        return imap

    def test_1_same_view_as_dovecot(self):
        dovecot = self.dovecot_copy("dv1")
        # what Dovecot sees
        status = {m["mailbox"]: {"MESSAGES": int(m["messages"]),
                                 "UIDNEXT": int(m["uidnext"]),
                                 "UIDVALIDITY": int(m["uidvalidity"])}
                  for m in dovecot.doveadm_json("mailbox", "status",
                                                "messages uidnext uidvalidity", "*")}
        self.assertEqual(sorted(status), sorted(fixture_spec()))
        dv_msgs = {}
        for m in dovecot.doveadm_json("fetch", "mailbox uid flags text", "ALL"):
            flags = set(m["flags"].split()) - {"\\Recent"}
            dv_msgs.setdefault(m["mailbox"], {})[int(m["uid"])] = (flags, m["text"])
        dv_subs = sorted(dovecot.doveadm("mailbox", "list", "-s").split("\n")[:-1])
        # the fixture says what it says
        self.assertEqual(status["INBOX"]["UIDVALIDITY"], INBOX_UIDVALIDITY)
        self.assertEqual(sorted(dv_msgs["INBOX"]), [3, 4, 7, 12, 13, 20, 21])
        self.assertEqual(dv_msgs["INBOX"][4][0],
                         {"\\Flagged", "\\Answered", "\\Seen", "$Forwarded", "Later"})
        # a letter dovecot-keywords has no name for
        self.assertEqual(dv_msgs["INBOX"][12][0], {"\\Draft", "unknown-3"})
        self.assertIn("Subject: message 7", dv_msgs["INBOX"][21][1])
        self.assertEqual(dv_msgs["Work"][9][0], {"\\Flagged"})
        self.assertEqual(status["INBOX"]["UIDNEXT"], 22)

        imap = self.login()
        subs_before = set(lsub(imap))
        imap.logout()
        proc = self.import_maildir(self.pristine)
        err = proc.stderr.decode(errors="replace")
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("imported 13 messages in 5 folders (0 skipped as already present", err)

        imap = self.login()
        view = imap_view(imap, sorted(status))
        files = {}
        for name, (dirname, _, spec) in fixture_spec().items():
            for _, base, _, uid, data in spec:
                files[(name, base)] = data
        for name in status:
            self.assertEqual(view[name]["status"], status[name], name)
            self.assertEqual(sorted(view[name]["messages"]), sorted(dv_msgs[name]), name)
            for uid, (flags, text) in dv_msgs[name].items():
                ours = view[name]["messages"][uid]
                self.assertEqual(ours[0], flags, (name, uid))
                # Dovecot's text is the file as it is (JSON makes bytes
                # that are not UTF-8 U+FFFD); IMAP gives CRLF
                self.assertEqual(ours[1].decode("utf-8", "replace").replace("\r\n", "\n"),
                                 text.replace("\r\n", "\n"), (name, uid))
        # the bytes stored are the file's, exactly
        for name, (_, _, spec) in fixture_spec().items():
            for _, base, _, uid, data in spec:
                uid = uid or {"1599000009.M3P100.host": 20,
                              "1599000009.M20P100.host": 21,
                              "1599000015.M1P1.host": 9}[base]
                stored = self.srv.cli("fetch", USER, name, str(uid), check=True).stdout
                self.assertEqual(stored, data, (name, uid))
        # the internal date is the file's mtime
        self.assertEqual(view["INBOX"]["messages"][3][2], MTIME + 3)
        # subscriptions: Dovecot's are added to the user's own (infostore
        # subscribes a new user to its standard mailboxes)
        subs = set(lsub(imap))
        dv_subs = set(utf7_encode(s) for s in dv_subs)
        self.assertEqual(subs, subs_before | dv_subs)
        self.assertIn(utf7_encode("Entw\u00fcrfe"), subs - subs_before)
        self.assertIn("Work/2024", subs - subs_before)
        imap.logout()

        # a rerun imports nothing
        proc = self.import_maildir(self.pristine)
        err = proc.stderr.decode(errors="replace")
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("imported 0 messages in 5 folders (13 skipped as already present", err)
        imap = self.login()
        self.assertEqual(imap_view(imap, sorted(status)), view)
        imap.logout()

    def test_2_mbsync_downloads_nothing_again(self):
        """mbsync syncs the fixture from a running Dovecot into a local
        Maildir; pointed at infostore after the import (same sync state),
        it must find every message where it was."""
        if os.getuid() != 0:
            self.skipTest("not-root: Dovecot's IMAP server needs root to start")
        dovecot = self.dovecot_copy("dv2")
        dovecot.start()
        local = os.path.join(self.tmp, "mbsync-local")
        os.makedirs(local)

        def rc(host_port, user, password):
            path = os.path.join(self.tmp, "mbsyncrc-%d" % host_port)
            with open(path, "w") as f:
                f.write("""IMAPAccount far
Host 127.0.0.1
Port %d
User %s
Pass %s
SSLType None
AuthMechs LOGIN PLAIN

IMAPStore far
Account far

MaildirStore near
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel sync
Far :far:
Near :near:
Patterns *
Create Near
Sync Pull
SyncState *
""" % (host_port, user, password, local, local))
            return path

        def files():
            out = set()
            for root, _, names in os.walk(local):
                if os.path.basename(root) in ("cur", "new"):
                    out.update(os.path.join(os.path.relpath(root, local), n) for n in names)
            return out

        def mbsync(conf):
            proc = subprocess.run(["mbsync", "-c", conf, "-a"], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=120)
            out = proc.stdout.decode(errors="replace")
            self.assertEqual(proc.returncode, 0, out)
            return out

        try:
            mbsync(rc(dovecot.port, USER, "dovecot-secret"))
        finally:
            dovecot.stop()
        before = files()
        self.assertEqual(len(before), 13, before)

        # the import has run (test_1), or runs now: either way the same
        proc = self.import_maildir(self.pristine)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        srv_conf = rc(self.srv.ports["imap"], USER, self.srv.users[USER])
        with open(srv_conf) as f:
            text = f.read()
        # infostore wants TLS before a password: STARTTLS, any certificate
        with open(srv_conf, "w") as f:
            f.write(text.replace("SSLType None", "SSLType STARTTLS\nCertificateFile %s"
                                 % os.path.join(self.tmp, "cert.pem")))
        out = mbsync(srv_conf)
        self.assertEqual(files(), before, out)
        # and the state now says infostore's UIDs are the ones it had
        out = mbsync(srv_conf)
        self.assertEqual(files(), before, out)


class TestImportKilled(ImportTest):
    COUNT = 5000

    def test_rerun_after_kill_converges(self):
        """SIGKILL in the middle of an import, then a rerun: every message
        once, with its own UID, and nothing twice."""
        path = os.path.join(self.tmp, "Big")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(path, sub))
        lines = ["3 V1700000009 N%d G%s" % (self.COUNT + 1, GUID)]
        for i in range(1, self.COUNT + 1):
            base = "16%08d.M%dP1.host" % (i, i)
            with open(os.path.join(path, "cur", base + ":2,S"), "wb") as f:
                f.write(message(i))
            lines.append("%d :%s" % (i, base))
        with open(os.path.join(path, "dovecot-uidlist"), "w") as f:
            f.write("\n".join(lines) + "\n")
        proc = subprocess.Popen([BIN, "-c", self.srv.conf_path, "import", USER,
                                 "maildir", path], stderr=subprocess.PIPE)
        for line in proc.stderr:
            if b"1000 messages imported" in line:
                proc.kill()
                break
        proc.stderr.close()
        # killed halfway, not finished before the signal
        self.assertEqual(proc.wait(30), -signal.SIGKILL)
        again = self.srv.cli("import", USER, "maildir", path)
        err = again.stderr.decode(errors="replace")
        self.assertEqual(again.returncode, 0, err)
        m = re.search(r"imported (\d+) messages in 1 folders \((\d+) skipped", err)
        self.assertIsNotNone(m, err)
        self.assertEqual(int(m.group(1)) + int(m.group(2)), self.COUNT)
        self.assertGreaterEqual(int(m.group(2)), 1000)
        self.assertGreater(int(m.group(1)), 0)
        imap = self.srv.imap(tls=False, starttls=True, login=USER)
        typ, data = imap.status("INBOX", "(MESSAGES UIDNEXT UIDVALIDITY)")
        self.assertEqual(typ, "OK")
        self.assertIn(b"MESSAGES %d UIDNEXT %d UIDVALIDITY 1700000009"
                      % (self.COUNT, self.COUNT + 1), data[0])
        imap.select("INBOX", readonly=True)
        typ, data = imap.uid("SEARCH", "ALL")
        self.assertEqual([int(u) for u in data[0].split()],
                         list(range(1, self.COUNT + 1)))
        typ, data = imap.uid("FETCH", "4321", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        self.assertIn(b"<m4321@example.test>", data[0][1])
        imap.logout()


class TestImportMbox(ImportTest):

    def test_round_trip(self):
        msgs = [
            (b"Subject: one\nMessage-ID: <1@x>\nDate: Mon, 1 Jan 2001 00:00:00 +0000\n\n"
             b"From the start\n>From quoted\nline\n", b"RO", b"F", "Work"),
            (b"Subject: two\nMessage-ID: <2@x>\n\nplain\n", b"O", b"", ""),
            # the same message twice: both are kept, on reruns too
            (b"Subject: dup\n\nsame\n", b"", b"A", ""),
            (b"Subject: dup\n\nsame\n", b"", b"A", ""),
        ]
        mbox = os.path.join(self.tmp, "archive.mbox")
        with open(mbox, "wb") as f:
            for body, status, xstatus, kw in msgs:
                head, _, rest = body.partition(b"\n\n")
                rest = re.sub(rb"(?m)^(>*From )", rb">\1", rest)
                f.write(b"From bob@example.test Mon Jan  1 00:00:00 2001\n")
                f.write(head + b"\n")
                if status:
                    f.write(b"Status: " + status + b"\n")
                if xstatus:
                    f.write(b"X-Status: " + xstatus + b"\n")
                if kw:
                    f.write(b"X-Keywords: " + kw.encode() + b"\n")
                f.write(b"\n" + rest + b"\n")
        for attempt in range(2):
            proc = self.srv.cli("import", "-m", "Archive", USER, "mbox", mbox)
            err = proc.stderr.decode(errors="replace")
            self.assertEqual(proc.returncode, 0, err)
            if attempt == 0:
                self.assertIn("imported 4 messages in 1 folders (0 skipped", err)
            else:
                self.assertIn("imported 0 messages in 1 folders (4 skipped", err)
        imap = self.srv.imap(tls=False, starttls=True, login=USER)
        view = imap_view(imap, ["Archive"])["Archive"]
        imap.logout()
        self.assertEqual(view["status"]["MESSAGES"], 4)
        got = [view["messages"][uid] for uid in sorted(view["messages"])]
        for uid, (body, _, _, _), (flags, data, date) in zip(sorted(view["messages"]),
                                                             msgs, got):
            stored = self.srv.cli("fetch", USER, "Archive", str(uid), check=True).stdout
            self.assertEqual(stored, body)
            self.assertEqual(date, 978307200)
        self.assertEqual(got[0][0], {"\\Seen", "\\Flagged", "Work"})
        self.assertEqual(got[1][0], set())
        self.assertEqual(got[2][0], {"\\Answered"})

    def test_not_an_mbox(self):
        path = os.path.join(self.tmp, "notmbox")
        with open(path, "wb") as f:
            f.write(b"Subject: hello\n\nno separator\n")
        proc = self.srv.cli("import", USER, "mbox", path)
        self.assertEqual(proc.returncode, 65, proc.stderr)


class TestImportErrors(ImportTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.maildir = os.path.join(cls.tmp, "Maildir")
        build_fixture(cls.maildir)

    def test_unknown_user(self):
        proc = self.srv.cli("import", "nobody@example.test", "maildir", self.maildir)
        self.assertEqual(proc.returncode, 67, proc.stderr)

    def test_missing_path(self):
        for fmt in ("maildir", "mbox"):
            proc = self.srv.cli("import", USER, fmt, os.path.join(self.tmp, "nope"))
            self.assertEqual(proc.returncode, 66, proc.stderr)

    def test_usage(self):
        for args in (("import", USER, "maildir"), ("import", USER, "mh", self.maildir),
                     ("import", "-m", "X", USER, "maildir", self.maildir)):
            proc = self.srv.cli(*args)
            self.assertEqual(proc.returncode, 64, (args, proc.stderr))

    def test_uidvalidity_conflict(self):
        """bob's INBOX has messages under its own UIDVALIDITY: the import
        refuses before writing anything."""
        bob = "bob@example.test"
        self.srv.deliver(bob, message(99))
        proc = self.srv.cli("import", bob, "maildir", self.maildir)
        err = proc.stderr.decode(errors="replace")
        self.assertEqual(proc.returncode, 65, err)
        self.assertIn("UIDVALIDITY", err)
        listing = self.srv.cli("mailbox", "list", bob, check=True).stdout.decode()
        self.assertNotIn("Work", listing)
        inbox = [l.split("\t") for l in listing.splitlines() if l.startswith("INBOX\t")]
        self.assertEqual(inbox[0][1], "1")


if __name__ == "__main__":
    unittest.main()
