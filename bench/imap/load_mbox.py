#!/usr/bin/env python3
"""Load an mbox into a mailbox over IMAP: MULTIAPPEND (RFC 3502) batches with
LITERAL+, one index commit per batch. For benchmarks that need a big
mailbox in infostore (Dovecot gets the same mbox over LMTP).

    python3 load_mbox.py --port 1993 --tls --user bench42@example.test \
        --password benchpass /var/tmp/bench-anchor/bench10k.mbox
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "shared", "bench"))
import benchlib  # noqa: E402


def read_line(sock, buf):
    while b"\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed")
        buf += chunk
    line, rest = buf.split(b"\r\n", 1)
    return line, rest


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    benchlib.common_args(ap, 143, 993, user="bench42@example.test")
    ap.add_argument("--mailbox", default="INBOX")
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--copies", type=int, default=1,
                    help="append the mbox this many times (100,000 from 10,000)")
    ap.add_argument("mbox")
    a = benchlib.finish_args(ap)
    msgs = benchlib.read_mbox(a.mbox, a.limit)
    sock = benchlib.connect(a.host, a.port, benchlib.tls_context(a) if a.tls else None,
                            timeout=600)
    buf = b""
    _, buf = read_line(sock, buf)
    sock.sendall(b'l LOGIN "%s" "%s"\r\n' % (a.user.encode(), a.password.encode()))
    while True:
        line, buf = read_line(sock, buf)
        if line.startswith(b"l "):
            break
    if not line.startswith(b"l OK"):
        sys.exit("login failed: %r" % line)
    start = time.time()
    total = 0
    tag = 0
    for copy in range(a.copies):
        for i in range(0, len(msgs), a.batch):
            batch = msgs[i:i + a.batch]
            tag += 1
            parts = [b"a%d APPEND %s" % (tag, a.mailbox.encode())]
            for m in batch:
                parts.append(b" {%d+}\r\n" % len(m))
                parts.append(m)
            parts.append(b"\r\n")
            sock.sendall(b"".join(parts))
            while True:
                line, buf = read_line(sock, buf)
                if line.startswith(b"a%d " % tag):
                    break
            if not line.startswith(b"a%d OK" % tag):
                sys.exit("append failed: %r" % line)
            total += len(batch)
    elapsed = time.time() - start
    print("loaded: %d messages" % total)
    print("load_seconds: %.1f s" % elapsed)
    print("SUMMARY load_mbox: %d messages in %.1f s (%.0f msgs/s)" % (
        total, elapsed, total / elapsed if elapsed else 0))


if __name__ == "__main__":
    main()
