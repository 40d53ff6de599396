#!/usr/bin/env python3
"""POP3 download throughput, infostore next to the Dovecot 2.3 anchor, in
one run on loopback.

Both servers get the same 10,000-message mbox (../shared/bench/gen_mbox.py,
137 MB) through LMTP (../shared/bench/bench_lmtp.py). If infostore has no
LMTP listener yet, its copy goes in with `infostore deliver` instead (one
process per message, 4 at a time; slower to load, the same stored bytes).
Then ../shared/bench/bench_pop3.py --client raw (LIST + RETR of every
message, no DELE) runs against each server, plaintext and implicit TLS,
alternating servers, and the medians go into one table.

    bench/pop3/bench_pop3_vs_dovecot.py [--runs 3] [--bin build-release/src/cli/infostore]

Needs root (the anchor's setup adds a system user) and the Dovecot packages
(scripts/install-deps bench). Data: /var/tmp/bench-anchor (the anchor) and
/var/tmp/infostore-bench-pop3 (infostore; reused across runs when it
already holds the maildrop, --fresh to reload).
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "bench"))
ANCHOR = "/var/tmp/bench-anchor"
MBOX = os.path.join(ANCHOR, "bench10k.mbox")
DATA = "/var/tmp/infostore-bench-pop3"
USER = "bench@bench.test"
PASSWORD = "benchpass"
DOVECOT_POP3, DOVECOT_POP3S, DOVECOT_LMTP = 10110, 10995, 10024

sys.path.insert(0, SHARED)
import benchlib  # noqa: E402  (the shared harness: mbox reader, loopback guard)


def log(msg):
    print("bench-pop3: " + msg, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        return True
    except OSError:
        return False


def pop3_stat(port, user, password, tls=False):
    """Messages in the maildrop, or None if the login fails."""
    import poplib
    import ssl
    try:
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            p = poplib.POP3_SSL("127.0.0.1", port, context=ctx, timeout=60)
        else:
            p = poplib.POP3("127.0.0.1", port, timeout=60)
        p.user(user)
        p.pass_(password)
        n = p.stat()[0]
        p.quit()
        return n
    except Exception:
        return None


def run(cmd, **kw):
    log("$ " + " ".join(cmd))
    return subprocess.run(cmd, check=True, **kw)


class Infostore:
    def __init__(self, binary, fresh):
        self.bin = binary
        self.ports = {k: free_port() for k in ("pop3", "pop3s", "lmtp")}
        if fresh:
            shutil.rmtree(DATA, ignore_errors=True)
        os.makedirs(DATA, exist_ok=True)
        self.conf = os.path.join(DATA, "infostore.conf")
        cert, key = os.path.join(DATA, "cert.pem"), os.path.join(DATA, "key.pem")
        if not os.path.exists(cert):
            run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                 "-subj", "/CN=localhost", "-keyout", key, "-out", cert],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(self.conf, "w") as f:
            f.write("[server]\nhostname = localhost\ndata_dir = %s/data\n"
                    "tls_cert = %s\ntls_key = %s\nlog_level = warning\n"
                    # the plaintext runs log in without TLS, as with Dovecot
                    "plaintext_auth_from = 127.0.0.0/8\n\n"
                    "[imap]\nlisten =\ntls_listen =\n\n"
                    "[pop3]\nlisten = 127.0.0.1:%d\ntls_listen = 127.0.0.1:%d\n\n"
                    "[lmtp]\nlisten = 127.0.0.1:%d\n\n"
                    "[submission]\nlisten =\ntls_listen =\n\n"
                    "[web]\ntls_listen =\nlisten =\n\n[outbound]\nrelay =\n"
                    % (DATA, cert, key, self.ports["pop3"], self.ports["pop3s"],
                       self.ports["lmtp"]))
        self.proc = None

    def cli(self, *args, input=None):
        return subprocess.run([self.bin, "-c", self.conf] + list(args), input=input,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def start(self):
        if not os.path.exists(os.path.join(DATA, "data")):
            p = self.cli("user", "add", USER, input=(PASSWORD + "\n").encode())
            if p.returncode != 0:
                sys.exit("user add failed: " + p.stderr.decode())
        self.log = open(os.path.join(DATA, "server.log"), "ab")
        self.proc = subprocess.Popen([self.bin, "-c", self.conf, "serve"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while not listening(self.ports["pop3"]):
            if self.proc.poll() is not None or time.time() > deadline:
                sys.exit("infostore did not start; see %s/server.log" % DATA)
            time.sleep(0.05)
        # the LMTP listener may not exist yet (the placeholder binds nothing)
        time.sleep(0.3)
        self.has_lmtp = listening(self.ports["lmtp"])

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)
        self.proc = None

    def load(self, count):
        n = pop3_stat(self.ports["pop3s"], USER, PASSWORD, tls=True)
        if n == count:
            log("infostore already holds %d messages" % n)
            return "kept"
        if n:
            sys.exit("infostore maildrop has %d messages, not %d: use --fresh" % (n, count))
        if self.has_lmtp:
            run([sys.executable, os.path.join(SHARED, "bench_lmtp.py"), "--port",
                 str(self.ports["lmtp"]), "--rcpt", USER, "--mbox", MBOX,
                 "--count", str(count)], cwd=SHARED)
            return "lmtp"
        log("no LMTP listener in this infostore: loading with `infostore deliver`")
        msgs = list(benchlib.read_mbox(MBOX, count))

        def deliver(m):
            p = self.cli("deliver", USER, input=m)
            if p.returncode != 0:
                raise RuntimeError(p.stderr.decode())
        t0 = time.time()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(deliver, msgs))
        log("delivered %d in %.0f s" % (len(msgs), time.time() - t0))
        return "deliver"


def dovecot_setup(count):
    if shutil.which("dovecot") is None:
        run([os.path.join(ROOT, "scripts", "install-deps"), "bench"])
    if not os.path.exists(os.path.join(ANCHOR, "users.passwd")):
        run([os.path.join(SHARED, "dovecot_anchor.sh"), "setup"])
    run([os.path.join(SHARED, "dovecot_anchor.sh"), "start"])
    # the anchor's POP3 user: bench41, or the first of bench42..49 whose
    # INBOX is empty (bench_lmtp appends, so a half-loaded box is skipped)
    for i in range(41, 50):
        user = "bench%d" % i
        n = pop3_stat(DOVECOT_POP3, user, PASSWORD)
        if n == count:
            log("Dovecot user %s already holds %d messages" % (user, n))
            return user
        if n == 0:
            run([sys.executable, os.path.join(SHARED, "bench_lmtp.py"), "--port",
                 str(DOVECOT_LMTP), "--rcpt", user, "--mbox", MBOX, "--count", str(count)],
                cwd=SHARED)
            return user
    sys.exit("no Dovecot user bench41..49 is free: rm -rf %s/mail/*" % ANCHOR)


def bench_pop3(port, user, tls, runs):
    cmd = [sys.executable, os.path.join(SHARED, "bench_pop3.py"), "--client", "raw",
           "--port", str(port), "--user", user, "--password", PASSWORD,
           "--runs", str(runs), "--max-seconds", "600"] + (["--tls"] if tls else [])
    subprocess.run([sys.executable, os.path.join(SHARED, "quiet.py"), "--max-wait", "60"],
                   cwd=SHARED)
    log("$ " + " ".join(cmd[1:]))
    out = subprocess.run(cmd, cwd=SHARED, stdout=subprocess.PIPE, text=True).stdout
    sys.stdout.write(out)
    mode = ("tls" if tls else "plain") + "_raw"
    m = re.search(r"pop3_%s_median_throughput: ([\d.]+) MB/s" % mode, out)
    t = re.search(r"pop3_%s_median_list_plus_retr: ([\d.]+) s" % mode, out)
    r = re.search(r"pop3_%s_median_retr_rate: ([\d.]+) msgs/s" % mode, out)
    runs_mbs = re.findall(r"pop3_%s_run\d+_throughput: ([\d.]+) MB/s" % mode, out)
    if not m:
        sys.exit("bench_pop3.py gave no figure")
    return dict(mbs=float(m.group(1)), secs=float(t.group(1)), rate=float(r.group(1)),
                runs=runs_mbs)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build-release", "src", "cli",
                                                  "infostore"))
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--fresh", action="store_true", help="reload infostore's maildrop")
    ap.add_argument("--keep-dovecot", action="store_true",
                    help="leave the anchor running afterwards")
    a = ap.parse_args()
    if not os.path.exists(a.bin):
        sys.exit("no infostore binary at %s: meson setup build-release "
                 "-Dbuildtype=release -Dtests=false && ninja -C build-release" % a.bin)
    if not os.path.exists(MBOX):
        os.makedirs(ANCHOR, exist_ok=True)
        run([sys.executable, os.path.join(SHARED, "gen_mbox.py"), MBOX], cwd=SHARED)

    dovecot_user = dovecot_setup(a.count)
    ist = Infostore(a.bin, a.fresh)
    ist.start()
    results = {}
    try:
        loaded = ist.load(a.count)
        for tls in (False, True):
            mode = "TLS" if tls else "plain"
            results[("dovecot", mode)] = bench_pop3(DOVECOT_POP3S if tls else DOVECOT_POP3,
                                                    dovecot_user, tls, a.runs)
            results[("infostore", mode)] = bench_pop3(
                ist.ports["pop3s" if tls else "pop3"], USER, tls, a.runs)
    finally:
        ist.stop()
        if not a.keep_dovecot:
            subprocess.run([os.path.join(SHARED, "dovecot_anchor.sh"), "stop"])

    print()
    print("| POP3 LIST + RETR, %d messages, raw client | Dovecot 2.3 MB/s | "
          "infostore MB/s | infostore / Dovecot | infostore LIST+RETR (s) | target |"
          % a.count)
    print("|---|---|---|---|---|---|")
    for mode, target in (("plain", 2 * 124), ("TLS", 2 * 42)):
        d, i = results[("dovecot", mode)], results[("infostore", mode)]
        print("| %s | %.1f (runs %s) | %.1f (runs %s) | %.2f | %.2f | %d MB/s (%s) |"
              % (mode, d["mbs"], ", ".join(d["runs"]), i["mbs"], ", ".join(i["runs"]),
                 i["mbs"] / d["mbs"], i["secs"], target,
                 "met" if i["mbs"] >= target else "missed"))
    print("\ninfostore maildrop loaded by: %s" % loaded)
    return 0


if __name__ == "__main__":
    sys.exit(main())
