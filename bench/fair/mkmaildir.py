#!/usr/bin/env python3
"""Write the messages of an mbox, COPIES times, into a Maildir's new/ as
Dovecot's LMTP would (LF line ends, the S= and W= sizes in the name), for
the 100,000-message mailbox of bench/fair. Dovecot then builds its index
on first access (fair.py does that, and the FTS index, before timing).

  mkmaildir.py MBOX MAILDIR [--copies 10]
"""
import argparse
import os
import sys

sys.path.insert(0, os.environ.get("BENCH", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "bench")))
import benchlib  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mbox")
    ap.add_argument("maildir")
    ap.add_argument("--copies", type=int, default=10)
    a = ap.parse_args()
    msgs = benchlib.read_mbox(a.mbox)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(a.maildir, sub), exist_ok=True)
    n = 0
    base = 1765000000
    for copy in range(a.copies):
        for m in msgs:
            lf = m.replace(b"\r\n", b"\n")
            name = "%d.M%dP%d.bench,S=%d,W=%d" % (base + n // 100, n, 4242, len(lf), len(m))
            with open(os.path.join(a.maildir, "new", name), "wb") as f:
                f.write(lf)
            n += 1
    print("wrote %d messages into %s" % (n, a.maildir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
