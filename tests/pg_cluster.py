"""A private PostgreSQL for the tests: initdb and pg_ctl from Debian's
postgresql package in a temporary folder, on a free loopback port, as the
unprivileged `postgres` user when run as root (PostgreSQL refuses to run
as root). One cluster serves a whole test run; each infostore server of
a test gets a database of its own.

The database encoding is SQL_ASCII with the C locale, as infostore
requires (text stored as given, like SQLite).

Environment:
  INFOSTORE_TEST_PG     "host=... port=... user=..." of a running cluster
                        (scripts/check starts one and sets this); without
                        it, cluster() starts one for this process and stops
                        it at exit.
"""
import atexit
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

_cluster = None
_counter = itertools.count(1)


def bindir():
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True,
                             text=True, check=True).stdout.strip()
        if os.path.exists(os.path.join(out, "initdb")):
            return out
    except (OSError, subprocess.CalledProcessError):
        pass
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL's initdb is missing: scripts/install-deps check")
    return os.path.dirname(found[-1])


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Cluster:
    def __init__(self, base=None):
        self.base = base or tempfile.mkdtemp(prefix="infostore-pg-")
        self.data = os.path.join(self.base, "data")
        self.port = _free_port()
        self.bin = bindir()
        self.user = None
        if os.geteuid() == 0:
            self.user = pwd.getpwnam("postgres")
            os.chown(self.base, self.user.pw_uid, self.user.pw_gid)
        os.chmod(self.base, 0o755)

    def _run(self, *args, check=True):
        def demote():
            if self.user is not None:
                os.setgid(self.user.pw_gid)
                os.setuid(self.user.pw_uid)
        return subprocess.run(list(args), preexec_fn=demote, cwd=self.base,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, check=check)

    def start(self):
        self._run(os.path.join(self.bin, "initdb"), "-D", self.data,
                  "-A", "trust", "-U", "postgres", "-E", "SQL_ASCII",
                  "--locale=C", "--no-sync")
        opts = ("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=300"
                " -c fsync=on -c synchronous_commit=on" % (self.port, self.base))
        proc = self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data,
                         "-l", os.path.join(self.base, "log"), "-w", "-t", "60",
                         "-o", opts, "start", check=False)
        if proc.returncode != 0:
            raise RuntimeError("PostgreSQL did not start: %s\n%s" % (
                proc.stdout, self.log()))
        return self

    def stop(self, mode="fast"):
        self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", mode,
                  "-w", "stop", check=False)

    def restart(self):
        """Stop (immediate: as a crash would) and start again on the same port."""
        self.stop("immediate")
        opts = ("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=300"
                % (self.port, self.base))
        self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data,
                  "-l", os.path.join(self.base, "log"), "-w", "-t", "60",
                  "-o", opts, "start")

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def log(self):
        try:
            with open(os.path.join(self.base, "log")) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def conninfo(self, dbname="postgres"):
        return "host=127.0.0.1 port=%d user=postgres dbname=%s" % (self.port, dbname)


class Running:
    """A cluster someone else started (INFOSTORE_TEST_PG)."""

    def __init__(self, conninfo):
        self.base_conninfo = conninfo
        self.fields = dict(f.split("=", 1) for f in conninfo.split())

    def conninfo(self, dbname="postgres"):
        f = dict(self.fields, dbname=dbname)
        return " ".join("%s=%s" % kv for kv in f.items())


def cluster():
    """The run's cluster: the one named by INFOSTORE_TEST_PG, or a new one."""
    global _cluster
    if _cluster is None:
        given = os.environ.get("INFOSTORE_TEST_PG")
        if given:
            _cluster = Running(given)
        else:
            c = Cluster().start()
            atexit.register(c.cleanup)
            _cluster = c
            os.environ["INFOSTORE_TEST_PG"] = c.conninfo()
    return _cluster


def psql(conninfo, sql):
    return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At",
                           "-d", conninfo, "-c", sql], capture_output=True,
                          text=True, check=True).stdout


def create_database(c=None):
    """A new empty database (SQL_ASCII, C) on cluster c (default: the
    run's); returns its connection string."""
    c = c or cluster()
    name = "t%d_%d_%d" % (os.getpid(), int(time.time() * 1000) % 100000000,
                          next(_counter))
    psql(c.conninfo(), "CREATE DATABASE %s ENCODING 'SQL_ASCII' LC_COLLATE 'C'"
         " LC_CTYPE 'C' TEMPLATE template0" % name)
    return c.conninfo(name)


def drop_database(conninfo):
    fields = dict(f.split("=", 1) for f in conninfo.split())
    name = fields["dbname"]
    admin = " ".join("%s=%s" % (k, v) for k, v in dict(fields, dbname="postgres").items())
    try:
        psql(admin, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
    except subprocess.CalledProcessError:
        pass


if __name__ == "__main__":
    # scripts/check: start a cluster, print its conninfo, stay until stdin closes
    import sys
    c = Cluster().start()
    print(c.conninfo(), flush=True)
    try:
        sys.stdin.read()
    finally:
        c.cleanup()
