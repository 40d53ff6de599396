"""Quotas (RFC 9208): set with `user set`, shown by `user list` and the web
access, announced and reported by IMAP (QUOTA, GETQUOTA, GETQUOTAROOT,
STATUS DELETED-STORAGE), enforced on APPEND/COPY (NO [OVERQUOTA]), LMTP
and submission (552 5.2.2) and `deliver` (exit 73), inside the writing
transaction, so that concurrent deliveries never go over a limit."""
import re
import smtplib
import subprocess
import threading
import unittest

from infostore_harness import (BACKEND, BIN, InfostoreServer, SharedServerTest,
                               make_message)
from test_web import WebClient

EX_USAGE, EX_NOUSER, EX_CANTCREAT = 64, 67, 73

USERS = {u + "@example.test": u + "-secret-pw" for u in
         ("alice", "bob", "list", "imap", "append", "copy", "lmtp", "lmtp2", "sub",
          "subfull", "deliver", "web", "webfull", "race")}


def message_of(size, subject="q"):
    """A message of exactly size bytes (CRLF lines)."""
    head = make_message(subject=subject, body="")
    pad = size - len(head) - 2
    assert pad >= 0
    return head + b"x" * pad + b"\r\n"


def lmtp_deliver(c, rcpt, msg):
    """One message to one recipient over an open LMTP session: the code
    of RCPT if it refused, else the recipient's reply after the data."""
    c.mail("s@remote.test")
    code = c.rcpt(rcpt)[0]
    if code != 250:
        c.rset()
        return code
    try:
        return c.data(msg)[0]
    except smtplib.SMTPDataError as e:
        return e.smtp_code


