"""Login limits (README, "Login limits"): one address sending wrong
passwords as fast as it can, over many connections, does not keep real
users out of IMAP; guessing one account from one address does not lock
that account out elsewhere; wrong guesses from one address come at the
documented rate; refused logins say when to try again; a new password
ends the user's web sessions; and `serve` takes the open-file limit it may.

The attacker is 127.0.0.1 and the real users bind their client sockets to
other loopback addresses (127.0.0.2, 127.0.0.3): the server sees them as
different clients, as it would see two hosts on the internet."""
import asyncio
import re
import resource
import signal
import socket
import subprocess
import time
import unittest

from infostore_harness import BIN, SANITIZER_PATTERNS, InfostoreServer, wait_for
from test_web import WebClient

ALICE, ALICE_PW = "alice@example.test", "alice-secret"
BOB, BOB_PW = "bob@example.test", "bob-secret"
USERS = {
    ALICE: ALICE_PW,
    BOB: BOB_PW,
    "carol@example.test": "carol-secret",
    "dave@example.test": "dave-secret",
}
ATTACKER = "127.0.0.1"
THROTTLED = "Too many login attempts"
# A real user's login, connection included, under AddressSanitizer and a
# flood: generous for a loaded machine, far below what a full queue costs.
LOGIN_BOUND_SECS = 5.0


