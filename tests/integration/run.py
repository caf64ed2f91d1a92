#!/usr/bin/python3
"""Runs the kapd integration tests: tests/integration/test_*.py with unittest.

    KAPD_BUILD=build /usr/bin/python3 tests/integration/run.py [-k PATTERN ...]

KAPD_BUILD names the directory holding kapd and kapctl (default "build"), relative to
the repository root unless absolute.  Exits non-zero when any test fails.
"""

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def main(argv):
    sys.path.insert(0, HERE)
    build = os.path.join(REPO, os.environ.get("KAPD_BUILD", "build"))
    for prog in ("kapd", "kapctl"):
        p = os.path.join(build, prog)
        if not os.access(p, os.X_OK):
            sys.stderr.write("run.py: %s is missing or not executable (build it first)\n" % p)
            return 2
    os.environ["KAPD_BUILD"] = build
    # kapctl speaks the caller's language (LC_ALL, LC_MESSAGES, LANG): the tests expect
    # English unless they ask for another, also where they start a program themselves.
    os.environ["LC_ALL"] = "C.UTF-8"
    patterns = []
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "-k" and args:
            patterns.append(args.pop(0))
        else:
            sys.stderr.write("usage: run.py [-k PATTERN]...\n")
            return 64
    loader = unittest.TestLoader()
    if patterns:
        loader.testNamePatterns = ["*%s*" % p if "*" not in p else p for p in patterns]
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    print("kapd integration tests against %s" % build, flush=True)
    start = time.monotonic()
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    print("integration tests took %.1f s" % (time.monotonic() - start), flush=True)
    return 0 if result.wasSuccessful() and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
