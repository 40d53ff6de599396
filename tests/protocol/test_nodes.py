"""Several nodes on one PostgreSQL store (DESIGN.md, "Several nodes").

Two `infostore serve` processes share one database and one blob folder,
as two machines behind a load balancer would. Always on PostgreSQL,
whatever INFOSTORE_TEST_BACKEND says: several nodes need it. The database
restart test has a cluster of its own, so that stopping it disturbs no
other test.
"""
import os
import poplib
import re
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pg_cluster  # noqa: E402
from infostore_harness import InfostoreServer, make_message, wait_for  # noqa: E402
from test_imap_raw import RawImap  # noqa: E402
from test_web import WebClient  # noqa: E402
from smtp_relay import Relay  # noqa: E402

ALICE = "alice@example.test"
BOB = "bob@example.test"


def lmtp_send(srv, rcpt, message):
    """One LMTP transaction; True when the server acknowledged (250)."""
    try:
        c = srv.lmtp(timeout=20)
        try:
            refused = c.sendmail("carol@example.net", [rcpt], message)
        finally:
            try:
                c.quit()
            except Exception:
                pass
        return not refused
    except Exception:
        return False


def message_ids(srv, user=ALICE, password=None):
    """Message-IDs in the user's INBOX, read through IMAP on srv."""
    c = RawImap(srv, login=user, password=password)
    try:
        c.cmd("SELECT INBOX")
        untagged, _ = c.cmd("UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        return set(re.findall(rb"<([^>]+)>", b"".join(untagged)))
    finally:
        c.close()


class TwoNodesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = InfostoreServer(backend="postgresql")
        cls.a.start()
        cls.b = InfostoreServer(node_of=cls.a)
        cls.b.start()

    @classmethod
    def tearDownClass(cls):
        for srv in (cls.b, cls.a):
            try:
                srv.stop()
            finally:
                srv.cleanup()

    def test_delivered_on_a_read_on_b(self):
        body = "shared blob folder %d\r\n" % time.time_ns()
        self.assertTrue(lmtp_send(self.a, ALICE, make_message(subject="A to B", body=body)))
        c = RawImap(self.b, login=ALICE)
        try:
            untagged, _ = c.cmd("SELECT INBOX")
            n = int([l for l in untagged if l.endswith(b"EXISTS\r\n")][0].split()[1])
            untagged, tagged = c.cmd("FETCH %d (BODY[TEXT])" % n)
            self.assertIn(b" OK ", tagged)
            self.assertIn(body.encode(), b"".join(untagged))
        finally:
            c.close()

    def test_idle_on_b_sees_delivery_on_a(self):
        c = RawImap(self.b, login=BOB)
        try:
            untagged, _ = c.cmd("SELECT INBOX")
            exists = int([l for l in untagged if l.endswith(b"EXISTS\r\n")][0].split()[1])
            c.send("i1 IDLE\r\n")
            self.assertTrue(c.readline().startswith(b"+ "))
            self.assertTrue(lmtp_send(self.a, BOB, make_message(subject="wake on B")))
            delivered = time.time()
            c.wait_for(rb"^\* %d EXISTS" % (exists + 1), timeout=5.0)
            # DESIGN.md: another node's change is seen within a second
            self.assertLess(time.time() - delivered, 1.0)
            c.send("DONE\r\n")
            _, tagged = c.read_until_tagged("i1")
            self.assertIn(b"OK", tagged)
        finally:
            c.close()

    def test_concurrent_appends_uid_order_is_modseq_order(self):
        c = RawImap(self.a, login=ALICE)
        c.cmd("CREATE race")
        c.close()
        errors = []

        def append(srv, tag):
            conn = RawImap(srv, login=ALICE)
            try:
                for i in range(25):
                    msg = make_message(subject="%s %d" % (tag, i))
                    conn.send("a%d APPEND race {%d+}\r\n" % (i, len(msg)) + msg.decode() + "\r\n")
                    _, tagged = conn.read_until_tagged("a%d" % i)
                    if b" OK " not in tagged:
                        errors.append(tagged)
            finally:
                conn.close()

        threads = [threading.Thread(target=append, args=(s, t))
                   for s, t in ((self.a, "via-a"), (self.b, "via-b"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        c = RawImap(self.b, login=ALICE)
        try:
            c.cmd("ENABLE CONDSTORE")
            c.cmd("SELECT race")
            untagged, _ = c.cmd("UID FETCH 1:* (MODSEQ)")
            pairs = [(int(u), int(m)) for u, m in
                     re.findall(rb"UID (\d+) MODSEQ \((\d+)\)", b"".join(untagged))]
        finally:
            c.close()
        self.assertEqual(len(pairs), 50)
        pairs.sort()
        modseqs = [m for _, m in pairs]
        # a later UID never has an earlier MODSEQ: both follow commit order
        self.assertEqual(modseqs, sorted(modseqs))
        self.assertEqual(len(set(modseqs)), 50)

    def test_web_session_works_on_the_other_node(self):
        wa = WebClient(self.a.ports["https"])
        self.assertEqual(wa.login(ALICE, self.a.users[ALICE]).status, 303)
        wb = WebClient(self.b.ports["https"])
        wb.cookies = dict(wa.cookies)
        page = wb.get("/mail")
        self.assertEqual(page.status, 200, page.text[:300])
        self.assertIn(ALICE, page.text)
        wa.close()
        wb.close()

    def test_pop3_maildrop_is_locked_across_nodes(self):
        a = self.a.pop3(login=BOB)
        try:
            b = self.b.pop3()
            b.user(BOB)
            with self.assertRaises(poplib.error_proto) as cm:
                b.pass_(self.b.users[BOB])
            self.assertIn(b"[IN-USE]", cm.exception.args[0])
            b.close()
        finally:
            a.quit()
        # the lock goes with the session that held it
        b = self.b.pop3(login=BOB)
        self.assertTrue(b.stat()[0] >= 0)
        b.quit()

    def test_node_killed_mid_burst_loses_nothing_acknowledged(self):
        node = InfostoreServer(node_of=self.a)
        node.start()
        acked, stop = [], threading.Event()

        def burst():
            i = 0
            while not stop.is_set() and i < 400:
                mid = "kill-%d-%d@example.net" % (os.getpid(), i)
                msg = make_message(subject="burst %d" % i, msgid="<%s>" % mid)
                if lmtp_send(node, ALICE, msg):
                    acked.append(mid.encode())
                i += 1

        t = threading.Thread(target=burst)
        t.start()
        wait_for(lambda: len(acked) >= 20, timeout=60)
        node.kill()
        stop.set()
        t.join(60)
        node.cleanup()
        self.assertGreaterEqual(len(acked), 20)
        # every acknowledged message is there, read through the other node
        missing = set(acked) - message_ids(self.b)
        self.assertEqual(missing, set())


class OutboundTwoQueuesTest(unittest.TestCase):
    """Two nodes' outbound queues run on one queue table: each message is
    claimed by one node (FOR UPDATE SKIP LOCKED and a lease) and reaches
    the relay once."""

    def test_each_message_sent_once(self):
        relay = Relay(tls=False)
        self.addCleanup(relay.close)
        live = {"outbound": {"relay": "127.0.0.1:%d" % relay.port}}
        # queued while the relay cannot be reached (nothing listens on
        # port 1), so that both nodes find the messages due at their start
        a = InfostoreServer(listeners=("submission", "imaps"), backend="postgresql",
                            conf={"outbound": {"relay": "127.0.0.1:1"}})
        self.addCleanup(a.cleanup)
        a.start()
        c = a.submission(login=ALICE)
        for i in range(12):
            c.sendmail(ALICE, ["r%d@remote.example" % i],
                       make_message(subject="two queues %d" % i, sender=ALICE,
                                    to="r%d@remote.example" % i))
        c.quit()
        self.assertTrue(wait_for(lambda: a.sql(
            "SELECT count(*) FROM outbound WHERE attempts > 0")[0][0] == 12, timeout=60))
        a.stop()
        a.extra_conf.update(live)
        a.write_conf()
        b = InfostoreServer(node_of=a, listeners=("imaps",), conf=live)
        self.addCleanup(b.cleanup)
        a.sql("UPDATE outbound SET next_attempt = 0")
        a.start()
        b.start()
        self.addCleanup(b.stop)
        self.addCleanup(a.stop)
        self.assertTrue(wait_for(lambda: a.sql("SELECT count(*) FROM outbound")[0][0] == 0,
                                 timeout=60), a.read_log()[-2000:] + b.read_log()[-2000:])
        sent = [rcpts[0] for _, rcpts, _ in relay.messages]
        self.assertEqual(sorted(sent), sorted("r%d@remote.example" % i for i in range(12)))


class DatabaseRestartTest(unittest.TestCase):
    """The database goes away during deliveries and comes back: deliveries
    fail temporarily meanwhile (451, never 250 for a lost message), the node
    reconnects by itself, and every acknowledged message is there."""

    def test_database_restart_during_deliveries(self):
        cluster = pg_cluster.Cluster().start()
        self.addCleanup(cluster.cleanup)
        srv = InfostoreServer(backend="postgresql", pg=cluster)
        self.addCleanup(srv.cleanup)
        srv.start()
        acked, refused = [], []
        stop = threading.Event()

        def deliveries():
            i = 0
            while not stop.is_set():
                mid = "pgrestart-%d@example.net" % i
                if lmtp_send(srv, ALICE, make_message(subject="d %d" % i,
                                                      msgid="<%s>" % mid)):
                    acked.append(mid.encode())
                else:
                    refused.append(mid)
                i += 1
                time.sleep(0.01)

        t = threading.Thread(target=deliveries)
        t.start()
        try:
            wait_for(lambda: len(acked) >= 10, timeout=60)
            cluster.restart()
            before = len(acked)
            # the node finds its way back without a restart of its own
            wait_for(lambda: len(acked) >= before + 10, timeout=60)
        finally:
            stop.set()
            t.join(60)
        missing = set(acked) - message_ids(srv)
        self.assertEqual(missing, set())
        srv.stop()


class StartWithoutDatabaseTest(unittest.TestCase):
    def test_unreachable_database_at_start_is_exit_75(self):
        srv = InfostoreServer(backend="postgresql")
        self.addCleanup(srv.cleanup)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        settings = srv.settings()
        settings["store"]["postgresql"] = "host=127.0.0.1 port=%d user=postgres dbname=x" % port
        srv.write_conf(settings)
        proc = srv.cli("serve", timeout=60)
        self.assertEqual(proc.returncode, 75, proc.stderr)
        self.assertIn(b"PostgreSQL", proc.stderr)


if __name__ == "__main__":
    unittest.main()
