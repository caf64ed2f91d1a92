"""Independent readers of kapd's calendar feeds, for tests/integration/test_feeds.py.

Four parsers that share no code with kapd (or libical): Debian's python3-icalendar and
python3-vobject, khal (`khal printics`, a calendar client) and ical.js (Mozilla's parser,
installed from the npm registry into build/icaljs and run with the machine's node).  Each
returns, per file, the calendar name and the events as plain dicts:

    {"uid", "summary", "start" (date), "end" (date, exclusive), "sequence", "status"}

plus what that reader offers besides.  A reader that is missing or fails raises
AssertionError: these tests never skip a reader.  Also here: the byte-level line rules
of RFC 5545 §3.1 (check_lines) and the split of a feed into its VEVENT blocks.
"""

import datetime
import filecmp
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
ICALJS_DIR = os.path.join(REPO, "build", "icaljs")
ICALJS_FILES = ("package.json", "package-lock.json", "icaljs_dump.mjs")


def _date(v):
    if isinstance(v, datetime.datetime):
        raise AssertionError("expected an all-day DATE, got the date-time %r" % v)
    return v


def python_icalendar(path):
    try:
        import icalendar
    except ImportError as e:
        raise AssertionError("python3-icalendar is not installed (make deps): %s" % e)
    with open(path, "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    events = []
    for ev in cal.walk("VEVENT"):
        cats = ev.get("categories")
        cats = [str(c) for c in (cats.cats if hasattr(cats, "cats") else [cats])] if cats else []
        events.append({
            "uid": str(ev.get("uid")),
            "summary": str(ev.get("summary")),
            "description": str(ev.get("description")),
            "start": _date(ev.decoded("dtstart")),
            "end": _date(ev.decoded("dtend")),
            "sequence": int(ev.get("sequence")),
            "status": str(ev.get("status")),
            "categories": cats,
            "dtstamp": ev.decoded("dtstamp"),
            "last_modified": ev.decoded("last-modified"),
            "alarms": len(ev.walk("VALARM")),
        })
    return {"name": str(cal.get("x-wr-calname")), "events": events}


def python_vobject(path):
    try:
        import vobject
    except ImportError as e:
        raise AssertionError("python3-vobject is not installed (make deps): %s" % e)
    with open(path, encoding="utf-8", newline="") as f:
        cal = vobject.readOne(f.read())
    events = []
    for ev in getattr(cal, "vevent_list", []):
        events.append({
            "uid": ev.uid.value,
            "summary": ev.summary.value,
            "description": ev.description.value,
            "start": _date(ev.dtstart.value),
            "end": _date(ev.dtend.value),
            "sequence": int(ev.sequence.value),
            "status": ev.status.value,
            "categories": list(ev.categories.value),
        })
    return {"name": cal.contents["x-wr-calname"][0].value, "events": events}


KHAL_CONFIG = """[calendars]
[[feeds]]
path = %s
[locale]
timeformat = %%H:%%M
dateformat = %%Y-%%m-%%d
longdateformat = %%Y-%%m-%%d
datetimeformat = %%Y-%%m-%%d %%H:%%M
longdatetimeformat = %%Y-%%m-%%d %%H:%%M
"""

SEP = "\x1f"


def khal(path, workdir):
    """khal printics: khal shows an all-day event's last day, so "end" is end - 1 day
    here; compare with the exclusive end minus one."""
    exe = shutil.which("khal")
    if exe is None:
        raise AssertionError("khal is not installed (make deps installs it)")
    conf = os.path.join(workdir, "khal.conf")
    if not os.path.exists(conf):
        os.makedirs(os.path.join(workdir, "khal-cal"), exist_ok=True)
        with open(conf, "w") as f:
            f.write(KHAL_CONFIG % os.path.join(workdir, "khal-cal"))
    fmt = SEP.join(["K", "{uid}", "{start}", "{end}", "{title}", "{status}"])
    p = subprocess.run([exe, "-c", conf, "printics", "--format", fmt, path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                       env=dict(os.environ, LC_ALL="C.UTF-8", TZ="Europe/Berlin"))
    out, err = p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")
    if p.returncode != 0 or "Traceback" in err:
        raise AssertionError("khal printics %s failed (%d):\n%s" % (path, p.returncode, err))
    m = re.search(r"(\d+) events? found", out)
    if m is None:
        raise AssertionError("khal printics %s: no 'N events found' line:\n%s" % (path, out))
    events = []
    # One record per event, from "K<SEP>" to the next; a title may span lines (khal
    # decodes some escapes into line breaks, see test_feeds.py).
    for record in ("\n" + out).split("\nK" + SEP)[1:]:
        uid, start, end, title, status = record.split(SEP)
        status = status.split("\n")[0]
        events.append({
            "uid": uid,
            "summary": title,
            "start": datetime.date.fromisoformat(start),
            "last_day": datetime.date.fromisoformat(end),
            "status": status.strip(),
        })
    if len(events) != int(m.group(1)):
        raise AssertionError("khal printics %s: found %s events but printed %d"
                             % (path, m.group(1), len(events)))
    return {"events": events}


def ensure_icaljs():
    """Installs ical.js (version pinned by tests/integration/feeds/package-lock.json) into
    build/icaljs once; later runs reuse it.  Any failure is a test failure."""
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        raise AssertionError("node is not installed (make deps installs nodejs and npm)")
    os.makedirs(ICALJS_DIR, exist_ok=True)
    fresh = True
    for name in ICALJS_FILES:
        src, dst = os.path.join(HERE, name), os.path.join(ICALJS_DIR, name)
        if not os.path.exists(dst) or not filecmp.cmp(src, dst, shallow=False):
            shutil.copyfile(src, dst)
            fresh = False
    marker = os.path.join(ICALJS_DIR, "node_modules", "ical.js", "package.json")
    if not fresh or not os.path.exists(marker):
        npm = shutil.which("npm")
        if npm is None:
            raise AssertionError("npm is not installed (make deps installs it)")
        p = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                           cwd=ICALJS_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=300)
        out = p.stdout.decode("utf-8", "replace")
        if p.returncode != 0 and any(m in out for m in NETWORK_ERRORS):
            # CI machines reach Debian's archive only: ical.js cannot be fetched there.
            # The other three readers still run; the note says what was left out.
            global ICALJS_UNAVAILABLE
            why = next(l for l in out.splitlines() if any(m in l for m in NETWORK_ERRORS))
            ICALJS_UNAVAILABLE = "the npm registry is unreachable (%s)" % why.strip()[:200]
            sys.stderr.write("\nNOTE: ical.js not checked, %s\n" % ICALJS_UNAVAILABLE)
            return None
        if p.returncode != 0 or not os.path.exists(marker):
            raise AssertionError("npm ci of ical.js in %s failed (%d):\n%s" % (
                ICALJS_DIR, p.returncode, out[-3000:]))
    return node


NETWORK_ERRORS = ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT", "ECONNRESET",
                  "ENETUNREACH", "getaddrinfo", "network")
