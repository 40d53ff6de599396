"""The daemon's life cycle: it starts, logs, reloads its certificate on
SIGHUP (keeping the old one if the new files are bad) and stops cleanly
on SIGTERM. The reload on live listeners: new handshakes get the new
certificate, a session opened before goes on, a bad key keeps the
certificate in use and the log says why. TLS 1.0 and 1.1 are refused on
every TLS listener and after every STARTTLS."""
import os
import shutil
import signal
import socket
import ssl
import subprocess
import unittest

from infostore_harness import (InfostoreServer, cert_files, client_tls_context, free_port,
                               loopback_cert, make_message, wait_for)



def own_cert_copy(srv):
    """Point srv at copies of the certificate and key that a test may
    replace or break; returns their paths."""
    cert = os.path.join(srv.dir, "cert.pem")
    key = os.path.join(srv.dir, "key.pem")
    shutil.copy(srv.cert, cert)
    shutil.copy(srv.key, key)
    settings = srv.settings()
    settings["server"]["tls_cert"] = cert
    settings["server"]["tls_key"] = key
    srv.write_conf(settings)
    return cert, key


class ServeTest(unittest.TestCase):
    def test_start_reload_stop(self):
        srv = InfostoreServer(listeners=())
        self.addCleanup(srv.cleanup)
        cert, key = own_cert_copy(srv)
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


def served_cert(port):
    """The DER certificate a new handshake on port gets."""
    with socket.create_connection(("127.0.0.1", port), 20) as raw:
        with client_tls_context().wrap_socket(raw) as tls:
            return tls.getpeercert(binary_form=True)


def file_cert(path):
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


class TlsReloadTest(unittest.TestCase):
    def test_reload_on_live_listeners(self):
        srv = InfostoreServer(listeners=("imaps", "pop3s"))
        self.addCleanup(srv.cleanup)
        cert, key = own_cert_copy(srv)
        srv.start()
        self.addCleanup(srv.stop)
        old_der = file_cert(cert)
        srv.deliver("alice@example.test", make_message(subject="before the reload"))
        old = srv.imap(login="alice@example.test")
        self.addCleanup(old.logout)
        self.assertEqual(old.select("INBOX")[0], "OK")
        self.assertEqual(served_cert(srv.ports["imaps"]), old_der)

        # a new certificate and key, put in place the way certbot does
        new_dir = os.path.join(srv.dir, "new")
        os.mkdir(new_dir)
        new_cert, new_key = loopback_cert(new_dir)
        new_der = file_cert(new_cert)
        self.assertNotEqual(new_der, old_der)
        os.replace(new_cert, cert)
        os.replace(new_key, key)
        srv.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: "TLS certificate reloaded" in srv.read_log()),
                        srv.read_log())
        for listener in ("imaps", "pop3s"):
            self.assertEqual(served_cert(srv.ports[listener]), new_der, listener)
        # the session from before goes on, over its old handshake
        self.assertEqual(old.sock.getpeercert(binary_form=True), old_der)
        typ, data = old.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(typ, "OK")
        self.assertIn(b"before the reload", data[0][1])
        srv.deliver("alice@example.test", make_message(subject="after the reload"))
        exists = []

        def noop_sees_it():
            self.assertEqual(old.noop()[0], "OK")
            exists.extend(old.response("EXISTS")[1])
            return b"2" in exists
        self.assertTrue(wait_for(noop_sees_it), exists)   # * 2 EXISTS
        c = srv.imap(login="alice@example.test")
        self.assertEqual(c.select("INBOX"), ("OK", [b"2"]))
        c.logout()

        # bad keys: the certificate in use stays, the log says why
        third_dir = os.path.join(srv.dir, "third")
        os.mkdir(third_dir)
        _, other_key = loopback_cert(third_dir)
        for bad, why in ((b"garbage\n", "cannot load private key " + key),
                         (open(other_key, "rb").read(),
                          "private key %s does not match certificate %s" % (key, cert))):
            with open(key, "wb") as f:
                f.write(bad)
            failed = srv.read_log().count("TLS reload failed")
            srv.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: srv.read_log().count("TLS reload failed")
                                     > failed), srv.read_log())
            line = [l for l in srv.read_log().splitlines() if "TLS reload failed" in l][-1]
            self.assertIn("keeping the old certificate: " + why, line)
            self.assertIsNone(srv.proc.poll())
            for listener in ("imaps", "pop3s"):
                self.assertEqual(served_cert(srv.ports[listener]), new_der, listener)
            self.assertEqual(old.noop()[0], "OK")


def s_client(port, version, starttls=None):
    """openssl s_client's output for one handshake with only version
    (tls1, tls1_1, tls1_2) offered, at security level 0 so that the
    client itself would take TLS 1.0."""
    args = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-" + version,
            "-cipher", "DEFAULT@SECLEVEL=0", "-servername", "mail.example.test"]
    if starttls:
        args += ["-starttls", starttls]
    p = subprocess.run(args, input=b"", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=30)
    return p.stdout.decode(errors="replace")


class OldTlsRefusedTest(unittest.TestCase):
    def test_client_can_speak_tls1(self):
        """The control: against a server that allows them, this client
        gets TLS 1.0 and 1.1, so a refusal below is the server's."""
        port = free_port()
        cert, key = cert_files()
        server = subprocess.Popen(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port,
                                   "-cert", cert, "-key", key, "-cipher",
                                   "DEFAULT@SECLEVEL=0", "-quiet"],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        self.addCleanup(server.wait)
        self.addCleanup(server.kill)
        self.assertTrue(wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", port))
                                 == 0))
        self.assertIn("Protocol  : TLSv1\n", s_client(port, "tls1"))
        self.assertIn("Protocol  : TLSv1.1\n", s_client(port, "tls1_1"))

    def test_tls1_and_tls1_1_refused(self):
        srv = InfostoreServer(listeners=("imap", "imaps", "pop3", "pop3s", "submission",
                                         "submissions", "https"))
        self.addCleanup(srv.cleanup)
        srv.start()
        self.addCleanup(srv.stop)
        for listener, starttls in (("imaps", None), ("pop3s", None), ("submissions", None),
                                   ("https", None), ("imap", "imap"), ("pop3", "pop3"),
                                   ("submission", "smtp")):
            port = srv.ports[listener]
            for version in ("tls1", "tls1_1"):
                out = s_client(port, version, starttls)
                # the server's alert 70 (protocol_version), no session
                self.assertIn("alert protocol version", out, (listener, version, out))
                self.assertNotIn("Cipher is", out.replace("Cipher is (NONE)", ""),
                                 (listener, version))
            out = s_client(port, "tls1_2", starttls)
            self.assertIn("Protocol  : TLSv1.2\n", out, (listener, out))


if __name__ == "__main__":
    unittest.main()