class QuotaTest(SharedServerTest):
    SERVER_ARGS = {"listeners": ("imaps", "lmtp", "https", "submission"),
                   "users": USERS}

    # --- helpers ---

    def set_quota(self, user, *settings):
        proc = self.srv.cli("user", "set", user, *settings)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def listed(self, user):
        """The `user list` line of user, as {field: value}."""
        out = self.srv.cli("user", "list", check=True).stdout.decode()
        for line in out.splitlines():
            fields = line.split("\t")
            if fields[0] == user:
                return dict(f.split("=", 1) if "=" in f else (f, True)
                            for f in fields[1:])
        self.fail("%s not in user list:\n%s" % (user, out))

    def usage(self, user):
        """(bytes, messages) of the user's mail mailboxes, from the tables."""
        rows = self.srv.sql("SELECT COALESCE(SUM(m.size), 0), COALESCE(SUM(m.messages), 0)"
                            " FROM mailboxes m JOIN users u ON u.id = m.user_id"
                            " WHERE u.address = ? AND m.kind = 0", (user,))
        return int(rows[0][0]), int(rows[0][1])

    def imap(self, user):
        c = self.srv.imap(login=user)
        self.addCleanup(c.logout)
        return c

    def fill(self, user, count, size=1000):
        for i in range(count):
            self.srv.deliver(user, message_of(size, "fill %d" % i))

    # --- the CLI ---

    def test_cli_set_and_list(self):
        user = "list@example.test"
        self.assertEqual(self.listed(user)["storage"], "0/none")
        self.assertEqual(self.listed(user)["messages"], "0/none")
        self.set_quota(user, "quota_storage=1M", "quota_messages=10")
        self.assertEqual(self.srv.sql("SELECT quota_storage, quota_messages FROM users"
                                      " WHERE address = ?", (user,)),
                         [(1024 * 1024, 10)])
        self.fill(user, 2, size=1536)
        line = self.listed(user)
        self.assertEqual(line["storage"], "3K/1M")
        self.assertEqual(line["messages"], "2/10")
        self.assertNotIn("over-quota", line)
        # K, M, G are powers of 1024, as in the configuration
        self.set_quota(user, "quota_storage=2K")
        self.assertEqual(self.srv.sql("SELECT quota_storage FROM users WHERE address = ?",
                                      (user,)), [(2048,)])
        line = self.listed(user)
        self.assertEqual(line["storage"], "3K/2K")
        self.assertIn("over-quota", line)
        # none removes a limit
        self.set_quota(user, "quota_storage=none", "quota_messages=none")
        self.assertEqual(self.srv.sql("SELECT quota_storage, quota_messages FROM users"
                                      " WHERE address = ?", (user,)), [(None, None)]
                         if BACKEND != "postgresql" else [("", "")])
        self.assertEqual(self.listed(user)["storage"], "3K/none")
        for bad in ("quota_storage=0", "quota_storage=lots", "quota_storage=1.5G",
                    "quota_storage=", "quota_messages=-1", "quota_messages=0",
                    "quota_messages=ten", "quota_bytes=1M", "quota_storage"):
            proc = self.srv.cli("user", "set", user, bad)
            self.assertEqual(proc.returncode, EX_USAGE, (bad, proc.stderr))
        # all or nothing: a bad setting after a good one changes nothing
        proc = self.srv.cli("user", "set", user, "quota_messages=5", "quota_storage=x")
        self.assertEqual(proc.returncode, EX_USAGE)
        self.assertEqual(self.listed(user)["messages"], "2/none")
        proc = self.srv.cli("user", "set", "nobody@example.test", "quota_storage=1M")
        self.assertEqual(proc.returncode, EX_NOUSER, proc.stderr)

    def test_cli_deliver_over_quota(self):
        user = "deliver@example.test"
        self.set_quota(user, "quota_messages=1")
        self.srv.deliver(user, message_of(500))
        proc = self.srv.cli("deliver", user, input=message_of(500))
        self.assertEqual(proc.returncode, EX_CANTCREAT, proc.stderr)
        self.assertIn(b"over quota", proc.stderr)
        self.assertEqual(self.usage(user)[1], 1)

    # --- IMAP ---

    def test_imap_quota_commands(self):
        user = "imap@example.test"
        c = self.imap(user)
        caps = c.capability()[1][0].decode().split()
        for cap in ("QUOTA", "QUOTA=RES-STORAGE", "QUOTA=RES-MESSAGE"):
            self.assertIn(cap, caps)
        self.assertNotIn("QUOTASET", caps)
        # no limit: no quota root
        typ, data = c.getquotaroot("INBOX")
        self.assertEqual(typ, "OK")
        self.assertEqual(data, [[b"INBOX"], [None]])
        typ, _ = c.getquota('""')
        self.assertEqual(typ, "NO")

        self.fill(user, 3, size=2000)
        self.set_quota(user, "quota_storage=1M", "quota_messages=100")
        used, count = self.usage(user)
        typ, data = c.getquotaroot("INBOX")
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0], [b'INBOX ""'])
        self.assertEqual(data[1], [b'"" (STORAGE %d 1024 MESSAGE %d 100)'
                                   % ((used + 1023) // 1024, count)])
        typ, data = c.getquota('""')
        self.assertEqual((typ, data), ("OK", [b'"" (STORAGE %d 1024 MESSAGE %d 100)'
                                              % ((used + 1023) // 1024, count)]))
        # only the resources with a limit
        self.set_quota(user, "quota_messages=none")
        typ, data = c.getquota('""')
        self.assertEqual(data, [b'"" (STORAGE %d 1024)' % ((used + 1023) // 1024)])
        self.assertEqual(c.getquota('"other"')[0], "NO")
        typ, data = c._simple_command("GETQUOTAROOT", "NoSuchFolder")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[NONEXISTENT]", data[0])
        # limits are the administrator's
        typ, data = c._simple_command("SETQUOTA", '""', "(STORAGE 99999)")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[NOPERM]", data[0])

        # STATUS DELETED-STORAGE: what EXPUNGE would free, in KB
        c.select("INBOX")
        typ, data = c.status("INBOX", "(DELETED DELETED-STORAGE)")
        self.assertIn(b"DELETED 0 DELETED-STORAGE 0", data[0])
        c.store("1:2", "+FLAGS", "\\Deleted")
        sizes = self.srv.sql("SELECT vsize FROM messages WHERE mailbox_id ="
                             " (SELECT m.id FROM mailboxes m JOIN users u ON u.id = m.user_id"
                             "  WHERE u.address = ? AND m.name = 'INBOX') AND uid <= 2", (user,))
        freed = sum(int(r[0]) for r in sizes)
        typ, data = c.status("INBOX", "(DELETED DELETED-STORAGE)")
        self.assertIn(b"DELETED 2 DELETED-STORAGE %d" % ((freed + 1023) // 1024), data[0])
        c.expunge()
        typ, data = c.status("INBOX", "(DELETED-STORAGE)")
        self.assertIn(b"DELETED-STORAGE 0", data[0])
        self.assertEqual(self.usage(user), (used - freed, count - 2))

    def test_append_over_quota(self):
        user = "append@example.test"
        c = self.imap(user)
        self.set_quota(user, "quota_storage=4K")
        msg = message_of(1500)
        self.assertEqual(c.append("INBOX", None, None, msg)[0], "OK")
        self.assertEqual(c.append("INBOX", None, None, msg)[0], "OK")
        typ, data = c.append("INBOX", None, None, msg)
        self.assertEqual(typ, "NO")
        self.assertIn(b"[OVERQUOTA]", data[0])
        self.assertEqual(self.usage(user), (3000, 2))
        # a message that still fits does
        self.assertEqual(c.append("Drafts", None, None, message_of(1000))[0], "OK")
        self.assertEqual(self.usage(user), (4000, 3))
        # the message count too
        self.set_quota(user, "quota_storage=none", "quota_messages=3")
        typ, data = c.append("INBOX", None, None, message_of(300))
        self.assertEqual(typ, "NO")
        self.assertIn(b"[OVERQUOTA]", data[0])
        self.set_quota(user, "quota_messages=none")
        self.assertEqual(c.append("INBOX", None, None, message_of(300))[0], "OK")

    def test_copy_refused_move_allowed(self):
        user = "copy@example.test"
        self.fill(user, 3, size=1000)
        self.set_quota(user, "quota_storage=3500")
        c = self.imap(user)
        c.select("INBOX")
        typ, data = c.copy("1:2", "Trash")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[OVERQUOTA]", data[0])
        self.assertEqual(self.usage(user), (3000, 3))
        # nothing was copied: all or nothing
        self.assertEqual(c.status("Trash", "(MESSAGES)")[1][0], b"Trash (MESSAGES 0)")
        # over quota (lowered below the usage), moving to Trash still works
        self.set_quota(user, "quota_storage=1K")
        typ, data = c._simple_command("MOVE", "1", "Trash")
        self.assertEqual(typ, "OK", data)
        self.assertEqual(c.status("Trash", "(MESSAGES)")[1][0], b"Trash (MESSAGES 1)")
        self.assertEqual(self.usage(user), (3000, 3))
        # and expunging frees space
        c.select("Trash")
        c.store("1:*", "+FLAGS", "\\Deleted")
        c.expunge()
        self.set_quota(user, "quota_storage=2500")
        self.assertEqual(c.append("INBOX", None, None, message_of(400))[0], "OK")
        self.assertEqual(self.usage(user), (2400, 3))

    # --- LMTP ---

    def test_lmtp_552_at_rcpt_and_data(self):
        full, other = "lmtp@example.test", "lmtp2@example.test"
        self.set_quota(full, "quota_storage=2K")
        msg = message_of(1500)
        c = self.srv.lmtp()
        self.addCleanup(c.close)
        c.ehlo("mx.example.test")
        # room for 1500 bytes, not for 3000: RCPT takes it, DATA refuses
        # the second for this recipient only (RFC 2033 4.2: one reply each)
        self.assertEqual(c.mail("sender@remote.test")[0], 250)
        self.assertEqual(c.rcpt(full)[0], 250)
        self.assertEqual(c.rcpt(other)[0], 250)
        c.putcmd("data")
        self.assertEqual(c.getreply()[0], 354)
        c.send(msg + b".\r\n")
        self.assertEqual(c.getreply()[0], 250)
        self.assertEqual(c.getreply()[0], 250)
        self.assertEqual(c.mail("sender@remote.test")[0], 250)
        self.assertEqual(c.rcpt(full)[0], 250)
        self.assertEqual(c.rcpt(other)[0], 250)
        c.putcmd("data")
        self.assertEqual(c.getreply()[0], 354)
        c.send(msg + b".\r\n")
        code, text = c.getreply()
        self.assertEqual(code, 552, text)
        self.assertIn(b"5.2.2", text)
        self.assertEqual(c.getreply()[0], 250)
        # (stored with Return-Path and Received: 1700 bytes or so)
        self.assertEqual(self.usage(full)[1], 1)
        self.assertGreater(self.usage(full)[0], 1500)
        self.assertEqual(self.usage(other)[1], 2)
        # SIZE announced at MAIL that cannot fit: refused at RCPT
        self.assertEqual(c.mail("sender@remote.test", ["SIZE=1500"])[0], 250)
        code, text = c.rcpt(full)
        self.assertEqual((code, text[:5]), (552, b"5.2.2"))
        c.rset()
        # already full: refused at RCPT whatever the size
        self.set_quota(full, "quota_storage=1K")
        self.assertEqual(c.mail("sender@remote.test")[0], 250)
        code, text = c.rcpt(full)
        self.assertEqual((code, text[:5]), (552, b"5.2.2"))
        self.assertEqual(c.rcpt(other)[0], 250)
        c.rset()

    # --- submission ---

    def test_submission(self):
        sender, full = "sub@example.test", "subfull@example.test"
        self.set_quota(full, "quota_messages=1")
        self.fill(full, 1, size=500)
        # the sender over quota still sends (submission stores nothing of
        # theirs; their app's Sent copy is an APPEND, which is refused)
        self.fill(sender, 2, size=1000)
        self.set_quota(sender, "quota_storage=1K")
        self.assertIn("over-quota", self.listed(sender))
        c = self.srv.submission(login=sender)
        self.addCleanup(c.close)
        msg = make_message(sender=sender, to="bob@example.test")
        self.assertEqual(c.sendmail(sender, ["bob@example.test"], msg), {})
        # a full local recipient: 552 5.2.2 at RCPT
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
            c.sendmail(sender, [full], make_message(sender=sender, to=full))
        code, text = cm.exception.recipients[full]
        self.assertEqual((code, text[:5]), (552, b"5.2.2"))
        refused = c.sendmail(sender, [full, "bob@example.test"],
                             make_message(sender=sender, to="bob@example.test"))
        self.assertEqual(refused[full][0], 552)
        self.assertEqual(self.usage(full)[1], 1)

    # --- the web access ---

    def test_web_usage_line(self):
        user, full = "web@example.test", "webfull@example.test"
        self.fill(user, 2, size=1536)
        self.set_quota(user, "quota_storage=1G", "quota_messages=1000")
        self.set_quota(full, "quota_messages=1")
        self.fill(full, 1)
        w = WebClient(self.srv.ports["https"])
        self.addCleanup(w.close)
        self.assertEqual(w.login(user, USERS[user]).status, 303)
        r = w.get("/mail")
        if r.status in (301, 302, 303):
            r = w.get(r.header("Location"))
        self.assertEqual(r.status, 200)
        self.assertIn('<p class="quota">Using 3 KB of 1 GB<br>2 of 1000 messages</p>',
                      r.text)
        self.set_quota(user, "quota_storage=none", "quota_messages=none")
        r = w.get("/mail")
        if r.status in (301, 302, 303):
            r = w.get(r.header("Location"))
        self.assertIn('<p class="quota">Using 3 KB</p>', r.text)
        w2 = WebClient(self.srv.ports["https"])
        self.addCleanup(w2.close)
        self.assertEqual(w2.login(full, USERS[full]).status, 303)
        r = w2.get("/mail")
        if r.status in (301, 302, 303):
            r = w2.get(r.header("Location"))
        self.assertIn('<p class="quota over">', r.text)
        self.assertIn("Mailbox full", r.text)
        # a full user can still delete to the Trash (a move) and empty it
        inbox = self.srv.sql("SELECT m.id FROM mailboxes m JOIN users u ON u.id = m.user_id"
                             " WHERE u.address = ? AND m.name = 'INBOX'", (full,))[0][0]
        csrf = WebClient.csrf(r)
        r = w2.post("/mail/%d/1/delete" % inbox, {"csrf": csrf})
        self.assertEqual(r.status, 303, r.text)
        self.assertEqual(self.srv.sql("SELECT m.name, m.messages FROM mailboxes m JOIN users u"
                                      " ON u.id = m.user_id WHERE u.address = ? AND"
                                      " m.name IN ('INBOX', 'Trash') ORDER BY m.name",
                                      (full,)), [("INBOX", 0), ("Trash", 1)])

    # --- concurrency ---

    def test_concurrent_deliveries_stop_at_the_limit(self):
        """LMTP sessions and `infostore deliver` processes at once, all to
        one user with room for LIMIT messages: exactly LIMIT are taken (the
        check is in each writing transaction, under the user's lock), every
        other one is refused with 552 5.2.2 or exit 73, none is lost."""
        user, limit = "race@example.test", 12
        self.set_quota(user, "quota_messages=%d" % limit)
        results, lock = [], threading.Lock()

        def lmtp_worker(n):
            c = self.srv.lmtp()
            try:
                c.ehlo("mx.example.test")
                for i in range(4):
                    code = lmtp_deliver(c, user, message_of(800, "lmtp %d.%d" % (n, i)))
                    with lock:
                        results.append(code)
            finally:
                c.close()

        def cli_worker(n):
            for i in range(2):
                proc = subprocess.run([BIN, "-c", self.srv.conf_path, "deliver", user],
                                      input=message_of(800, "cli %d.%d" % (n, i)),
                                      capture_output=True, timeout=120)
                with lock:
                    results.append({0: 250, EX_CANTCREAT: 552}.get(proc.returncode,
                                                                   proc.returncode))

        threads = [threading.Thread(target=lmtp_worker, args=(n,)) for n in range(6)]
        threads += [threading.Thread(target=cli_worker, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
        self.assertEqual(len(results), 6 * 4 + 3 * 2, results)
        self.assertEqual(results.count(250), limit, results)
        self.assertEqual(results.count(552), len(results) - limit, results)
        self.assertEqual(self.usage(user)[1], limit)


class QuotaNodesTest(unittest.TestCase):
    """The store's lock holds across processes: on PostgreSQL two nodes of
    one site, on SQLite the daemon and the CLI (the same test, the
    transport differs), deliver to one user at once."""

    def test_two_writers_stop_at_the_limit(self):
        users = {"race@example.test": "race-secret-pw"}
        a = InfostoreServer(listeners=("lmtp",), users=users)
        self.addCleanup(a.cleanup)
        a.start()
        self.addCleanup(a.stop)
        if a.pg_conninfo is not None:
            b = InfostoreServer(listeners=("lmtp",), node_of=a)
            self.addCleanup(b.cleanup)
            b.start()
            self.addCleanup(b.stop)
            second = b
        else:
            second = None
        limit = 10
        a.cli("user", "set", "race@example.test", "quota_messages=%d" % limit, check=True)
        codes, lock = [], threading.Lock()

        def worker(srv, n):
            c = srv.lmtp()
            try:
                c.ehlo("mx.example.test")
                for i in range(5):
                    code = lmtp_deliver(c, "race@example.test",
                                        message_of(700, "n%d.%d" % (n, i)))
                    with lock:
                        codes.append(code)
            finally:
                c.close()

        def cli_worker(n):
            for i in range(5):
                proc = a.cli("deliver", "race@example.test",
                             input=message_of(700, "c%d.%d" % (n, i)))
                with lock:
                    codes.append({0: 250, EX_CANTCREAT: 552}.get(proc.returncode,
                                                                 proc.returncode))

        threads = [threading.Thread(target=worker, args=(a, n)) for n in range(3)]
        if second is not None:
            threads += [threading.Thread(target=worker, args=(second, n))
                        for n in range(3, 6)]
        else:
            threads += [threading.Thread(target=cli_worker, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
        self.assertEqual(len(codes), 30, codes)
        self.assertEqual(codes.count(250), limit, codes)
        self.assertEqual(codes.count(552), 30 - limit, codes)
        rows = a.sql("SELECT SUM(m.messages) FROM mailboxes m JOIN users u"
                     " ON u.id = m.user_id WHERE u.address = ?", ("race@example.test",))
        self.assertEqual(int(rows[0][0]), limit)


if __name__ == "__main__":
    unittest.main()
