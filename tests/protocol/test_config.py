"""Configuration errors: every rule gives FILE:LINE: key: message on
stderr and exit 78, from `config check` and from `serve` before anything
listens; `config check` prints the link base of new meeting requests."""
import os
import socket
import subprocess
import unittest

from infostore_harness import BIN, InfostoreServer, free_port

EX_CONFIG = 78


class ConfigTest(unittest.TestCase):
    def setUp(self):
        self.srv = InfostoreServer(create_users=False)
        self.addCleanup(self.srv.cleanup)

    def write(self, text):
        """Write the config: the harness's [server] section, then text."""
        with open(self.srv.conf_path, "w") as f:
            f.write("[server]\nhostname = mail.example.test\ndata_dir = %s\n"
                    "tls_cert = %s\ntls_key = %s\n" % (
                        self.srv.data_dir, self.srv.cert, self.srv.key))
            f.write(text)

    def check(self, *args):
        return subprocess.run([BIN, "-c", self.srv.conf_path] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=60)

    def assert_config_error(self, text, line, key, fragment):
        self.write(text)
        want = "%s:%d: %s: " % (self.srv.conf_path, line, key)
        for cmd in (["config", "check"], ["serve"]):
            proc = self.check(*cmd)
            self.assertEqual(proc.returncode, EX_CONFIG, (cmd, proc.stderr))
            self.assertIn(want, proc.stderr, cmd)
            self.assertIn(fragment, proc.stderr, cmd)
            self.assertEqual(proc.stdout, "", cmd)

    def web(self, tls="", plain="", extra=""):
        port = free_port()
        return ("[imap]\nlisten =\ntls_listen =\n[pop3]\nlisten =\ntls_listen =\n"
                "[lmtp]\nlisten =\n[web]\ntls_listen = %s\nlisten = %s\n%s" % (
                    tls and "127.0.0.1:%d" % port, plain and "127.0.0.1:%d" % (port + 1),
                    extra))

    # --- the meeting-request link ---

    def test_link_base_https_by_default(self):
        self.write(self.web(tls=True))
        proc = self.check("config", "check")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertRegex(proc.stdout,
                         r"meeting-request links: https://mail\.example\.test:\d+/item/…")
        self.assertNotIn("http://", proc.stdout)
        self.assertRegex(proc.stdout, r"calendar and contacts apps: "
                         r"https://mail\.example\.test:\d+/dav/ \(CalDAV and CardDAV")

    def test_link_base_follows_plain_listener(self):
        self.write(self.web(plain=True) + "[server]\nplaintext_auth_from = 10.0.0.0/8\n")
        proc = self.check("config", "check")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertRegex(proc.stdout, r"meeting-request links: http://mail\.example\.test:\d+/item/")
        self.assertIn("web logins: over plain HTTP from 10.0.0.0/8 only", proc.stdout)

    def test_plain_only_web_where_nobody_could_log_in(self):
        """A plain-HTTP web access that refuses every password opens no
        meeting link: refused at start, not at the first click."""
        self.assert_config_error(self.web(plain=True), 16, "listen", "nobody could log in")

    def test_where_logins_are_accepted(self):
        self.write(self.web(tls=True, plain=True))
        proc = self.check("config", "check")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertRegex(proc.stdout, r"web logins: over https \(https://mail\.example\.test:\d+\);"
                         r" on the plain-HTTP listener every request is sent to https")

    def test_url_protocol_without_colon(self):
        self.write(self.web(tls=True, plain=True, extra="url_protocol = http\n"))
        proc = self.check("config", "check")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertRegex(proc.stdout, r"meeting-request links: http://")

    def test_url_protocol_bad_value(self):
        self.assert_config_error(self.web(tls=True, extra="url_protocol = ftp:\n"),
                                 17, "url_protocol", "auto, https:, http:")

    def test_http_links_without_plain_listener(self):
        self.assert_config_error(self.web(tls=True, extra="url_protocol = http:\n"),
                                 17, "url_protocol", "meeting-request links would not open")

    def test_https_links_without_tls_listener(self):
        self.assert_config_error(self.web(plain=True, extra="url_protocol = https:\n"
                                          "[server]\nplaintext_auth_from = 10.0.0.0/8\n"),
                                 17, "url_protocol", "meeting-request links would not open")

    def test_public_url_lets_a_proxy_answer(self):
        self.write(self.web(extra="url_protocol = https:\npublic_url = https://mail.example.test/owa\n"))
        proc = self.check("config", "check")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("meeting-request links: https://mail.example.test/owa/item/…", proc.stdout)

    def test_public_url_disagreeing(self):
        self.assert_config_error(
            self.web(tls=True, extra="url_protocol = https:\npublic_url = http://proxy.example.test\n"),
            17, "url_protocol", "disagrees with public_url")

    # --- syntax, names and addresses ---

    def test_unknown_section(self):
        self.assert_config_error("[imapd]\nlisten = 127.0.0.1:1\n", 6, "imapd", "unknown section")

    def test_unknown_key(self):
        self.assert_config_error("[imap]\nlisten_addr = 127.0.0.1:1\n", 7, "listen_addr",
                                 "unknown key in [imap]")

    def test_did_you_mean(self):
        # a typo gets the nearest key of the section (edit distance)
        self.assert_config_error("[limits]\nmax_mesage_size = 1M\n", 7, "max_mesage_size",
                                 "unknown key in [limits]; did you mean max_message_size?")
        # a key under the wrong header gets where it belongs
        self.assert_config_error("[imap]\nmax_message_size = 1M\n", 7, "max_message_size",
                                 "did you mean max_message_size in [limits]?")
        self.assert_config_error("[imapp]\nlisten = 127.0.0.1:1\n", 6, "imapp",
                                 "unknown section; did you mean [imap]?")
        # nothing near: no guess
        self.write("[imap]\nfrobnicate = 1\n")
        proc = self.check("config", "check")
        self.assertEqual(proc.returncode, EX_CONFIG)
        self.assertIn("unknown key in [imap]\n", proc.stderr)
        self.assertNotIn("did you mean", proc.stderr)

    def test_malformed_address(self):
        self.assert_config_error("[pop3]\ntls_listen = 127.0.0.1:995, localhost\n", 7,
                                 "tls_listen", "expected host:port")

    def test_address_with_hostname(self):
        self.assert_config_error("[lmtp]\nlisten = mail.example.test:24\n", 7, "listen",
                                 "numeric IP")

    def test_bad_syntax_line(self):
        self.assert_config_error("[imap]\nthis is not a setting\n", 7, "syntax",
                                 "expected [section] or key = value")

    # --- certificate and key ---

    def test_unreadable_certificate(self):
        with open(self.srv.conf_path, "w") as f:
            f.write("[server]\nhostname = mail.example.test\ndata_dir = %s\n"
                    "tls_cert = /nonexistent/cert.pem\ntls_key = %s\n" % (
                        self.srv.data_dir, self.srv.key))
        proc = self.check("config", "check")
        self.assertEqual(proc.returncode, EX_CONFIG)
        self.assertIn("%s:4: tls_cert: cannot read /nonexistent/cert.pem" % self.srv.conf_path,
                      proc.stderr)

    def test_unreadable_key(self):
        key = os.path.join(self.srv.dir, "key.pem")
        with open(key, "w") as f:
            f.write("x")
        os.chmod(key, 0)
        with open(self.srv.conf_path, "w") as f:
            f.write("[server]\nhostname = mail.example.test\ndata_dir = %s\n"
                    "tls_cert = %s\ntls_key = %s\n" % (self.srv.data_dir, self.srv.cert, key))
        proc = self.check("serve")
        self.assertEqual(proc.returncode, EX_CONFIG)
        # root can read a mode-0 file; then the key is simply not a key
        self.assertRegex(proc.stderr, r":5: tls_key: (cannot read|cannot load private key)")

    def test_key_not_matching_certificate(self):
        other = os.path.join(self.srv.dir, "other.pem")
        subprocess.run(["openssl", "genrsa", "-out", other, "2048"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(self.srv.conf_path, "w") as f:
            f.write("[server]\nhostname = mail.example.test\ndata_dir = %s\n"
                    "tls_cert = %s\ntls_key = %s\n" % (self.srv.data_dir, self.srv.cert, other))
        for cmd in (["config", "check"], ["serve"]):
            proc = self.check(*cmd)
            self.assertEqual(proc.returncode, EX_CONFIG)
            self.assertIn("%s:5: tls_key: private key %s does not match certificate" % (
                self.srv.conf_path, other), proc.stderr)

    def test_nothing_listens_on_config_error(self):
        port = free_port()
        self.write("[imap]\nlisten = 127.0.0.1:%d\ntls_listen =\n[web]\nurl_protocol = http:\n" % port)
        proc = self.check("serve")
        self.assertEqual(proc.returncode, EX_CONFIG)
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", port), 0.5).close()

    def test_missing_file(self):
        proc = subprocess.run([BIN, "-c", "/nonexistent.conf", "config", "check"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(proc.returncode, EX_CONFIG)
        self.assertIn("/nonexistent.conf:0: file: cannot open", proc.stderr)

    def test_example_config_is_valid(self):
        """doc/infostore.conf.example documents every key; it must parse."""
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        with open(os.path.join(root, "doc", "infostore.conf.example")) as f:
            text = f.read()
        text = (text.replace("/etc/infostore/cert.pem", self.srv.cert)
                .replace("/etc/infostore/key.pem", self.srv.key)
                .replace("/var/lib/infostore", self.srv.data_dir))
        with open(self.srv.conf_path, "w") as f:
            f.write(text)
        proc = self.check("config", "check")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("meeting-request links: https://mail.example.test/item/…", proc.stdout)
        # every key of the example appears in the effective settings
        for line in text.splitlines():
            if "=" in line and not line.lstrip().startswith(";"):
                key = line.split("=")[0].strip()
                self.assertIn("\n%s = " % key, proc.stdout, key)

    def test_env_config_path(self):
        self.write(self.web(tls=True))
        proc = subprocess.run([BIN, "config", "check"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              env=dict(os.environ, INFOSTORE_CONF=self.srv.conf_path))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("hostname = mail.example.test", proc.stdout)


if __name__ == "__main__":
    unittest.main()
