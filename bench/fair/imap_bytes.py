#!/usr/bin/env python3
"""Big-mailbox IMAP timings with a client that only reads bytes.

One connection: LOGIN, SELECT, then each command of --ops --passes times,
timing from the command's send to the arrival of its tagged reply. The
client does not parse the reply: it reads into one reused buffer and
looks for CRLF TAG SP at the end of what came, so its cost per byte is a
recv_into() and a search of the last bytes (bench_imap_bigbox.py --client
raw frames every line and literal, which costs more than the server for
FETCH BODYSTRUCTURE). SEARCH replies (small) are kept to count the hits.

Prints one JSON object per command:
  {"op": "bodystructure", "ms": [..each pass..], "median_ms": .., "bytes": .., "hits": ..}

  imap_bytes.py --port 143 --user U --password P [--tls] [--passes 3]
      [--ops uid_flags,envelope,bodystructure,search_body]
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.environ.get("BENCH", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "bench")))
import benchlib  # noqa: E402

COMMANDS = {
    "uid_flags": "UID FETCH 1:* (FLAGS)",
    "envelope": "FETCH 1:* (ENVELOPE)",
    "bodystructure": "FETCH 1:* BODYSTRUCTURE",
    "search_body": 'UID SEARCH BODY "xylophone"',
}


class Client:
    def __init__(self, a):
        self.s = benchlib.connect(a.host, a.port, benchlib.tls_context(a) if a.tls else None,
                                  timeout=a.cmd_timeout)
        self.buf = bytearray(1 << 20)
        self.view = memoryview(self.buf)
        self.n = 0
        greeting = self.s.recv(4096)
        if not greeting.startswith(b"* OK"):
            raise RuntimeError("greeting: %r" % greeting[:100])

    def cmd(self, text, keep=False):
        """Returns (status line, bytes received, kept reply or None)."""
        self.n += 1
        tag = b"F%d " % self.n
        pat = b"\r\n" + tag
        self.s.sendall(tag + text.encode() + b"\r\n")
        tail = b"\r\n"  # a reply may be the tagged line alone
        total = 0
        kept = bytearray() if keep else None
        while True:
            k = self.s.recv_into(self.buf)
            if not k:
                raise RuntimeError("connection closed during %s" % text)
            total += k
            if keep:
                kept += self.view[:k]
            # the tagged line is the last thing sent: look only at the last
            # 4 KiB (a tagged line with its CAPABILITY list is shorter; it
            # may be split across reads, so keep a tail). If a read is
            # longer the window is not contiguous with the tail, which
            # only matters for a tagged line split over two long reads.
            end = tail + bytes(self.view[max(0, k - 4096):k])
            i = end.rfind(pat)
            if i >= 0 and end.endswith(b"\r\n"):
                line = end[i + 2:-2]
                return line, total, kept
            tail = end[-4096:]

    def close(self):
        try:
            self.cmd("LOGOUT")
        except Exception:  # noqa: BLE001
            pass
        self.s.close()


def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    benchlib.common_args(ap, port=143, tls_port=993)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--ops", default="uid_flags,envelope,bodystructure,search_body")
    ap.add_argument("--mailbox", default="INBOX")
    ap.add_argument("--cmd-timeout", type=float, default=300)
    a = benchlib.finish_args(ap)
    ops = [o for o in a.ops.split(",") if o]
    for o in ops:
        if o not in COMMANDS:
            sys.exit("unknown op %s" % o)
    c = Client(a)
    line, _, _ = c.cmd("LOGIN %s %s" % (q(a.user), q(a.password)))
    if b" OK" not in line[:12]:
        sys.exit("LOGIN: %r" % line)
    t0 = time.perf_counter()
    line, _, kept = c.cmd("SELECT %s" % q(a.mailbox), keep=True)
    select_ms = (time.perf_counter() - t0) * 1000
    exists = 0
    for ln in bytes(kept).split(b"\r\n"):
        if ln.startswith(b"* ") and ln.endswith(b" EXISTS"):
            exists = int(ln.split()[1])
    print(json.dumps({"op": "select", "ms": [select_ms], "median_ms": select_ms,
                      "exists": exists}), flush=True)
    for op in ops:
        times, nbytes, hits = [], 0, None
        for _ in range(a.passes):
            t0 = time.perf_counter()
            line, nbytes, kept = c.cmd(COMMANDS[op], keep=(op == "search_body"))
            times.append((time.perf_counter() - t0) * 1000)
            if b" OK" not in line[:12]:
                sys.exit("%s: %r" % (op, line[:200]))
            if kept is not None:
                hits = 0
                for ln in bytes(kept).split(b"\r\n"):
                    if ln.startswith(b"* SEARCH"):
                        hits += len(ln.split()) - 2
        print(json.dumps({"op": op, "ms": [round(t, 2) for t in times],
                          "median_ms": round(statistics.median(times), 2),
                          "bytes": nbytes, "hits": hits}), flush=True)
    c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
