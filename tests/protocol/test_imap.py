"""IMAP: login and TLS, mailboxes, APPEND/FETCH byte for byte, body
structure, SEARCH, STORE, COPY/MOVE, EXPUNGE, bad input. One server for
the module; tests use their own mailboxes so that they do not interfere."""
import base64
import imaplib
import os
import re
import socket
import ssl
import subprocess
import time
import unittest

from infostore_harness import InfostoreServer, client_tls_context, make_message
from test_imap_raw import RawImap

USERS = {
    "alice@example.test": "alice-secret",
    "bob@example.test": "bob-secret",
    "carol@example.test": "carol-secret",
}
srv = None


def setUpModule():
    global srv
    srv = InfostoreServer(listeners=("imap", "imaps"), users=USERS)
    srv.start()


def tearDownModule():
    srv.stop()
    srv.cleanup()


def login(user="alice@example.test"):
    return srv.imap(tls=True, login=user)


def expect_bad(testcase, fn, *args):
    """imaplib raises on BAD; check that it does."""
    with testcase.assertRaises(imaplib.IMAP4.error) as cm:
        fn(*args)
    testcase.assertIn("BAD", str(cm.exception))


def tagged(c, *args):
    """Run a command; return (status, tagged text, untagged dict)."""
    typ, data = c._simple_command(*args)
    return typ, data[0], c.untagged_responses


NESTED = (
    b"From: Outer Sender <outer@example.test>\r\n"
    b"To: alice@example.test\r\n"
    b"Subject: nested\r\n"
    b"Message-ID: <nested@example.test>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
    b"\r\n"
    b"--XX\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"first part\r\n"
    b"--XX\r\n"
    b"Content-Type: message/rfc822\r\n"
    b"\r\n"
    b"From: inner@example.test\r\n"
    b"Subject: inner subject\r\n"
    b"Content-Type: multipart/alternative; boundary=\"YY\"\r\n"
    b"\r\n"
    b"--YY\r\n"
    b"Content-Type: text/plain\r\n"
    b"\r\n"
    b"inner plain\r\n"
    b"--YY\r\n"
    b"Content-Type: text/html\r\n"
    b"\r\n"
    b"<p>inner html</p>\r\n"
    b"--YY--\r\n"
    b"--XX\r\n"
    b"Content-Type: application/octet-stream; name=\"a.bin\"\r\n"
    b"Content-Disposition: attachment; filename=\"a.bin\"\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"AAECAw==\r\n"
    b"--XX--\r\n")


class TestTlsAndLogin(unittest.TestCase):
    def test_plain_port_logindisabled(self):
        c = srv.imap(tls=False)
        caps = c.capabilities
        self.assertIn("LOGINDISABLED", caps)
        self.assertIn("STARTTLS", caps)
        self.assertFalse(any(x.startswith("AUTH=") for x in caps))
        with self.assertRaises(imaplib.IMAP4.error) as cm:
            c.login("alice@example.test", "alice-secret")
        self.assertIn("PRIVACYREQUIRED", str(cm.exception))
        typ, data = c._simple_command("AUTHENTICATE", "PLAIN",
                                      base64.b64encode(b"\0alice@example.test\0alice-secret").decode())
        self.assertEqual(typ, "NO")
        c.logout()

    def test_imaps_greeting_capabilities(self):
        # the greeting is queued before the handshake ends; it must
        # already offer authentication
        r = RawImap(srv, tls=True)
        self.assertIn(b"AUTH=PLAIN", r.greeting)
        self.assertNotIn(b"LOGINDISABLED", r.greeting)
        self.assertNotIn(b"STARTTLS", r.greeting)
        r.close()

    def test_silent_and_plaintext_clients_on_the_tls_port(self):
        """Handshakes run on their own thread with a deadline: clients that
        never start theirs do not hold up others, and one that speaks
        plaintext to the TLS port is dropped."""
        silent = [socket.create_connection(("127.0.0.1", srv.ports["imaps"]), timeout=10)
                  for _ in range(50)]
        try:
            start = time.time()
            c = login()
            self.assertEqual(c.noop()[0], "OK")
            c.logout()
            self.assertLess(time.time() - start, 5)
            s = socket.create_connection(("127.0.0.1", srv.ports["imaps"]), timeout=10)
            s.sendall(b"a LOGIN alice@example.test alice-secret\r\n")
            data = b""
            while True:
                try:
                    chunk = s.recv(4096)
                except ConnectionResetError:
                    break  # closed with our bytes unread: a reset
                if not chunk:
                    break
                data += chunk
            s.close()
            self.assertNotIn(b"OK", data)
            self.assertNotIn(b"alice", data)
        finally:
            for sock in silent:
                sock.close()

    def test_handshakes_per_address_are_capped(self):
        """At most 64 TLS handshakes in progress from one address: more are
        closed at once, while another address is served; when the silent
        ones go, the address is served again."""
        port = srv.ports["imaps"]

        def tls_greeting(source="127.0.0.1"):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10,
                                            source_address=(source, 0))
            try:
                tls = client_tls_context().wrap_socket(sock)
                return tls.recv(4096)
            except (OSError, ssl.SSLError):
                return b""
            finally:
                sock.close()

        silent = [socket.create_connection(("127.0.0.1", port), timeout=10)
                  for _ in range(64)]
        try:
            # the accept of each is on the loop: wait until all are counted
            deadline = time.time() + 10
            while tls_greeting() != b"" and time.time() < deadline:
                time.sleep(0.05)
            self.assertEqual(tls_greeting(), b"")
            self.assertTrue(tls_greeting("127.0.0.2").startswith(b"* OK"))
        finally:
            for sock in silent:
                sock.close()
        deadline = time.time() + 10
        while not tls_greeting().startswith(b"* OK"):
            self.assertLess(time.time(), deadline, "the address is not served again")
            time.sleep(0.05)

    def test_starttls_then_login(self):
        c = srv.imap(tls=False, starttls=True)
        self.assertIn("AUTH=PLAIN", c.capabilities)
        self.assertNotIn("LOGINDISABLED", c.capabilities)
        self.assertNotIn("STARTTLS", c.capabilities)
        typ, data = c.login("alice@example.test", "alice-secret")
        self.assertEqual(typ, "OK")
        typ, _ = c.select("INBOX")
        self.assertEqual(typ, "OK")
        c.logout()

    def test_starttls_injection_discarded(self):
        # A command pipelined after STARTTLS in the same packet was sent in
        # plaintext: it must never be executed.
        sock = socket.create_connection(("127.0.0.1", srv.ports["imap"]), timeout=10)
        f = sock.makefile("rb")
        self.assertTrue(f.readline().startswith(b"* OK"))
        sock.sendall(b"a STARTTLS\r\nb LOGOUT\r\n")
        line = f.readline()
        self.assertTrue(line.startswith(b"a OK"), line)
        tls = client_tls_context().wrap_socket(sock)
        tls.sendall(b"c NOOP\r\n")
        data = b""
        while b"c OK" not in data:
            chunk = tls.recv(4096)
            self.assertTrue(chunk, "connection closed: injected LOGOUT ran")
            data += chunk
        self.assertNotIn(b"BYE", data)
        self.assertNotIn(b"b OK", data)
        tls.close()

    def test_authenticate_plain_sasl_ir_and_continuation(self):
        r = RawImap(srv, tls=True)
        ir = base64.b64encode(b"\0alice@example.test\0alice-secret").decode()
        _, tagged = r.cmd("AUTHENTICATE PLAIN " + ir)
        self.assertIn(b"OK [CAPABILITY", tagged)
        r.close()
        c = srv.imap(tls=True)
        typ, _ = c.authenticate("PLAIN", lambda _: b"\0bob@example.test\0bob-secret")
        self.assertEqual(typ, "OK")
        c.logout()
        # cancelled by the client
        r = RawImap(srv, tls=True)
        r.send("x AUTHENTICATE PLAIN\r\n")
        self.assertTrue(r.readline().startswith(b"+"))
        r.send("*\r\n")
        _, tagged = r.read_until_tagged("x")
        self.assertIn(b"x BAD", tagged)
        _, tagged = r.cmd("NOOP")
        self.assertIn(b"OK", tagged)
        r.close()

    def test_wrong_password(self):
        c = srv.imap(tls=True)
        start = time.time()
        with self.assertRaises(imaplib.IMAP4.error) as cm:
            c.login("alice@example.test", "wrong")
        self.assertIn("AUTHENTICATIONFAILED", str(cm.exception))
        self.assertGreaterEqual(time.time() - start, 0.09)  # auth_failure_delay 100ms
        typ, _ = c.login("alice@example.test", "alice-secret")
        self.assertEqual(typ, "OK")
        c.logout()

    def test_commands_before_login(self):
        r = RawImap(srv, tls=True)
        _, tagged = r.cmd("SELECT INBOX")
        self.assertIn(b"BAD", tagged)
        _, tagged = r.cmd("CAPABILITY")
        self.assertIn(b"OK", tagged)
        untagged, tagged = r.cmd("ID NIL")
        self.assertIn(b'"name" "infostore"', untagged[0])
        r.close()


