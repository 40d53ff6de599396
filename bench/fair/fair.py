#!/usr/bin/env python3
"""infostore against tuned Dovecot 2.3, like with like (issue #15).

    fair.py --out DIR prepare              # data and the FTS index, once
    fair.py --out DIR [ROW ...]            # rows, in the order given

Rows (the default is all of them, in this order):
  lmtp      LMTP delivery, 1 and 4 senders, Dovecot with mail_fsync=optimized
            and =always; then strace -c of the fsync family per message
  pop3      POP3 LIST + RETR of 10,000 messages, plaintext and TLS
  tls       full TLS handshakes/s on IMAPS, 10 client processes; infostore
            also at the commit before the TLS key process ($INFOSTORE_OLD_BIN)
  bigbox    100,000 messages, warm: FETCH ENVELOPE, BODYSTRUCTURE, UID SEARCH
            BODY (Dovecot without FTS and with fts-xapian), byte-reading client
  idle      N IMAPS sessions in IDLE: memory per session, all still alive
            (Dovecot one process per session, and with imap_hibernate)
  imaptest  imaptest's stress mix, plain and TLS, 10 and 50 clients
  ftsindex  time of `doveadm index` with fts-xapian over 10,000 messages

Every side runs RUNS (3) times, the sides alternating and each run gated by
../shared/bench/quiet.py; the results go to DIR/results.jsonl and table.py
turns them into the markdown table. Servers run from $FAIR_DATA
(/var/tmp/bench-fair) on loopback ports of their own, and only the
processes started here are stopped. Rows are not started after $STOP_AT
(UTC, HH:MM) when it is set.
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
SHARED = os.path.abspath(os.environ.get("BENCH", os.path.join(TOP, "..", "shared", "bench")))
DATA = os.environ.get("FAIR_DATA", "/var/tmp/bench-fair")
MBOX = os.environ.get("MBOX", "/var/tmp/bench-anchor/bench10k.mbox")
BIN = os.environ.get("INFOSTORE_BIN", os.path.join(TOP, "build-release", "src", "cli", "infostore"))
OLD_BIN = os.environ.get("INFOSTORE_OLD_BIN", "")
IMAPTEST = os.environ.get("IMAPTEST", os.path.join(DATA, "bin", "imaptest"))
RUNS = int(os.environ.get("RUNS", "3"))
LMTP_COUNT = int(os.environ.get("LMTP_COUNT", "10000"))
STRACE_COUNT = int(os.environ.get("STRACE_COUNT", "200"))
POP3_COUNT = int(os.environ.get("POP3_COUNT", "10000"))
TLS_PROCS = int(os.environ.get("TLS_PROCS", "10"))
TLS_SECS = int(os.environ.get("TLS_SECS", "20"))
BIG_COPIES = int(os.environ.get("BIG_COPIES", "10"))
BIG_PASSES = int(os.environ.get("BIG_PASSES", "3"))
# fts-xapian indexes about 20-30 messages/s here (one core): 100,000 would
# take an hour, so SEARCH BODY against it is on FTS_COPIES x the mbox
FTS_COPIES = int(os.environ.get("FTS_COPIES", "1"))
IDLE_CONNS = int(os.environ.get("IDLE_CONNS", "2000"))
IMAPTEST_SECS = int(os.environ.get("IMAPTEST_SECS", "30"))
IMAPTEST_CLIENTS = [int(x) for x in os.environ.get("IMAPTEST_CLIENTS", "10,50").split(",")]
STOP_AT = os.environ.get("STOP_AT", "")
# rows that end with one more infostore run under a system-wide perf profile
# (not counted in the table): where the time goes, client and kernel included
PROFILE = os.environ.get("PROFILE", "lmtp,pop3,tls,bigbox,imaptest").split(",")
USERS = 200
DOMAIN = "example.test"
# Dovecot users (benchN; infostore: benchN@example.test)
U_POP3, U_BIG, U_FTS, U_FTSINDEX, U_FTS_PLAIN = 41, 60, 61, 62, 63
U_LMTP_FIRST = 100

# ports: one block per server so that nothing else's is touched
PORTS = {
    "infostore": dict(imap=21143, imaps=21993, pop3=21110, pop3s=21995, lmtp=21024),
    "infostore-b0": dict(imap=22143, imaps=22993, pop3=22110, pop3s=22995, lmtp=22024),
    "dovecot": dict(imap=23143, imaps=23993, pop3=23110, pop3s=23995, lmtp=23024),
    "dovecot-always": dict(imap=24143, imaps=24993, pop3=24110, pop3s=24995, lmtp=24024),
    "dovecot-fts": dict(imap=25143, imaps=25993, pop3=25110, pop3s=25995, lmtp=25024),
    "dovecot-hibernate": dict(imap=26143, imaps=26993, pop3=26110, pop3s=26995, lmtp=26024),
}
# a second instance of the driver (a dry run beside a preparation) moves
# all its ports by PORT_OFFSET
PORTS = {k: {p: n + int(os.environ.get("PORT_OFFSET", "0")) for p, n in v.items()}
         for k, v in PORTS.items()}

VARIANT_CONF = {
    "dovecot": "mail_fsync = optimized\n",
    "dovecot-always": "mail_fsync = always\n",
    "dovecot-fts": """mail_fsync = optimized
