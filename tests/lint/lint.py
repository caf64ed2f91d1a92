#!/usr/bin/python3
"""kapd's structural lint: keeps daemon/ layered the way README "Layout" describes.

    /usr/bin/python3 tests/lint/lint.py [ROOT]      (ROOT: the repository, default: here)

Exits 1 and prints "file:line: rule: what" for every violation, 0 when the tree is clean.
Rules (each message starts with the rule's name):

  layer       an #include "dir/x.h" that climbs up.  Dependencies point down:
              kapd, kapctl -> run -> {store, io, core} -> conf -> lib; store and io may use
              core; core may include only lib/ and conf/config.h; kapd and kapctl never
              include each other.
  header      a library header outside its room: <sqlite3.h> only in store/ (store
              headers may expose the opaque `sqlite3 *` handle to run/ and the programs,
              which never name sqlite3_* themselves), <curl/...> only in io/, <libical/...>
              only in core/ics.c (iCalendar composition, in memory) and its loader
              io/ical_lazy.c, <libconfig.h> only in
              conf/.
  pure        clock, environment or file I/O in core/ (time(, getenv, clock_gettime,
              fopen, open(, read(, printf ...).
  sql         SQL text in a string literal (SELECT ... FROM, INSERT INTO, UPDATE x SET,
              DELETE FROM, CREATE/DROP/ALTER, PRAGMA, BEGIN/COMMIT/ROLLBACK), a sqlite3_* or
              SQLITE_* name, or db_prepare/db_exec outside store/.
  banned      strcpy, strcat, sprintf, vsprintf, strtok, atoi, gets.
  long        a function over 60 lines (its name line to its closing brace) or a file over
              800 lines, unless a comment carries the marker "lint: long because <reason>":
              for a function in the comment just above it (within 8 lines of its name),
              for a file within its first 20 lines.
  cycle       an include cycle between modules (foo.c and foo.h are one module, and a
              private foo_impl.h belongs to foo) or between folders.
  format      a C file (daemon/ and tests/) that clang-format, with the repository's
              .clang-format, would change.  A generated table may opt out with a
              "clang-format off" comment, which clang-format itself honours.

TEMP_SQL_ALLOWED lists files that may still hold SQL for now (printed as a warning).
"""

import os
import re
import shutil
import subprocess
import sys

LAYERS = ("lib", "conf", "core", "store", "io", "run", "kapd", "kapctl")
# Which folders a file of each folder may include (its own folder always).
ALLOWED = {
    "lib": {"lib"},
    "conf": {"lib"},
    "core": {"lib"},            # plus conf/config.h, see CORE_EXTRA
    "store": {"core", "conf", "lib"},
    "io": {"core", "conf", "lib"},
    "run": {"store", "io", "core", "conf", "lib"},
    "kapd": {"run", "store", "io", "core", "conf", "lib"},
    "kapctl": {"run", "store", "io", "core", "conf", "lib"},
}
CORE_EXTRA = {"conf/config.h"}

# <header prefix>: (allowed folders, allowed files)
SYS_HEADERS = {
    "sqlite3.h": ({"store"}, set()),
    "curl/": ({"io"}, set()),
    "libical/": (set(), {"core/ics.c", "io/ical_lazy.c"}),
    "libconfig.h": ({"conf"}, set()),
}

# Temporary: files another helper (rel, issue 10) is moving the ledger SQL out of.  Each
# is reported as a warning, not an error, until it is gone from this list.
TEMP_SQL_ALLOWED = set()  # the ledger SQL of run/outbox and run/check is in store/ledger

BANNED = ("strcpy", "strcat", "sprintf", "vsprintf", "strtok", "atoi", "gets")
IMPURE = ("time", "getenv", "secure_getenv", "clock_gettime", "gettimeofday", "fopen",
          "freopen", "fdopen", "open", "openat", "creat", "opendir", "read", "write",
          "pread", "pwrite", "fread", "fwrite", "fgets", "fputs", "fputc", "unlink",
          "rename", "mkstemp", "printf", "fprintf", "puts", "putchar", "system", "popen")
