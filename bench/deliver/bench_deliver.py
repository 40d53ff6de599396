#!/usr/bin/env python3
"""`infostore deliver` throughput and the store's size overhead.

Delivers N messages of SIZE bytes (default 8 KiB) to one user, one
`infostore deliver` process after another (as an MTA's pipe transport
would), with full durability, and reports:

  deliveries/s          wall-clock rate, process start-up included
  overhead bytes/msg    (index.db + WAL + blob files - message bytes) / N

Usage: bench_deliver.py [--bin build-release/src/cli/infostore] [--count 1000]
                        [--size 8192] [--parallel 1]
Prints "name: value unit" lines and a SUMMARY line, like ../shared/bench.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def dir_size(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(dirpath, f))
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build-release", "src", "cli", "infostore"))
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--size", type=int, default=8192)
    ap.add_argument("--parallel", type=int, default=1)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-deliver-")
    conf = os.path.join(tmp, "infostore.conf")
    with open(conf, "w") as f:
        f.write("[server]\nhostname = bench.example.test\ndata_dir = data\n"
                "[imap]\nlisten =\ntls_listen =\n[pop3]\nlisten =\ntls_listen =\n"
                "[lmtp]\nlisten =\n[submission]\nlisten =\ntls_listen =\n"
                "[web]\ntls_listen =\n")
    subprocess.run([args.bin, "-c", conf, "user", "add", "bench@example.test"],
                   input=b"benchpass\n", check=True, stderr=subprocess.DEVNULL)
    data_dir = os.path.join(tmp, "data")
    base = dir_size(data_dir)

    line = b"The quick brown fox jumps over the lazy dog, again and again. 0123\r\n"
    msgs = []
    for i in range(args.count):
        head = (b"From: load@example.test\r\nTo: bench@example.test\r\n"
                b"Subject: bench %d\r\nMessage-ID: <bench-%d@example.test>\r\n\r\n" % (i, i))
        body = line * ((args.size - len(head)) // len(line) + 1)
        msgs.append((head + body)[:args.size])
    payload = sum(len(m) for m in msgs)

    start = time.time()
    running = []
    i = 0
    while i < len(msgs) or running:
        while i < len(msgs) and len(running) < args.parallel:
            p = subprocess.Popen([args.bin, "-c", conf, "deliver", "bench@example.test"],
                                 stdin=subprocess.PIPE, stderr=subprocess.DEVNULL)
            p.stdin.write(msgs[i])
            p.stdin.close()
            running.append(p)
            i += 1
        p = running.pop(0)
        if p.wait() != 0:
            sys.exit("deliver failed")
    elapsed = time.time() - start

    # checkpoint the WAL so the index size is what stays on disk
    subprocess.run(["sqlite3", os.path.join(data_dir, "index.db"),
                    "PRAGMA wal_checkpoint(TRUNCATE);"], check=False,
                   stdout=subprocess.DEVNULL)
    index = os.path.getsize(os.path.join(data_dir, "index.db"))
    blobs = dir_size(os.path.join(data_dir, "blobs"))
    total = dir_size(data_dir) - base
    print("messages: %d" % args.count)
    print("message_size: %d bytes" % args.size)
    print("parallel: %d" % args.parallel)
    print("deliveries_per_second: %.1f msg/s" % (args.count / elapsed))
    print("index_bytes_per_message: %.0f bytes" % (index / args.count))
    print("blob_bytes_per_message: %.0f bytes" % (blobs / args.count))
    print("overhead_per_message: %.0f bytes (%.1f%% of the message)" % (
        (total - payload) / args.count, 100.0 * (total - payload) / payload))
    print("SUMMARY bench_deliver: %.1f msg/s, overhead %.0f bytes/msg" % (
        args.count / elapsed, (total - payload) / args.count))
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