mail_plugins = $mail_plugins fts fts_xapian
plugin {
  fts = xapian
  fts_xapian = partial=3 full=20
  fts_autoindex = yes
  fts_enforced = yes
}
service indexer-worker {
  vsz_limit = 2G
}
""",
    # Dovecot's own answer to idle sessions: after 2 s in IDLE the session
    # moves into the imap-hibernate process and its imap process is freed
    # (and ends 10 s later when nobody needs it)
    "dovecot-hibernate": """mail_fsync = optimized
imap_hibernate_timeout = 2s
service imap {
  idle_kill = 10s
  # Dovecot's documented hibernation setup: imap-hibernate (running as
  # the internal user) hands a session back through this socket
  unix_listener imap-master {
    user = $default_internal_user
  }
}
service imap-hibernate {
  vsz_limit = 2G
}
""",
}

OUT = None


def log(msg):
    line = time.strftime("%H:%M:%S ", time.gmtime()) + msg
    print(line, flush=True)
    if OUT:
        with open(os.path.join(OUT, "log.txt"), "a") as f:
            f.write(line + "\n")


def record(row, metric, side, run, value, unit, better, **extra):
    rec = dict(row=row, metric=metric, side=side, run=run, value=value, unit=unit,
               better=better, t=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    rec.update(extra)
    with open(os.path.join(OUT, "results.jsonl"), "a") as f:
        f.write(json.dumps(rec) + "\n")
    log("  %s | %s | run %s: %s %s" % (metric, side, run, value, unit))


def uptime():
    return subprocess.run(["uptime"], stdout=subprocess.PIPE, text=True).stdout.strip()


def quiet():
    """Wait (up to 3 minutes) for an idle machine; False if it never came.
    QUIET_WAIT=0 (dry runs) only looks, once."""
    if os.environ.get("QUIET_WAIT") == "0":
        return False
    p = subprocess.run([sys.executable, os.path.join(SHARED, "quiet.py"), "--max-wait", "180"],
                       stdout=subprocess.PIPE, text=True)
    ok = p.returncode == 0
    if not ok:
        log("  machine not quiet: " + p.stdout.strip())
    return ok


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        return True
    except OSError:
        return False


def wait_port(port, timeout=60, proc=None):
    end = time.time() + timeout
    while time.time() < end:
        if listening(port):
            return True
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def sh(cmd, out=None, check=True, **kw):
    """Run a command; its output goes to the file out (appended) or is returned."""
    if out:
        with open(out, "a") as f:
            f.write("$ " + " ".join(cmd) + "\n")
            f.flush()
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
            f.write(p.stdout)
    else:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd[:3]), p.returncode, p.stdout[-2000:]))
    return p


def metric(text, name):
    m = re.search(r"^(?:\S+_)?%s: ([-0-9.]+)" % re.escape(name), text, re.M)
    return float(m.group(1)) if m else None


def descendants(pid):
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
            children.setdefault(int(st[st.rfind(")") + 2:].split()[1]), []).append(int(d))
        except (OSError, ValueError, IndexError):
            continue
    out, todo = [pid], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def profiled(row, rowdir, label, fn):
    """One extra run of fn under `perf record -a -g`, and its summary by
    process and shared object (perf-LABEL.txt) next to the data."""
    if row not in PROFILE or not shutil.which("perf"):
        return
    data = os.path.join(rowdir, "perf-%s.data" % label)
    log("  profile %s" % label)
    p = subprocess.Popen(["perf", "record", "-a", "-g", "-F", "499", "-o", data],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        log("  profiled run failed: %r" % e)
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(120)
    txt = os.path.join(rowdir, "perf-%s.txt" % label)
    sh(["perf", "report", "-i", data, "--no-children", "--sort", "comm,dso", "--stdio",
        "--percent-limit", "0.5", "-g", "none"], out=txt, check=False)
    sh(["perf", "report", "-i", data, "--no-children", "--sort", "comm,dso,sym", "--stdio",
        "--percent-limit", "0.3", "-g", "none"], out=txt, check=False)


# ------------------------------------------------------------------ common data
def common_setup():
    os.makedirs(os.path.join(DATA, "ssl"), exist_ok=True)
    os.makedirs(os.path.join(DATA, "mail"), exist_ok=True)
    cert, key = os.path.join(DATA, "ssl", "cert.pem"), os.path.join(DATA, "ssl", "key.pem")
    if not os.path.exists(cert):
        # one RSA-2048 key and certificate for every server
        sh(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365",
            "-subj", "/CN=localhost", "-keyout", key, "-out", cert])
    with open(os.path.join(DATA, "users.passwd"), "w") as f:
        for i in range(1, USERS + 1):
            f.write("bench%d:{PLAIN}benchpass::::::\n" % i)
    if subprocess.run(["id", "vmail"], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        sh(["useradd", "-r", "-U", "-d", os.path.join(DATA, "mail"), "-s",
            "/usr/sbin/nologin", "vmail"])
    sh(["chown", "vmail:vmail", os.path.join(DATA, "mail")])
    # one inotify instance per IDLE imap process (default 128 per uid)
    subprocess.run(["sysctl", "-q", "-w", "fs.inotify.max_user_instances=65536"])
    # idle sessions: a descriptor each, and Dovecot's master sizes its
    # services' limits from its own
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (65536, max(hard, 65536)))
    except (ValueError, OSError):
        pass
    if not os.path.exists(MBOX):
        os.makedirs(os.path.dirname(MBOX), exist_ok=True)
        sh([sys.executable, os.path.join(SHARED, "gen_mbox.py"), MBOX])


# ------------------------------------------------------------------ servers
class Dovecot:
    def __init__(self, variant):
        self.variant = variant
        self.dir = os.path.join(DATA, variant)
        self.ports = PORTS[variant]
        self.conf = os.path.join(self.dir, "dovecot.conf")
        for sub in ("run", "log", "state"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        with open(os.path.join(HERE, "dovecot-tuned.conf")) as f:
            text = f.read()
        for k, v in dict(DIR=self.dir, ROOT=DATA, VARIANT=variant, IMAP=self.ports["imap"],
                         IMAPS=self.ports["imaps"], POP3=self.ports["pop3"],
                         POP3S=self.ports["pop3s"], LMTP=self.ports["lmtp"]).items():
            text = text.replace("@%s@" % k, str(v))
        with open(self.conf, "w") as f:
            f.write(text + "\n# variant %s\n" % variant + VARIANT_CONF[variant])
        self.pid = None

    def start(self):
        pidfile = os.path.join(self.dir, "run", "master.pid")
        if os.path.exists(pidfile):
            try:
                old = int(open(pidfile).read().split()[0])
                os.kill(old, 0)
                raise RuntimeError("%s already running as %d" % (self.variant, old))
            except (ProcessLookupError, ValueError):
                os.unlink(pidfile)
        # not through a pipe: the daemon's children would keep it open
        with open(os.path.join(self.dir, "log", "start.log"), "a") as f:
            p = subprocess.run(["dovecot", "-c", self.conf], stdout=f, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            raise RuntimeError("dovecot -c %s failed; see %s/log" % (self.conf, self.dir))
        for _ in range(600):
            if os.path.exists(pidfile):
                break
            time.sleep(0.05)
        self.pid = int(open(pidfile).read().split()[0])
        if not wait_port(self.ports["imap"]) or not wait_port(self.ports["lmtp"]):
            self.stop()
            raise RuntimeError("%s did not listen; see %s/log" % (self.variant, self.dir))
        time.sleep(1)  # process_min_avail processes
        log("started %s (master %d)" % (self.variant, self.pid))

    def stop(self):
        if not self.pid:
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            self.pid = None
            return
        for _ in range(120):
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.25)
        log("stopped %s" % self.variant)
        self.pid = None

    def user(self, n):
        return "bench%d" % n

    def fresh(self, n):
        shutil.rmtree(os.path.join(DATA, "mail", "bench%d" % n), ignore_errors=True)
        return "bench%d" % n

    def pids(self):
        return descendants(self.pid)

    def doveadm(self, *args, out=None):
        return sh(["doveadm", "-c", self.conf] + list(args), out=out)


class Infostore:
    def __init__(self, name, binary, datadir=None):
        self.name = name
        self.bin = binary
        self.ports = PORTS[name]
        self.dir = datadir or os.path.join(DATA, name)
        self.conf = os.path.join(self.dir, "infostore.conf")
        self.proc = None
        self.added = set()

    def fresh_dir(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        self.write_conf()

    def write_conf(self):
        os.makedirs(self.dir, exist_ok=True)
        p = self.ports
        with open(self.conf, "w") as f:
            f.write("""[server]