SQL_PATTERNS = [
    re.compile(p) for p in (
        r"\bSELECT\b.*\bFROM\b",
        r"\bSELECT\s+(1|count\(|\?)",
        r"\bINSERT\s+(OR\s+\w+\s+)?INTO\b",
        r"\bUPDATE\s+\w+\s+SET\b",
        r"\bUPDATE\s+%s\s+SET\b",
        r"\bDELETE\s+FROM\b",
        r"\b(CREATE|DROP|ALTER)\s+(TABLE|INDEX|VIEW|TRIGGER|UNIQUE)\b",
        r"\bPRAGMA\s+\w+",
        r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT)(\s+(IMMEDIATE|DEFERRED|EXCLUSIVE|TRANSACTION))?\s*;?\s*$",
        r"\bON\s+CONFLICT\b",
    )
]
SQL_CODE = re.compile(r"\b(sqlite3_\w+|SQLITE_\w+|db_prepare|db_exec)\b")
MAX_FUNC = 60
MAX_FILE = 800
MARKER = re.compile(r"lint:\s*long\s+because\s+\S+")


def strip(text):
    """Returns (code, strings): code with comments blanked and string/char literals
    emptied (line structure kept), strings as [(line, text)].  Adjacent literals are
    joined, as the compiler does, so SQL split over lines is seen whole."""
    out, strings = [], []
    i, n, line = 0, len(text), 1
    pending = None  # [line, text] of the literal being joined
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            chunk = text[i:j]
            out.append("".join(ch if ch == "\n" else " " for ch in chunk))
            line += chunk.count("\n")
            i = j
            continue
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
            continue
        if c in "\"'":
            j, buf = i + 1, []
            while j < n and text[j] != c:
                if text[j] == "\\" and j + 1 < n:
                    buf.append(text[j:j + 2])
                    j += 2
                    continue
                if text[j] == "\n":
                    break
                buf.append(text[j])
                j += 1
            out.append(c + " " * (j - i - 1) + c)
            if c == '"':
                s = "".join(buf)
                if pending is not None:
                    pending[1] += s
                else:
                    pending = [line, s]
            i = j + 1
            continue
        if pending is not None and not c.isspace():
            strings.append(tuple(pending))
            pending = None
        if c == "\n":
            line += 1
        out.append(c)
        i += 1
    if pending is not None:
        strings.append(tuple(pending))
    return "".join(out), strings


class Source:
    def __init__(self, root, rel):
        self.rel = rel                      # "core/ics.c"
        self.folder = rel.split("/")[0]
        with open(os.path.join(root, "daemon", rel), encoding="utf-8", errors="replace") as f:
            self.text = f.read()
        self.lines = self.text.split("\n")
        self.code, self.strings = strip(self.text)
        self.code_lines = self.code.split("\n")
        self.includes = []                  # (line, "x/y.h" or "<x.h>")
        for no, raw in enumerate(self.lines, 1):
            m = re.match(r'\s*#\s*include\s*([<"])([^>"]+)[>"]', raw)
            if m:
                self.includes.append((no, m.group(2) if m.group(1) == '"' else
                                      "<" + m.group(2) + ">"))


def module_of(rel):
    stem = rel.rsplit(".", 1)[0]
    if stem.endswith("_impl"):
        stem = stem[:-len("_impl")]
    return stem


