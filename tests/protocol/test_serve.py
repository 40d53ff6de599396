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
import tempfile
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


def _private_key_chunks(key_path):
    """32 bytes from the middle of the key's secret (RSA's private
    exponent, EC's private scalar), big-endian as in the file and
    reversed as an OpenSSL BIGNUM holds it in memory; and one base64 line
    of the PEM file as it is read."""
    text = subprocess.run(["openssl", "pkey", "-in", key_path, "-text", "-noout"],
                          check=True, capture_output=True, text=True).stdout
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines)
                 if l.startswith("privateExponent:") or l.startswith("priv:"))
    hexdigits = ""
    for l in lines[start + 1:]:
        if not l.startswith(" "):
            break
        hexdigits += l.strip().replace(":", "")
    secret = bytes.fromhex(hexdigits)
    mid = len(secret) // 2
    chunk = secret[mid - 16:mid + 16]
    with open(key_path) as f:
        pem_lines = [l.strip() for l in f if not l.startswith("-----")]
    return chunk, chunk[::-1], pem_lines[len(pem_lines) // 2].encode()


def _memory_has(pid, needles):
    """Which of needles occur in the readable memory of process pid. Read
    in chunks (a needle across a chunk border is found: chunks overlap by
    the longest needle); mappings over 1 GiB are an address-sanitizer
    shadow or reservation, not data, and are left out."""
    found = set()
    chunk = 8 << 20
    overlap = max(len(n) for n in needles)
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            if "r" not in fields[1] or (len(fields) > 5 and fields[5] in
                                       ("[vvar]", "[vsyscall]")):
                continue
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            if hi - lo > 1 << 30:
                continue
            pos = lo
            while pos < hi:
                try:
                    mem.seek(pos)
                    data = mem.read(min(chunk + overlap, hi - pos))
                except (OSError, OverflowError, ValueError):
                    data = b""
                for n in needles:
                    if n in data:
                        found.add(n)
                pos += chunk
    return found


def _children(pid):
    kids = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            kids += [int(x) for x in f.read().split()]
    return kids


class TlsKeyProcessTest(unittest.TestCase):
    """The daemon that parses network input never holds the TLS private
    key: a key process of its own signs for it (tls-signer.h)."""

    def check_key_kept_apart(self, keytype):
        srv = InfostoreServer(listeners=("imaps", "pop3s"))
        self.addCleanup(srv.cleanup)
        cert, key = own_cert_copy(srv)
        subprocess.run(["openssl", "req", "-x509", "-newkey", keytype, "-nodes",
                        "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", cert], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        srv.start()
        self.addCleanup(srv.stop)
        # handshakes work (the key process signs), over both listeners
        for listener in ("imaps", "pop3s"):
            self.assertEqual(served_cert(srv.ports[listener]), file_cert(cert))
        srv.deliver("alice@example.test", make_message(subject="over TLS"))
        imap = srv.imap(login="alice@example.test")
        self.addCleanup(imap.logout)
        self.assertEqual(imap.select("INBOX")[0], "OK")

        be, le, pem_line = _private_key_chunks(key)
        kids = _children(srv.proc.pid)
        self.assertEqual(len(kids), 1, kids)
        # the scan can see a key: the key process has it
        self.assertTrue(_memory_has(kids[0], [be, le]), "the scan finds no key at all")
        # the daemon has none of it, in any form
        self.assertEqual(_memory_has(srv.proc.pid, [be, le, pem_line]), set())

    def test_rsa_key_kept_apart(self):
        self.check_key_kept_apart("rsa:2048")

    def test_ecdsa_key_kept_apart(self):
        self.check_key_kept_apart("ec:" + self.ec_params())

    def ec_params(self):
        path = os.path.join(tempfile.mkdtemp(prefix="infostore-ec-"), "p256.pem")
        subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-out", path],
                       check=True)
        self.addCleanup(shutil.rmtree, os.path.dirname(path))
        return path

    def test_key_process_ends_with_the_daemon(self):
        srv = InfostoreServer(listeners=("imaps",))
        self.addCleanup(srv.cleanup)
        srv.start()
        kids = _children(srv.proc.pid)
        self.assertEqual(len(kids), 1, kids)
        srv.stop()
        self.assertTrue(wait_for(lambda: not os.path.exists(f"/proc/{kids[0]}")
                                 or open(f"/proc/{kids[0]}/stat").read().split()[2] == "Z"))