class TestMailboxes(unittest.TestCase):
    def test_list_special_use_and_calendar_hidden(self):
        c = login()
        typ, data = c.list()
        names = {}
        for line in data:
            m = re.match(rb'\(([^)]*)\) "/" (.*)', line)
            names[m.group(2).strip(b'"')] = m.group(1)
        for name, flag in ((b"Sent", b"\\Sent"), (b"Drafts", b"\\Drafts"),
                           (b"Trash", b"\\Trash"), (b"Junk", b"\\Junk")):
            self.assertIn(flag, names[name])
        self.assertIn(b"INBOX", names)
        self.assertNotIn(b"Calendar", names)
        typ, data = c.select("Calendar")
        self.assertEqual(typ, "NO")
        typ, data = c.status("Calendar", "(MESSAGES)")
        self.assertEqual(typ, "NO")
        typ, data = c.create("Calendar/sub")
        self.assertEqual(typ, "NO")
        # RFC 9051 6.3.9: the delimiter
        typ, data = c.list('""', '""')
        self.assertEqual(data, [b'(\\Noselect) "/" ""'])
        c.logout()

    def test_create_rename_delete_children(self):
        c = login()
        self.assertEqual(c.create("Projects/2026/Q1")[0], "OK")
        typ, data = c.list('""', "Projects/*")
        text = b"\n".join(data)
        self.assertIn(b'(\\HasChildren) "/" Projects/2026', text)
        self.assertIn(b'(\\HasNoChildren) "/" Projects/2026/Q1', text)
        typ, data = c.create("Projects")
        self.assertEqual(typ, "NO")
        self.assertIn(b"ALREADYEXISTS", data[0])
        self.assertEqual(c.rename("Projects", "Archive/Projects")[0], "OK")
        typ, data = c.list('""', "Archive/%")
        self.assertEqual(data, [b'(\\HasChildren) "/" Archive/Projects'])
        typ, data = c.list("Archive/", "*")
        self.assertIn(b'(\\HasNoChildren) "/" Archive/Projects/2026/Q1', data)
        # delete a parent: its child stays, the parent is \Noselect
        self.assertEqual(c.delete("Archive/Projects/2026")[0], "OK")
        typ, data = c.list('""', "Archive/Projects/%")
        self.assertEqual(data, [b'(\\Noselect \\HasChildren) "/" Archive/Projects/2026'])
        typ, data = c._simple_command("LIST", "()", '""', "Archive/Projects/%")
        data = c._untagged_response(typ, data, "LIST")[1]
        self.assertEqual(data, [b'(\\NonExistent \\HasChildren) "/" Archive/Projects/2026'])
        self.assertEqual(c.delete("Nope")[0], "NO")
        typ, data = c.delete("INBOX")
        self.assertEqual(typ, "NO")
        c.logout()

    def test_names_utf7_and_case_insensitive_inbox(self):
        c = login()
        self.assertEqual(c.create("Entw&APw-rfe")[0], "OK")
        typ, data = c.list('""', "Entw*")
        self.assertEqual(data, [b'(\\HasNoChildren) "/" Entw&APw-rfe'])
        out = srv.cli("mailbox", "list", "alice@example.test").stdout.decode()
        self.assertIn("Entw\u00fcrfe\t", out)
        # invalid modified UTF-7 and escaping names
        for bad in ("a&b", "../x", "/abs", "a//b", "x/."):
            self.assertEqual(c.create(bad)[0], "NO", bad)
        typ, data = c.select("inbox")
        self.assertEqual(typ, "OK")
        typ, data = c.list('""', "inbox")
        self.assertEqual(data, [b'(\\HasNoChildren) "/" INBOX'])
        c.logout()

    def test_subscribe_lsub_list_extended(self):
        c = login("bob@example.test")
        c.create("Lists/a")
        c.create("Lists/b")
        # CREATE does not subscribe
        typ, data = c.lsub('""', "Lists*")
        self.assertEqual(data, [None])
        self.assertEqual(c.subscribe("Lists/a")[0], "OK")
        self.assertEqual(c.subscribe("Lists/b")[0], "OK")
        self.assertEqual(c.unsubscribe("Lists/b")[0], "OK")
        self.assertEqual(c.subscribe("NoSuchList")[0], "NO")
        typ, data = c.lsub('""', "Lists/*")
        self.assertEqual(data, [b'() "/" Lists/a'])
        typ, data = c.lsub('""', "Lists")
        self.assertEqual(data, [None])
        typ, data = c.lsub('""', "%")
        self.assertIn(b'(\\Noselect) "/" Lists', data)
        typ, data = c._simple_command("LIST", "(SUBSCRIBED RECURSIVEMATCH)", '""', "Lists")
        data = c._untagged_response(typ, data, "LIST")[1]
        self.assertEqual(data, [b'(\\HasChildren) "/" Lists ("CHILDINFO" ("SUBSCRIBED"))'])
        typ, data = c._simple_command("LIST", '""', "(INBOX Lists/%)", "RETURN",
                                      "(SUBSCRIBED CHILDREN STATUS (MESSAGES UIDNEXT))")
        typ, lines = c._untagged_response(typ, data, "LIST")
        self.assertIn(b'(\\HasNoChildren \\Subscribed) "/" Lists/a', lines)
        self.assertIn(b'(\\HasNoChildren) "/" Lists/b', lines)
        status = c.untagged_responses.pop("STATUS", [])
        self.assertEqual(len(status), 3)
        typ, data = c._simple_command("LIST", "(SPECIAL-USE)", '""', "*")
        typ, lines = c._untagged_response(typ, data, "LIST")
        self.assertEqual(len(lines), 4)
        expect_bad(self, c._simple_command, "LIST", "(RECURSIVEMATCH)", '""', "*")
        c.logout()

    def test_subscription_outlives_mailbox(self):
        """RFC 3501 6.3.6: a subscription is a name; deleting the mailbox
        keeps it, LIST (SUBSCRIBED) shows it \\NonExistent (RFC 5258),
        plain LIST does not, and UNSUBSCRIBE still removes it."""
        c = login("carol@example.test")
        self.assertEqual(c.create("Gone")[0], "OK")
        self.assertEqual(c.subscribe("Gone")[0], "OK")
        self.assertEqual(c.delete("Gone")[0], "OK")
        typ, data = c._simple_command("LIST", "(SUBSCRIBED)", '""', "Gone")
        lines = c._untagged_response(typ, data, "LIST")[1]
        self.assertEqual(len(lines), 1)
        flags = lines[0].split(b")")[0].lower()
        self.assertIn(b"\\nonexistent", flags)
        self.assertIn(b"\\subscribed", flags)
        self.assertNotIn(b"\\noselect", flags)
        self.assertEqual(c.list('""', "Gone"), ("OK", [None]))
        typ, data = c.lsub('""', "Gone")
        self.assertEqual(len(data), 1)
        self.assertTrue(data[0].endswith(b" Gone"), data)
        # created again: still subscribed, now an ordinary mailbox
        self.assertEqual(c.create("Gone")[0], "OK")
        typ, data = c._simple_command("LIST", "(SUBSCRIBED)", '""', "Gone")
        lines = c._untagged_response(typ, data, "LIST")[1]
        self.assertEqual(lines, [b'(\\HasNoChildren \\Subscribed) "/" Gone'])
        # RENAME carries the subscription along
        self.assertEqual(c.rename("Gone", "Moved")[0], "OK")
        typ, data = c.lsub('""', "*")
        names = [d.rsplit(b" ", 1)[1] for d in data if d]
        self.assertIn(b"Moved", names)
        self.assertNotIn(b"Gone", names)
        self.assertEqual(c.delete("Moved")[0], "OK")
        self.assertEqual(c.unsubscribe("Moved")[0], "OK")
        self.assertEqual(c.unsubscribe("Moved")[0], "NO")
        self.assertEqual(c.lsub('""', "Moved"), ("OK", [None]))
        c.logout()

    def test_status(self):
        c = login("carol@example.test")
        c.create("St")
        msg = make_message(subject="status")
        c.append("St", r"(\Seen)", None, msg)
        c.append("St", None, None, msg)
        typ, data = c.status("St", "(MESSAGES UNSEEN UIDNEXT UIDVALIDITY SIZE HIGHESTMODSEQ DELETED RECENT)")
        self.assertEqual(typ, "OK")
        m = dict(re.findall(rb"([A-Z]+) (\d+)", data[0]))
        self.assertEqual(m[b"MESSAGES"], b"2")
        self.assertEqual(m[b"UNSEEN"], b"1")
        self.assertEqual(m[b"UIDNEXT"], b"3")
        self.assertEqual(m[b"SIZE"], str(2 * len(msg)).encode())
        self.assertEqual(m[b"DELETED"], b"0")
        self.assertGreater(int(m[b"HIGHESTMODSEQ"]), 1)
        expect_bad(self, c.status, "St", "(BOGUS)")
        typ, data = c.status("NoSuch", "(MESSAGES)")
        self.assertEqual(typ, "NO")
        self.assertIn(b"NONEXISTENT", data[0])
        c.logout()

    def test_namespace_enable(self):
        c = login()
        typ, data = c.namespace()
        self.assertEqual(data, [b'(("" "/")) NIL NIL'])
        typ, data = c._simple_command("ENABLE", "CONDSTORE", "FOO")
        self.assertEqual(typ, "OK")
        self.assertEqual(c.untagged_responses.pop("ENABLED"), [b"CONDSTORE"])
        c.logout()