hostname = localhost
data_dir = {d}/data
tls_cert = {root}/ssl/cert.pem
tls_key = {root}/ssl/key.pem
plaintext_auth_from = 127.0.0.0/8
log_level = warning
[limits]
max_connections = 60000
max_connections_per_ip = 60000
[imap]
listen = 127.0.0.1:{imap}
tls_listen = 127.0.0.1:{imaps}
[pop3]
listen = 127.0.0.1:{pop3}
tls_listen = 127.0.0.1:{pop3s}
[lmtp]
listen = 127.0.0.1:{lmtp}
[submission]
listen =
tls_listen =
[web]
tls_listen =
listen =
[outbound]
relay =
""".format(d=self.dir, root=DATA, **p))

    def cli(self, *args, stdin=None, out=None):
        return sh([self.bin, "-c", self.conf] + list(args), out=out, input=stdin)

    def user(self, n):
        return "bench%d@%s" % (n, DOMAIN)

    def add_user(self, n):
        if n not in self.added:
            p = subprocess.run([self.bin, "-c", self.conf, "user", "add", self.user(n)],
                               input="benchpass\n", text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
            if p.returncode != 0 and "exist" not in p.stdout:
                raise RuntimeError("user add %s: %s" % (self.user(n), p.stdout))
            self.added.add(n)
        return self.user(n)

    def fresh(self, n):
        return self.add_user(n)

    def start(self):
        if not os.path.exists(self.conf):
            self.write_conf()
        self.logf = open(os.path.join(self.dir, "serve.log"), "ab")
        self.proc = subprocess.Popen([self.bin, "-c", self.conf, "serve"],
                                     stdout=self.logf, stderr=subprocess.STDOUT)
        if not wait_port(self.ports["imap"], proc=self.proc):
            raise RuntimeError("%s did not listen; see %s/serve.log" % (self.name, self.dir))
        for k in ("imaps", "lmtp", "pop3"):
            wait_port(self.ports[k], 10, self.proc)
        log("started %s (pid %d)" % (self.name, self.proc.pid))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            log("stopped %s" % self.name)
        self.proc = None

    def pids(self):
        return descendants(self.proc.pid)


class Servers:
    """Started servers, stopped whatever happens."""

    def __init__(self):
        self.list = []

    def add(self, s):
        s.start()
        self.list.append(s)
        return s

    def stop(self):
        for s in reversed(self.list):
            try:
                s.stop()
            except Exception as e:  # noqa: BLE001
                log("stop %s: %r" % (getattr(s, "name", getattr(s, "variant", "?")), e))
        self.list = []


def side_name(s):
    return s.name if isinstance(s, Infostore) else s.variant


def rotate(seq, k):
    k %= len(seq)
    return seq[k:] + seq[:k]


def warm_logins(port, fmt, users):
    for i in users:
        s = socket.create_connection(("127.0.0.1", port), 30)
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"a LOGIN %s benchpass\r\nb LOGOUT\r\n" % (fmt % i).encode())
        while not f.readline().startswith(b"b "):
            pass
        s.close()


# ------------------------------------------------------------------ LMTP
def lmtp_run(port, rcpt, count, senders, out):
    p = sh([sys.executable, os.path.join(SHARED, "bench_lmtp.py"), "--port", str(port),
            "--rcpt", rcpt, "--mbox", MBOX, "--count", str(count), "--senders", str(senders),
            "--max-seconds", "1800"], out=out, check=False, cwd=SHARED)
    if metric(p.stdout, "lmtp_delivered") != count or metric(p.stdout, "lmtp_errors"):
        raise RuntimeError("LMTP run incomplete: " + p.stdout[-500:])
    return p.stdout


def row_lmtp(rowdir):
    srv = Servers()
    try:
        ist = Infostore("infostore", BIN)
        ist.fresh_dir()
        sides = [srv.add(Dovecot("dovecot")), srv.add(Dovecot("dovecot-always")), srv.add(ist)]
        nuser = {id(s): U_LMTP_FIRST for s in sides}
        for rnd in range(1, RUNS + 1):
            for senders in (1, 4):
                for s in rotate(sides, rnd + senders):
                    ok = quiet()
                    nuser[id(s)] += 1
                    rcpt = s.fresh(nuser[id(s)])
                    out = lmtp_run(s.ports["lmtp"], rcpt, LMTP_COUNT, senders,
                                   os.path.join(rowdir, "lmtp.txt"))
                    m = "LMTP delivery, %d sender%s, %s messages, msgs/s" % (
                        senders, "s" if senders > 1 else "", format(LMTP_COUNT, ","))
                    record("lmtp", m, side_name(s), rnd, metric(out, "lmtp_rate"), "msgs/s",
                           "higher", quiet=ok, p50_ms=metric(out, "lmtp_latency_p50"),
                           p99_ms=metric(out, "lmtp_latency_p99"))
        profiled("lmtp", rowdir, "lmtp-4-senders", lambda: lmtp_run(
            ist.ports["lmtp"], ist.fresh(199), LMTP_COUNT, 4, os.path.join(rowdir, "profile.txt")))
        # the fsync family per delivered message, counted by strace -c
        for senders in (1, 4):
            for s in sides:
                nuser[id(s)] += 1
                rcpt = s.fresh(nuser[id(s)])
                sfile = os.path.join(rowdir, "strace-%s-%d.txt" % (side_name(s), senders))
                cmd = ["strace", "-f", "-c", "-o", sfile, "-e",
                       "trace=fsync,fdatasync,sync_file_range,syncfs,msync"]
                for pid in s.pids():
                    cmd += ["-p", str(pid)]
                st = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
                time.sleep(2)
                lmtp_run(s.ports["lmtp"], rcpt, STRACE_COUNT, senders,
                         os.path.join(rowdir, "lmtp-strace.txt"))
                time.sleep(0.5)
                st.send_signal(signal.SIGINT)
                st.wait(60)
                calls = {}
                for line in open(sfile):
                    f = line.split()
                    if len(f) >= 5 and f[-1] in ("fsync", "fdatasync", "sync_file_range",
                                                 "syncfs", "msync"):
                        calls[f[-1]] = int(f[3])
                per = {k: round(v / STRACE_COUNT, 2) for k, v in calls.items()}
                record("lmtp", "fsync family per message (strace -c, %d messages, %d sender%s)"
                       % (STRACE_COUNT, senders, "s" if senders > 1 else ""), side_name(s), 1,
                       round(sum(calls.values()) / STRACE_COUNT, 2), "calls/msg", "none",
                       detail=per)
    finally:
        srv.stop()


# ------------------------------------------------------------------ POP3
def pop3_count(port, user):
    import poplib
    try:
        p = poplib.POP3("127.0.0.1", port, timeout=60)
        p.user(user)
        p.pass_("benchpass")
        n = p.stat()[0]
        p.quit()
        return n
    except Exception:  # noqa: BLE001
        return None


def pop3_run(port, user, tls, out):
    p = sh([sys.executable, os.path.join(SHARED, "bench_pop3.py"), "--client", "raw",
            "--port", str(port), "--user", user, "--password", "benchpass", "--runs", "1",
            "--max-seconds", "600"] + (["--tls"] if tls else []), out=out, cwd=SHARED,
           check=False)
    mode = ("tls" if tls else "plain") + "_raw"
    mbs = metric(p.stdout, "pop3_%s_median_throughput" % mode)
    if mbs is None or p.returncode != 0:
        raise RuntimeError("POP3 run failed: " + p.stdout[-500:])
    return mbs, metric(p.stdout, "pop3_%s_median_list_plus_retr" % mode)


def row_pop3(rowdir):
    srv = Servers()
    try:
        dv = srv.add(Dovecot("dovecot"))
        ist = Infostore("infostore", BIN)
        ist.fresh_dir()
        srv.add(ist)
        du = dv.user(U_POP3)
        if pop3_count(dv.ports["pop3"], du) != POP3_COUNT:
            dv.fresh(U_POP3)
            lmtp_run(dv.ports["lmtp"], du, POP3_COUNT, 4, os.path.join(rowdir, "load.txt"))
        iu = ist.add_user(U_POP3)
        lmtp_run(ist.ports["lmtp"], iu, POP3_COUNT, 4, os.path.join(rowdir, "load.txt"))
        for s, u in ((dv, du), (ist, iu)):
            n = pop3_count(s.ports["pop3"], u)
            if n != POP3_COUNT:
                raise RuntimeError("%s holds %s messages, not %d" % (side_name(s), n, POP3_COUNT))
            # one untimed pass each: the first access (Dovecot moves new/
            # to cur/ and builds its index; both mark the messages seen)
            pop3_run(s.ports["pop3"], u, False, os.path.join(rowdir, "warmup.txt"))
        for rnd in range(1, RUNS + 1):
            for tls in (False, True):
                for s, u in rotate([(dv, du), (ist, iu)], rnd):
                    ok = quiet()
                    mbs, secs = pop3_run(s.ports["pop3s" if tls else "pop3"], u, tls,
                                         os.path.join(rowdir, "pop3.txt"))
                    record("pop3", "POP3 LIST + RETR of %s messages, %s, MB/s" % (
                        format(POP3_COUNT, ","), "implicit TLS" if tls else "plaintext"),
                        side_name(s), rnd, mbs, "MB/s", "higher", quiet=ok, secs=secs)
        profiled("pop3", rowdir, "pop3-plain", lambda: pop3_run(
            ist.ports["pop3"], iu, False, os.path.join(rowdir, "profile.txt")))
    finally:
        srv.stop()


# ------------------------------------------------------------------ TLS
def row_tls(rowdir):
    srv = Servers()
    try:
        ist = Infostore("infostore", BIN)
        ist.fresh_dir()
        sides = [srv.add(Dovecot("dovecot")), srv.add(ist)]
        if OLD_BIN and os.path.exists(OLD_BIN):
            old = Infostore("infostore-b0", OLD_BIN)
            old.fresh_dir()
            sides.append(srv.add(old))
        else:
            log("no INFOSTORE_OLD_BIN: the key process's cost is not measured")
        for rnd in range(1, RUNS + 1):
            for s in rotate(sides, rnd):
                ok = quiet()
                p = sh([sys.executable, os.path.join(SHARED, "bench_tls.py"), "--port",
                        str(s.ports["imaps"]), "--procs", str(TLS_PROCS), "--seconds",
                        str(TLS_SECS)], out=os.path.join(rowdir, "tls.txt"), cwd=SHARED,
                       check=False)
                rate = metric(p.stdout, "tls_rate")
                errs = metric(p.stdout, "tls_errors")
                if rate is None:
                    raise RuntimeError("bench_tls gave nothing: " + p.stdout[-500:])
                record("tls", "IMAPS full TLS handshakes/s, %d client processes" % TLS_PROCS,
                       side_name(s), rnd, rate, "handshakes/s", "higher", quiet=ok,
                       errors=errs, p50_ms=metric(p.stdout, "tls_latency_p50"))
        profiled("tls", rowdir, "tls-10", lambda: sh(
            [sys.executable, os.path.join(SHARED, "bench_tls.py"), "--port",
             str(ist.ports["imaps"]), "--procs", str(TLS_PROCS), "--seconds", str(TLS_SECS)],
            out=os.path.join(rowdir, "profile.txt"), cwd=SHARED, check=False))
    finally:
        srv.stop()


# ------------------------------------------------------------------ big mailbox
_MBOX_N = []


def mbox_count():
    if not _MBOX_N:
        with open(MBOX, "rb") as f:
            data = f.read()
        _MBOX_N.append(data.count(b"\n\nFrom ") + (1 if data.startswith(b"From ") else 0))
    return _MBOX_N[0]


def big_maildir(n):
    return os.path.join(DATA, "mail", "bench%d" % n, "Maildir")


def prepare_big_dovecot(rowdir):
    """The maildirs of bench60 (the 100,000 messages), bench61 (the FTS
    mailbox, fts-xapian) and bench63 (the same without FTS), their Dovecot
    indexes and the fts-xapian index; kept across runs."""
    for n, copies, variant in ((U_BIG, BIG_COPIES, "dovecot"), (U_FTS_PLAIN, FTS_COPIES, "dovecot"),
                               (U_FTS, FTS_COPIES, "dovecot-fts")):
        want = mbox_count() * copies
        home = os.path.join(DATA, "mail", "bench%d" % n)
        written, indexed = os.path.join(home, ".fair-written"), os.path.join(home, ".fair-indexed")
        if not (os.path.exists(written) and open(written).read().strip() == str(want)):
            shutil.rmtree(home, ignore_errors=True)
            t0 = time.time()
            sh([sys.executable, os.path.join(HERE, "mkmaildir.py"), MBOX, big_maildir(n),
                "--copies", str(copies)], out=os.path.join(rowdir, "prepare.txt"))
            sh(["chown", "-R", "vmail:vmail", home])
            log("bench%d: %d messages written in %.0f s" % (n, want, time.time() - t0))
            with open(written, "w") as f:
                f.write(str(want))
        if os.path.exists(indexed):
            continue
        srv = Servers()
        try:
            dv = srv.add(Dovecot(variant))
            t0 = time.time()
            dv.doveadm("index", "-u", "bench%d" % n, "INBOX",
                       out=os.path.join(rowdir, "prepare.txt"))
            secs = time.time() - t0
        finally:
            srv.stop()
        note = "%d messages, doveadm index with %s: %.1f s, %s, nice %d, %s" % (
            want, variant, secs, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            os.nice(0), uptime())
        log("bench%d: %s" % (n, note))
        with open(os.path.join(DATA, "index-time-bench%d.txt" % n), "w") as f:
            f.write(note + "\n")
        with open(indexed, "w") as f:
            f.write(note + "\n")


def binary_id(binary):
    return sh(["sha256sum", binary]).stdout.split()[0]


def prepare_big_infostore(rowdir):
    """infostore's copies: bench60 (BIG_COPIES x the mbox) and bench61
    (FTS_COPIES x), in one data directory kept while the binary is the same."""
    ist = Infostore("infostore", BIN, os.path.join(DATA, "infostore-big"))
    mark = os.path.join(ist.dir, "ready")
    want = "%s %d %d" % (binary_id(BIN), BIG_COPIES, FTS_COPIES)
    if os.path.exists(mark) and open(mark).read().strip() == want:
        return ist
    ist.fresh_dir()
    # `infostore import` keeps one copy of a message it has seen: the
    # copies go in over IMAP (MULTIAPPEND batches, bench/imap/load_mbox.py)
    srv = Servers()
    try:
        srv.add(ist)
        for n, copies in ((U_BIG, BIG_COPIES), (U_FTS, FTS_COPIES)):
            u = ist.add_user(n)
            t0 = time.time()
            sh([sys.executable, os.path.join(TOP, "bench", "imap", "load_mbox.py"), "--port",
                str(ist.ports["imap"]), "--user", u, "--password", "benchpass", "--copies",
                str(copies), MBOX], out=os.path.join(rowdir, "prepare.txt"))
            log("infostore: %d x %s appended to %s in %.0f s" % (copies, MBOX, u,
                                                                 time.time() - t0))
    finally:
        srv.stop()
    with open(mark, "w") as f:
        f.write(want)
    return ist


def bytes_run(port, user, ops, passes, out):
    p = sh([sys.executable, os.path.join(HERE, "imap_bytes.py"), "--port", str(port),
            "--user", user, "--password", "benchpass", "--passes", str(passes), "--ops", ops],
           out=out, check=False, timeout=1800)
    res = {}
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            d = json.loads(line)
            res[d["op"]] = d
    if p.returncode != 0 or not res:
        raise RuntimeError("imap_bytes failed: " + p.stdout[-500:])
    return res


def row_bigbox(rowdir):
    prepare_big_dovecot(rowdir)
    ist = prepare_big_infostore(rowdir)
    srv = Servers()
    names = dict(uid_flags="UID FETCH 1:* (FLAGS)", envelope="FETCH 1:* (ENVELOPE)",
                 bodystructure="FETCH 1:* BODYSTRUCTURE", search_body='UID SEARCH BODY "xylophone"')
    try:
        dv, fts = srv.add(Dovecot("dovecot")), srv.add(Dovecot("dovecot-fts"))
        srv.add(ist)
        all_ops = "uid_flags,envelope,bodystructure,search_body"
        big, small = mbox_count() * BIG_COPIES, mbox_count() * FTS_COPIES
        # (server, user, commands, messages in the mailbox)
        sides = [(dv, dv.user(U_BIG), all_ops, big), (ist, ist.user(U_BIG), all_ops, big),
                 (dv, dv.user(U_FTS_PLAIN), "search_body", small),
                 (fts, fts.user(U_FTS), "search_body", small),
                 (ist, ist.user(U_FTS), "search_body", small)]
        for s, u, ops, n in sides:
            # warm: one untimed session first (Dovecot moves new/ to cur/ and
            # fills its cache; the page cache holds both servers' files)
            r = bytes_run(s.ports["imap"], u, ops, 1, os.path.join(rowdir, "warmup.txt"))
            log("  warm-up %s %s: %s" % (side_name(s), u, ", ".join(
                "%s %.0f ms" % (k, v["median_ms"]) for k, v in r.items())))
        for rnd in range(1, RUNS + 1):
            for s, u, ops, n in rotate(sides, rnd):
                ok = quiet()
                r = bytes_run(s.ports["imap"], u, ops, BIG_PASSES,
                              os.path.join(rowdir, "bigbox.txt"))
                for op, d in r.items():
                    if op == "select":
                        continue
                    record("bigbox", "%s messages, warm, %s, ms" % (format(n, ","), names[op]),
                           side_name(s), rnd, d["median_ms"], "ms", "lower", quiet=ok,
                           passes=d["ms"], reply_bytes=d["bytes"], hits=d["hits"],
                           exists=r.get("select", {}).get("exists"))
        profiled("bigbox", rowdir, "bodystructure", lambda: bytes_run(
            ist.ports["imap"], ist.user(U_BIG), "bodystructure", 10,
            os.path.join(rowdir, "profile.txt")))
    finally:
        srv.stop()


# ------------------------------------------------------------------ idle memory
def row_idle(rowdir):
    conns = IDLE_CONNS
    ist = Infostore("infostore", BIN)
    ist.fresh_dir()
    for i in range(1, 41):
        ist.add_user(i)
    sides = [Dovecot("dovecot"), Dovecot("dovecot-hibernate"), ist]
    for rnd in range(1, RUNS + 1):
        for s in rotate(sides, rnd):
            srv = Servers()
            try:
                srv.add(s)
                if isinstance(s, Infostore):
                    # Argon2id hashes: one login per user first (cached after)
                    warm_logins(s.ports["imap"], "bench%d@" + DOMAIN, range(1, 41))
                ok = quiet()
                args = [sys.executable, os.path.join(SHARED, "bench_idle_mem.py"), "--port",
                        str(s.ports["imaps"]), "--tls", "--user-template",
                        "bench%d" + ("@" + DOMAIN if isinstance(s, Infostore) else ""),
                        "--users", "1-40", "--password", "benchpass", "--connections",
                        str(conns), "--workers", "8", "--hold", "10", "--settle", "20",
                        "--max-seconds", "900"]
                if isinstance(s, Infostore):
                    args += ["--pids", str(s.proc.pid)]
                else:
                    args += ["--pidfile", os.path.join(s.dir, "run", "master.pid")]
                p = sh(args, out=os.path.join(rowdir, "idle.txt"), cwd=SHARED, check=False)
                o = p.stdout
                n_open = metric(o, "idle_tls_connections_open")
                alive = metric(o, "idle_tls_alive_after_hold")
                extra = dict(quiet=ok, opened=n_open, alive=alive,
                             procs=metric(o, "idle_tls_server_processes"),
                             open_rate=metric(o, "idle_tls_open_rate"),
                             memavail_kib=metric(o, "idle_tls_memavailable_drop_per_conn"))
                m = "%s IMAPS sessions in IDLE" % format(conns, ",")
                record("idle", m + ", PSS per session, KiB", side_name(s), rnd,
                       metric(o, "idle_tls_pss_per_conn"), "KiB", "lower", **extra)
                record("idle", m + ", PSS over the idle server per session, KiB",
                       side_name(s), rnd, metric(o, "idle_tls_pss_delta_per_conn"), "KiB",
                       "lower", **extra)
                record("idle", m + ", RSS per session, KiB", side_name(s), rnd,
                       metric(o, "idle_tls_rss_per_conn"), "KiB", "lower", **extra)
                record("idle", m + ", sessions alive after the hold", side_name(s), rnd,
                       alive, "sessions", "none", **extra)
            finally:
                srv.stop()
            time.sleep(5)  # let the closed sockets and processes go


# ------------------------------------------------------------------ imaptest
def stress_rate(path, secs):
    lines = open(path, errors="replace").read().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Totals:"):
            for nxt in lines[i + 1:]:
                f = nxt.split()
                if f and all(x.isdigit() for x in f):
                    return sum(int(x) for x in f) / secs
    return None


def imaptest_run(s, clients, tls, out):
    user = "bench%d" + ("@" + DOMAIN if isinstance(s, Infostore) else "")
    cmd = ["timeout", "--signal=INT", "--kill-after=10", str(IMAPTEST_SECS + 60), IMAPTEST,
           "host=127.0.0.1", "port=%d" % s.ports["imaps" if tls else "imap"], "user=" + user,
           "users=1-40", "pass=benchpass", "mbox=" + MBOX, "clients=%d" % clients,
           "secs=%d" % IMAPTEST_SECS, "seed=42"]
    if tls:
        cmd.append("ssl=any-cert")
    with open(out, "w") as f:
        subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    rate = stress_rate(out, IMAPTEST_SECS)
    errs = sum(1 for line in open(out, errors="replace") if line.startswith("Error"))
    return rate, errs


def row_imaptest(rowdir):
    if not os.access(IMAPTEST, os.X_OK):
        raise RuntimeError("no imaptest at %s (fair.py prepare builds it)" % IMAPTEST)
    srv = Servers()
    try:
        dv = srv.add(Dovecot("dovecot"))
        ist = Infostore("infostore", BIN)
        ist.fresh_dir()
        for i in range(1, 51):
            ist.add_user(i)
        srv.add(ist)
        warm_logins(ist.ports["imap"], "bench%d@" + DOMAIN, range(1, 51))
        warm_logins(dv.ports["imap"], "bench%d", range(1, 51))
        k = 0
        # TLS with 10 clients first: the row issue #15 names
        for clients in IMAPTEST_CLIENTS:
            for tls in (True, False):
                for rnd in range(1, RUNS + 1):
                    for s in rotate([dv, ist], rnd):
                        k += 1
                        ok = quiet()
                        out = os.path.join(rowdir, "imaptest-%02d-%s.txt" % (k, side_name(s)))
                        rate, errs = imaptest_run(s, clients, tls, out)
                        record("imaptest", "imaptest stress, %s, %d clients, commands/s" % (
                            "TLS" if tls else "plain", clients), side_name(s), rnd,
                            round(rate, 1) if rate else None, "cmd/s", "higher", quiet=ok,
                            errors=errs)
        profiled("imaptest", rowdir, "imaptest-tls-10", lambda: imaptest_run(
            ist, 10, True, os.path.join(rowdir, "imaptest-profile.txt")))
    finally:
        srv.stop()


# ------------------------------------------------------------------ FTS indexing
def row_ftsindex(rowdir):
    """doveadm index with fts-xapian over the mbox's messages, timed."""
    home = os.path.join(DATA, "mail", "bench%d" % U_FTSINDEX)
    shutil.rmtree(home, ignore_errors=True)
    sh([sys.executable, os.path.join(HERE, "mkmaildir.py"), MBOX, big_maildir(U_FTSINDEX),
        "--copies", "1"], out=os.path.join(rowdir, "ftsindex.txt"))
    sh(["chown", "-R", "vmail:vmail", home])
    # Dovecot's own index first (untimed), then the FTS index alone
    srv = Servers()
    try:
        srv.add(Dovecot("dovecot")).doveadm("index", "-u", "bench%d" % U_FTSINDEX, "INBOX",
                                            out=os.path.join(rowdir, "ftsindex.txt"))
    finally:
        srv.stop()
    srv = Servers()
    try:
        fts = srv.add(Dovecot("dovecot-fts"))
        ok = quiet()
        t0 = time.time()
        fts.doveadm("index", "-u", "bench%d" % U_FTSINDEX, "INBOX",
                    out=os.path.join(rowdir, "ftsindex.txt"))
        secs = time.time() - t0
    finally:
        srv.stop()
    record("ftsindex", "doveadm index with fts-xapian, %s messages, s" % format(mbox_count(), ","),
           "dovecot-fts", 1, round(secs, 1), "s", "none", quiet=ok)


