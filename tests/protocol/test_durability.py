"""Nothing acknowledged is lost: `deliver` processes are SIGKILLed at
random moments while others run; afterwards every message whose deliver
exited 0 is in INBOX exactly once and byte for byte, no message is there
twice or truncated, and the store opens cleanly.

make check delivers 150 messages; INFOSTORE_SLOW=1 (make check-slow)
delivers the 10,000 of the issue (sizes 1 KB to 200 KB)."""
import os
import random
import signal
import sqlite3
import subprocess
import time
import unittest

from infostore_harness import BIN, InfostoreServer

SLOW = bool(os.environ.get("INFOSTORE_SLOW"))
COUNT = int(os.environ.get("INFOSTORE_CRASH_COUNT", 10000 if SLOW else 150))
PARALLEL = 4


def generate(i, rng):
    size = int(1024 * (200 ** rng.random()))  # 1 KB .. 200 KB, log-uniform
    line = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(70))
    body = (line + "\r\n") * (size // 72 + 1)
    return ("From: load@example.test\r\nTo: alice@example.test\r\n"
            "Subject: crash test %d\r\nMessage-ID: <crash-%d@example.test>\r\n\r\n%s"
            % (i, i, body)).encode()


class DurabilityTest(unittest.TestCase):
    def test_sigkill_during_delivery(self):
        srv = InfostoreServer(listeners=())
        self.addCleanup(srv.cleanup)
        srv.cli("user", "add", "alice@example.test", input="password-1\n", check=True)
        rng = random.Random(20261124)
        messages = {i: generate(i, rng) for i in range(COUNT)}
        acked, killed, failed = set(), set(), {}
        running = []
        next_i = 0
        start = time.time()
        while next_i < COUNT or running:
            while next_i < COUNT and len(running) < PARALLEL:
                p = subprocess.Popen([BIN, "-c", srv.conf_path, "deliver",
                                      "alice@example.test"],
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
                kill_at = time.time() + rng.random() * 0.05 if rng.random() < 0.3 else None
                try:
                    p.stdin.write(messages[next_i])
                    p.stdin.close()
                except BrokenPipeError:
                    pass
                running.append((next_i, p, kill_at))
                next_i += 1
            still = []
            for i, p, kill_at in running:
                rc = p.poll()
                if rc is None and kill_at is not None and time.time() >= kill_at:
                    p.send_signal(signal.SIGKILL)
                    p.wait()
                    rc = p.returncode
                if rc is None:
                    still.append((i, p, kill_at))
                    continue
                err = p.stderr.read()
                p.stderr.close()
                if rc == 0:
                    acked.add(i)
                elif rc == -signal.SIGKILL:
                    killed.add(i)
                else:
                    failed[i] = (rc, err)
            running = still
            time.sleep(0.002)
        elapsed = time.time() - start
        self.assertEqual(failed, {}, "deliver failed without being killed")
        self.assertGreater(len(killed), 0, "the test killed nothing")
        self.assertGreater(len(acked), COUNT // 2)

        # The store opens cleanly and is consistent.
        boxes = srv.cli("mailbox", "list", "alice@example.test", check=True).stdout.decode()
        inbox = [l.split("\t") for l in boxes.splitlines() if l.startswith("INBOX\t")][0]
        db = sqlite3.connect(os.path.join(srv.data_dir, "index.db"))
        self.assertEqual(db.execute("pragma integrity_check").fetchone()[0], "ok")
        rows = db.execute("select m.uid, m.message_id, b.name from messages m join blobs b "
                          "on b.id = m.blob_id join mailboxes x on x.id = m.mailbox_id "
                          "where x.name = 'INBOX'").fetchall()
        db.close()
        self.assertEqual(int(inbox[1]), len(rows))
        seen = {}
        for uid, msgid, blob in rows:
            i = int(msgid.split("-")[1].split("@")[0])
            self.assertNotIn(i, seen, "message %d stored twice" % i)
            seen[i] = uid
            with open(os.path.join(srv.data_dir, "blobs", blob[:2], blob), "rb") as f:
                self.assertEqual(f.read(), messages[i], "message %d differs" % i)
        missing = acked - set(seen)
        self.assertEqual(missing, set(), "acknowledged messages lost")
        self.assertEqual(set(seen) - acked - killed, set())
        # spot-check the CLI path byte for byte
        for i in sorted(acked)[:5]:
            out = srv.cli("fetch", "alice@example.test", "INBOX", str(seen[i]),
                          check=True).stdout
            self.assertEqual(out, messages[i])
        print("\n  durability: %d messages, %d acknowledged, %d killed (%d of them "
              "stored anyway), %.1f s" % (COUNT, len(acked), len(killed),
                                        len(killed & set(seen)), elapsed))


if __name__ == "__main__":
    unittest.main()
