"""[metrics] listen: OpenMetrics at /metrics for Prometheus.

Real clients move the counters (IMAP over TLS and STARTTLS, a failed
login, POP3, an LMTP delivery, a message queued by submission) and the
scrape must show each move exactly. Every scrape is read by a strict
parser: OpenMetrics by python3-prometheus-client's (Debian's, in the
system interpreter), the text format by promtool (Debian's prometheus).
"""
import http.client
import json
import socket
import subprocess
import unittest

from infostore_harness import (BIN, InfostoreServer, SharedServerTest,
                               client_tls_context, free_port, make_message,
                               wait_for)
from test_imap_raw import RawImap

EX_CONFIG = 78
OPENMETRICS_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"
TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ALICE = "alice@example.test"
BOB = "bob@example.test"

# Parses OpenMetrics text from stdin with the reference parser (strict:
# # EOF, _total, bucket order, le, UNIT) and prints every sample as JSON.
OM_PARSE = r"""
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.append([s.name, s.labels, s.value])
print(json.dumps(out))
"""


def parse_openmetrics(text):
    """{(name, frozenset(labels)): value} from the reference parser; the
    parse fails the test when the text is not valid OpenMetrics."""
    proc = subprocess.run(["/usr/bin/python3", "-c", OM_PARSE], input=text,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=60)
    if proc.returncode != 0:
        raise AssertionError("not valid OpenMetrics: %s\n%s" % (proc.stderr, text))
    return {(name, frozenset(labels.items())): value
            for name, labels, value in json.loads(proc.stdout)}


def key(name, **labels):
    return (name, frozenset(labels.items()))


