#!/usr/bin/env python3
"""One node on PostgreSQL against one node on SQLite, in the same run.

Both are `infostore serve` (release build) on loopback with a fresh store
each round, the same durability on both sides: SQLite synchronous=FULL
(WAL fsync at each commit), PostgreSQL synchronous_commit=on and fsync=on
(a private cluster of Debian's postgresql, tests/pg_cluster.py), blobs
fsynced before the index commit on both. Rows, alternating the backends
each round so that both see the same machine:

  lmtp-1, lmtp-4   ../shared/bench/bench_lmtp.py: COUNT messages of the
                   shared gen_mbox.py mbox, 1 and 4 concurrent senders
  envelope, flags, bodystructure, search
                   ../shared/bench/bench_imap_bigbox.py (raw client, warm
                   passes) on a BIG-message INBOX loaded with
                   `infostore import ADDRESS mbox`

Prints a table per row with every round, the median and the spread, and
the ratio PostgreSQL/SQLite. Usage:

  bench/postgresql/bench_backends.py [--bin build-release/src/cli/infostore]
      [--count 2000] [--big 10000] [--rounds 3] [--mbox PATH]
"""
import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "bench"))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import pg_cluster  # noqa: E402

USER, PASSWORD = "bench@example.test", "benchpass"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class Node:
    """infostore serve on a fresh store of one backend."""

    def __init__(self, binary, backend, cluster):
        self.bin = binary
        self.dir = tempfile.mkdtemp(prefix="bench-pg-")
        self.imap, self.lmtp = free_port(), free_port()
        self.conninfo = None
        store = ""
        if backend == "postgresql":
            self.conninfo = pg_cluster.create_database(cluster)
            store = "[store]\nbackend = postgresql\npostgresql = %s\n" % self.conninfo
        self.conf = os.path.join(self.dir, "infostore.conf")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=bench",
                        "-days", "30", "-keyout", os.path.join(self.dir, "key.pem"),
                        "-out", os.path.join(self.dir, "cert.pem")],
                       check=True, capture_output=True)
        with open(self.conf, "w") as f:
            f.write("[server]\nhostname = bench.example.test\ndata_dir = %s/data\n"
                    "tls_cert = %s/cert.pem\ntls_key = %s/key.pem\n"
                    "plaintext_auth_from = 127.0.0.0/8\nlog_level = warning\n"
                    "[limits]\nauth_failure_delay = 0\nmax_message_size = 100M\n"
                    "[imap]\nlisten = 127.0.0.1:%d\ntls_listen =\n"
                    "[pop3]\nlisten =\ntls_listen =\n[lmtp]\nlisten = 127.0.0.1:%d\n"
                    "[submission]\nlisten =\ntls_listen =\n[web]\ntls_listen =\n%s"
                    % (self.dir, self.dir, self.dir, self.imap, self.lmtp, store))
        self.cli("user", "add", USER, input=PASSWORD + "\n")
        self.proc = None

    def cli(self, *args, input=None):
        return subprocess.run([self.bin, "-c", self.conf] + list(args), input=input,
                              text=True, capture_output=True, check=True)

    def start(self):
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen([self.bin, "-c", self.conf, "serve"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        if not (wait_port(self.imap) and wait_port(self.lmtp)):
            raise RuntimeError("infostore did not start")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(60)
            self.log.close()
        if self.conninfo is not None:
            pg_cluster.drop_database(self.conninfo)
        shutil.rmtree(self.dir, ignore_errors=True)


def metric(out, pattern):
    m = re.search(pattern, out, re.M)
    return float(m.group(1)) if m else float("nan")


def lmtp(node, mbox, count, senders):
    out = subprocess.run([sys.executable, os.path.join(SHARED, "bench_lmtp.py"),
                          "--host", "127.0.0.1", "--port", str(node.lmtp), "--rcpt", USER,
                          "--mbox", mbox, "--count", str(count), "--senders", str(senders),
                          "--label", "x", "--max-seconds", "900"],
                         capture_output=True, text=True).stdout
    return metric(out, r"^x_lmtp_rate: ([0-9.]+)")


def bigbox(node):
    out = subprocess.run([sys.executable, os.path.join(SHARED, "bench_imap_bigbox.py"),
                          "--host", "127.0.0.1", "--port", str(node.imap), "--user", USER,
                          "--password", PASSWORD, "--client", "raw", "--passes", "3",
                          "--label", "x", "--max-seconds", "900"],
                         capture_output=True, text=True).stdout
    # the warm passes (2 and 3): the better of the two
    res = {}
    for op in ("envelope", "uid_flags", "bodystructure", "search_body"):
        vals = [metric(out, r"^x_imap_raw_warm%d_%s: ([0-9.]+)" % (i, op)) for i in (1, 2)]
        res[op] = min(vals)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build-release", "src", "cli",
                                                  "infostore"))
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--big", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--mbox", default="/var/tmp/bench-anchor/bench10k.mbox")
    a = ap.parse_args()
    if not os.path.exists(a.mbox):
        os.makedirs(os.path.dirname(a.mbox), exist_ok=True)
        subprocess.run([sys.executable, os.path.join(SHARED, "gen_mbox.py"), a.mbox,
                        "--count", str(max(a.big, a.count))], check=True)
    cluster = pg_cluster.Cluster().start()
    rows = {}
    try:
        for r in range(a.rounds):
            order = ("sqlite", "postgresql") if r % 2 == 0 else ("postgresql", "sqlite")
            for backend in order:
                for senders in (1, 4):
                    node = Node(a.bin, backend, cluster)
                    node.start()
                    try:
                        rate = lmtp(node, a.mbox, a.count, senders)
                    finally:
                        node.stop()
                    rows.setdefault(("lmtp-%d msgs/s" % senders, backend), []).append(rate)
                    print("round %d %s lmtp-%d: %.1f msgs/s" % (r + 1, backend, senders, rate),
                          flush=True)
                node = Node(a.bin, backend, cluster)
                t = time.time()
                node.cli("import", USER, "mbox", a.mbox)
                load = time.time() - t
                node.start()
                try:
                    res = bigbox(node)
                finally:
                    node.stop()
                rows.setdefault(("import mbox s", backend), []).append(load)
                for op, ms in res.items():
                    rows.setdefault(("%s ms" % op, backend), []).append(ms)
                print("round %d %s bigbox: %s (import %.1f s)" % (r + 1, backend, res, load),
                      flush=True)
    finally:
        cluster.cleanup()
    print("\n| row | SQLite (median, spread) | PostgreSQL (median, spread) | PostgreSQL / SQLite |")
    print("|---|---|---|---|")
    for name in sorted({k[0] for k in rows}):
        s, p = rows.get((name, "sqlite"), []), rows.get((name, "postgresql"), [])
        if not s or not p:
            continue
        ms, mp = statistics.median(s), statistics.median(p)
        print("| %s | %.1f (%.1f–%.1f) | %.1f (%.1f–%.1f) | %.2f |" % (
            name, ms, min(s), max(s), mp, min(p), max(p), mp / ms if ms else float("nan")))


if __name__ == "__main__":
    main()
