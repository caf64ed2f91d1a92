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
    with open(conf, "w", encoding="utf-8") as f:
        f.write('# written by make demo\n'
                'database = "%s";\ntimezone = "Europe/Berlin";\n'
                'mail = { transport = "file"; directory = "%s"; };\n'
                'feeds = { directory = "%s"; base_url = "http://localhost/kapd/"; };\n'
                % (db, os.path.join(demo, "outbox"), os.path.join(demo, "feeds")))
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
    print("\nThe demo database is %s; try:\n  %s -c %s show plan kessler-2026\n"
          "Mail digests and calendar feeds join the demo with the controlling engine "
          "(see README.md, Status)." % (os.path.relpath(db, ROOT), os.path.relpath(kapctl[0], ROOT),
                                        os.path.relpath(conf, ROOT)))


if __name__ == "__main__":
    main()