def check_includes(src, errs, warns):
    for no, inc in src.includes:
        if inc.startswith("<"):
            name = inc[1:-1]
            for prefix, (folders, files) in SYS_HEADERS.items():
                if (name == prefix or (prefix.endswith("/") and name.startswith(prefix))) \
                        and src.folder not in folders and src.rel not in files:
                    where = ", ".join(sorted(folders | files))
                    e = (src.rel, no, "header", "%s is allowed only in %s" % (inc, where))
                    if name == "sqlite3.h" and src.rel in TEMP_SQL_ALLOWED:
                        warns.append(e[:3] + (e[3] + " [temporarily allowed]",))
                    else:
                        errs.append(e)
            continue
        if "/" not in inc:
            errs.append((src.rel, no, "layer", '"%s" is not path-qualified (dir/file.h)' % inc))
            continue
        to = inc.split("/")[0]
        if to == src.folder:
            continue
        ok = to in ALLOWED.get(src.folder, set())
        if src.folder == "core" and inc in CORE_EXTRA:
            ok = True
        if not ok:
            errs.append((src.rel, no, "layer", '%s/ may not include "%s" (dependencies point '
                         'down: programs -> run -> {store, io, core} -> conf -> lib)' %
                         (src.folder, inc)))


def check_calls(src, errs):
    for no, line in enumerate(src.code_lines, 1):
        for name in BANNED:
            if re.search(r"(?<![\w.>])%s\s*\(" % name, line):
                errs.append((src.rel, no, "banned", "%s() is banned (STYLE.md)" % name))
        if src.folder == "core":
            for name in IMPURE:
                if re.search(r"(?<![\w.>])%s\s*\(" % name, line):
                    errs.append((src.rel, no, "pure", "%s() in core/: clock, environment and "
                                 "file I/O belong to the layers above" % name))


def check_sql(src, errs, warns):
    if src.folder == "store":
        return
    found = []
    for no, s in src.strings:
        if any(p.search(s) for p in SQL_PATTERNS):
            found.append((no, "SQL text \"%s\"" % (s[:40] + ("..." if len(s) > 40 else ""))))
    for no, line in enumerate(src.code_lines, 1):
        m = SQL_CODE.search(line)
        if m:
            found.append((no, "%s" % m.group(1)))
    for no, what in found:
        msg = "%s outside store/ (all SQL lives in store/)" % what
        if src.rel in TEMP_SQL_ALLOWED:
            warns.append((src.rel, no, "sql", msg + " [temporarily allowed]"))
        else:
            errs.append((src.rel, no, "sql", msg))


def functions(src):
    """Yields (name, name_line, end_line) of each function definition: a '{' at depth 0
    whose preceding code ends with ')'."""
    depth, i, code = 0, 0, src.code
    line_at = [0]
    for idx, ch in enumerate(code):
        if ch == "\n":
            line_at.append(idx + 1)
    import bisect

    def line_of(pos):
        return bisect.bisect_right(line_at, pos)

    start = None
    while i < len(code):
        ch = code[i]
        if ch == "{":
            if depth == 0:
                j = i - 1
                while j >= 0 and code[j].isspace():
                    j -= 1
                if j >= 0 and code[j] == ")":
                    base = max(0, j - 2000)
                    before = code[base:j + 1]
                    # find the matching '(' of the parameter list, then the name before it
                    k, par = len(before) - 1, 0
                    while k >= 0:
                        if before[k] == ")":
                            par += 1
                        elif before[k] == "(":
                            par -= 1
                            if par == 0:
                                break
                        k -= 1
                    m = re.search(r"(\w+)\s*$", before[:k])
                    start = (m.group(1) if m else "?", line_of(base + (m.start(1) if m else k)))
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0 and start is not None:
                yield start[0], start[1], line_of(i)
                start = None
        i += 1


def check_length(src, errs):
    if len(src.lines) - (1 if src.lines and src.lines[-1] == "" else 0) > MAX_FILE:
        head = "\n".join(src.lines[:20])
        if not MARKER.search(head):
            errs.append((src.rel, 1, "long", "file has %d lines (> %d) and no \"lint: long "
                         "because ...\" comment in its first 20 lines" %
                         (len(src.lines) - 1, MAX_FILE)))
    for name, first, last in functions(src):
        length = last - first + 1
        if length <= MAX_FUNC:
            continue
        above = "\n".join(src.lines[max(0, first - 9):first])
        if MARKER.search(above):
            continue
        errs.append((src.rel, first, "long", "function %s() has %d lines (> %d) and no "
                     "\"lint: long because ...\" comment above it" % (name, length, MAX_FUNC)))