# ------------------------------------------------------------------ prepare
def prepare(rowdir):
    if not os.access(IMAPTEST, os.X_OK):
        src = os.path.join(TOP, "tests", "imaptest")
        files = sorted(os.path.join(src, "upstream", "src", f)
                       for f in os.listdir(os.path.join(src, "upstream", "src"))
                       if f.endswith(".c"))
        os.makedirs(os.path.dirname(IMAPTEST), exist_ok=True)
        sh(["gcc", "-std=gnu99", "-O2", "-g", "-w", "-DHAVE_CONFIG_H", "-I/usr/include/dovecot",
            "-include", os.path.join(src, "compat.h")] + files +
           ["-o", IMAPTEST, "-L/usr/lib/dovecot", "-Wl,-rpath,/usr/lib/dovecot", "-ldovecot",
            "-lssl", "-lcrypto", "-lm"], out=os.path.join(rowdir, "prepare.txt"))
    prepare_big_dovecot(rowdir)
    # the POP3 maildrop of Dovecot (bench41), delivered over LMTP
    srv = Servers()
    try:
        dv = srv.add(Dovecot("dovecot"))
        if pop3_count(dv.ports["pop3"], dv.user(U_POP3)) != POP3_COUNT:
            dv.fresh(U_POP3)
            lmtp_run(dv.ports["lmtp"], dv.user(U_POP3), POP3_COUNT, 4,
                     os.path.join(rowdir, "prepare.txt"))
    finally:
        srv.stop()
    if os.path.exists(BIN):
        prepare_big_infostore(rowdir)


