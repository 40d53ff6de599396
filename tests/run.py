#!/usr/bin/env python3
"""Run the integration tests (tests/protocol/test_*.py) and print
"RESULT N passed, M failed, K skipped" as the last line.

Each test file starts the real infostore binary ($INFOSTORE_BIN) on free
loopback ports with a temporary data directory (see infostore_harness.py).
Usage: tests/run.py [PATTERN...]   e.g. tests/run.py test_pop3 test_imap
With INFOSTORE_TEST_BACKEND=postgresql every server of the run keeps its
store on a private PostgreSQL (tests/pg_cluster.py).

Tests that cannot lie:
  - a run that finds no test fails;
  - a skip counts as a pass only when it is declared: its reason starts
    with "slow:" (runs with INFOSTORE_SLOW=1) or "not-root:" (needs root,
    which make check and CI have); any other skip is a failure, because a
    tool that scripts/install-deps installs is never a reason to skip;
  - every test has a time limit (INFOSTORE_TEST_TIMEOUT seconds, default
    300): one that hangs fails instead of stalling the run.
"""
import os
import signal
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "protocol"))

DECLARED_SKIPS = ("slow:", "not-root:")
TIMEOUT = int(os.environ.get("INFOSTORE_TEST_TIMEOUT", "300"))


class TestTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise TestTimeout("the test ran longer than %d s (INFOSTORE_TEST_TIMEOUT)" % TIMEOUT)


class CountingResult(unittest.TextTestResult):
    """Arms a per-test alarm around every test."""

    def startTest(self, test):
        signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(TIMEOUT)
        super().startTest(test)

    def stopTest(self, test):
        signal.alarm(0)
        super().stopTest(test)


def main():
    patterns = sys.argv[1:] or ["test_*.py"]
    suite = unittest.TestSuite()
    for pattern in patterns:
        if not pattern.endswith(".py"):
            pattern += "*.py"
        suite.addTests(unittest.defaultTestLoader.discover(
            os.path.join(HERE, "protocol"), pattern=pattern,
            top_level_dir=os.path.join(HERE, "protocol")))
    pattern = " ".join(patterns)
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2,
                                     resultclass=CountingResult)
    result = runner.run(suite)
    failed_tests = [(t.id(), "") for t, _ in result.failures + result.errors]
    failed_tests += [(t.id(), " (unexpected success)") for t in result.unexpectedSuccesses]
    skipped = 0
    for test, reason in result.skipped:
        if reason.startswith(DECLARED_SKIPS):
            skipped += 1
            print(f"SKIP: {test.id()}: {reason}")
        else:
            failed_tests.append((test.id(), " (skipped without a declared reason: %s)"
                                 % reason))
    failed = len(failed_tests)
    # errors of setUpClass/setUpModule are not tests that ran: they fail
    # (above) but take nothing from the tests that were run
    ran_and_failed = sum(1 for t, _ in result.failures + result.errors
                         if isinstance(t, unittest.TestCase))
    passed = max(0, result.testsRun - ran_and_failed
                 - len(result.unexpectedSuccesses) - len(result.skipped))
    for name, why in failed_tests:
        print(f"FAILED-TEST: {name}{why}")
    if result.testsRun == 0:
        print("FAILED-TEST: no test found for pattern %s" % pattern)
        failed += 1
    sys.stdout.flush()
    print(f"RESULT {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