def find_cycles(graph):
    """Tarjan's strongly connected components; returns those with more than one node."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def check_cycles(sources, errs):
    mods, folders = {}, {}
    for src in sources:
        a = module_of(src.rel)
        for _no, inc in src.includes:
            if inc.startswith("<") or "/" not in inc:
                continue
            b = module_of(inc)
            if a != b:
                mods.setdefault(a, set()).add(b)
            fa, fb = src.folder, inc.split("/")[0]
            if fa != fb:
                folders.setdefault(fa, set()).add(fb)
    for comp in find_cycles(mods):
        errs.append((comp[0] + ".h", 1, "cycle", "include cycle between modules: %s" %
                     " <-> ".join(comp)))
    for comp in find_cycles(folders):
        errs.append((comp[0] + "/", 1, "cycle", "include cycle between folders: %s" %
                     " <-> ".join(comp)))


FORMAT_MSG = re.compile(r"^(.*?):(\d+):\d+: (?:error|warning): code should be clang-formatted")


def check_format(root, errs):
    """One clang-format run over every C file of daemon/ and tests/; each file that would
    change is reported once, at its first differing line."""
    style = os.path.join(root, ".clang-format")
    if not os.path.exists(style):
        errs.append(("/.clang-format", 1, "format", "missing at the repository's top"))
        return
    exe = shutil.which("clang-format")
    if exe is None:
        errs.append(("/.clang-format", 1, "format",
                     "clang-format is not installed (make deps installs it)"))
        return
    files = []
    for top in ("daemon", "tests"):
        for dirpath, dirnames, names in os.walk(os.path.join(root, top)):
            dirnames.sort()
            files += [os.path.join(dirpath, n) for n in sorted(names)
                      if n.endswith((".c", ".h"))]
    p = subprocess.run([exe, "--style=file", "--dry-run", "--ferror-limit=1"] + files,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=300, cwd=root)
    seen = set()
    for line in p.stdout.splitlines():
        m = FORMAT_MSG.match(line)
        if not m or m.group(1) in seen:
            continue
        seen.add(m.group(1))
        rel = os.path.relpath(m.group(1), root)
        # A leading "/" marks a path relative to the repository, not to daemon/.
        errs.append(("/" + rel, int(m.group(2)), "format",
                     "differs from .clang-format (run: clang-format -i %s)" % rel))


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__))))
    base = os.path.join(root, "daemon")
    sources = []
    for folder in sorted(os.listdir(base)):
        path = os.path.join(base, folder)
        if not os.path.isdir(path):
            continue
        if folder not in LAYERS:
            print("daemon/%s/: layer: unknown folder (known: %s)" % (folder, " ".join(LAYERS)))
            return 1
        for name in sorted(os.listdir(path)):
            if name.endswith((".c", ".h")):
                sources.append(Source(root, folder + "/" + name))
    errs, warns = [], []
    for src in sources:
        check_includes(src, errs, warns)
        check_calls(src, errs)
        check_sql(src, errs, warns)
        check_length(src, errs)
    check_cycles(sources, errs)
    check_format(root, errs)
    # One line per temporarily allowed file, not one per statement.
    seen = {}
    for f, no, rule, msg in warns:
        seen.setdefault(f, [no, 0])[1] += 1
    for f, (no, n) in sorted(seen.items()):
        print("daemon/%s:%d: warning: sql: %d SQL uses outside store/, temporarily allowed "
              "(TEMP_SQL_ALLOWED: the ledger SQL is being moved to store/ledger)" % (f, no, n))
    for f, no, rule, msg in errs:
        where = f[1:] if f.startswith("/") else "daemon/" + f
        print("%s:%d: %s: %s" % (where, no, rule, msg))
    if errs:
        print("lint: %d problem(s) in %d files" % (len(errs), len(sources)))
        return 1
    print("lint: %d files clean%s" % (len(sources), " (%d warnings)" % len(warns) if warns else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
