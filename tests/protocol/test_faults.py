"""Fault injection (INFOSTORE_FAULT): when a blob write, an fsync, the
rename or the index commit fails, `deliver` says "try again" (exit 75),
nothing half-done is left in the store, and the next delivery works."""
import os
import unittest

from infostore_harness import InfostoreServer, make_message

EX_TEMPFAIL = 75
# deliver writes the body, renames it, makes it durable with one syncfs
# ("fsync") and commits the index
POINTS = ["write:1", "rename:1", "fsync:1", "commit:1"]


class FaultTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = InfostoreServer(listeners=())
        cls.srv.cli("user", "add", "alice@example.test", input="password-1\n", check=True)

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def inbox_count(self):
        out = self.srv.cli("mailbox", "list", "alice@example.test", check=True).stdout.decode()
        return int([l for l in out.splitlines() if l.startswith("INBOX\t")][0].split("\t")[1])

    def files(self, sub):
        found = []
        for dirpath, _, names in os.walk(os.path.join(self.srv.data_dir, sub)):
            found += [os.path.join(dirpath, n) for n in names]
        return sorted(found)

    def test_each_fault_point(self):
        srv = self.srv
        for point in POINTS:
            with self.subTest(point=point):
                before = self.inbox_count()
                blobs = self.files("blobs")
                os.environ["INFOSTORE_FAULT"] = point
                try:
                    proc = srv.cli("deliver", "alice@example.test",
                                   input=make_message(subject=point))
                finally:
                    del os.environ["INFOSTORE_FAULT"]
                self.assertEqual(proc.returncode, EX_TEMPFAIL, proc.stderr)
                self.assertIn(b"injected failure point=%s" % point.split(":")[0].encode(),
                              proc.stderr)
                self.assertEqual(self.inbox_count(), before)
                self.assertEqual(self.files("tmp"), [])
                self.assertEqual(self.files("blobs"), blobs, "a body without index row")
                # and the store is fine afterwards
                srv.deliver("alice@example.test", make_message(subject="after " + point))
                self.assertEqual(self.inbox_count(), before + 1)


if __name__ == "__main__":
    unittest.main()
