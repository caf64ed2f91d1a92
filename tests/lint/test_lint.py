#!/usr/bin/python3
"""Tests of tests/lint/lint.py: the tree as it is passes, and one planted violation of
each rule, in a temporary copy of daemon/, makes it fail with a message naming the rule.

    /usr/bin/python3 tests/lint/test_lint.py
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LINT = os.path.join(HERE, "lint.py")


def run_lint(root):
    p = subprocess.run([sys.executable, LINT, root], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True, timeout=120)
    return p.returncode, p.stdout


def long_function(name, lines):
    body = "".join("\tx += %d;\n" % i for i in range(lines))
    return "int %s(int x);\nint\n%s(int x)\n{\n%s\treturn x;\n}\n" % (name, name, body)


class LintTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kapd-lint-")
        shutil.copytree(os.path.join(REPO, "daemon"), os.path.join(self.tmp, "daemon"))
        shutil.copy(os.path.join(REPO, ".clang-format"), self.tmp)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def path(self, rel):
        return os.path.join(self.tmp, "daemon", rel)

    def append(self, rel, text):
        with open(self.path(rel), "a", encoding="utf-8") as f:
            f.write(text)

    def prepend(self, rel, text):
        with open(self.path(rel), encoding="utf-8") as f:
            old = f.read()
        with open(self.path(rel), "w", encoding="utf-8") as f:
            f.write(text + old)

    def assert_fails(self, rule, where, words):
        rc, out = run_lint(self.tmp)
        self.assertEqual(rc, 1, "lint should fail on a planted %s violation:\n%s" % (rule, out))
        hits = [l for l in out.splitlines()
                if l.startswith("daemon/" + where) and (": %s: " % rule) in l]
        self.assertTrue(hits, "expected a '%s' message for daemon/%s, got:\n%s" %
                        (rule, where, out))
        self.assertTrue(any(words in l for l in hits),
                        "expected %r in the %s message, got:\n%s" % (words, rule, "\n".join(hits)))

    def test_clean_tree_passes(self):
        rc, out = run_lint(self.tmp)
        self.assertEqual(rc, 0, "the tree as committed must pass lint:\n" + out)
        self.assertIn("clean", out)

    def test_include_climbing_up_fails(self):
        self.append("core/rules.c", '\n#include "store/db.h"\n')
        self.assert_fails("layer", "core/rules.c", '"store/db.h"')

    def test_core_including_conf_beyond_config_h_fails(self):
        open(self.path("conf/other.h"), "w").close()
        self.append("core/rules.c", '\n#include "conf/other.h"\n')
        self.assert_fails("layer", "core/rules.c", '"conf/other.h"')

    def test_lib_including_run_fails(self):
        self.append("lib/sbuf.c", '\n#include "run/check.h"\n')
        self.assert_fails("layer", "lib/sbuf.c", '"run/check.h"')

    def test_sqlite_header_outside_store_fails(self):
        self.prepend("core/mail.c", "#include <sqlite3.h>\n")
        self.assert_fails("header", "core/mail.c", "<sqlite3.h>")

    def test_curl_header_outside_io_fails(self):
        self.prepend("run/feeds.c", "#include <curl/curl.h>\n")
        self.assert_fails("header", "run/feeds.c", "<curl/curl.h>")

    def test_libical_outside_ics_fails(self):
        self.prepend("core/rules.c", "#include <libical/ical.h>\n")
        self.assert_fails("header", "core/rules.c", "<libical/ical.h>")

    def test_clock_in_core_fails(self):
        self.append("core/rules.c", "long lint_now(void);\nlong\nlint_now(void)\n{\n"
                    "\treturn (long)time(NULL);\n}\n")
        self.assert_fails("pure", "core/rules.c", "time()")

    def test_getenv_in_core_fails(self):
        self.append("core/rules.c", "const char *lint_env(void);\nconst char *\n"
                    "lint_env(void)\n{\n\treturn getenv(\"TZ\");\n}\n")
        self.assert_fails("pure", "core/rules.c", "getenv()")

    def test_file_io_in_core_fails(self):
        self.append("core/ics.c", "void *lint_f(void);\nvoid *\nlint_f(void)\n{\n"
                    "\treturn fopen(\"/tmp/x\", \"r\");\n}\n")
        self.assert_fails("pure", "core/ics.c", "fopen()")

    def test_sql_text_outside_store_fails(self):
        self.append("kapctl/kapctl.c", '\nstatic const char lint_q[] = "SELECT key "\n'
                    '\t"FROM plan";\n')
        self.assert_fails("sql", "kapctl/kapctl.c", "SQL text")

    def test_sqlite_call_outside_store_fails(self):
        self.append("io/notify.c", "\nvoid lint_sq(void *st);\nvoid\nlint_sq(void *st)\n{\n"
                    "\tsqlite3_finalize(st);\n}\n")
        self.assert_fails("sql", "io/notify.c", "sqlite3_finalize")

    def test_banned_function_fails(self):
        for name in ("strcpy", "strcat", "sprintf", "vsprintf", "strtok", "atoi", "gets"):
            with self.subTest(name=name):
                shutil.rmtree(os.path.join(self.tmp, "daemon"))
                shutil.copytree(os.path.join(REPO, "daemon"), os.path.join(self.tmp, "daemon"))
                self.append("lib/sbuf.c", "\nvoid lint_b(char *d, const char *s);\nvoid\n"
                            "lint_b(char *d, const char *s)\n{\n\t(void)%s(d, s);\n}\n" % name)
                self.assert_fails("banned", "lib/sbuf.c", name + "()")

    def test_long_function_fails(self):
        with open(self.path("lib/sbuf.c"), encoding="utf-8") as f:
            name_line = f.read().count("\n") + 4  # blank, prototype, "int", then the name
        self.append("lib/sbuf.c", "\n" + long_function("lint_long", 70))
        self.assert_fails("long", "lib/sbuf.c:%d:" % name_line, "lint_long() has 74 lines")

    def test_long_function_with_reason_passes(self):
        self.append("lib/sbuf.c", "\n/* lint: long because a test says so */\n" +
                    long_function("lint_long", 70))
        rc, out = run_lint(self.tmp)
        self.assertEqual(rc, 0, "a long function with a reason must pass:\n" + out)

    def test_long_file_fails(self):
        self.append("lib/sbuf.c", "\n" * 900)
        self.assert_fails("long", "lib/sbuf.c", "file has")

    def test_misformatted_file_fails(self):
        # Written the way STYLE.md says not to: a brace on the function's line, spaces.
        self.append("lib/sbuf.c", "\nint lint_fmt(int x);\nint lint_fmt(int x) {\n"
                    "    return x+1;\n}\n")
        self.assert_fails("format", "lib/sbuf.c", "clang-format -i daemon/lib/sbuf.c")

    def test_misformatted_test_file_fails(self):
        os.makedirs(os.path.join(self.tmp, "tests", "unit"))
        with open(os.path.join(self.tmp, "tests", "unit", "test_x.c"), "w") as f:
            f.write("int main(void) { return 0; }\n")
        rc, out = run_lint(self.tmp)
        self.assertEqual(rc, 1, out)
        self.assertIn("tests/unit/test_x.c:1: format: ", out)

    def test_missing_clang_format_file_fails(self):
        os.unlink(os.path.join(self.tmp, ".clang-format"))
        rc, out = run_lint(self.tmp)
        self.assertEqual(rc, 1, out)
        self.assertIn(".clang-format:1: format: missing", out)

    def test_module_cycle_fails(self):
        self.append("lib/sbuf.h", '\n#include "lib/errlist.h"\n')
        self.append("lib/errlist.h", '\n#include "lib/sbuf.h"\n')
        self.assert_fails("cycle", "lib/", "lib/errlist <-> lib/sbuf")

    def test_folder_cycle_fails(self):
        self.append("conf/config.c", '\n#include "core/rules.h"\n')
        self.assert_fails("cycle", "con", "conf <-> core")


if __name__ == "__main__":
    unittest.main(verbosity=2)