class MetricsServerTest(SharedServerTest):
    SERVER_ARGS = {"listeners": ("imap", "imaps", "pop3s", "lmtp", "submission",
                                 "metrics")}

    # --- helpers ---

    def request(self, method="GET", path="/metrics", headers=None, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.srv.ports["metrics"],
                                       timeout=30)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read().decode()
        finally:
            c.close()

    def scrape(self):
        status, headers, body = self.request()
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["Content-Type"], OPENMETRICS_TYPE)
        self.assertTrue(body.endswith("\n# EOF\n"), body[-200:])
        return parse_openmetrics(body)

    def imap_raw(self, tls, lines, starttls=False):
        """Send IMAP lines one at a time, each waiting for its tagged
        reply (after STARTTLS first if asked); returns the replies."""
        r = RawImap(self.srv, tls=tls)
        try:
            if starttls:
                _, tagged = r.cmd("STARTTLS")
                self.assertIn(b" OK ", tagged)
                r.sock = client_tls_context().wrap_socket(r.sock)
            return [r.cmd(line)[1].decode() for line in lines]
        finally:
            r.close()

    def delta(self, before, after, name, **labels):
        k = key(name, **labels)
        self.assertIn(k, after, "no series %s %s" % (name, labels))
        return after[k] - before.get(k, 0)

    # --- the counters ---

    def test_counters_move_with_real_sessions(self):
        before = self.scrape()

        # IMAP over implicit TLS: a login that works (2 commands)
        replies = self.imap_raw(True, ["LOGIN %s alice-secret" % ALICE, "LOGOUT"])
        self.assertIn(" OK ", replies[0])
        # IMAP over STARTTLS: a login that fails (3 commands with STARTTLS)
        replies = self.imap_raw(False, ["LOGIN %s wrong-password" % ALICE, "LOGOUT"],
                                starttls=True)
        self.assertIn(" NO ", replies[0])
        # POP3 over TLS: USER, PASS, STAT, QUIT
        pop = self.srv.pop3(tls=True, login=BOB)
        pop.stat()
        pop.quit()
        # LMTP: LHLO, MAIL, RCPT, DATA, QUIT; one message for one recipient
        lmtp = self.srv.lmtp()
        refused = lmtp.sendmail("sender@elsewhere.test", [ALICE],
                                make_message(subject="metrics"))
        self.assertEqual(refused, {})
        lmtp.quit()
        # submission: a message for another domain waits in the queue
        # (the harness has no relay)
        sub = self.srv.submission(login=ALICE)
        sub.sendmail(ALICE, ["carol@elsewhere.test"],
                     make_message(sender=ALICE, to="carol@elsewhere.test"))
        sub.quit()

        # every connection is closed on the server's side, too
        def settled():
            after = self.scrape()
            for proto in ("imap", "pop3", "lmtp", "submission"):
                if after[key("infostore_connections", protocol=proto)] != 0:
                    return None
            return after
        after = wait_for(settled)
        self.assertIsNotNone(after, "connections still open")

        d = lambda name, **labels: self.delta(before, after, name, **labels)
        self.assertEqual(d("infostore_connections_accepted_total", protocol="imap"), 2)
        self.assertEqual(d("infostore_connections_accepted_total", protocol="pop3"), 1)
        self.assertEqual(d("infostore_connections_accepted_total", protocol="lmtp"), 1)
        self.assertEqual(d("infostore_connections_accepted_total", protocol="submission"), 1)
        self.assertEqual(d("infostore_connections_refused_total", protocol="imap"), 0)

        self.assertEqual(d("infostore_logins_total", protocol="imap", result="ok"), 1)
        self.assertEqual(d("infostore_logins_total", protocol="imap", result="failed"), 1)
        self.assertEqual(d("infostore_logins_total", protocol="pop3", result="ok"), 1)
        self.assertEqual(d("infostore_logins_total", protocol="pop3", result="failed"), 0)
        self.assertEqual(d("infostore_logins_total", protocol="submission", result="ok"), 1)

        self.assertEqual(d("infostore_command_duration_seconds_count", protocol="imap"), 5)
        self.assertEqual(d("infostore_command_duration_seconds_count", protocol="pop3"), 4)
        self.assertEqual(d("infostore_command_duration_seconds_count", protocol="lmtp"), 5)
        self.assertGreater(d("infostore_command_duration_seconds_sum", protocol="imap"), 0)
        # the failed login waited [limits] auth_failure_delay (100ms in
        # the harness): one IMAP command is above the 0.1 s bucket
        slow = (d("infostore_command_duration_seconds_count", protocol="imap") -
                d("infostore_command_duration_seconds_bucket", protocol="imap",
                  le="0.05"))
        self.assertGreaterEqual(slow, 1)

        # implicit: imaps and pop3s; STARTTLS: imap and submission
        self.assertEqual(d("infostore_tls_handshakes_total", mode="implicit",
                           result="ok"), 2)
        self.assertEqual(d("infostore_tls_handshakes_total", mode="starttls",
                           result="ok"), 2)

        self.assertEqual(d("infostore_deliveries_total", source="lmtp", result="ok"), 1)
        self.assertEqual(d("infostore_deliveries_total", source="lmtp",
                           result="tempfail"), 0)
        self.assertEqual(d("infostore_delivery_duration_seconds_count", source="lmtp"), 1)
        self.assertEqual(d("infostore_delivery_batch_messages_count"), 1)
        self.assertEqual(d("infostore_delivery_batch_messages_sum"), 1)
        self.assertEqual(d("infostore_delivery_batch_messages_bucket", le="1.0"), 1)

        self.assertEqual(after[key("infostore_outbound_queue_messages")], 1)
        age = after[key("infostore_outbound_queue_oldest_age_seconds")]
        self.assertTrue(0 <= age < 120, age)
        self.assertEqual(d("infostore_store_errors_total", kind="internal"), 0)
        # the scrapes themselves, while this test ran
        self.assertGreaterEqual(d("infostore_command_duration_seconds_count",
                                  protocol="metrics"), 1)

    def test_lmtp_rejection_counts_as_rejected(self):
        before = self.scrape()
        lmtp = self.srv.lmtp()
        lmtp.ehlo("client.example.test")
        lmtp.mail("sender@elsewhere.test")
        code, _ = lmtp.rcpt("nobody@example.test")
        self.assertEqual(code, 550)
        lmtp.quit()
        after = wait_for(lambda: (lambda a: a if a[key(
            "infostore_connections", protocol="lmtp")] == 0 else None)(self.scrape()))
        self.assertIsNotNone(after)
        # refused at RCPT: no delivery was attempted, none counted
        self.assertEqual(self.delta(before, after, "infostore_deliveries_total",
                                    source="lmtp", result="rejected"), 0)
        self.assertEqual(self.delta(before, after, "infostore_deliveries_total",
                                    source="lmtp", result="ok"), 0)

    # --- the formats ---

    def test_promtool_accepts_the_text_format(self):
        status, headers, body = self.request(
            headers={"Accept": "text/plain;version=0.0.4;q=1,*/*;q=0.1"})
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], TEXT_TYPE)
        self.assertNotIn("# EOF", body)
        self.assertIn("# TYPE infostore_logins_total counter\n", body)
        proc = subprocess.run(["promtool", "check", "metrics"], input=body,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=60)
        self.assertEqual((proc.returncode, proc.stdout), (0, ""), body)

    def test_openmetrics_is_the_default_and_what_prometheus_asks_for(self):
        # Prometheus 2.x sends this Accept
        prom = ("application/openmetrics-text;version=1.0.0,application/"
                "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
                "q=0.5,*/*;q=0.1")
        for headers in ({}, {"Accept": prom}, {"Accept": "*/*"}):
            status, h, body = self.request(headers=headers)
            self.assertEqual((status, h["Content-Type"]), (200, OPENMETRICS_TYPE))
            families = parse_openmetrics(body)
            self.assertIn(key("infostore_logins_total", protocol="imap",
                              result="ok"), families)
            self.assertIn("# TYPE infostore_logins counter\n", body)
            self.assertIn("# UNIT infostore_command_duration_seconds seconds\n", body)

    def test_head(self):
        status, headers, body = self.request("HEAD")
        self.assertEqual(status, 200)
        self.assertEqual(body, "")
        self.assertGreater(int(headers["Content-Length"]), 1000)

    # --- what is refused ---

    def test_other_methods_are_405(self):
        for method, body in (("POST", "x=1"), ("PUT", "x"), ("DELETE", None),
                             ("OPTIONS", None)):
            status, headers, _ = self.request(method, body=body)
            self.assertEqual(status, 405, method)
            self.assertEqual(headers.get("Allow"), "GET, HEAD", method)

    def test_other_paths_are_404(self):
        for path in ("/", "/metricsx", "/metrics/x", "/index.html",
                     "/dav/", "/../metrics"):
            status, _, _ = self.request(path=path)
            self.assertEqual(status, 404, path)
        status, _, body = self.request(path="/metrics?name=x")
        self.assertEqual(status, 200)

    def test_hostile_requests_are_bounded(self):
        port = self.srv.ports["metrics"]

        def raw(data):
            with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                out = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        return out
                    out += chunk

        # a head over the limit, a body over the limit, a broken request line
        big = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 20000 + b"\r\n\r\n"
        self.assertTrue(raw(big).startswith(b"HTTP/1.1 431 "))
        post = (b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        self.assertTrue(raw(post).startswith(b"HTTP/1.1 413 "))
        self.assertTrue(raw(b"\x00\x01garbage\r\n\r\n").startswith(b"HTTP/1.1 400 "))
        # and the endpoint still answers
        self.scrape()


class MetricsConfigTest(unittest.TestCase):
    def setUp(self):
        self.srv = InfostoreServer(create_users=False)
        self.addCleanup(self.srv.cleanup)

    def run_cli(self, *args):
        return subprocess.run([BIN, "-c", self.srv.conf_path] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=60)

    def write(self, metrics_listen):
        settings = self.srv.settings()
        settings["metrics"] = {"listen": metrics_listen}
        self.srv.write_conf(settings)

    def test_off_by_default(self):
        settings = self.srv.settings()
        del settings["metrics"]
        self.srv.write_conf(settings)
        proc = self.run_cli("config", "check")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("\n[metrics]\nlisten = \n", proc.stdout)
        self.srv.create_users = True
        self.srv.start()
        self.srv.stop()
        log = self.srv.read_log()
        self.assertIn("listening service=imap", log)
        self.assertNotIn("service=metrics", log)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", self.srv.ports["metrics"]), 5)

    def test_config_check_prints_it(self):
        port = free_port()
        self.write("127.0.0.1:%d" % port)
        proc = self.run_cli("config", "check")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("\n[metrics]\nlisten = 127.0.0.1:%d\n" % port, proc.stdout)

    def test_bad_listen_values(self):
        imap_port = self.srv.ports["imap"]
        for value, fragment in (("mail.example.test:9100", "numeric IP"),
                                ("127.0.0.1", "expected host:port"),
                                ("127.0.0.1:99999", ""),
                                ("unix:/tmp/metrics.sock", "unix sockets"),
                                ("127.0.0.1:%d" % imap_port, "also used by [imap] listen")):
            self.write(value)
            for cmd in (["config", "check"], ["serve"]):
                proc = self.run_cli(*cmd)
                self.assertEqual(proc.returncode, EX_CONFIG, (value, cmd, proc.stderr))
                self.assertIn(": listen: ", proc.stderr, value)
                self.assertIn(fragment, proc.stderr, value)


if __name__ == "__main__":
    unittest.main()