ROWS = dict(lmtp=row_lmtp, pop3=row_pop3, tls=row_tls, bigbox=row_bigbox, idle=row_idle,
            imaptest=row_imaptest, ftsindex=row_ftsindex)


def past_stop():
    if not STOP_AT:
        return False
    hh, mm = (int(x) for x in STOP_AT.split(":"))
    now = time.gmtime()
    return now.tm_hour * 60 + now.tm_min >= hh * 60 + mm


def main():
    global OUT
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("rows", nargs="*")
    a = ap.parse_args()
    OUT = a.out
    os.makedirs(OUT, exist_ok=True)
    rows = a.rows or list(ROWS)
    for r in rows:
        if r != "prepare" and r not in ROWS:
            sys.exit("unknown row %s (rows: %s)" % (r, " ".join(ROWS)))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    common_setup()
    meta = dict(infostore=BIN, infostore_sha256=binary_id(BIN) if os.path.exists(BIN) else None,
                old=OLD_BIN, runs=RUNS, nproc=os.cpu_count(),
                dovecot=sh(["dovecot", "--version"]).stdout.strip(),
                kernel=os.uname().release)
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f)
    status = 0
    for r in rows:
        if r != "prepare" and past_stop():
            log("row %s not started: past %s UTC" % (r, STOP_AT))
            with open(os.path.join(OUT, "rows.jsonl"), "a") as f:
                f.write(json.dumps(dict(row=r, status="not started (time)")) + "\n")
            continue
        rowdir = os.path.join(OUT, r)
        os.makedirs(rowdir, exist_ok=True)
        before = uptime()
        log("== %s; %s" % (r, before))
        t0 = time.time()
        st = "done"
        try:
            (prepare if r == "prepare" else ROWS[r])(rowdir)
        except Exception as e:  # noqa: BLE001
            st = "failed: %r" % e
            status = 1
            log("row %s failed: %r" % (r, e))
            with open(os.path.join(OUT, "log.txt"), "a") as f:
                traceback.print_exc(file=f)
        after = uptime()
        log("== %s %s in %.0f s; %s" % (r, st, time.time() - t0, after))
        with open(os.path.join(OUT, "rows.jsonl"), "a") as f:
            f.write(json.dumps(dict(row=r, status=st, secs=round(time.time() - t0),
                                    uptime_before=before, uptime_after=after)) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
