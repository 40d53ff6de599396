#!/usr/bin/env python3
"""Does one slow query stall a node's other sessions? (issue #11: "measure
NOOP p99 while another session runs a 100k-message SEARCH").

One node on PostgreSQL (or SQLite, --backend sqlite), an INBOX loaded from
an mbox with `infostore import`; session B sends NOOP back to back for
--seconds and records each round trip, first alone, then while session A
runs `UID SEARCH BODY` over the whole mailbox in a loop (a text scan of
every message, the slowest read the server does). Prints p50, p99 and max
of both, and how many searches ran. Usage:

  bench/postgresql/noop_latency.py [--bin build-release/src/cli/infostore]
      [--backend postgresql] [--mbox PATH] [--seconds 20]
"""
import argparse
import os
import socket
import ssl
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_backends import Node, ROOT, USER, PASSWORD, pg_cluster  # noqa: E402


class Imap:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), 30)
        self.f = self.sock.makefile("rb")
        self.f.readline()
        self.n = 0
        self.cmd("LOGIN %s %s" % (USER, PASSWORD))
        self.cmd("SELECT INBOX")

    def cmd(self, text):
        self.n += 1
        tag = b"t%d" % self.n
        self.sock.sendall(tag + b" " + text.encode() + b"\r\n")
        while True:
            line = self.f.readline()
            if not line:
                raise RuntimeError("connection closed")
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise RuntimeError(line.decode(errors="replace"))
                return


def noops(port, seconds):
    c = Imap(port)
    times = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.monotonic()
        c.cmd("NOOP")
        times.append((time.monotonic() - t) * 1000)
    return times


def summary(times):
    times = sorted(times)
    return "p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d NOOPs)" % (
        statistics.median(times), times[int(len(times) * 0.99) - 1], times[-1], len(times))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build-release", "src", "cli",
                                                  "infostore"))
    ap.add_argument("--backend", default="postgresql", choices=("postgresql", "sqlite"))
    ap.add_argument("--mbox", default="/var/tmp/bench-anchor/bench10k.mbox")
    ap.add_argument("--seconds", type=int, default=20)
    a = ap.parse_args()
    cluster = pg_cluster.Cluster().start() if a.backend == "postgresql" else None
    node = Node(a.bin, a.backend, cluster)
    try:
        t = time.time()
        node.cli("import", USER, "mbox", a.mbox)
        print("import: %.1f s" % (time.time() - t), flush=True)
        node.start()
        alone = noops(node.imap, a.seconds)
        print("NOOP alone:             " + summary(alone), flush=True)
        stop = threading.Event()
        searches = []

        def searcher():
            c = Imap(node.imap)
            while not stop.is_set():
                t0 = time.monotonic()
                c.cmd('UID SEARCH BODY "no-such-word-anywhere"')
                searches.append((time.monotonic() - t0) * 1000)
        th = threading.Thread(target=searcher)
        th.start()
        time.sleep(0.5)
        during = noops(node.imap, a.seconds)
        stop.set()
        th.join()
        print("NOOP during SEARCH BODY: " + summary(during), flush=True)
        print("SEARCH BODY: %d runs, median %.0f ms" % (len(searches),
                                                       statistics.median(searches)))
    finally:
        node.stop()
        if cluster is not None:
            cluster.cleanup()


if __name__ == "__main__":
    main()
