"""The litmus WebDAV test suite (Debian's litmus 0.13) against /dav/.

litmus does everything inside a collection it makes itself with a plain
MKCOL of URL/litmus/ (its "begin" test); without it every suite stops
there. A CalDAV home holds calendars, not plain collections, and a
calendar holds calendar objects, not plain collections, so the server
refuses that MKCOL (test_plain_mkcol_is_refused shows what litmus gets).

So litmus runs through a small relay that changes exactly one request:
litmus's MKCOL of HOME/litmus/ becomes an extended MKCOL (RFC 5689) with
resourcetype calendar. Everything else, bytes and connections, goes
through unchanged to the plain-HTTP listener (Basic allowed there from
plaintext_auth_from = 127.0.0.1/32; litmus's expect100 test only runs
over plain HTTP). Inside that calendar litmus's own tests run as they are.

Every litmus test must pass except the ones listed in NOT_APPLICABLE, each
with the reason and the outcome it must have instead (so a 500 or a crash
in one of them is still caught)."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import xml.etree.ElementTree as ET

from infostore_harness import SharedServerTest
from test_dav import Dav
from test_web import ALICE, ALICE_PW

LITMUS = shutil.which("litmus")
MISSING = "litmus is not installed: apt-get install -y litmus"
HOME = "/dav/calendars/%s/" % ALICE

# The reasons, one each; the tests they cover are below.
NOT_ICAL = ("litmus PUTs arbitrary bytes; a calendar collection takes only iCalendar "
            "objects (RFC 4791 4.1, 5.3.2.1: 403 supported-calendar-data / "
            "valid-calendar-object-resource)")
NO_SUBCOLL = ("a plain collection inside a calendar: RFC 4791 4.2 allows but does not "
              "require them; the server refuses (409)")
NEEDS_PUT = "works on the resource of an earlier non-iCalendar PUT, which was refused"
NEEDS_MKCOL = "works on the collection of an earlier plain MKCOL, which was refused"
NO_LOCKS = "locking: DAV class 2 is not claimed (the DAV header says 1, 3, ...)"

PUT_403 = r"^FAIL \(PUT of .*403 Forbidden"
MKCOL_409 = r"^FAIL \(MKCOL .*409 Conflict"
SKIPPED = r"^SKIPPED"

NOT_APPLICABLE = {
    ("basic", "put_get"): (NOT_ICAL, PUT_403),
    ("basic", "put_get_utf8_segment"): (NOT_ICAL, PUT_403),
    ("basic", "mkcol_over_plain"): (NEEDS_PUT, SKIPPED),
    ("basic", "delete"): (NEEDS_PUT, SKIPPED),
    ("basic", "delete_fragment"): (NO_SUBCOLL, r"^FAIL \(could not create collection"),
    ("basic", "mkcol"): (NO_SUBCOLL, MKCOL_409),
    ("basic", "mkcol_again"): (NEEDS_MKCOL, SKIPPED),
    ("basic", "delete_coll"): (NEEDS_MKCOL, SKIPPED),
    ("copymove", "copy_init"): (NOT_ICAL, PUT_403),
    ("copymove", "copy_simple"): (NEEDS_PUT, SKIPPED),
    ("copymove", "copy_overwrite"): (NEEDS_PUT, SKIPPED),
    ("copymove", "copy_nodestcoll"): (NEEDS_PUT, SKIPPED),
    ("copymove", "copy_coll"): (NO_SUBCOLL, MKCOL_409),
    ("copymove", "copy_shallow"): (NO_SUBCOLL, MKCOL_409),
    ("copymove", "move"): (NOT_ICAL, PUT_403),
    ("copymove", "move_coll"): (NO_SUBCOLL, MKCOL_409),
    # dead properties on a plain resource made by PUT
    ("props", "propinit"): (NOT_ICAL, PUT_403),
    ("props", "propset"): (NEEDS_PUT, SKIPPED),
    ("props", "propget"): (NEEDS_PUT, SKIPPED),
    ("props", "propmove"): (NEEDS_PUT, SKIPPED),
    ("props", "propdeletes"): (NEEDS_PUT, SKIPPED),
    ("props", "propreplace"): (NEEDS_PUT, SKIPPED),
    ("props", "propnullns"): (NEEDS_PUT, SKIPPED),
    ("props", "prophighunicode"): (NEEDS_PUT, SKIPPED),
    ("props", "propremoveset"): (NEEDS_PUT, SKIPPED),
    ("props", "propsetremove"): (NEEDS_PUT, SKIPPED),
    ("props", "propvalnspace"): (NEEDS_PUT, SKIPPED),
    ("props", "propmanyns"): (NEEDS_PUT, r"^FAIL \(PROPPATCH on .*/litmus/prop.: 404"),
    ("locks", "precond"): (NO_LOCKS, r"^SKIPPED \(locking tests skipped"),
}

EXT_MKCOL = (b'<?xml version="1.0" encoding="utf-8"?>\r\n'
             b'<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>'
             b'<D:resourcetype><D:collection/><C:calendar/></D:resourcetype>'
             b'<D:displayname>litmus</D:displayname></D:prop></D:set></D:mkcol>')


class Relay:
    """A TCP relay to the server's plain-HTTP listener that reads request
    heads (to keep track of request boundaries) and rewrites one request:
    an empty MKCOL of rewrite_path becomes an extended MKCOL of a calendar.
    Responses, interim 100 Continue included, are copied byte for byte."""

    def __init__(self, upstream_port, rewrite_path):
        self.upstream_port = upstream_port
        self.rewrite_path = rewrite_path.encode()
        self.rewritten = 0
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.closed = True
        self.sock.close()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (dst, src):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _serve(self, client):
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        for s in (client, upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = client.recv(65536)
                    if not data:
                        raise EOFError
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                method, target, _ = lines[0].split(b" ", 2)
                headers = {}
                for line in lines[1:]:
                    k, _, v = line.partition(b":")
                    headers[k.strip().lower()] = v.strip()
                if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
                    # not used by litmus; pass the rest through unparsed
                    upstream.sendall(head + b"\r\n\r\n" + buf)
                    self._pump(client, upstream)
                    return
                length = int(headers.get(b"content-length", b"0"))
                if method == b"MKCOL" and target == self.rewrite_path and length == 0:
                    with self.lock:
                        self.rewritten += 1
                    lines = [l for l in lines if not l.lower().startswith(
                        (b"content-length:", b"content-type:"))]
                    lines += [b"Content-Type: application/xml; charset=utf-8",
                              b"Content-Length: %d" % len(EXT_MKCOL)]
                    upstream.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + EXT_MKCOL)
                    continue
                # the head now, the body as it comes (Expect: 100-continue)
                upstream.sendall(head + b"\r\n\r\n")
                while length > 0:
                    if not buf:
                        buf = client.recv(65536)
                        if not buf:
                            raise EOFError
                    part, buf = buf[:length], buf[length:]
                    upstream.sendall(part)
                    length -= len(part)
        except (EOFError, OSError, ValueError):
            pass
        try:
            upstream.shutdown(socket.SHUT_WR)
        except OSError:
            pass


START = re.compile(r"(\d+)\. (\w+)\.+ (pass|FAIL|SKIPPED|WARNING)\b:? ?(.*)$")
CONT = re.compile(r"^\s+\.+ (pass|FAIL|SKIPPED|WARNING)\b:? ?(.*)$")
SUITE = re.compile(r"^-> running `(\w+)':")


def parse_litmus(text):
    """litmus's output as a list of {suite, num, name, result, message,
    warnings}; result is pass, FAIL or SKIPPED."""
    results, cur, suite = [], None, None
    # litmus starts each test's line with a carriage return
    for line in text.replace("\r", "").split("\n"):
        m = SUITE.match(line)
        if m:
            suite, cur = m.group(1), None
            continue
        if line.startswith(("<-", "->", "See debug.log")):
            cur = None
            continue
        m = START.search(line)
        if m:
            cur = {"suite": suite, "num": int(m.group(1)), "name": m.group(2),
                   "result": None, "message": "", "warnings": []}
            results.append(cur)
            word, rest = m.group(3), m.group(4)
        else:
            m = CONT.match(line)
            if m is None or cur is None:
                if cur is not None and cur["result"] in ("FAIL", "SKIPPED"):
                    cur["message"] += "\n" + line  # a message over more lines
                continue
            word, rest = m.group(1), m.group(2)
        if word == "WARNING":
            cur["warnings"].append(rest)
        else:
            cur["result"], cur["message"] = word, rest
    return results


def outcome(r):
    return (r["result"] or "?") + (" " + r["message"] if r["message"] else "")


class LitmusTest(SharedServerTest):
    SERVER_ARGS = {"listeners": ("https", "http"),
                   "conf": {"server": {"plaintext_auth_from": "127.0.0.1/32"}}}

    @classmethod
    def setUpClass(cls):
        if LITMUS is None:
            raise AssertionError(MISSING)
        super().setUpClass()
        cls.relay = Relay(cls.srv.ports["http"], HOME + "litmus/")

    @classmethod
    def tearDownClass(cls):
        cls.relay.close()
        super().tearDownClass()

    def litmus(self, url, suite):
        cwd = tempfile.mkdtemp(prefix="infostore-litmus-")  # debug.log goes there
        self.addCleanup(shutil.rmtree, cwd, True)
        proc = subprocess.run([LITMUS, url, ALICE, ALICE_PW], cwd=cwd,
                              env=dict(os.environ, TESTS=suite),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        text = proc.stdout.decode("utf-8", "replace")
        results = parse_litmus(text)
        self.assertTrue(results, "no litmus results:\n" + text)
        self.assertTrue(all(r["result"] for r in results), text)
        return results, text

    def run_suite(self, suite):
        before = self.relay.rewritten
        url = "http://127.0.0.1:%d%s" % (self.relay.port, HOME)
        results, text = self.litmus(url, suite)
        self.assertEqual(self.relay.rewritten, before + 1,
                         "litmus's MKCOL of litmus/ did not go through the relay:\n" + text)
        bad, table = [], []
        for r in results:
            na = NOT_APPLICABLE.get((suite, r["name"]))
            line = "%2d. %-22s %s" % (r["num"], r["name"], outcome(r))
            if r["warnings"]:
                line += "  [warning: %s]" % "; ".join(r["warnings"])
            if na is not None:
                reason, expected = na
                line += "  [n/a: %s]" % reason
                if r["result"] != "pass" and not re.search(expected, outcome(r), re.S):
                    bad.append("%s (not applicable) failed differently than expected: %s"
                               % (r["name"], outcome(r)))
            elif r["result"] != "pass":
                bad.append("%s: %s" % (r["name"], outcome(r)))
            table.append(line)
        if bad:
            self.fail("litmus %s:\n  %s\n\nall results:\n%s" % (
                suite, "\n  ".join(bad), "\n".join(table)))
        return results

    def test_plain_mkcol_is_refused(self):
        # litmus straight at the default calendar over HTTPS: it takes the
        # self-signed certificate and our Basic credentials (init), and its
        # plain MKCOL of a collection inside the calendar is refused with a
        # 4xx, not a 5xx: the reason for the relay
        url = self.srv.url(HOME + "calendar/")
        results, text = self.litmus(url, "basic")
        by_name = {r["name"]: r for r in results}
        self.assertEqual(by_name["init"]["result"], "pass", text)
        self.assertEqual(by_name["begin"]["result"], "FAIL", text)
        self.assertRegex(by_name["begin"]["message"],
                         r"Could not create new collection `%scalendar/litmus/' for tests: 4\d\d "
                         % re.escape(HOME), text)

    def test_basic(self):
        results = self.run_suite("basic")
        names = [r["name"] for r in results if r["result"] == "pass"]
        for name in ("options", "delete_null", "mkcol_with_body", "put_no_parent"):
            self.assertIn(name, names)

    def test_copymove(self):
        self.run_suite("copymove")

    def test_props(self):
        results = self.run_suite("props")
        names = [r["name"] for r in results if r["result"] == "pass"]
        for name in ("propfind_invalid", "propfind_invalid2", "propfind_d0", "propwformed"):
            self.assertIn(name, names)

    def test_locks(self):
        self.run_suite("locks")

    def test_http(self):
        results = self.run_suite("http")
        self.assertEqual([r["result"] for r in results if r["name"] == "expect100"], ["pass"])


class LitmusFindingsTest(SharedServerTest):
    """The two litmus failures, request by request, over HTTPS."""
    SERVER_ARGS = {"listeners": ("https",)}

    def setUp(self):
        self.dav = Dav(self.srv.ports["https"], ALICE, ALICE_PW)
        self.addCleanup(self.dav.close)

    def test_propfind_with_an_empty_prefixed_namespace_is_a_bad_request(self):
        # litmus props/propfind_invalid2. xmlns:bar="" is not allowed in
        # XML 1.0 (Namespaces in XML 1.0, 3: "No Prefix Undeclaring"), so the
        # body is not namespace-well-formed: 400 (RFC 4918 8.2). Accepting
        # it, the server echoes <bar:foo xmlns=""/>, an unbound prefix, and
        # its own 207 is then not namespace-well-formed either.
        body = '<D:propfind xmlns:D="DAV:"><D:prop><bar:foo xmlns:bar=""/></D:prop></D:propfind>'
        r = self.dav.request("PROPFIND", HOME + "calendar/", body, {"Depth": "0"})
        problem = None
        if r.status == 207:
            try:
                ET.fromstring(r.body)
            except ET.ParseError as e:
                problem = "a 207 that is not namespace-well-formed XML (%s)" % e
        self.assertIsNone(problem, r.body.decode())
        self.assertEqual(r.status, 400, r.body.decode())

    def test_mkcol_with_a_body_of_unknown_type_is_415(self):
        # litmus basic/mkcol_with_body: RFC 4918 9.3 "If the server
        # receives a MKCOL request entity type it does not support or
        # understand, it MUST respond with a 415 (Unsupported Media Type)";
        # at a place where a calendar could be made, so the 415 is about
        # the body only
        path = "%sweird-%d/" % (HOME, time.time_ns())
        r = self.dav.request("MKCOL", path, "afafafaf", {"Content-Type": "xzy-foo/bar-512"})
        self.assertEqual(r.status, 415, r.body.decode())
        self.assertEqual(self.dav.request("PROPFIND", path, headers={"Depth": "0"}).status, 404)


class LitmusParserTest(unittest.TestCase):
    """The parser on litmus's real output shapes (warnings, messages over
    two lines, a result printed after the next test's number)."""

    SAMPLE = """-> running `basic':
\r 0. init.................. \r 0. init.................. pass
\r 1. begin................. \r 1. begin................. FAIL (Could not create new collection `/x/litmus/' for tests: 409 Conflict
Server must allow `MKCOL /x/litmus/' for tests to proceed)
 2. options............... WARNING: server does not claim Class 2 compliance
    ...................... pass (with 1 warning)
    ......................  3. put_get............... FAIL (PUT of `/x/res' failed: 403 Forbidden)
 5. put_no_parent......... WARNING: MKCOL with missing intermediate gave 404, should be 409
    ...................... pass (with 1 warning)
    ......................  6. mkcol_over_plain...... SKIPPED
<- summary for `basic': of 5 tests run: 3 passed, 2 failed. 60.0%
-> running `locks':
 3. precond............... SKIPPED (locking tests skipped,
server does not claim Class 2 compliance)
"""

    def test_parse(self):
        got = [(r["suite"], r["num"], r["name"], r["result"], len(r["warnings"]))
               for r in parse_litmus(self.SAMPLE)]
        self.assertEqual(got, [("basic", 0, "init", "pass", 0), ("basic", 1, "begin", "FAIL", 0),
                               ("basic", 2, "options", "pass", 1),
                               ("basic", 3, "put_get", "FAIL", 0),
                               ("basic", 5, "put_no_parent", "pass", 1),
                               ("basic", 6, "mkcol_over_plain", "SKIPPED", 0),
                               ("locks", 3, "precond", "SKIPPED", 0)])
        r = parse_litmus(self.SAMPLE)
        self.assertIn("Server must allow", r[1]["message"])
        self.assertIn("Class 2", r[-1]["message"])


if __name__ == "__main__":
    unittest.main()