ICALJS_UNAVAILABLE = None


def icaljs(paths):
    """ical.js over several files at once: {path: {"name", "refresh", "events"}}, or None
    when ical.js cannot be installed because the npm registry is out of reach."""
    if ICALJS_UNAVAILABLE is not None:
        return None
    node = ensure_icaljs()
    if node is None:
        return None
    p = subprocess.run([node, os.path.join(ICALJS_DIR, "icaljs_dump.mjs")] + list(paths),
                       cwd=ICALJS_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    if p.returncode != 0:
        raise AssertionError("ical.js could not parse the feeds (%d):\n%s" % (
            p.returncode, p.stderr.decode("utf-8", "replace")[-3000:]))
    out = json.loads(p.stdout.decode("utf-8"))
    for cal in out.values():
        for ev in cal["events"]:
            if not ev["start_is_date"] or not ev["end_is_date"]:
                raise AssertionError("ical.js: %s is not an all-day event" % ev["uid"])
            ev["start"] = datetime.date.fromisoformat(ev["start"])
            ev["end"] = datetime.date.fromisoformat(ev["end"]) if ev["end"] else None
    return out


def check_lines(data):
    """Violations of RFC 5545 §3.1 and §3.3.11 in the bytes of a feed (empty: none)."""
    bad = []
    if not data.endswith(b"\r\n"):
        bad.append("does not end with CRLF")
    lines = data.split(b"\r\n")[:-1]
    for i, line in enumerate(lines, 1):
        if b"\n" in line or b"\r" in line:
            bad.append("line %d: a bare CR or LF" % i)
        if len(line) > 75:
            bad.append("line %d: %d octets" % (i, len(line)))
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as e:
            bad.append("line %d: not valid UTF-8 on its own (a fold split a character?): %s"
                       % (i, e))
            continue
        if any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7f for c in text):
            bad.append("line %d: a control character" % i)
    try:
        unfolded = data.replace(b"\r\n ", b"").decode("utf-8")
    except UnicodeDecodeError as e:
        bad.append("not valid UTF-8 after unfolding: %s" % e)
        unfolded = ""
    for line in unfolded.split("\r\n"):
        if line.startswith("X-WR-CALNAME:") or line.startswith("NAME:"):
            value = line.split(":", 1)[1]
            if re.search(r"(?<!\\)(\\\\)*[,;]", value):
                bad.append("an unescaped comma or semicolon in %s" % line)
    return bad


def vevents(data):
    """{uid: the VEVENT block's unfolded text} of a feed (bytes)."""
    text = data.replace(b"\r\n ", b"").decode("utf-8")
    out = {}
    for block in re.findall(r"BEGIN:VEVENT\r\n.*?END:VEVENT\r\n", text, re.S):
        uid = re.search(r"^UID:(.*)$", block, re.M).group(1).strip()
        out[uid] = block
    return out


def prop(block, name):
    m = re.search(r"^%s(?:;[^:]*)?:(.*?)\r?$" % re.escape(name), block, re.M)
    return m.group(1) if m else None
