"""The daemon's life cycle: it starts, logs, reloads its certificate on
SIGHUP (keeping the old one if the new files are bad) and stops cleanly
on SIGTERM."""
import os
import shutil
import signal
import unittest

from infostore_harness import InfostoreServer, wait_for



class ServeTest(unittest.TestCase):
    def test_start_reload_stop(self):
        srv = InfostoreServer(listeners=())
        self.addCleanup(srv.cleanup)
        # copies of the certificate we can break
        cert = os.path.join(srv.dir, "cert.pem")
        key = os.path.join(srv.dir, "key.pem")
        shutil.copy(srv.cert, cert)
        shutil.copy(srv.key, key)
        settings = srv.settings()
        settings["server"]["tls_cert"] = cert
        settings["server"]["tls_key"] = key
        srv.write_conf(settings)
        srv.start()
        self.assertTrue(wait_for(lambda: "infostore started" in srv.read_log()),
                        srv.read_log())
        # no web listener: no links, and the log says so
        self.assertIn("links=none", srv.read_log())

        srv.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: "TLS certificate reloaded" in srv.read_log()),
                        srv.read_log())
        with open(key, "w") as f:
            f.write("garbage\n")
        srv.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: "TLS reload failed" in srv.read_log()),
                        srv.read_log())
        self.assertIsNone(srv.proc.poll(), "a bad reload must not stop the server")
        srv.stop()  # SIGTERM; fails the test on a non-zero exit or sanitizer report
        self.assertIn("stopped", srv.read_log())

    def test_store_shared_with_cli(self):
        """deliver works while serve runs on the same store."""
        srv = InfostoreServer(listeners=())
        self.addCleanup(srv.cleanup)
        srv.start()
        for i in range(3):
            srv.deliver("alice@example.test",
                        b"Subject: %d\r\n\r\nbody\r\n" % i)
        out = srv.cli("mailbox", "list", "alice@example.test", check=True).stdout.decode()
        self.assertIn("INBOX\t3\t3\t", out)
        srv.stop()


if __name__ == "__main__":
    unittest.main()
