"""Start the real infostore server for integration tests.

    with InfostoreServer() as srv:          # or srv.start() / srv.stop()
        imap = srv.imap(tls=True, login="alice@example.test")
        srv.cli("deliver", "alice@example.test", input=b"...")

Every listener gets a free loopback port; the data directory is a fresh
temporary directory. stop() sends SIGTERM, waits, and fails the test if the
server's log shows a sanitizer report, a crash or a non-zero exit.
"""
import imaplib
import os
import poplib
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("INFOSTORE_BIN",
                     os.path.join(ROOT, "build-asan", "src", "cli", "infostore"))
# sqlite (the default) or postgresql: which store every server of the run uses
BACKEND = os.environ.get("INFOSTORE_TEST_BACKEND", "sqlite")
sys.path.insert(0, os.path.join(ROOT, "tests"))
import pg_cluster  # noqa: E402
HOSTNAME = "mail.example.test"
USERS = {
    "alice@example.test": "alice-secret",
    "bob@example.test": "bob-secret",
}

_cert_dir = None


def cert_files():
    """A self-signed certificate and key, made once per test run."""
    global _cert_dir
    if _cert_dir is None:
        _cert_dir = tempfile.mkdtemp(prefix="infostore-cert-")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-days", "30", "-subj", "/CN=" + HOSTNAME,
                        "-addext", "subjectAltName=DNS:%s,IP:127.0.0.1" % HOSTNAME,
                        "-keyout", os.path.join(_cert_dir, "key.pem"),
                        "-out", os.path.join(_cert_dir, "cert.pem")],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return os.path.join(_cert_dir, "cert.pem"), os.path.join(_cert_dir, "key.pem")


