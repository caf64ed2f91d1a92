#!/usr/bin/python3
"""make demo: a fresh demo database under the build tree, the sample key account plan
(dates relative to today, so the demo never goes stale), its overview and what is due.

Usage: demo/run.py BUILD_DIR
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def banner(text):
    print("\n\033[1m== %s\033[0m" % text if sys.stdout.isatty() else "\n== %s" % text, flush=True)


def run(argv):
    print("$ " + " ".join(os.path.relpath(a, ROOT) if a.startswith(ROOT) else a for a in argv),
          flush=True)
    r = subprocess.run(argv)
    if r.returncode != 0:
        sys.exit("demo: %s failed with exit code %d" % (argv[0], r.returncode))


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    demo = os.path.join(build, "demo")
    os.makedirs(demo, exist_ok=True)
    db = os.path.join(demo, "kapd.db")
    conf = os.path.join(demo, "kapd.conf")
    sample = os.path.join(demo, "sample.json")
    for stale in (db, db + "-journal"):
        if os.path.exists(stale):
            os.unlink(stale)
    maildir = os.path.join(demo, "replies")
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
        for name in os.listdir(os.path.join(maildir, sub)):
            os.unlink(os.path.join(maildir, sub, name))
    outbox = os.path.join(demo, "outbox")
    if os.path.isdir(outbox):
        for name in os.listdir(outbox):
            os.unlink(os.path.join(outbox, name))
    with open(conf, "w", encoding="utf-8") as f:
        f.write('# written by make demo\n'
                'database = "%s";\ntimezone = "Europe/Berlin";\n'
                'mail = { transport = "file"; directory = "%s"; '
                'from = "kapd <kapd@brenner-maschinenbau.example>"; };\n'
                'feeds = { directory = "%s"; base_url = "http://localhost/kapd/"; };\n'
                'pages = { directory = "%s"; base_url = "http://localhost/kapd/pages/"; };\n'
                'replies = { source = "maildir"; maildir = "%s";\n'
                '  address = "kap+{key}@brenner-maschinenbau.example"; };\n'
                % (db, os.path.join(demo, "outbox"), os.path.join(demo, "feeds"),
                   os.path.join(demo, "pages"), maildir))
    with open(sample, "w", encoding="utf-8") as f:
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "demo", "sample.py")],
                       stdout=f, check=True)
    kapctl = [os.path.join(build, "kapctl"), "-c", conf]

    banner("Configuration")
    run([os.path.join(build, "kapd"), "--check-config", "-c", conf])
    banner("A fresh database with the sample plan")
    run(kapctl + ["init"])
    run(kapctl + ["import", sample])
    run(kapctl + ["list", "plans"])
    banner("The key account plan")
    run(kapctl + ["show", "plan", "kessler-2026"])
    banner("What is overdue or due in the next 7 days")
    run(kapctl + ["due", "--days", "7"])
    kapd = [os.path.join(build, "kapd"), "-c", conf]
    # The main job at today's 09:00 in Berlin, a weekday slot for most of the team (the
    # demo must show mail whatever the hour it runs at).
    now = demo_instant()
    banner("What the daemon would mail at %s (kapd --dry-run)" % now)
    run(kapd + ["--dry-run", "--now", now])
    banner("One check of the daemon at %s (kapd --once): mails into %s" % (
        now, os.path.relpath(os.path.join(demo, "outbox"), ROOT)))
    run(kapd + ["--once", "--now", now])
    show_one_mail(os.path.join(demo, "outbox"))
    banner("The ledger: what was mailed to whom")
    run(kapctl + ["log", "--limit", "12"])
    show_reply(kapctl, kapd, now, outbox, maildir)
    feeds = os.path.join(demo, "feeds")
    banner("Calendar feeds the check wrote into %s: subscription URLs (kapctl feeds)"
           % os.path.relpath(feeds, ROOT))
    run(kapctl + ["feeds"])
    show_plan_feed(kapctl, feeds)
    show_plan_page(kapctl, demo)
    print("\nThe demo database is %s; try:\n  %s -c %s show plan kessler-2026\n"
          "Serve %s with nginx (etc/nginx-kapd.conf) to subscribe to the feeds."
          % (os.path.relpath(db, ROOT), os.path.relpath(kapctl[0], ROOT),
             os.path.relpath(conf, ROOT), os.path.relpath(feeds, ROOT)))


def plan_line(kapctl, key):
    out = subprocess.run(kapctl + ["show", "plan", "kessler-2026"], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    return [line for line in out.splitlines() if key in line]


def show_reply(kapctl, kapd, now, outbox, maildir):
    """A team member answers a reminder from Outlook, and the plan changes."""
    import datetime
    import email
    import re
    from email import policy
    mails = []
    for name in sorted(os.listdir(outbox)):
        with open(os.path.join(outbox, name), "rb") as f:
            mails.append(email.message_from_binary_file(f, policy=policy.default))
    for m in mails:
        items = [str(h).split(";")[0].strip() for h in m.get_all("X-KAP-Item", [])
                 if "rule=overdue" in str(h)]
        if items and m.get("Content-Language") == "de":
            break
    else:
        print("(no German reminder with an overdue item to answer)")
        return
    key, to = items[0], m["To"].addresses[0]
    later = (datetime.datetime.fromisoformat(now) + datetime.timedelta(minutes=30)).isoformat()
    first = to.display_name.split()[0] if to.display_name else ""
    body = ("erledigt %s\r\n\r\nViele Grüße\r\n%s\r\n\r\n"
            "________________________________\r\nVon: %s\r\nGesendet: %s\r\nAn: %s\r\n"
            "Betreff: %s\r\n\r\n%s" % (key, first, m["From"], m["Date"], m["To"],
                                         m["Subject"], m.get_body(("plain",)).get_content()))
    reply = email.message.EmailMessage()
    reply["From"], reply["To"] = str(m["To"]), str(m["Reply-To"])
    reply["Subject"], reply["In-Reply-To"] = "AW: " + str(m["Subject"]), m["Message-ID"]
    reply["Message-ID"] = email.utils.make_msgid(domain="brenner-maschinenbau.example")
    reply.set_content(body)
    banner("%s answers the reminder from Outlook (the reply, as typed, lands in %s)"
           % (to.display_name or to.addr_spec, os.path.relpath(maildir, ROOT)))
    print("\n".join(body.replace("\r\n", "\n").splitlines()[:12]) + "\n[...]")
    with open(os.path.join(maildir, "tmp", "reply.eml"), "wb") as f:
        f.write(reply.as_bytes())
    os.rename(os.path.join(maildir, "tmp", "reply.eml"),
              os.path.join(maildir, "new", "1.demo-reply.eml"))
    before = plan_line(kapctl, key)
    banner("The next check reads it (kapd --once at %s)" % later)
    run(kapd + ["--once", "--now", later])
    run(kapctl + ["replies"])
    banner("The plan line that changed")
    print("before: " + "\n        ".join(before))
    print("after:  " + "\n        ".join(plan_line(kapctl, key)))
    for name in sorted(os.listdir(outbox)):
        with open(os.path.join(outbox, name), "rb") as f:
            a = email.message_from_binary_file(f, policy=policy.default)
        if a["Auto-Submitted"] == "auto-replied":
            banner("The answer %s receives" % (to.display_name or to.addr_spec))
            for h in ("To", "Subject", "In-Reply-To", "Auto-Submitted"):
                print("%s: %s" % (h, a[h]))
            print()
            print(a.get_content())


def show_plan_feed(kapctl, feeds):
    """The start of the plan's feed, as a calendar client receives it."""
    import json
    out = subprocess.run(kapctl + ["feeds", "--json"], stdout=subprocess.PIPE, check=True)
    plans = [e for e in json.loads(out.stdout) if e["kind"] == "plan"]
    if not plans:
        return
    with open(os.path.join(feeds, plans[0]["file"]), encoding="utf-8", newline="") as f:
        lines = f.read().split("\r\n")
    print("\nThe first lines of the plan's feed %s (%d events):" % (
        plans[0]["file"], sum(1 for x in lines if x == "BEGIN:VEVENT")))
    print("\n".join("  " + x for x in lines[:26]))


