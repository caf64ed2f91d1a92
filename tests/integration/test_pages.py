"""Plan pages (SPEC §9, issue 13): `kapctl show plan KEY --html` and the pages `kapd --once`
writes into pages.directory, checked with an independent HTML5 parser (python3-html5lib,
strict) and for what a page must and must not carry."""

import datetime
import html
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import unittest

import browser
import kaptest

NOW = "2026-12-01T09:00:00+01:00"
LATER = "2026-12-01T09:15:00+01:00"
BASE_URL = "https://intranet.example.com/kapd/pages/"
PLAN = "kessler-2026"

try:
    import html5lib
except ImportError:  # python3-html5lib is in DEB_PKGS; say so rather than pass
    html5lib = None


def parse_strict(data):
    """Parses data with html5lib in strict mode; raises on the first parse error."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(data)


class PagesTestCase(kaptest.KapTestCase):

    def setUp(self):
        super().setUp()
        self.pages_dir = self.path("pages")
        self.write_conf()
        self.init_db()

    def write_conf(self, extra=""):
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write('database = "%s";\ntimezone = "Europe/Berlin";\n'
                    'mail = { transport = "file"; directory = "%s"; };\n'
                    'feeds = { directory = "%s"; };\n'
                    'pages = { directory = "%s"; base_url = "%s"; %s };\n'
                    % (self.db, self.path("outbox"), self.path("feeds"), self.pages_dir,
                       BASE_URL, extra))

    def import_sample(self, doc=None):
        self.doc = doc or kaptest.sample_doc()
        self.import_file(self.write_doc("plan.json", self.doc))

    def plan_doc(self):
        return self.doc["accounts"][0]["plans"][0]

    def account_doc(self):
        return self.doc["accounts"][0]

    def show_html(self, key=PLAN, now=NOW):
        return self.ok("show", "--html", "plan", key, now=now)

    def kapd(self, *args):
        argv = [kaptest.KAPD, "-c", self.conf] + list(args)
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120,
                           env=kaptest.child_env())
        err = p.stderr.decode("utf-8", "replace")
        self.assert_no_sanitizer(argv, err)
        return p.returncode, err

    def check(self, now=NOW, *extra):
        rc, err = self.kapd("--once", "--now", now, *extra)
        self.assertEqual(rc, 0, "kapd --once --now %s: exit %d\n%s" % (now, rc, err[-3000:]))
        return err

    def listing(self):
        """{plan key: entry} from `kapctl pages --json`."""
        return {e["key"]: e for e in json.loads(self.ok("pages", "--json"))}

    def files(self):
        return sorted(os.listdir(self.pages_dir)) if os.path.isdir(self.pages_dir) else []

    def stat(self, entry):
        st = os.stat(os.path.join(self.pages_dir, entry["file"]))
        return (st.st_ino, st.st_mtime_ns)

    def read(self, entry):
        with open(os.path.join(self.pages_dir, entry["file"]), encoding="utf-8") as f:
            return f.read()


class ShowHtmlTest(PagesTestCase):

    def setUp(self):
        super().setUp()
        self.import_sample()

    def test_show_html_prints_a_valid_page_of_the_whole_plan(self):
        if html5lib is None:
            self.fail("python3-html5lib is not installed (make deps installs it)")
        page = self.show_html()
        tree = parse_strict(page.encode("utf-8"))
        self.assertEqual(tree.get("lang"), "de", "the sample plan is German")
        plan, acc = self.plan_doc(), self.account_doc()
        text = html.unescape(page)
        for what in ([plan["title"], acc["name"]] + [c["name"] for c in acc["contacts"]] +
                     [m["title"] for m in plan["milestones"]] +
                     [n["text"] for n in acc["needs"]]):
            self.assertIn(what, text, "expected %r on the page" % what)
        self.assertIn("<svg class=\"tl\"", page, "expected the timeline")
        self.assertIn(">Heute</text>", page, "expected the today line, in German")
        self.assertNotRegex(page.lower(), r"<script|<link|src=", "no script, no resources")

    def test_changes_since_the_annual_update_replace_the_moved_deadlines(self):
        page = self.show_html()
        self.assertIn(">Verschobene Termine</h2>", page, "without a version: moved deadlines")
        self.ok("reviewed", PLAN, "--on", "2026-11-30", now=NOW)
        self.ok("edit", "activity", "kessler-2026-a03", "--due", "2026-12-20", now=NOW)
        self.ok("done", "activity", "kessler-2026-a02", now=NOW)
        page = self.show_html()
        parse_strict(page.encode("utf-8"))
        self.assertNotIn(">Verschobene Termine</h2>", page)
        self.assertIn(">Seit der letzten Jahresaktualisierung</h2>", page)
        self.assertIn("Änderungen seit der Jahresaktualisierung vom 30.11.2026.", page)
        rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>"
                          r"<td>([^<]*)</td></tr>", page)
        acts = {a["key"]: a for a in self.plan_doc()["activities"]}
        titles = {k: a["title"] for k, a in acts.items()}
        was = datetime.date.fromisoformat(acts["kessler-2026-a03"]["due"])
        moved = "%s → 20.12.2026 (%+d)" % (was.strftime("%d.%m.%Y"),
                                           (datetime.date(2026, 12, 20) - was).days)
        self.assertIn(("verschoben", "Aktivität", titles["kessler-2026-a03"], moved), rows)
        self.assertIn(("erledigt", "Aktivität", titles["kessler-2026-a02"], ""), rows)

    def test_show_html_usage_and_unknown_plan(self):
        self.expect_rc(kaptest.EX_USAGE, "show", "--html", "--json", "plan", PLAN)
        self.expect_rc(kaptest.EX_DATAERR, "show", "--html", "plan", "no-such-plan")

    def test_wider_audience_page_leaves_confidential_content_out(self):
        # Marker values planted in the plan, each found nowhere else.
        doc = kaptest.sample_doc()
        acc = doc["accounts"][0]
        acc["complaints"][0]["subject"] = "Complaint-marker-7781"
        acc["contacts"][0]["notes"] = "Note-marker-4410"
        acc["history"][0]["revenue"] = 7654321
        acc["history"][0]["margin"] = 1234567
        self.init_db(self.path("marked.db"))
        self.db = self.path("marked.db")
        self.write_conf()
        self.import_file(self.write_doc("marked.json", doc))
        markers = {"complaint": "Complaint-marker-7781", "contact note": "Note-marker-4410",
                   "revenue": "7.654.321", "margin": "1.234.567"}
        full = html.unescape(self.show_html())
        for what, marker in markers.items():
            self.assertTrue(marker in full, "expected the %s %r on a confidential page"
                            % (what, marker))
        self.write_conf("confidential = false;")
        wide = html.unescape(self.show_html())
        for what, marker in markers.items():
            self.assertFalse(marker in wide, "confidential = false, yet the %s %r shows"
                             % (what, marker))
        self.assertNotIn("Umsatz", wide, "confidential = false, yet a revenue heading shows")


class PagesDaemonTest(PagesTestCase):

    def setUp(self):
        super().setUp()
        self.import_sample()

    def test_kapd_writes_the_page_of_each_active_plan_as_show_html_prints_it(self):
        self.check()
        listed = self.listing()
        self.assertEqual(sorted(listed), [PLAN])
        entry = listed[PLAN]
        self.assertRegex(entry["file"], r"^[0-9a-f]{32}\.html$")
        self.assertEqual(entry["url"], BASE_URL + entry["file"])
        self.assertIsNotNone(entry.get("written_at"))
        self.assertEqual(self.files(), [entry["file"]])
        self.assertEqual(self.read(entry), self.show_html(),
                         "the written page differs from `kapctl show --html` at the same time")
        mode = os.stat(os.path.join(self.pages_dir, entry["file"])).st_mode & 0o777
        self.assertEqual(mode, 0o644, "a page must be readable by the web server")
        feeds = json.loads(self.ok("feeds", "--json"))
        self.assertNotIn(entry["file"][:32], [f["file"][:32] for f in feeds],
                         "the page must have its own token, not its feed's")

    def test_pages_are_rewritten_only_when_they_change(self):
        self.check()
        entry = self.listing()[PLAN]
        before = self.stat(entry)
        self.check(LATER)
        self.assertEqual(self.stat(entry), before, "an unchanged page was rewritten")
        self.ok("edit", "activity", "kessler-2026-a03", "--title", "Preiskalkulation <neu> & fertig",
                now=NOW)
        self.check(LATER)
        self.assertNotEqual(self.stat(entry), before, "a changed plan kept its old page")
        page = self.read(entry)
        self.assertIn("Preiskalkulation &lt;neu&gt; &amp; fertig", page)
        self.assertEqual(self.files(), [entry["file"]], "a temporary file stayed behind")

    def test_a_dry_run_writes_no_page(self):
        self.check(NOW, "--dry-run")
        self.assertEqual(self.files(), [])

    def test_rotation_replaces_the_file_and_inactive_plans_lose_theirs(self):
        self.check()
        old = self.listing()[PLAN]
        out = self.ok("pages", "rotate", PLAN)
        self.assertIn(BASE_URL, out)
        new = self.listing()[PLAN]
        self.assertNotEqual(new["file"], old["file"])
        self.assertIsNone(new.get("written_at"))
        self.check(LATER)
        self.assertEqual(self.files(), [new["file"]], "the rotated token's page stayed")
        self.expect_rc(kaptest.EX_DATAERR, "pages", "rotate", "no-such-plan")
        self.expect_rc(kaptest.EX_USAGE, "pages", "rotate")
        con = sqlite3.connect(self.db)
        con.execute("UPDATE plan SET state = 'archived' WHERE key = ?", (PLAN,))
        con.commit()
        con.close()
        self.check(LATER)
        self.assertEqual(self.files(), [], "the archived plan's page stayed")
        self.assertEqual(self.listing(), {})

    def test_stale_temporary_pages_are_removed_at_start_and_foreign_files_stay(self):
        self.check()
        token = self.listing()[PLAN]["file"][:32]
        stale = [".%s.html.4242.tmp" % token, ".%s.html.1.tmp" % ("cd" * 16)]
        for name in stale:
            with open(os.path.join(self.pages_dir, name), "w") as f:
                f.write("<!DOCTYPE html><p>half a pa")
        keep = [os.path.join(self.pages_dir, n) for n in ("README.txt", "ab" * 16 + ".ics")]
        for k in keep:
            with open(k, "w") as f:
                f.write("an operator's file")
        err = self.check(LATER)
        self.assertIn("pages: removed 2 temporary files", err)
        for name in stale:
            self.assertFalse(os.path.exists(os.path.join(self.pages_dir, name)))
        for k in keep:
            self.assertTrue(os.path.exists(k), "kapd removed %s, not a page of its own" % k)

    def test_an_unusable_page_directory_is_logged_and_the_check_goes_on(self):
        # A regular file where the directory should be: refused even to root.
        with open(self.pages_dir, "w") as f:
            f.write("not a directory")
        err = self.check()
        self.assertRegex(err, r"pages: pages.directory .*: Not a directory")
        self.assertTrue(os.listdir(self.path("feeds")), "the feeds must still be written")
        self.assertTrue(os.listdir(self.path("outbox")), "the mail must still be sent")


class PagesServedTest(PagesTestCase):
    """etc/nginx-kapd.conf as shipped (only its paths replaced) serves the pages from a real
    nginx on loopback, and the modes of systemd/kapd.tmpfiles let the web server's group,
    and nobody else, read a page by its name."""

    def setUp(self):
        super().setUp()
        self.import_sample()

    def start_nginx(self):
        import test_feeds
        self.curl = shutil.which("curl")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.access(nginx, os.X_OK) or self.curl is None:
            self.fail("nginx and curl are needed (make deps installs them)")
        os.chmod(self.tmp, 0o755)
        os.makedirs(self.path("www-root"))
        with open(os.path.join(kaptest.REPO, "etc", "nginx-kapd.conf"), encoding="utf-8") as f:
            snippet = f.read()
        self.assertIn("/var/lib/kapd/pages/", snippet)
        snippet = snippet.replace("/var/lib/kapd/pages/", self.pages_dir + "/").replace(
            "/var/lib/kapd/feeds/", self.path("feeds") + "/")
        with open(self.path("nginx-kapd.conf"), "w", encoding="utf-8") as f:
            f.write(snippet)
        self.port = test_feeds.FeedsNginxTest.free_port()
        with open(self.path("nginx.conf"), "w") as f:
            f.write(test_feeds.NGINX_CONF % {"tmp": self.tmp, "port": self.port,
                                             "snippet": self.path("nginx-kapd.conf")})
        proc = subprocess.Popen([nginx, "-p", self.tmp, "-c", self.path("nginx.conf"), "-e",
                                 self.path("nginx-error.log")], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        self.addCleanup(test_feeds.FeedsNginxTest.stop, proc)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.fail("nginx exited: " + proc.stdout.read().decode()[-2000:])
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return test_feeds.FeedsNginxTest.get
            except OSError:
                time.sleep(0.05)
        self.fail("nginx did not listen")

    def test_nginx_serves_pages_with_a_strict_policy_304_when_unchanged_404_else(self):
        get = self.start_nginx()
        self.check()
        entry = self.listing()[PLAN]
        path = "/kapd/pages/" + entry["file"]
        status, h, body = get(self, path)
        self.assertEqual(status, 200)
        self.assertEqual(h.get("content-type"), "text/html; charset=utf-8")
        self.assertIn("default-src 'none'", h.get("content-security-policy", ""))
        self.assertEqual(body.decode("utf-8"), self.read(entry))
        etag = h.get("etag")
        self.check(LATER)
        self.assertEqual(get(self, path, "If-None-Match: " + etag)[0], 304)
        with open(os.path.join(self.pages_dir, ".%s.html.1.tmp" % entry["file"][:32]), "w") as f:
            f.write("partial")
        for bad in ("/kapd/pages/", "/kapd/pages/.%s.html.1.tmp" % entry["file"][:32],
                    "/kapd/pages/%s" % entry["file"][:32], "/kapd/pages/" + "0" * 32 + ".html",
                    "/kapd/" + entry["file"]):
            self.assertEqual(get(self, bad)[0], 404, bad)
        self.ok("pages", "rotate", PLAN)
        self.check("2026-12-01T09:30:00+01:00")
        self.assertEqual(get(self, path)[0], 404, "the rotated page is still served")
        with open(self.path("nginx-access.log"), encoding="utf-8") as f:
            self.assertNotIn(entry["file"], f.read(), "page tokens reached the access log")

    def test_tmpfiles_modes_let_the_web_servers_group_read_a_page_and_nobody_list(self):
        if os.geteuid() != 0 or shutil.which("runuser") is None:
            self.skipTest("needs root and runuser to act as www-data and nobody")
        import grp
        try:
            www = grp.getgrnam("www-data").gr_gid
        except KeyError:
            self.skipTest("no www-data group")
        modes = {}
        with open(os.path.join(kaptest.REPO, "systemd", "kapd.tmpfiles")) as f:
            for line in f:
                parts = line.split()
                if parts and parts[0] == "d":
                    modes[parts[1]] = (int(parts[2], 8), parts[4])
        self.assertEqual(modes.get("/var/lib/kapd/pages"), (0o2710, "www-data"),
                         "the tmpfiles snippet should make the pages directory 2710 :www-data")
        # The shipped modes, on a copy of the tree in the test's directory.
        state = self.path("state")
        os.mkdir(state)
        os.chmod(state, modes["/var/lib/kapd"][0])
        self.pages_dir = os.path.join(state, "pages")
        self.write_conf()
        os.mkdir(self.pages_dir)
        os.chown(self.pages_dir, 0, www)
        os.chmod(self.pages_dir, modes["/var/lib/kapd/pages"][0])
        os.chmod(self.tmp, 0o755)
        self.check()
        page = os.path.join(self.pages_dir, self.listing()[PLAN]["file"])

        def as_user(user, *argv):
            return subprocess.run(["runuser", "-u", user, "--"] + list(argv),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE).returncode

        self.assertEqual(os.stat(page).st_gid, www, "a page should inherit the group")
        self.assertEqual(as_user("www-data", "cat", page), 0, "www-data cannot read a page")
        self.assertNotEqual(as_user("www-data", "ls", self.pages_dir), 0,
                            "www-data can list the pages directory")
        self.assertNotEqual(as_user("nobody", "cat", page), 0, "others can reach a page")


EVIL = "<script>window.pwned = 1</script> & \"q\" <img src=x onerror=\"window.pwned = 2\">"
RTL = "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd"
CJK = "\u9648\u7acb\u7684\u8ba1\u5212"


def hostile_doc():
    """The sample with planted markup, right-to-left and CJK text in the plan's texts."""
    doc = kaptest.sample_doc()
    acc = doc["accounts"][0]
    plan = acc["plans"][0]
    plan["title"] = "Plan " + EVIL
    acc["name"] = "Kessler " + EVIL
    acc["needs"][0]["text"] = RTL + " " + EVIL
    plan["milestones"][0]["title"] = "Meilenstein " + CJK + " " + EVIL
    plan["activities"][0]["title"] = RTL + " " + CJK
    return doc


