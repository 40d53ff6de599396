"""Dovecot's imaptest compliance scripts against the real server, over
plain IMAP and over IMAPS. imaptest is compiled here from the copy in
tests/imaptest/ (its release-2.3 branch) against Debian's libdovecot
(dovecot-dev), in a few seconds.

Every script group must pass but one: `append-binary` APPENDs a literal8
with NUL bytes and expects it stored; infostore keeps a message's bytes
exactly as sent and refuses such content with NO [UNKNOWN-CTE], as RFC
3516 4.4 and RFC 9051 6.3.12 provide for (README, "Protocols"). That
group runs on its own and must fail on exactly that refusal, so a change
in either direction shows."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from infostore_harness import ROOT, InfostoreServer

SOURCE = os.path.join(ROOT, "tests", "imaptest")
SCRIPTS = os.path.join(SOURCE, "upstream", "src", "tests")
DOVECOT_INCLUDE = "/usr/include/dovecot"
DOVECOT_LIB = "/usr/lib/dovecot"
BY_DESIGN = "append-binary"
SUMMARY_RE = re.compile(
    r"^(\d+) test groups: (\d+) failed, (\d+) skipped due to missing capabilities\n"
    r"base protocol: (\d+)/(\d+) individual commands failed\n"
    r"extensions: (\d+)/(\d+) individual commands failed\n", re.M)


def build_imaptest(directory):
    """Compile imaptest into directory; returns the binary's path."""
    if not os.path.exists(os.path.join(DOVECOT_INCLUDE, "lib.h")):
        raise AssertionError("dovecot-dev is missing: scripts/install-deps check "
                             "installs it")
    src = os.path.join(SOURCE, "upstream", "src")
    binary = os.path.join(directory, "imaptest")
    sources = sorted(os.path.join(src, f) for f in os.listdir(src) if f.endswith(".c"))
    # upstream's code, upstream's warnings: not ours to fix (-w)
    subprocess.run(["gcc", "-std=gnu99", "-O1", "-g", "-w", "-DHAVE_CONFIG_H",
                    "-I" + DOVECOT_INCLUDE, "-include", os.path.join(SOURCE, "compat.h")]
                   + sources + ["-o", binary, "-L" + DOVECOT_LIB,
                                "-Wl,-rpath," + DOVECOT_LIB, "-ldovecot", "-lssl",
                                "-lcrypto", "-lm"], check=True)
    return binary


class ImaptestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="infostore-imaptest-")
        try:
            cls.imaptest = build_imaptest(cls.dir)
            # the scripts less the one group that fails by design
            cls.scripts = os.path.join(cls.dir, "scripts")
            shutil.copytree(SCRIPTS, cls.scripts, ignore=lambda d, names: [
                n for n in names if n == BY_DESIGN or os.path.isdir(os.path.join(d, n))])
            cls.alone = os.path.join(cls.dir, "alone")
            os.mkdir(cls.alone)
            shutil.copy(os.path.join(SCRIPTS, BY_DESIGN), cls.alone)
        except BaseException:
            shutil.rmtree(cls.dir, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def run_scripts(self, scripts, tls):
        srv = InfostoreServer(listeners=("imaps",) if tls else ("imap",), conf={
            "server": {"plaintext_auth_from": "127.0.0.0/8"},
            # the scripts send deliberately bad commands
            "limits": {"max_bad_commands": "0"}})
        self.addCleanup(srv.cleanup)
        srv.start()
        args = [self.imaptest, "host=127.0.0.1", "user=alice@example.test",
                "pass=alice-secret", "test=" + scripts,
                "port=%d" % srv.ports["imaps" if tls else "imap"]]
        if tls:
            args.append("ssl=any-cert")
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=240)
        out = p.stdout.decode(errors="replace")
        srv.stop()   # fails on a sanitizer report or a crash
        m = SUMMARY_RE.search(out)
        self.assertTrue(m, out[-3000:])
        return p.returncode, out, [int(g) for g in m.groups()]

    def check_all_pass(self, tls):
        groups = [f for f in os.listdir(self.scripts) if not f.endswith(".mbox")]
        rc, out, (total, failed, skipped, base_failed, base, ext_failed, ext) = \
            self.run_scripts(self.scripts, tls)
        self.assertEqual((failed, base_failed, ext_failed), (0, 0, 0), out[-5000:])
        self.assertEqual(rc, 0, out[-2000:])
        # every group ran: none skipped for a missing capability
        self.assertEqual(total, len(groups))
        self.assertEqual(skipped, 0, out[-2000:])
        self.assertGreater(base, 400)
        self.assertGreater(ext, 150)
        print("\n  imaptest%s: %d groups, %d base and %d extension commands, all pass" % (
            " (TLS)" if tls else "", total, base, ext))

    def test_compliance_plain(self):
        self.check_all_pass(tls=False)

    def test_compliance_tls(self):
        self.check_all_pass(tls=True)

    def test_append_binary_refused_by_design(self):
        rc, out, (total, failed, _, _, _, ext_failed, _) = self.run_scripts(self.alone,
                                                                           tls=False)
        self.assertEqual((total, failed), (1, 1), out)
        self.assertNotEqual(rc, 0)
        first = out.index("*** Test %s command 1/" % BY_DESIGN)
        self.assertIn("got 'NO [UNKNOWN-CTE] ", out[first:first + 300], out)
        # the rest of the group fails for want of that message only
        self.assertEqual(ext_failed, out.count("*** Test %s command" % BY_DESIGN))


if __name__ == "__main__":
    unittest.main()