def show_plan_page(kapctl, demo):
    """The plan's page the check wrote: its path, its URL and, with Chromium, a picture."""
    import json
    pages = os.path.join(demo, "pages")
    banner("The plan page the check wrote into %s (kapctl pages)" % os.path.relpath(pages, ROOT))
    run(kapctl + ["pages"])
    out = subprocess.run(kapctl + ["pages", "--json"], stdout=subprocess.PIPE, check=True)
    entries = json.loads(out.stdout)
    if not entries:
        return
    path = os.path.join(pages, entries[0]["file"])
    print("\nThe page of %s:\n  file: %s\n  open: file://%s\n  URL once served: %s"
          % (entries[0]["key"], os.path.relpath(path, ROOT), path, entries[0]["url"]))
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    import browser
    if browser.find_chromium() is None:
        print("(no chromium here: no screenshot; `make deps` installs Debian's chromium)")
        return
    try:
        with browser.Browser() as b:
            for width, height in ((375, 800), (1280, 1800)):
                tab = b.open("file://" + path, width, height)
                shot = os.path.join(demo, "page-%d.png" % width)
                with open(shot, "wb") as f:
                    f.write(tab.screenshot())
                print("  screenshot at %d px: %s" % (width, os.path.relpath(shot, ROOT)))
            tab.evaluate("document.getElementById('timeline').scrollIntoView()")
            shot = os.path.join(demo, "page-timeline-1280.png")
            with open(shot, "wb") as f:
                f.write(tab.screenshot())
            print("  the timeline at 1280 px: %s" % os.path.relpath(shot, ROOT))
    except (browser.BrowserError, OSError) as e:
        print("(chromium could not take the screenshot: %s)" % e)


def demo_instant():
    """Today 09:00 Europe/Berlin, moved to the next weekday when today is a weekend."""
    import datetime
    import zoneinfo
    day = datetime.date.today()
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    t = datetime.datetime(day.year, day.month, day.day, 9, 0,
                          tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    return t.isoformat()


def show_one_mail(outbox):
    """The largest German and the largest English digest, as their recipients read them."""
    import email
    from email import policy
    names = sorted(n for n in os.listdir(outbox) if n.endswith(".eml")) if os.path.isdir(outbox) else []
    print("%d mails written" % len(names))
    best = {}
    for name in names:
        path = os.path.join(outbox, name)
        with open(path, "rb") as f:
            msg = email.message_from_binary_file(f, policy=policy.default)
        lang = msg.get("Content-Language", "en")
        if lang not in best or os.path.getsize(path) > best[lang][0]:
            best[lang] = (os.path.getsize(path), name, msg)
    for lang in ("de", "en"):
        if lang not in best:
            continue
        _, name, msg = best[lang]
        banner("A digest in %s, as its recipient reads it (%s)"
               % ({"de": "German", "en": "English"}[lang], name))
        for h in ("From", "To", "Reply-To", "Subject", "Date", "Content-Language"):
            print("%s: %s" % (h, msg[h]))
        for h in msg.get_all("X-KAP-Item", []):
            print("X-KAP-Item: %s" % h)
        print()
        print(msg.get_body(preferencelist=("plain",)).get_content())


if __name__ == "__main__":
    main()
