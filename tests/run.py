#!/usr/bin/env python3
"""Run the integration tests (tests/protocol/test_*.py) and print
"RESULT N passed, M failed" as the last line.

Each test file starts the real infostore binary ($INFOSTORE_BIN) on free
loopback ports with a temporary data directory (see infostore_harness.py).
Usage: tests/run.py [PATTERN]   e.g. tests/run.py test_pop3
"""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "protocol"))


class CountingResult(unittest.TextTestResult):
    pass


def main():
    pattern = sys.argv[1] if len(sys.argv) > 1 else "test_*.py"
    if not pattern.endswith(".py"):
        pattern += "*.py"
    suite = unittest.defaultTestLoader.discover(os.path.join(HERE, "protocol"),
                                                pattern=pattern,
                                                top_level_dir=os.path.join(HERE, "protocol"))
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2,
                                     resultclass=CountingResult)
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    for test, _ in result.failures + result.errors:
        print(f"FAILED-TEST: {test.id()}")
    for test, reason in result.skipped:
        print(f"SKIP: {test.id()}: {reason}")
    sys.stdout.flush()
    print(f"RESULT {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