def quote(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


async def imap_open(port, src):
    reader, writer = await asyncio.open_connection("127.0.0.1", port,
                                                   local_addr=(src, 0))
    greeting = await reader.readline()
    if not greeting.startswith(b"* OK"):
        writer.close()
        raise ConnectionError("greeting: %r" % greeting)
    return reader, writer


async def imap_tagged(reader, tag):
    """The tagged reply to tag, or b"" when the server closed first."""
    while True:
        line = await reader.readline()
        if not line or line.startswith(tag + b" "):
            return line


async def imap_login(port, src, user, password):
    """One login on a new connection: (reply line, seconds taken)."""
    start = time.monotonic()
    reader, writer = await imap_open(port, src)
    try:
        writer.write(b"r1 LOGIN %s %s\r\n" % (quote(user).encode(), quote(password).encode()))
        await writer.drain()
        line = await imap_tagged(reader, b"r1")
        elapsed = time.monotonic() - start
        if line.startswith(b"r1 OK"):
            writer.write(b"r2 LOGOUT\r\n")
            await writer.drain()
            await imap_tagged(reader, b"r2")
        return line.decode(errors="replace").strip(), elapsed
    finally:
        writer.close()


class Flood:
    """connections from src that send wrong passwords for accounts (in
    turn) as fast as the server answers, reconnecting when it closes."""

    def __init__(self, port, src, accounts, connections):
        self.port = port
        self.src = src
        self.accounts = accounts
        self.connections = connections
        self.replies = {"failed": 0, "throttled": 0, "other": 0}
        self.other = []
        self.failed_at = []
        self.stop = False

    def classify(self, line):
        if b"[AUTHENTICATIONFAILED]" in line:
            self.replies["failed"] += 1
            self.failed_at.append(time.monotonic())
        elif THROTTLED.encode() in line:
            self.replies["throttled"] += 1
        else:
            self.replies["other"] += 1
            if len(self.other) < 5:
                self.other.append(line)

    async def one(self, n):
        guess = 0
        while not self.stop:
            try:
                reader, writer = await imap_open(self.port, self.src)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            try:
                while not self.stop:
                    guess += 1
                    account = self.accounts[(n + guess) % len(self.accounts)]
                    tag = b"g%d" % guess
                    writer.write(b"%s LOGIN %s \"wrong-%d-%d\"\r\n" % (
                        tag, quote(account).encode(), n, guess))
                    await writer.drain()
                    line = await imap_tagged(reader, tag)
                    if not line:
                        break  # closed after too many failures
                    self.classify(line)
            except OSError:
                pass
            finally:
                writer.close()

    async def run(self, seconds, during=None):
        """Flood for seconds; await the coroutine during alongside."""
        tasks = [asyncio.ensure_future(self.one(n)) for n in range(self.connections)]
        result = None
        start = time.monotonic()
        if during is not None:
            result = await during
        await asyncio.sleep(max(0.0, seconds - (time.monotonic() - start)))
        self.stop = True
        await asyncio.wait(tasks, timeout=30)
        for t in tasks:
            t.cancel()
        return result


async def logins_during(port, src, logins, warmup=1.0, gap=0.3):
    """After warmup (the flood at full strength), log in as each of
    logins in turn: a list of (user, reply, seconds)."""
    await asyncio.sleep(warmup)
    results = []
    for user, password in logins:
        reply, elapsed = await imap_login(port, src, user, password)
        results.append((user, reply, elapsed))
        await asyncio.sleep(gap)
    return results


def run(coro):
    return asyncio.new_event_loop().run_until_complete(coro)


class LoginLimitTest(unittest.TestCase):
    LIMITS = {}
    LISTENERS = ("imap",)

    @classmethod
    def setUpClass(cls):
        conf = {"server": {"plaintext_auth_from": "127.0.0.0/8"}}
        if cls.LIMITS:
            conf["limits"] = dict(cls.LIMITS)
        cls.srv = InfostoreServer(listeners=cls.LISTENERS, users=USERS, conf=conf)
        try:
            cls.srv.start()
        except BaseException:
            cls.srv.cleanup()
            raise
        cls.port = cls.srv.ports.get("imap")

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def assert_logins_ok(self, results):
        self.assertTrue(results)
        for user, reply, elapsed in results:
            self.assertNotIn("UNAVAILABLE", reply, (user, reply))
            self.assertTrue(reply.startswith("r1 OK"), (user, reply))
            self.assertLess(elapsed, LOGIN_BOUND_SECS, (user, reply, elapsed))


class FloodFromOneAddressTest(LoginLimitTest):
    def test_flood_does_not_keep_others_out(self):
        """200 connections from 127.0.0.1 guess passwords for several
        accounts; from 127.0.0.2 alice, bob and carol log in (the first
        login of each is not in the cache: it needs a password worker)."""
        flood = Flood(self.port, ATTACKER,
                      [ALICE, BOB, "nobody@example.test", "dave@example.test"], 200)
        logins = [(ALICE, ALICE_PW), (BOB, BOB_PW), ("carol@example.test", "carol-secret"),
                  (ALICE, ALICE_PW), (BOB, BOB_PW), (ALICE, ALICE_PW)]
        start = time.monotonic()
        results = run(flood.run(8, logins_during(self.port, "127.0.0.2", logins)))
        duration = time.monotonic() - start
        self.assert_logins_ok(results)
        # the attacker was answered, and mostly with the throttle's reply
        self.assertGreater(flood.replies["throttled"], 100, flood.replies)
        self.assertEqual(flood.replies["other"], 0, flood.other)
        # burst 20, then one per 6 s (the defaults), checks under way
        # included: no queueful slips in when the bucket refills
        self.assertLessEqual(flood.replies["failed"], 20 + int(duration / 6) + 1,
                             flood.replies)
        self.assertIn("login limit reached", self.srv.read_log())
        self.assertIn("limit=ip", self.srv.read_log())


class GuessOneAccountTest(LoginLimitTest):
    def test_account_guessed_from_one_address(self):
        """200 connections from 127.0.0.1 guess alice's password; alice logs
        in from 127.0.0.3 all the while. The lockout that follows is alice
        from 127.0.0.1 only: bob there, and alice elsewhere, log in."""
        flood = Flood(self.port, ATTACKER, [ALICE], 200)
        logins = [(ALICE, ALICE_PW)] * 5
        results = run(flood.run(6, logins_during(self.port, "127.0.0.3", logins)))
        self.assert_logins_ok(results)
        self.assertGreater(flood.replies["throttled"], 100, flood.replies)
        # burst 10 for one account from one address, then one a minute
        self.assertLessEqual(flood.replies["failed"], 11, flood.replies)
        self.assertIn("limit=user+ip", self.srv.read_log())

        reply, _ = run(imap_login(self.port, ATTACKER, ALICE, ALICE_PW))
        self.assertIn("NO [UNAVAILABLE] " + THROTTLED, reply)
        m = re.search(r"try again in (\d+) seconds?\.", reply)
        self.assertTrue(m, reply)
        self.assertTrue(1 <= int(m.group(1)) <= 60, reply)
        reply, _ = run(imap_login(self.port, ATTACKER, BOB, BOB_PW))
        self.assertTrue(reply.startswith("r1 OK"), reply)
        for src in ("127.0.0.3", "127.0.0.4"):
            reply, _ = run(imap_login(self.port, src, ALICE, ALICE_PW))
            self.assertTrue(reply.startswith("r1 OK"), (src, reply))


class RateTest(LoginLimitTest):
    # 3 at once, then one a second, from one address whatever the account
    LIMITS = {"auth_ip_failures": "3", "auth_ip_interval": "1s",
              "auth_user_ip_failures": "0", "auth_user_failures": "0"}

    def test_wrong_guesses_come_at_the_documented_rate(self):
        """8 connections from one address guess as fast as they can: the
        8th wrong password is answered no sooner than (8 - 3) * 1 s after
        the start, and the others were told to wait."""
        flood = Flood(self.port, ATTACKER, [ALICE, BOB, "nobody@example.test"], 8)
        start = time.monotonic()

        async def until_eight():
            while len(flood.failed_at) < 8 and time.monotonic() - start < 30:
                await asyncio.sleep(0.02)

        run(flood.run(0, until_eight()))
        self.assertGreaterEqual(len(flood.failed_at), 8, flood.replies)
        eighth = flood.failed_at[7] - start
        self.assertGreaterEqual(eighth, (8 - 3) * 1.0 - 0.05, flood.replies)
        self.assertLess(eighth, (8 - 3) * 1.0 + 5, flood.replies)
        self.assertGreater(flood.replies["throttled"], 0, flood.replies)
        self.assertEqual(flood.replies["other"], 0, flood.other)
        # the real user from elsewhere is not affected
        reply, _ = run(imap_login(self.port, "127.0.0.2", ALICE, ALICE_PW))
        self.assertTrue(reply.startswith("r1 OK"), reply)


class Pop3AndWebRepliesTest(LoginLimitTest):
    # two wrong passwords for one account from one address, then a minute
    LIMITS = {"auth_user_ip_failures": "2", "auth_user_ip_interval": "1m"}
    LISTENERS = ("pop3", "https")

    def pop3(self, src, user, password):
        with socket.create_connection(("127.0.0.1", self.srv.ports["pop3"]), timeout=30,
                                      source_address=(src, 0)) as s:
            f = s.makefile("rb")
            self.assertTrue(f.readline().startswith(b"+OK"))
            s.sendall(b"USER %s\r\n" % user.encode())
            self.assertTrue(f.readline().startswith(b"+OK"))
            s.sendall(b"PASS %s\r\n" % password.encode())
            return f.readline().decode().strip()

    def test_pop3_says_when_to_try_again(self):
        for _ in range(2):
            self.assertEqual(self.pop3(ATTACKER, "dave@example.test", "wrong"),
                             "-ERR [AUTH] Authentication failed.")
        reply = self.pop3(ATTACKER, "dave@example.test", "dave-secret")
        self.assertRegex(reply, r"^-ERR \[SYS/TEMP\] Too many login attempts, "
                                r"try again in \d+ seconds?\.$")
        self.assertTrue(self.pop3("127.0.0.2", "dave@example.test",
                                  "dave-secret").startswith("+OK"))

    def test_web_says_when_to_try_again(self):
        c = WebClient(self.srv.ports["https"])
        for _ in range(2):
            self.assertEqual(c.login("carol@example.test", "wrong").status, 403)
        r = c.login("carol@example.test", "carol-secret")
        self.assertEqual(r.status, 429)
        self.assertIn(THROTTLED, r.text)
        self.assertTrue(1 <= int(r.header("Retry-After")) <= 60, r.header("Retry-After"))
        self.assertIsNone(r.header("Set-Cookie"))
        # another account from the same address is not locked out
        self.assertEqual(c.login(BOB, BOB_PW).status, 303)
        c.close()


class PasswordChangeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = InfostoreServer(listeners=("imaps", "https"))
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

    def passwd(self, user, password):
        self.srv.cli("user", "passwd", user, input=password + "\n", check=True)

    def test_password_change_ends_web_sessions(self):
        bob = WebClient(self.srv.ports["https"])
        r = bob.login(BOB, BOB_PW)
        self.assertEqual(r.status, 303)
        self.assertIn(BOB, bob.get("/mail").text)
        other = WebClient(self.srv.ports["https"])
        self.assertEqual(other.login(ALICE, ALICE_PW).status, 303)
        old_cookies = dict(bob.cookies)

        self.passwd(BOB, "bob-new-secret")
        r = bob.get("/mail")
        self.assertEqual(r.status, 200)
        self.assertIn('name="password"', r.text)
        self.assertNotIn(BOB, r.text)
        # the old cookie, sent again from scratch, is no session either
        fresh = WebClient(self.srv.ports["https"])
        fresh.cookies = old_cookies
        self.assertIn('name="password"', fresh.get("/mail").text)
        # another user's session is not touched
        self.assertIn(ALICE, other.get("/mail").text)
        # the new password logs in, the old one does not
        self.assertEqual(fresh.login(BOB, BOB_PW).status, 403)
        self.assertEqual(fresh.login(BOB, "bob-new-secret").status, 303)
        for c in (bob, other, fresh):
            c.close()

    def test_password_change_empties_the_cache(self):
        """A password that logged in a moment ago (and so is in the
        server's cache) stops working as soon as it is changed."""
        c = self.srv.imap(login=ALICE)
        c.logout()
        c = self.srv.imap(login=ALICE)  # now from the cache
        c.logout()
        self.passwd(ALICE, "alice-new-secret")
        try:
            c = self.srv.imap()
            with self.assertRaises(Exception) as cm:
                c.login(ALICE, ALICE_PW)
            self.assertIn("AUTHENTICATIONFAILED", str(cm.exception))
            c = self.srv.imap(login=ALICE, password="alice-new-secret")
            c.logout()
        finally:
            self.passwd(ALICE, ALICE_PW)


class OpenFileLimitTest(unittest.TestCase):
    """`serve` takes the whole open-file limit it may, and says so when
    max_connections cannot fit into it."""

    def serve_with_limit(self, soft, hard, max_connections):
        srv = InfostoreServer(listeners=("imap",),
                              conf={"limits": {"max_connections": str(max_connections)}})
        self.addCleanup(srv.cleanup)
        for user, password in srv.users.items():
            srv.cli("user", "add", user, input=password + "\n", check=True)
        with open(srv.log_path, "ab") as log:
            proc = subprocess.Popen(
                [BIN, "-c", srv.conf_path, "serve"], stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard)))
        try:
            self.assertTrue(wait_for(lambda: "infostore started" in srv.read_log(), 30),
                            srv.read_log())
            with open("/proc/%d/limits" % proc.pid) as f:
                limits = [line.split() for line in f if line.startswith("Max open files")][0]
        finally:
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(30), 0, srv.read_log())
        self.assertIsNone(SANITIZER_PATTERNS.search(srv.read_log()), srv.read_log())
        return int(limits[3]), int(limits[4]), srv.read_log()

    def test_soft_limit_raised_and_too_small_a_limit_reported(self):
        hard = min(resource.getrlimit(resource.RLIMIT_NOFILE)[1], 4096)
        soft_now, hard_now, log = self.serve_with_limit(256, hard, 100)
        self.assertEqual((soft_now, hard_now), (hard, hard))
        self.assertNotIn("does not fit", log)
        soft_now, _, log = self.serve_with_limit(256, hard, hard)
        self.assertEqual(soft_now, hard)
        self.assertIn("max_connections=%d does not fit into the open-file limit %d"
                      % (hard, hard), log)


if __name__ == "__main__":
    unittest.main()