def loopback_cert(directory):
    """A certificate and key made out to "127.0.0.1" in directory: mbsync
    checks the host name against the certificate's names as text."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=DNS:127.0.0.1,IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


_ports_handed_out = set()


def free_port():
    """A loopback port nobody listens on, and one this process has not
    handed out before: the kernel may give the same free port to two
    calls in a row (a server's listeners are picked before any binds)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _ports_handed_out:
            _ports_handed_out.add(port)
            return port


def client_tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


SANITIZER_PATTERNS = re.compile(
    r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
    r"Segmentation fault|AddressSanitizer:DEADLYSIGNAL|\bfatal:")


class ServerError(AssertionError):
    pass


class InfostoreServer:
    """One infostore instance.

    listeners: which of imap, imaps, pop3, pop3s, lmtp, submission,
    submissions, https, http, redirect, metrics to enable (default: all
    but submission, submissions, http, redirect and metrics).
    conf: extra settings {section: {key: value}} merged over the defaults.
    """

    DEFAULT_LISTENERS = ("imap", "imaps", "pop3", "pop3s", "lmtp", "https")

    def __init__(self, listeners=DEFAULT_LISTENERS, conf=None, users=None,
                 create_users=True, node_of=None, backend=None, pg=None):
        """node_of: another server whose PostgreSQL store and blob folder
        this one shares (several nodes of one site). backend: sqlite or
        postgresql, whatever INFOSTORE_TEST_BACKEND says; pg: the cluster
        (tests/pg_cluster.py) to make the database in."""
        self.listeners = tuple(listeners)
        self.extra_conf = conf or {}
        self.users = dict(USERS if users is None else users)
        self.create_users = create_users
        self.dir = tempfile.mkdtemp(prefix="infostore-test-")
        self.data_dir = os.path.join(self.dir, "data")
        self.conf_path = os.path.join(self.dir, "infostore.conf")
        self.log_path = os.path.join(self.dir, "server.log")
        self.ports = {name: free_port() for name in
                      ("imap", "imaps", "pop3", "pop3s", "lmtp", "submission",
                       "submissions", "https", "http", "redirect", "metrics")}
        self.proc = None
        self.cert, self.key = cert_files()
        # INFOSTORE_TEST_BACKEND=postgresql: the store in a database of
        # its own on the run's private PostgreSQL (tests/pg_cluster.py)
        self.pg_conninfo = None
        self.owns_database = False
        self.blob_dir = None
        if node_of is not None:
            if node_of.pg_conninfo is None:
                raise ValueError("nodes share a PostgreSQL store")
            self.pg_conninfo = node_of.pg_conninfo
            self.blob_dir = node_of.blob_dir
            self.create_users = False
        elif (backend or BACKEND) == "postgresql":
            self.pg_conninfo = pg_cluster.create_database(pg)
            self.owns_database = True
            self.blob_dir = os.path.join(self.dir, "shared-blobs")
        self.write_conf()

    # --- configuration ---

    def settings(self):
        def addr(name):
            return "127.0.0.1:%d" % self.ports[name] if name in self.listeners else ""
        s = {
            "server": {
                "hostname": HOSTNAME,
                "data_dir": self.data_dir,
                "tls_cert": self.cert,
                "tls_key": self.key,
                "log_level": "debug" if os.environ.get("INFOSTORE_DEBUG") else "info",
            },
            "limits": {"auth_failure_delay": "100ms"},
            "imap": {"listen": addr("imap"), "tls_listen": addr("imaps")},
            "pop3": {"listen": addr("pop3"), "tls_listen": addr("pop3s")},
            "lmtp": {"listen": addr("lmtp")},
            "submission": {"listen": addr("submission"),
                           "tls_listen": addr("submissions")},
            "web": {"tls_listen": addr("https"), "listen": addr("http"),
                    "redirect_http": addr("redirect")},
            "outbound": {"relay": ""},
            "metrics": {"listen": addr("metrics")},
        }
        if self.pg_conninfo is not None:
            s["store"] = {"backend": "postgresql", "postgresql": self.pg_conninfo,
                          "blob_dir": self.blob_dir}
        for section, values in self.extra_conf.items():
            s.setdefault(section, {}).update(values)
        return s

    def write_conf(self, settings=None):
        settings = settings or self.settings()
        with open(self.conf_path, "w") as f:
            for section, values in settings.items():
                f.write("[%s]\n" % section)
                for k, v in values.items():
                    f.write("%s = %s\n" % (k, v))
                f.write("\n")

    # --- processes ---

    def cli(self, *args, input=None, check=False, timeout=120):
        """Run an admin command on this server's config."""
        if isinstance(input, str):
            input = input.encode()
        proc = subprocess.run([BIN, "-c", self.conf_path] + list(args), input=input,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout)
        self._check_sanitizer(proc.stderr.decode(errors="replace"),
                              "infostore " + " ".join(args))
        if check and proc.returncode != 0:
            raise ServerError("infostore %s exited %d: %s" % (
                " ".join(args), proc.returncode, proc.stderr.decode(errors="replace")))
        return proc

    def deliver(self, rcpt, message, sender=None):
        if isinstance(message, str):
            message = message.encode()
        args = ["deliver"] + (["-f", sender] if sender else []) + [rcpt]
        return self.cli(*args, input=message, check=True)

    def start(self, timeout=30):
        if self.create_users and not os.path.exists(self.data_dir):
            for user, password in self.users.items():
                self.cli("user", "add", user, input=password + "\n", check=True)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([BIN, "-c", self.conf_path, "serve"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        pending = [p for p in self.listeners]
        while pending:
            if self.proc.poll() is not None:
                raise ServerError("server exited %d during start:\n%s" % (
                    self.proc.returncode, self.read_log()))
            if time.time() > deadline:
                raise ServerError("server did not listen on %s:\n%s" % (
                    pending, self.read_log()))
            name = pending[0]
            try:
                socket.create_connection(("127.0.0.1", self.ports[name]), 0.5).close()
                pending.pop(0)
            except OSError:
                time.sleep(0.02)
        return self

    def stop(self, check=True):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                if check:
                    raise ServerError("server did not stop on SIGTERM:\n" + self.read_log())
        rc = self.proc.returncode
        self.proc = None
        self.log.close()
        log = self.read_log()
        if check:
            self._check_sanitizer(log, "infostore serve")
            if rc != 0:
                raise ServerError("server exited %d:\n%s" % (rc, log[-5000:]))

    def kill(self):
        """SIGKILL: for crash tests. Sanitizer checks are skipped."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            self.log.close()

    def cleanup(self):
        self.stop(check=False)
        if self.owns_database and not os.environ.get("INFOSTORE_KEEP"):
            pg_cluster.drop_database(self.pg_conninfo)
            self.owns_database = False
        if not os.environ.get("INFOSTORE_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def _check_sanitizer(self, text, what):
        m = SANITIZER_PATTERNS.search(text)
        if m:
            start = max(0, m.start() - 200)
            raise ServerError("%s reported a problem:\n%s" % (what, text[start:start + 6000]))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        try:
            self.stop(check=exc[0] is None)
        finally:
            self.cleanup()

    # --- the store's tables, for tests that look underneath ---

    def sql(self, query, params=()):
        """Rows of query (with ? placeholders) on this server's store, on
        either backend, as tuples; integers come back as int."""
        if self.pg_conninfo is None:
            import sqlite3
            db = sqlite3.connect(os.path.join(self.data_dir, "index.db"), timeout=30)
            try:
                rows = db.execute(query, params).fetchall()
                db.commit()
            finally:
                db.close()
            return rows
        parts = query.split("?")
        if len(parts) - 1 != len(params):
            raise ValueError("placeholders and parameters differ")
        text = parts[0]
        for value, rest in zip(params, parts[1:]):
            if value is None:
                lit = "NULL"
            elif isinstance(value, (int, float)):
                lit = str(value)
            else:
                lit = "'" + str(value).replace("'", "''") + "'"
            text += lit + rest
        # fields and rows apart by characters no value holds (values are
        # multi-line: an iCalendar object)
        out = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\x1f", "-R", "\x1e",
                              "-v", "ON_ERROR_STOP=1", "-d", self.pg_conninfo, "-c", text],
                             capture_output=True, text=True, check=True).stdout
        rows = []
        for record in out.rstrip("\n").split("\x1e"):
            if record == "":
                continue
            fields = record.split("\x1f")
            rows.append(tuple(int(f) if re.fullmatch(r"-?[0-9]+", f) else f
                              for f in fields))
        return rows

    # --- clients ---

    def imap(self, tls=True, starttls=False, login=None, password=None, timeout=30):
        if tls:
            c = imaplib.IMAP4_SSL("127.0.0.1", self.ports["imaps"],
                                  ssl_context=client_tls_context(), timeout=timeout)
        else:
            c = imaplib.IMAP4("127.0.0.1", self.ports["imap"], timeout=timeout)
            if starttls:
                c.starttls(ssl_context=client_tls_context())
        if login:
            c.login(login, password or self.users[login])
        return c

    def pop3(self, tls=True, stls=False, login=None, password=None, timeout=30):
        if tls:
            c = poplib.POP3_SSL("127.0.0.1", self.ports["pop3s"],
                                context=client_tls_context(), timeout=timeout)
        else:
            c = poplib.POP3("127.0.0.1", self.ports["pop3"], timeout=timeout)
            if stls:
                c.stls(context=client_tls_context())
        if login:
            c.user(login)
            c.pass_(password or self.users[login])
        return c

    def lmtp(self, timeout=30):
        c = smtplib.LMTP("127.0.0.1", self.ports["lmtp"], timeout=timeout)
        return c

    def submission(self, tls=False, starttls=True, login=None, password=None,
                   timeout=30):
        """An smtplib client of the submission service: implicit TLS on
        tls_listen, else STARTTLS (unless starttls=False) on listen;
        EHLO sent, logged in when login is given."""
        if tls:
            c = smtplib.SMTP_SSL("127.0.0.1", self.ports["submissions"],
                                 context=client_tls_context(), timeout=timeout)
        else:
            c = smtplib.SMTP("127.0.0.1", self.ports["submission"], timeout=timeout)
            if starttls:
                c.starttls(context=client_tls_context())
        c.ehlo("client.example.test")
        if login:
            c.login(login, password or self.users[login])
        return c

    def url(self, path="/", scheme="https"):
        port = self.ports["https" if scheme == "https" else "http"]
        return "%s://127.0.0.1:%d%s" % (scheme, port, path)


def wait_for(predicate, timeout=20, interval=0.05):
    """Poll predicate until it returns something true or timeout passes;
    return its last value (tests assert on it). No sleep-and-hope: the
    deadline only bounds a wait for a condition that is checked."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


class SharedServerTest(__import__("unittest").TestCase):
    """One server for all tests of a class. SERVER_ARGS are the keyword
    arguments of InfostoreServer; configure(settings) may change the
    settings before the server starts."""
    SERVER_ARGS = {}

    @classmethod
    def configure(cls, settings):
        pass

    @classmethod
    def setUpClass(cls):
        cls.srv = InfostoreServer(**cls.SERVER_ARGS)
        settings = cls.srv.settings()
        cls.configure(settings)
        cls.srv.write_conf(settings)
        try:
            cls.srv.start()
        except BaseException:
            cls.srv.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()


def make_message(subject="test", body="Hello.\r\n", sender="bob@example.test",
                 to="alice@example.test", extra_headers="", msgid=None, eol="\r\n"):
    msgid = msgid or "<%d.%d@example.test>" % (time.time_ns(), os.getpid())
    text = ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Tue, 24 Nov 2026 09:00:00 +0000\r\n"
            "Message-ID: %s\r\n%s\r\n%s" % (sender, to, subject, msgid, extra_headers, body))
    return text.replace("\r\n", eol).encode()