class PagesBrowserTest(PagesTestCase):
    """Headless Chromium loads the pages kapd wrote from file://.  Without Chromium the
    tests say so and skip (the rest of the suite runs); KAPD_REQUIRE_CHROMIUM=1 (CI) turns
    that into a failure."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        required = os.environ.get("KAPD_REQUIRE_CHROMIUM") == "1"
        reason = None
        if browser.find_chromium() is None:
            reason = "chromium is not installed (make deps installs Debian's chromium)"
        else:
            try:
                with browser.Browser() as b:
                    b.open("about:blank", 375, 800)
            except (browser.BrowserError, OSError) as e:
                reason = "chromium cannot run here: %s" % e
        if reason and required:
            raise AssertionError("KAPD_REQUIRE_CHROMIUM=1 but " + reason)
        if reason:
            print("\nNOTE: %s; the browser tests of the plan pages are skipped" % reason,
                  file=sys.stderr)
            raise unittest.SkipTest(reason)

    def setUp(self):
        super().setUp()
        self.b = browser.Browser()
        self.addCleanup(self.b.close)
        self.shots = os.environ.get("KAPD_SCREENSHOT_DIR")

    def written_page(self, doc):
        self.import_file(self.write_doc("plan.json", doc))
        self.check()
        entry = self.listing()[doc["accounts"][0]["plans"][0]["key"]]
        path = os.path.join(self.pages_dir, entry["file"])
        with open(path, "rb") as f:
            parse_strict(f.read())  # the page the browser gets is valid HTML5
        return path

    def save(self, name, data):
        if self.shots:
            os.makedirs(self.shots, exist_ok=True)
            with open(os.path.join(self.shots, name), "wb") as f:
                f.write(data)

    def assert_renders(self, path, tag):
        blank = self.path("blank.html")
        with open(blank, "w") as f:
            f.write("<!DOCTYPE html><html lang=en><title>blank</title><body></body></html>")
        control = browser.png_ink(self.b.open("file://" + blank, 375, 800).screenshot())
        self.assertLess(control, 0.01, "the blank control page should score no ink")
        for width, height in ((375, 800), (1280, 1800)):
            tab = self.b.open("file://" + path, width, height)
            widths = tab.evaluate("[document.documentElement.scrollWidth, "
                                  "document.body.scrollWidth, innerWidth]")
            self.assertEqual(widths[2], width, "the viewport should be %d px" % width)
            self.assertLessEqual(max(widths[:2]), width, "at %d px the page scrolls "
                                 "sideways: scroll widths %s" % (width, widths[:2]))
            self.assertEqual(tab.evaluate("document.scripts.length"), 0)
            self.assertEqual(tab.evaluate("performance.getEntriesByType('resource').length"),
                             0, "the page loaded an external resource")
            self.assertIsNone(tab.evaluate("window.pwned === undefined ? null : window.pwned"),
                              "planted markup ran in the browser")
            today = tab.evaluate("(function(){var l = document.querySelector('svg.tl "
                                 "line.today'); var r = l && l.getBoundingClientRect();"
                                 " return r ? [r.height, r.left] : null;})()")
            self.assertIsNotNone(today, "the timeline has no today line")
            self.assertGreater(today[0], 50, "the today line is not drawn across the timeline")
            png = tab.screenshot()
            self.save("%s-%d.png" % (tag, width), png)
            self.assertEqual(browser.png_size(png), (width, height))
            ink = browser.png_ink(png)
            self.assertGreater(ink, 0.1, "the %d px screenshot looks blank (ink %.3f)"
                               % (width, ink))
            # The timeline with its today line, scrolled into view.
            line = tab.evaluate("(function(){document.getElementById('timeline')"
                                ".scrollIntoView(); var r = document.querySelector("
                                "'svg.tl line.today').getBoundingClientRect();"
                                " return [r.top, r.bottom, r.left];})()")
            self.assertLess(line[0], height, "the today line is not in view")
            self.assertGreater(line[1], 0, "the today line is not in view")
            if width >= 1280:  # at 375 px it is reached by scrolling the timeline's box
                self.assertTrue(0 < line[2] < width, "the today line is off the side")
            png = tab.screenshot()
            self.save("%s-timeline-%d.png" % (tag, width), png)
            self.assertGreater(browser.png_ink(png), 0.1, "the timeline screenshot looks blank")
        # At 375 px the timeline scrolls inside its own box, not the page.
        tab = self.b.open("file://" + path, 375, 800)
        box = tab.evaluate("(function(){var b = document.querySelector('svg.tl').parentNode;"
                           " return [b.scrollWidth, b.clientWidth];})()")
        self.assertGreater(box[0], box[1], "at 375 px the timeline should scroll in its box")
        return tab

    def test_sample_page_renders_at_375_and_1280_px_and_prints_on_a4(self):
        doc = kaptest.sample_doc()
        path = self.written_page(doc)
        tab = self.assert_renders(path, "sample")
        pdf = self.path("page.pdf")
        with open(pdf, "wb") as f:
            f.write(tab.print_pdf())
        self.save("sample.pdf", open(pdf, "rb").read())
        rc, info, err = kaptest.run(["pdfinfo", pdf])
        self.assertEqual(rc, 0, err)
        self.assertRegex(info, r"Page size:\s+5\d\d(\.\d+)? x 8\d\d(\.\d+)? pts \(A4\)")
        rc, text, err = kaptest.run(["pdftotext", "-layout", pdf, "-"])
        self.assertEqual(rc, 0, err)
        plan = doc["accounts"][0]["plans"][0]
        self.assertIn(plan["title"], text, "the PDF lacks the plan title")
        open_ms = [m["title"] for m in plan["milestones"] if m.get("state", "open") == "open"]
        self.assertTrue(any(m in text for m in open_ms), "the PDF lacks every milestone")
        self.assertIn("Heute", text, "the PDF lacks the timeline's today line label")

    def test_every_text_passes_wcag_aa_contrast(self):
        path = self.written_page(kaptest.sample_doc())
        tab = self.b.open("file://" + path, 1280, 1800)
        # Each element with its own text: its colour (fill for SVG text) and the first
        # opaque background up the tree; SVG text counts against the timeline's lane
        # colour too (it may sit on a lane band).
        pairs = tab.evaluate("""(function () {
          function bg(e) {
            for (; e && e.nodeType === 1; e = e.parentElement) {
              var c = getComputedStyle(e).backgroundColor;
              if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c;
            }
            return 'rgb(255, 255, 255)';
          }
          var lane = document.querySelector('svg.tl rect.lane');
          var laneColour = lane ? getComputedStyle(lane).fill : null;
          var out = {};
          document.querySelectorAll('body *').forEach(function (e) {
            var own = Array.prototype.some.call(e.childNodes, function (n) {
              return n.nodeType === 3 && n.textContent.trim() !== ''; });
            if (!own || e.closest('title, style')) return;
            var svg = e instanceof SVGElement;
            var fg = svg ? getComputedStyle(e).fill : getComputedStyle(e).color;
            out[fg + '|' + bg(e)] = e.tagName;
            if (svg && laneColour) out[fg + '|' + laneColour] = e.tagName;
          });
          return Object.keys(out);
        })()""")
        self.assertGreater(len(pairs), 5)

        def lum(rgb):
            vals = [int(x) / 255 for x in re.findall(r"[\d.]+", rgb)[:3]]
            vals = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in vals]
            return 0.2126 * vals[0] + 0.7152 * vals[1] + 0.0722 * vals[2]

        for pair in pairs:
            fg, bg = pair.split("|")
            hi, lo = sorted((lum(fg), lum(bg)), reverse=True)
            ratio = (hi + 0.05) / (lo + 0.05)
            self.assertGreaterEqual(ratio, 4.5, "text %s on %s: contrast %.2f < 4.5 (WCAG AA)"
                                    % (fg, bg, ratio))

    def test_planted_markup_rtl_and_cjk_stay_text_in_the_browser(self):
        doc = hostile_doc()
        path = self.written_page(doc)
        tab = self.assert_renders(path, "hostile")
        text = tab.evaluate("document.body.innerText")
        self.assertIn("Plan " + EVIL, text, "the planted title is not shown as text")
        self.assertIn(RTL, text)
        self.assertIn(CJK, text)
        self.assertEqual(tab.evaluate("document.title"), "Key-Account-Plan: Plan " + EVIL)
        self.assertEqual(tab.evaluate("document.querySelectorAll('img, script, iframe')"
                                      ".length"), 0)


if __name__ == "__main__":
    unittest.main()
