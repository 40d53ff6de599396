#!/usr/bin/env python3
"""Web access benchmark: requests per second and median latency of the
item page (a meeting request) and of a message list page (50 rows of a
10,000-message INBOX), over HTTPS with keep-alive, logged in, with wrk.

    python3 bench/web/bench_web.py [--bin build-release/src/cli/infostore]
                                   [--duration 10] [--connections 8] [--threads 2]

Starts its own server on loopback with a temporary store; prints a
Markdown table row per page. Bounded: each wrk run lasts --duration s.
"""
import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "protocol"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build-release", "src", "cli", "infostore"))
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    os.environ["INFOSTORE_BIN"] = os.path.abspath(args.bin)

    import infostore_harness  # noqa: E402  (reads INFOSTORE_BIN)
    infostore_harness.BIN = os.environ["INFOSTORE_BIN"]
    from test_web import ALICE, ALICE_PW, WebClient, add_cal_item  # noqa: E402
    from test_web_mail import WebBigFolderTest  # noqa: E402

    WebBigFolderTest.setUpClass()   # 10,000 messages in alice's INBOX, server started
    srv = WebBigFolderTest.srv
    try:
        token = add_cal_item(srv, ALICE, summary="Benchmark meeting")
        c = WebClient(srv.ports["https"])
        assert c.login(ALICE, ALICE_PW).status == 303
        cookie = "; ".join("%s=%s" % kv for kv in c.cookies.items())
        base = "https://127.0.0.1:%d" % srv.ports["https"]
        pages = [("item page /item/TOKEN", "/item/" + token),
                 ("message list, newest 50 of 10,000", "/mail/%d" % WebBigFolderTest.mb),
                 ("message list, page at UID 5,000", "/mail/%d?before=5000" % WebBigFolderTest.mb)]
        for _, path in pages:
            r = c.get(path)
            assert r.status == 200, (path, r.status)
        c.close()
        print("| page | requests/s | median latency | 99th percentile |")
        print("|---|---|---|---|")
        for name, path in pages:
            out = subprocess.run(
                ["wrk", "-t%d" % args.threads, "-c%d" % args.connections,
                 "-d%ds" % args.duration, "--latency", "-H", "Cookie: " + cookie,
                 base + path], capture_output=True, text=True, timeout=args.duration + 60).stdout
            rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
            p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)
            p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
            errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            if errors:
                print("wrk: %s non-2xx responses on %s" % (errors.group(1), path), file=sys.stderr)
            print("| %s | %s | %s | %s |" % (name, rps, p50, p99), flush=True)
    finally:
        WebBigFolderTest.tearDownClass()


if __name__ == "__main__":
    main()
