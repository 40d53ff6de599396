#!/usr/bin/env python3
"""LMTP delivery, infostore against the Dovecot 2.3 anchor, in one run.

Runs ../shared/bench/bench_lmtp.py (10,000 messages of the shared
gen_mbox.py mbox, smtplib.LMTP, full durability on both sides) against:

  dovecot    the anchor of ../shared/bench (dovecot_anchor.sh; LMTP on
             127.0.0.1:10024, maildir), into a fresh, empty user each run
  infostore  `infostore serve` (release build) on a free loopback port,
             with a fresh data directory, into a fresh user each run

with 1 and 4 concurrent senders, alternating servers so that both see the
same machine. Prints one table (messages/s, MB/s, latency p50/p99) and a
SUMMARY line; --markdown prints the table for bench/README.md.

Usage:
  bench/lmtp/bench_lmtp_compare.py [--bin build-release/src/cli/infostore]
      [--count 10000] [--senders 1,4] [--rounds 1] [--mbox PATH] [--markdown]
Needs root for the Dovecot anchor (its own user and directories); runs on
loopback only and stops only the processes it started.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "bench"))
ANCHOR = os.environ.get("ROOT_ANCHOR", "/var/tmp/bench-anchor")
DOVECOT_PORT = 10024
# bench48/49 are the anchor's "re-check" users (../shared/bench/README.md)
DOVECOT_USERS = {1: "bench48", 4: "bench49"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def run_bench(port, rcpt, mbox, count, senders, label):
    cmd = [sys.executable, os.path.join(SHARED, "bench_lmtp.py"), "--host", "127.0.0.1",
           "--port", str(port), "--rcpt", rcpt, "--mbox", mbox, "--count", str(count),
           "--senders", str(senders), "--label", label, "--max-seconds", "1200"]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sys.stdout.write(proc.stdout)
    values = {}
    for name, key in (("lmtp_rate", "rate"), ("lmtp_throughput", "mbs"),
                      ("lmtp_latency_p50", "p50"), ("lmtp_latency_p99", "p99"),
                      ("lmtp_delivered", "delivered"), ("lmtp_errors", "errors")):
        m = re.search(r"^%s_%s: ([0-9.]+)" % (re.escape(label), name), proc.stdout, re.M)
        values[key] = float(m.group(1)) if m else float("nan")
    return values


class Dovecot:
    def __init__(self):
        self.started = False

    def start(self, wait_secs):
        script = os.path.join(SHARED, "dovecot_anchor.sh")
        if not os.path.exists(os.path.join(ANCHOR, "dovecot-anchor.conf")):
            subprocess.run([script, "setup"], check=True)
        # Someone else's benchmark has the anchor: two benchmarks at once
        # would measure each other. Wait for it to be stopped.
        deadline = time.time() + wait_secs
        while wait_port(DOVECOT_PORT, timeout=0.2):
            if time.time() > deadline:
                sys.exit("the Dovecot anchor is in use by another benchmark; try later")
            print("# the Dovecot anchor is in use (another benchmark?); waiting", flush=True)
            time.sleep(30)
        subprocess.run([script, "start"], check=True)
        self.started = True
        if not wait_port(DOVECOT_PORT):
            sys.exit("dovecot's LMTP port %d did not open" % DOVECOT_PORT)

    def fresh_user(self, senders):
        user = DOVECOT_USERS[senders]
        shutil.rmtree(os.path.join(ANCHOR, "mail", user), ignore_errors=True)
        return user

    def stop(self):
        if self.started:
            subprocess.run([os.path.join(SHARED, "dovecot_anchor.sh"), "stop"])


class Infostore:
    def __init__(self, binary):
        self.bin = binary
        self.dir = tempfile.mkdtemp(prefix="bench-lmtp-")
        self.port = free_port()
        self.conf = os.path.join(self.dir, "infostore.conf")
        with open(self.conf, "w") as f:
            f.write("[server]\nhostname = bench.example.test\ndata_dir = %s/data\n"
                    "log_level = warning\n"
                    "[imap]\nlisten =\ntls_listen =\n[pop3]\nlisten =\ntls_listen =\n"
                    "[lmtp]\nlisten = 127.0.0.1:%d\n[submission]\nlisten =\ntls_listen =\n"
                    "[web]\ntls_listen =\n"
                    "[outbound]\nrelay =\n" % (self.dir, self.port))
        self.proc = None
        self.users = 0

    def cli(self, *args, stdin=None):
        subprocess.run([self.bin, "-c", self.conf] + list(args), input=stdin, check=True,
                       stdout=subprocess.DEVNULL)

    def start(self):
        self.cli("user", "add", "warmup@example.test", stdin=b"benchpass\n")
        self.log = open(os.path.join(self.dir, "serve.log"), "wb")
        self.proc = subprocess.Popen([self.bin, "-c", self.conf, "serve"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_port(self.port):
            sys.exit("infostore did not listen")

    def fresh_user(self, senders):
        self.users += 1
        user = "bench%d-%d@example.test" % (senders, self.users)
        self.cli("user", "add", user, stdin=b"benchpass\n")
        return user

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build-release", "src", "cli",
                                                  "infostore"))
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--senders", default="1,4")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--mbox", default=os.path.join(ANCHOR, "bench10k.mbox"))
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--skip-dovecot", action="store_true")
    ap.add_argument("--wait-anchor", type=int, default=1800,
                    help="seconds to wait while another run uses the Dovecot anchor")
    ap.add_argument("--quiet", action="store_true",
                    help="before each run, wait (up to 2 min) for an idle machine "
                    "(../shared/bench/quiet.py)")
    args = ap.parse_args()
    # a SIGTERM still stops the servers we started
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    senders = [int(s) for s in args.senders.split(",")]
    if any(s not in DOVECOT_USERS for s in senders):
        sys.exit("--senders: 1 and/or 4")
    if not os.path.exists(args.bin):
        sys.exit("no %s: build it with\n  meson setup build-release -Dbuildtype=release "
                 "-Dtests=false && ninja -C build-release" % args.bin)
    if not os.path.exists(args.mbox):
        subprocess.run([sys.executable, os.path.join(SHARED, "gen_mbox.py"), args.mbox],
                       check=True)

    dovecot = Dovecot()
    infostore = Infostore(args.bin)
    results = {}
    try:
        if not args.skip_dovecot:
            dovecot.start(args.wait_anchor)
        infostore.start()
        for rnd in range(args.rounds):
            for s in senders:
                servers = [("infostore", infostore, infostore.port)]
                if not args.skip_dovecot:
                    servers.insert(0, ("dovecot", dovecot, DOVECOT_PORT))
                for name, server, port in servers:
                    if args.quiet and subprocess.run(
                            [sys.executable, os.path.join(SHARED, "quiet.py")]).returncode:
                        print("# machine not quiet: this figure is noisy", flush=True)
                    user = server.fresh_user(s)
                    print("# round %d: %s, %d sender(s), rcpt %s" % (rnd + 1, name, s, user),
                          flush=True)
                    r = run_bench(port, user, args.mbox, args.count, s,
                                  "%s_%d" % (name, s))
                    results.setdefault((name, s), []).append(r)
    finally:
        infostore.stop()
        dovecot.stop()

    def median(vals):
        vals = sorted(vals)
        return vals[len(vals) // 2]

    # a run with errors (a server that went away) is shown, not counted
    ok = {k: [r for r in v if r["errors"] == 0 and r["delivered"] == args.count]
          for k, v in results.items()}
    rows = []
    for s in senders:
        for name in ("dovecot", "infostore"):
            runs = ok.get((name, s))
            if not runs:
                continue
            rows.append((name, s, median([r["rate"] for r in runs]),
                         median([r["mbs"] for r in runs]), median([r["p50"] for r in runs]),
                         median([r["p99"] for r in runs]),
                         ", ".join("%.1f" % r["rate"] for r in results[(name, s)]),
                         sum(r["errors"] for r in results[(name, s)])))
    print()
    if args.markdown:
        print("| server | senders | msgs/s | MB/s | latency p50 / p99 | runs (msgs/s) | errors |")
        print("|---|---|---|---|---|---|---|")
        for name, s, rate, mbs, p50, p99, runs, errs in rows:
            print("| %s | %d | **%.1f** | %.2f | %.1f / %.1f ms | %s | %d |" % (
                name, s, rate, mbs, p50, p99, runs, errs))
    else:
        print("%-10s %7s %9s %7s %16s  %s" % ("server", "senders", "msgs/s", "MB/s",
                                             "p50/p99 ms", "runs"))
        for name, s, rate, mbs, p50, p99, runs, errs in rows:
            print("%-10s %7d %9.1f %7.2f %16s  %s%s" % (
                name, s, rate, mbs, "%.1f/%.1f" % (p50, p99), runs,
                "  ERRORS=%d" % errs if errs else ""))
    ratios = []
    for s in senders:
        d, i = ok.get(("dovecot", s)), ok.get(("infostore", s))
        if d and i:
            ratios.append("%d sender(s): %.2fx" % (s, median([r["rate"] for r in i]) /
                                                   median([r["rate"] for r in d])))
    print("SUMMARY bench_lmtp_compare: infostore/dovecot %s" % ("; ".join(ratios) or "n/a"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
