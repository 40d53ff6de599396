"""A real client syncs: mbsync (isync) pulls 1,000 messages over IMAPS into a
local Maildir, then pushes a flag change and a deletion back, and pulls a
flag change made on the server."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from infostore_harness import InfostoreServer, loopback_cert, make_message
from test_imap_raw import RawImap

USER = "alice@example.test"
COUNT = 1000


def maildir_files(path):
    out = {}
    for sub in ("cur", "new"):
        d = os.path.join(path, sub)
        for name in os.listdir(d):
            out[name] = os.path.join(d, name)
    return out


def maildir_flags(name):
    """Maildir flags of a file name ("...:2,FS" -> "FS")."""
    return name.split(":2,", 1)[1] if ":2," in name else ""


# mbsync is installed by scripts/install-deps check: a missing one fails
class TestMbsync(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="infostore-mbsync-")
        cert, key = loopback_cert(cls.tmp)
        cls.srv = InfostoreServer(listeners=("imaps",),
                                  conf={"server": {"tls_cert": cert, "tls_key": key}})
        cls.srv.start()
        cls.cert = cert
        cls.maildir = os.path.join(cls.tmp, "mail")
        os.makedirs(cls.maildir)
        cls.conf = os.path.join(cls.tmp, "mbsyncrc")
        with open(cls.conf, "w") as f:
            f.write("""IMAPAccount infostore
Host 127.0.0.1
Port %d
User %s
Pass %s
SSLType IMAPS
CertificateFile %s

IMAPStore remote
Account infostore

MaildirStore local
Path %s/
Inbox %s/INBOX

Channel sync
Far :remote:
Near :local:
Patterns INBOX
Create Near
Expunge Both
SyncState *
""" % (cls.srv.ports["imaps"], USER, cls.srv.users[USER], cls.cert,
       cls.maildir, cls.maildir))
        cls.messages = [make_message(subject="sync %d" % i, body="body %d\r\n" % i,
                                     msgid="<sync.%d@example.test>" % i)
                        for i in range(COUNT)]
        r = RawImap(cls.srv, login=USER)
        # one MULTIAPPEND: one index commit for all of them
        res = r.append_multi("INBOX", cls.messages)
        assert b" OK [APPENDUID " in res, res
        r.close()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def mbsync(self):
        proc = subprocess.run(["mbsync", "-c", self.conf, "-a"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stdout.decode(errors="replace"))
        return proc.stdout.decode(errors="replace")

    def test_pull_then_push_flags(self):
        self.mbsync()
        inbox = os.path.join(self.maildir, "INBOX")
        files = maildir_files(inbox)
        self.assertEqual(len(files), COUNT)
        bodies = {}
        for name, path in files.items():
            with open(path, "rb") as f:
                data = f.read()
            m = re.search(rb"Message-ID: <sync\.(\d+)@", data)
            bodies[int(m.group(1))] = (name, path, data)
        self.assertEqual(sorted(bodies), list(range(COUNT)))
        # what was appended (mbsync stores Maildir files with LF ends and
        # its own X-TUID tracking header)
        for i in (0, 1, 500, COUNT - 1):
            local = re.sub(rb"X-TUID: [^\n]*\n", b"", bodies[i][2])
            self.assertEqual(local, self.messages[i].replace(b"\r\n", b"\n"))

        # push: flag message 7 and mark message 8 read, locally
        for i, flag in ((7, "F"), (8, "S")):
            name, path, _ = bodies[i]
            base, _, flags = name.partition(":2,")
            new = "%s:2,%s" % (base, "".join(sorted(set(flags + flag))))
            os.rename(path, os.path.join(inbox, "cur", new))
        # and delete message 9 locally (trashed flag + expunge)
        name, path, _ = bodies[9]
        os.unlink(path)
        self.mbsync()
        r = RawImap(self.srv, login=USER)
        r.cmd("SELECT INBOX")
        untagged, _ = r.cmd("UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        by_id = {}
        for line in untagged:
            m = re.search(rb"<sync\.(\d+)@", line)
            if m:
                by_id[int(m.group(1))] = line
        self.assertIn(b"\\Flagged", by_id[7])
        self.assertIn(b"\\Seen", by_id[8])
        self.assertNotIn(b"\\Flagged", by_id[8])
        self.assertNotIn(9, by_id)
        self.assertEqual(len(by_id), COUNT - 1)

        # pull: a flag set on the server reaches the Maildir
        uid = int(re.search(rb"UID (\d+)", by_id[20]).group(1))
        r.cmd("UID STORE %d +FLAGS (\\Answered)" % uid)
        r.close()
        self.mbsync()
        files = maildir_files(inbox)
        self.assertEqual(len(files), COUNT - 1)
        for name, path in files.items():
            with open(path, "rb") as f:
                if b"<sync.20@" in f.read():
                    self.assertIn("R", maildir_flags(name))
                    break
        else:
            self.fail("message 20 missing locally")


if __name__ == "__main__":
    unittest.main()