class TestAppendFetch(unittest.TestCase):
    def test_byte_exact_body_and_crlf(self):
        c = login()
        c.create("Exact")
        crlf = make_message(subject="crlf", body="line one\r\nline two\r\n")
        lf = make_message(subject="lf", body="bare\nlf\n", eol="\n")
        eightbit = (b"From: a@example.test\r\nSubject: 8bit\r\nContent-Type: text/plain; "
                    b"charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncaf\xc3\xa9 \x01\r\n")
        # imaplib would turn bare LFs into CRLF: append raw
        r = RawImap(srv, login="alice@example.test")
        for res in r.append_many("Exact", [crlf, lf, eightbit]):
            self.assertRegex(res, rb"OK \[APPENDUID \d+ \d+\]")
        r.close()
        c.select("Exact")
        for uid, msg in ((1, crlf), (2, lf), (3, eightbit)):
            typ, data = c.uid("FETCH", str(uid), "(RFC822.SIZE BODY.PEEK[] BODY.PEEK[TEXT]<2.5>)")
            wire = msg.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            self.assertEqual(data[0][1], wire)
            self.assertIn(b"RFC822.SIZE %d" % len(wire), data[0][0])
            # the store keeps APPENDed bytes exactly as sent
            stored = srv.cli("fetch", "alice@example.test", "Exact", str(uid), check=True).stdout
            self.assertEqual(stored, msg)
        typ, data = c.uid("FETCH", "2", "(BODY.PEEK[TEXT]<2.5>)")
        self.assertEqual(data[0][1], b"re\r\nl")
        self.assertIn(b"BODY[TEXT]<2>", data[0][0])
        # PEEK did not set \Seen; BODY[] does
        typ, data = c.fetch("1", "(FLAGS)")
        self.assertNotIn(b"\\Seen", data[0])
        typ, data = c.fetch("1", "(BODY[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(data[0][1], b"Subject: crlf\r\n\r\n")
        self.assertIn(b"\\Seen", data[0][0] + data[1])
        c.logout()

    def test_append_flags_date_and_errors(self):
        c = login()
        c.create("Dates")
        msg = make_message(subject="dated")
        typ, data = c.append("Dates", r"(\Flagged $Work)", '"05-Mar-2024 10:11:12 +0100"', msg)
        self.assertEqual(typ, "OK")
        c.select("Dates")
        typ, data = c.fetch("1", "(FLAGS INTERNALDATE)")
        self.assertIn(b"\\Flagged", data[0])
        self.assertIn(b"$Work", data[0])
        self.assertIn(b'INTERNALDATE "05-Mar-2024 10:11:12 +0100"', data[0])
        self.assertIn(b"$Work", b" ".join(c.untagged_responses.get("FLAGS", [b""])))
        typ, data = c.append("NoSuchBox", None, None, msg)
        self.assertEqual(typ, "NO")
        self.assertIn(b"TRYCREATE", data[0])
        r = RawImap(srv, login="alice@example.test")
        # a synchronising literal is refused before the client sends it
        r.send("a APPEND NoSuchBox {10}\r\n")
        line = r.readline()
        self.assertTrue(line.startswith(b"a NO [TRYCREATE]"), line)
        # non-synchronising: refused, its bytes skipped, session goes on
        r.send("b APPEND NoSuchBox {10+}\r\n0123456789\r\n")
        _, tagged = r.read_until_tagged("b")
        self.assertIn(b"TRYCREATE", tagged)
        _, tagged = r.cmd('APPEND Dates (\\Bogus) {3}', tag="c")
        self.assertIn(b"c BAD", tagged)
        r.send("d APPEND Dates {%d}\r\n" % (60 * 1024 * 1024))
        _, tagged = r.read_until_tagged("d")
        self.assertIn(b"TOOBIG", tagged)
        _, tagged = r.cmd("NOOP")
        self.assertIn(b"OK", tagged)
        r.close()
        c.logout()

    def test_bodystructure_and_sections(self):
        c = login()
        c.create("Nested")
        c.append("Nested", None, None, NESTED)
        c.select("Nested")
        typ, data = c.fetch("1", "(BODYSTRUCTURE)")
        bs = data[0]
        self.assertIn(b'("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 10 1 NIL NIL NIL NIL)', bs)
        self.assertIn(b'"message" "rfc822" NIL NIL NIL "7bit"', bs)
        self.assertIn(b'"inner subject"', bs)
        self.assertIn(b'"alternative"', bs)
        self.assertIn(b'("attachment" ("filename" "a.bin"))', bs)
        self.assertIn(b'"mixed" ("boundary" "XX")', bs)
        typ, data = c.fetch("1", "(BODY)")
        self.assertNotIn(b"attachment", data[0])
        want = {
            "1": b"first part",
            "2.1": b"inner plain",
            "2.2": b"<p>inner html</p>",
            "2.HEADER.FIELDS (SUBJECT)": b"Subject: inner subject\r\n\r\n",
            "1.MIME": b"Content-Type: text/plain; charset=utf-8\r\n\r\n",
            "3": b"AAECAw==",
        }
        for section, expected in want.items():
            typ, data = c.fetch("1", "(BODY.PEEK[%s])" % section)
            self.assertEqual(data[0][1], expected, section)
        typ, data = c.fetch("1", "(BODY.PEEK[4])")
        self.assertIn(b"BODY[4] NIL", data[0])
        typ, data = c.fetch("1", "(BODY.PEEK[2.TEXT]<0.4> ENVELOPE)")
        self.assertEqual(data[0][1], b"--YY")
        self.assertIn(b'"nested"', data[0][0])
        typ, data = c.fetch("1", "(BODY.PEEK[HEADER.FIELDS.NOT (From To Message-ID MIME-Version Content-Type)])")
        self.assertEqual(data[0][1], b"Subject: nested\r\n\r\n")
        c.logout()

    def test_fetch_binary(self):
        """RFC 3516 / RFC 9051 BINARY: transfer encodings undone, literal8
        for content with NUL, BINARY.SIZE, partials, UNKNOWN-CTE."""
        c = login()
        c.create("Binary")
        c.append("Binary", None, None, NESTED)
        qp = (b"From: a@example.test\r\nSubject: qp\r\nMIME-Version: 1.0\r\n"
              b"Content-Type: multipart/mixed; boundary=B\r\n\r\n"
              b"--B\r\nContent-Type: text/plain; charset=utf-8\r\n"
              b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
              b"caf=C3=A9 au l=\r\nait\r\n"
              b"--B\r\nContent-Type: application/octet-stream\r\n"
              b"Content-Transfer-Encoding: x-rot13\r\n\r\nnop\r\n--B--\r\n")
        c.append("Binary", None, None, qp)
        c.select("Binary")
        self.assertIn("BINARY", c.capabilities if "BINARY" in c.capabilities
                      else c.capability()[1][0].decode().split())
        typ, data = c.fetch("1", "(BINARY.PEEK[3] BINARY.SIZE[3])")
        self.assertEqual(typ, "OK")
        self.assertIn(b"BINARY[3] ~{4}", data[0][0])
        self.assertEqual(data[0][1], b"\x00\x01\x02\x03")
        self.assertIn(b"BINARY.SIZE[3] 4", data[1])
        typ, data = c.fetch("1", "(BINARY.PEEK[1] BINARY.PEEK[3]<1.2>)")
        self.assertEqual(data[0][1], b"first part")
        self.assertEqual(data[1][1], b"\x01\x02")
        typ, data = c.fetch("1", "(FLAGS)")
        self.assertNotIn(b"\\Seen", data[0])
        typ, data = c.fetch("2", "(BINARY.PEEK[1] BINARY.SIZE[1])")
        self.assertEqual(data[0][1], "café au lait".encode())
        self.assertIn(b"BINARY.SIZE[1] %d" % len("café au lait".encode()), data[1])
        # BINARY without PEEK sets \Seen like BODY[]
        typ, data = c.fetch("2", "(BINARY[1])")
        typ, data = c.fetch("2", "(FLAGS)")
        self.assertIn(b"\\Seen", data[0])
        typ, data = c._simple_command("FETCH", "2", "(BINARY.PEEK[2])")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[UNKNOWN-CTE]", data[0])
        c.logout()
        # APPEND of NUL bytes in a literal8: refused with UNKNOWN-CTE
        # (RFC 9051 6.3.12), since BODY[] could never send it back; 8-bit
        # data without NUL in a literal8 is stored byte for byte
        r = RawImap(srv, tls=True, login="alice@example.test")
        nul = b"Subject: nul\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00-\xe4\r\n"
        r.send(b"n1 APPEND Binary ~{%d+}\r\n%s\r\n" % (len(nul), nul))
        _, tagged = r.read_until_tagged("n1")
        self.assertRegex(tagged, rb"^n1 NO \[UNKNOWN-CTE\]")
        eight = b"Subject: 8bit\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncaf\xe9\r\n"
        r.send(b"n2 APPEND Binary ~{%d+}\r\n%s\r\n" % (len(eight), eight))
        _, tagged = r.read_until_tagged("n2")
        self.assertRegex(tagged, rb"^n2 OK \[APPENDUID \d+ 3\]")
        r.cmd("EXAMINE Binary")
        untagged, tagged = r.cmd("FETCH 3 (BODY.PEEK[])")
        self.assertTrue(untagged[0].endswith(eight + b")\r\n"), untagged)
        r.close()

    def test_fetch_errors_and_macros(self):
        c = login()
        c.create("Macros")
        c.append("Macros", None, None, make_message(subject="m"))
        c.select("Macros")
        for items in ("ALL", "FAST", "FULL"):
            typ, data = c.fetch("1", items)
            self.assertEqual(typ, "OK")
            self.assertIn(b"RFC822.SIZE", data[0])
        typ, data = c.fetch("1", "(RFC822.HEADER RFC822.TEXT)")
        self.assertEqual(typ, "OK")
        for bad in ("(NOPE)", "(BODY[5.X])", "(BODY[]<1>)", "(ALL)", "(BINARY[1.MIME])",
                    "(BINARY[HEADER])", "(BINARY.SIZE[TEXT])"):
            expect_bad(self, c.fetch, "1", bad)
        expect_bad(self, c.fetch, "2", "(FLAGS)")
        typ, data = c.uid("FETCH", "99", "(FLAGS)")
        self.assertEqual((typ, data), ("OK", [None]))
        c.logout()


class TestSearchStore(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        c = login("bob@example.test")
        c.create("Search")
        msgs = [
            make_message(subject="apple pie", body="The xylophone plays.\r\n", sender="ann@example.test"),
            make_message(subject="banana", body="nothing here\r\n", sender="ben@example.test"),
            make_message(subject="Cherry \u00e9t\u00e9".encode("utf-8").decode("latin-1"),
                         body="big " + "x" * 3000 + "\r\n", sender="cat@example.test"),
        ]
        c.append("Search", r"(\Seen)", '"01-Jan-2020 00:00:00 +0000"', msgs[0])
        c.append("Search", None, '"01-Jun-2024 00:00:00 +0000"', msgs[1])
        c.append("Search", r"(\Flagged)", None, msgs[2])
        c.logout()

    def setUp(self):
        self.c = login("bob@example.test")
        self.c.select("Search")

    def tearDown(self):
        self.c.logout()

    def search(self, *keys):
        typ, data = self.c.search(None, *keys)
        self.assertEqual(typ, "OK")
        return data[0].split()

    def test_search_keys(self):
        self.assertEqual(self.search("ALL"), [b"1", b"2", b"3"])
        self.assertEqual(self.search("BODY", "xylophone"), [b"1"])
        self.assertEqual(self.search("TEXT", "banana"), [b"2"])
        self.assertEqual(self.search("FROM", "ben"), [b"2"])
        self.assertEqual(self.search("SUBJECT", "APPLE"), [b"1"])
        self.assertEqual(self.search("HEADER", "Subject", "cherry"), [b"3"])
        self.assertEqual(self.search("SEEN"), [b"1"])
        self.assertEqual(self.search("UNSEEN", "UNFLAGGED"), [b"2"])
        self.assertEqual(self.search("LARGER", "2000"), [b"3"])
        self.assertEqual(self.search("BEFORE", "1-Jan-2021"), [b"1"])
        self.assertEqual(self.search("SINCE", "1-Jun-2024", "BEFORE", "2-Jun-2024"), [b"2"])
        self.assertEqual(self.search("SENTON", "24-Nov-2026"), [b"1", b"2", b"3"])
        self.assertEqual(self.search("OR", "SEEN", "FLAGGED"), [b"1", b"3"])
        self.assertEqual(self.search("NOT", "(SEEN FROM ann)"), [b"2", b"3"])
        self.assertEqual(self.search("2:*"), [b"2", b"3"])
        self.assertEqual(self.search("UID", "1,3"), [b"1", b"3"])
        self.assertEqual(self.search("NEW"), [])
        typ, data = self.c.search("UTF-8", "BODY", "xylophone")
        self.assertEqual(data, [b"1"])
        typ, data = self.c.search("KOI8-R", "ALL")
        self.assertEqual(typ, "NO")
        expect_bad(self, self.c.search, None, "BOGUS")
        typ, data = self.c.uid("SEARCH", "BODY", "plays")
        self.assertEqual(data, [b"1"])

    def test_address_search_and_source_route(self):
        """SEARCH FROM matches the address, not the way it was written
        (comments inside it); ENVELOPE keeps a source route as the adl."""
        c = login("bob@example.test")
        c.create("Addr")
        msg = (b"From: <dan (the cat)@ (home) example.test>\r\n"
               b"To: <@relay.example.test:eve@example.test>\r\n"
               b"Subject: odd addresses\r\n\r\nbody\r\n")
        self.assertEqual(c.append("Addr", None, None, msg)[0], "OK")
        c.select("Addr")
        self.assertEqual(c.search(None, "FROM", "dan@example.test")[1], [b"1"])
        self.assertEqual(c.search(None, "TO", "eve@example.test")[1], [b"1"])
        self.assertEqual(c.search(None, "FROM", "eve@example.test")[1], [b""])
        typ, data = c.fetch("1", "(ENVELOPE)")
        self.assertIn(b'((NIL "@relay.example.test" "eve" "example.test"))', data[0])
        self.assertIn(b'((NIL NIL "dan" "example.test"))', data[0])
        c.logout()

    def test_sort(self):
        """SORT and UID SORT (RFC 5256) with DISPLAYFROM (RFC 5957): base
        subjects, dates, sizes, addresses, REVERSE, search keys; ties in
        mailbox order."""
        c = login("carol@example.test")
        c.create("Sort")
        msgs = [
            b"From: Zed <zed@example.test>\r\nTo: amy@example.test\r\n"
            b"Date: Tue, 01 Jan 2030 10:00:00 +0000\r\nSubject: Re: [list] Budget\r\n\r\n" + b"x" * 300 + b"\r\n",
            b"From: bob@example.test\r\nTo: Carl <carl@example.test>\r\n"
            b"Date: Mon, 31 Dec 2029 10:00:00 +0000\r\nSubject: Apples\r\n\r\nshort\r\n",
            b"From: =?utf-8?q?=C3=81da?= <ada@example.test>\r\nTo: amy@example.test\r\n"
            b"Date: Wed, 02 Jan 2030 10:00:00 +0100\r\nSubject: Fwd: budget (fwd)\r\n\r\n" + b"y" * 100 + b"\r\n",
        ]
        arrivals = ("03", "01", "02")
        for m, sec in zip(msgs, arrivals):
            self.assertEqual(c.append("Sort", None, '"01-Jan-2031 00:00:%s +0000"' % sec,
                                      m)[0], "OK")
        c.select("Sort")
        self.assertIn("SORT", c.capabilities if "SORT" in c.capabilities
                      else c.capability()[1][0].decode().split())

        def sort(crit, *keys, uid=False):
            if uid:
                typ, data = c.uid("SORT", crit, "UTF-8", *(keys or ("ALL",)))
            else:
                typ, data = c.sort(crit, "UTF-8", *(keys or ("ALL",)))
            self.assertEqual(typ, "OK")
            return data[0].decode().split()

        self.assertEqual(sort("(SUBJECT)"), ["2", "1", "3"])
        self.assertEqual(sort("(DATE)"), ["2", "1", "3"])
        self.assertEqual(sort("(REVERSE DATE)"), ["3", "1", "2"])
        self.assertEqual(sort("(SIZE)"), ["2", "3", "1"])
        self.assertEqual(sort("(FROM)"), ["3", "2", "1"])
        self.assertEqual(sort("(TO SUBJECT)"), ["1", "3", "2"])
        self.assertEqual(sort("(DISPLAYFROM)"), ["2", "1", "3"])
        self.assertEqual(sort("(ARRIVAL)"), ["2", "3", "1"])
        self.assertEqual(sort("(REVERSE ARRIVAL)"), ["1", "3", "2"])
        # equal keys keep mailbox order, whatever REVERSE says
        self.assertEqual(sort("(REVERSE TO)"), ["2", "1", "3"])
        self.assertEqual(sort("(SUBJECT)", "TO", "amy"), ["1", "3"])
        c.store("2", "+FLAGS", "\\Deleted")
        c.expunge()
        self.assertEqual(sort("(SUBJECT)", uid=True), ["1", "3"])
        self.assertEqual(sort("(SUBJECT)"), ["1", "2"])
        for bad in ("(NOPE)", "(REVERSE)", "()"):
            expect_bad(self, c._simple_command, "SORT", bad, "UTF-8", "ALL")
        typ, data = c._simple_command("SORT", "(DATE)", "KOI8-R", "ALL")
        self.assertEqual(typ, "NO")
        c.logout()

    def test_thread(self):
        """THREAD=REFERENCES and THREAD=ORDEREDSUBJECT (RFC 5256) from the
        headers delivery keeps: replies under what they answer, in date
        order, a missing parent as a dummy."""
        c = login("carol@example.test")
        c.create("Thread")

        def msg(mid, subject, day, refs=None, irt=None):
            h = b"From: a@example.test\r\nSubject: %s\r\nMessage-ID: <%s@example.test>\r\n" \
                b"Date: %02d Jan 2030 10:00:00 +0000\r\n" % (subject.encode(), mid.encode(), day)
            if refs:
                h += b"References: " + b" ".join(b"<%s@example.test>" % r.encode() for r in refs) + b"\r\n"
            if irt:
                h += b"In-Reply-To: <%s@example.test>\r\n" % irt.encode()
            return h + b"\r\nbody\r\n"
        msgs = [
            msg("root", "Plan", 1),
            msg("r1", "Re: Plan", 3, refs=["root"]),
            msg("other", "Lunch", 2),
            msg("r2", "Re: Plan", 2, irt="root"),
            msg("r11", "Re: Re: Plan", 4, refs=["root", "r1"]),
            msg("lost1", "Re: Trip", 5, refs=["gone"]),
            msg("lost2", "Re: Trip", 6, refs=["gone"]),
        ]
        for m in msgs:
            self.assertEqual(c.append("Thread", None, None, m)[0], "OK")
        c.select("Thread")
        typ, data = c._simple_command("THREAD", "REFERENCES", "UTF-8", "ALL")
        self.assertEqual(typ, "OK")
        self.assertEqual(c.untagged_responses.pop("THREAD"),
                         [b"(1 (4)(2 5))(3)((6)(7))"])
        typ, data = c.uid("THREAD", "REFERENCES", "UTF-8", "SUBJECT", "plan")
        self.assertEqual(data, [b"(1 (4)(2 5))"])
        typ, data = c._simple_command("THREAD", "ORDEREDSUBJECT", "US-ASCII", "ALL")
        self.assertEqual(typ, "OK")
        self.assertEqual(c.untagged_responses.pop("THREAD"),
                         [b"(1 (4)(2)(5))(3)(6 7)"])
        expect_bad(self, c._simple_command, "THREAD", "NONSENSE", "UTF-8", "ALL")
        typ, data = c._simple_command("THREAD", "REFERENCES", "KOI8-R", "ALL")
        self.assertEqual(typ, "NO")
        c.logout()

    def test_esearch_and_searchres(self):
        typ, data = self.c._simple_command("SEARCH", "RETURN", "(MIN MAX COUNT ALL)", "ALL")
        self.assertEqual(typ, "OK")
        es = self.c.untagged_responses.pop("ESEARCH")[0]
        self.assertRegex(es, rb'\(TAG "\w+"\) MIN 1 MAX 3 COUNT 3 ALL 1:3')
        typ, data = self.c._simple_command("UID", "SEARCH", "RETURN", "(SAVE)", "OR", "SEEN", "FLAGGED")
        self.assertNotIn("ESEARCH", self.c.untagged_responses)
        typ, data = self.c.fetch("$", "(UID)")
        self.assertEqual(len([d for d in data if d]), 2)
        typ, data = self.c.search(None, "NOT", "$")
        self.assertEqual(data, [b"2"])

    def test_store_flags_and_keywords(self):
        c = self.c
        typ, data = c.store("2", "+FLAGS", r"(\Answered $Label1)")
        self.assertEqual(typ, "OK")
        self.assertIn(b"\\Answered", data[0])
        self.assertIn(b"$Label1", data[0])
        self.assertIn(b"$Label1", b" ".join(c.untagged_responses.get("FLAGS", [b""])))
        typ, data = c.store("2", "-FLAGS.SILENT", r"($Label1)")
        self.assertEqual(data, [None])
        typ, data = c.fetch("2", "(FLAGS)")
        self.assertNotIn(b"$Label1", data[0])
        typ, data = c.store("2", "FLAGS", r"(\Draft)")
        self.assertEqual(data[0], b"2 (FLAGS (\\Draft))")
        typ, data = c.store("2", "FLAGS", r"()")
        self.assertEqual(data[0], b"2 (FLAGS ())")
        for bad in (r"(\Bogus)", "(a]b)"):
            expect_bad(self, c.store, "2", "+FLAGS", bad)
        expect_bad(self, c.store, "2", "+FLAGZ", r"(\Seen)")

    def test_condstore_unchangedsince(self):
        c = self.c
        typ, data = c.fetch("3", "(MODSEQ)")
        modseq = int(re.search(rb"MODSEQ \((\d+)\)", data[0]).group(1))
        typ, data = c._simple_command("STORE", "3", "(UNCHANGEDSINCE %d)" % modseq,
                                      "+FLAGS", r"(\Answered)")
        self.assertEqual(typ, "OK")
        typ, data = c._simple_command("STORE", "3", "(UNCHANGEDSINCE %d)" % modseq,
                                      "-FLAGS", r"(\Answered)")
        self.assertEqual(typ, "OK")
        self.assertIn(b"[MODIFIED 3]", data[0])
        c.untagged_responses.clear()
        typ, data = c.fetch("1:*", "(FLAGS) (CHANGEDSINCE %d)" % modseq)
        self.assertEqual(len(data), 1, data)
        self.assertRegex(data[0], rb"^3 \(FLAGS \((\\Recent )?\\Answered \\Flagged\) MODSEQ \(\d+\)\)$")


class TestCopyMoveExpunge(unittest.TestCase):
    def setUp(self):
        self.c = login("carol@example.test")
        name = "Src%d" % int(time.time() * 1000000)
        self.name = name
        self.c.create(name)
        for i in range(4):
            self.c.append(name, None, None, make_message(subject="msg %d" % i))
        self.c.select(name)

    def tearDown(self):
        self.c.logout()

    def test_copy_uidplus(self):
        c = self.c
        c.create(self.name + "-dst")
        typ, text, _ = tagged(c, "UID", "COPY", "2:3", self.name + "-dst")
        self.assertEqual(typ, "OK")
        m = re.search(rb"\[COPYUID (\d+) 2:3 1:2\]", text)
        self.assertTrue(m, text)
        typ, data = c.copy("1", "NoSuch")
        self.assertIn(b"TRYCREATE", data[0])
        typ, data = c.status(self.name + "-dst", "(MESSAGES)")
        self.assertIn(b"MESSAGES 2", data[0])

    def test_move(self):
        c = self.c
        c.create(self.name + "-mv")
        typ, data = c._simple_command("MOVE", "2:3", self.name + "-mv")
        self.assertEqual(typ, "OK")
        ok = c.untagged_responses.pop("OK", [])
        self.assertTrue(any(b"COPYUID" in x for x in ok), ok)
        self.assertEqual(c.untagged_responses.pop("EXPUNGE"), [b"3", b"2"])
        typ, data = c.search(None, "ALL")
        self.assertEqual(data, [b"1 2"])
        typ, data = c.fetch("2", "(UID)")
        self.assertIn(b"UID 4", data[0])

    def test_expunge_uid_expunge_close(self):
        c = self.c
        c.store("1:3", "+FLAGS.SILENT", r"(\Deleted)")
        typ, text, untagged = tagged(c, "UID", "EXPUNGE", "2")
        self.assertEqual(untagged.pop("EXPUNGE"), [b"2"])
        typ, data = c.expunge()
        # highest first, so that each number is right when it is read
        self.assertEqual(data, [b"2", b"1"])
        typ, data = c.fetch("1:*", "(UID)")
        self.assertEqual(data, [b"1 (UID 4)"])
        c.append(self.name, None, None, make_message(subject="five"))
        c.store("1", "+FLAGS", r"(\Deleted)")
        self.assertEqual(c.close()[0], "OK")
        typ, data = c.select(self.name)
        self.assertEqual(data, [b"1"])
        c.store("1", "+FLAGS", r"(\Deleted)")
        self.assertEqual(c.unselect()[0], "OK")
        typ, data = c.select(self.name, readonly=True)
        self.assertEqual(data, [b"1"])
        typ, data = c.expunge()
        self.assertEqual(typ, "NO")
        typ, data = c.store("1", "+FLAGS", r"(\Seen)")
        self.assertEqual(typ, "NO")


class TestBadInput(unittest.TestCase):
    def test_bad_commands_session_continues(self):
        r = RawImap(srv, login="alice@example.test")
        for line in (b"a1 FROB", b"a2 SELECT", b"a3 FETCH 1 (FLAGS", b'a4 LOGIN "x',
                     b"a5 SELECT INBOX)", b"a6  NOOP", b"a7 UID NOOP", b"* NOOP",
                     b"a8 FETCH 1:* (BODY[HEADER.FIELDS (A)", b"a9 STATUS INBOX ()"):
            r.send(line + b"\r\n")
            resp = r.readline()
            self.assertIn(b"BAD", resp, line)
        _, tagged = r.cmd("SELECT INBOX")
        self.assertIn(b"OK", tagged)
        # a line longer than the limit
        r.send(b"b1 NOOP " + b"x" * 70000 + b"\r\n")
        self.assertIn(b"BAD", r.readline())
        _, tagged = r.cmd("NOOP")
        self.assertIn(b"OK", tagged)
        r.close()

    def test_too_many_bad_commands(self):
        r = RawImap(srv, login="alice@example.test")
        lines = []
        try:
            for i in range(30):
                r.send(b"x%d FROB\r\n" % i)
                lines.append(r.readline())
        except (EOFError, ConnectionError, ssl.SSLError):
            pass
        self.assertTrue(any(b"BYE" in l for l in lines), lines[-3:])
        r.close()

    def test_prelogin_limits(self):
        r = RawImap(srv, tls=True)
        r.send("a LOGIN {100000}\r\n")
        self.assertIn(b"BAD", r.readline())
        _, tagged = r.cmd("NOOP")
        self.assertIn(b"OK", tagged)
        r.close()


class TestCurl(unittest.TestCase):
    def test_curl_imaps(self):
        c = login("carol@example.test")
        c.create("Curl")
        msg = make_message(subject="via curl", body="curl body\r\n")
        c.append("Curl", None, None, msg)
        c.logout()
        base = "imaps://127.0.0.1:%d" % srv.ports["imaps"]
        user = ["-u", "carol@example.test:carol-secret", "-k", "-s", "--max-time", "20"]
        out = subprocess.run(["curl"] + user + [base + "/Curl;UID=1"],
                             stdout=subprocess.PIPE, check=True).stdout
        self.assertEqual(out, msg)
        out = subprocess.run(["curl"] + user + [base + "/"], stdout=subprocess.PIPE,
                             check=True).stdout
        self.assertIn(b'"/" Curl', out)
        out = subprocess.run(["curl"] + user + ["-X", "SEARCH SUBJECT curl", base + "/Curl"],
                             stdout=subprocess.PIPE, check=True).stdout
        self.assertIn(b"* SEARCH 1", out)
        # curl over the plain port with STARTTLS required
        out = subprocess.run(["curl"] + user + ["--ssl-reqd",
                             "imap://127.0.0.1:%d/Curl;UID=1" % srv.ports["imap"]],
                             stdout=subprocess.PIPE, check=True).stdout
        self.assertEqual(out, msg)


if __name__ == "__main__":
    unittest.main()
