#!/usr/bin/python3
"""make bench, last step: the figures of issue 15's table side by side, from the results
that run.py, feeds.py and smtp.py wrote in this `make bench` run, with each target and
PASS or FAIL.

Usage: tests/bench/summary.py [BUILD_DIR]

All figures come from one machine and one run, but not from one instant: on a shared
machine compare the ratios (each measured in interleaved rounds), not absolute times.
"""

import json
import os
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def s(v, f="%.3f s"):
    return f % v if v is not None else "n/a"


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    bench = os.path.join(build, "bench")
    main_r = load(os.path.join(bench, "results.json")) or {}
    feeds = load(os.path.join(bench, "feeds-results.json")) or {}
    smtp = load(os.path.join(bench, "smtp-results.json")) or {}
    tv = main_r.get("target_values", {})
    fl, ck = main_r.get("floor") or {}, main_r.get("check") or {}
    once, after = main_r.get("once") or {}, main_r.get("check_after_once") or {}
    rm = main_r.get("remind") or {}
    rows = []

    def row(what, figure, against, target=None, ok=None):
        rows.append((what, figure, against, target or "", "" if ok is None else
                     ("PASS" if ok else "FAIL")))

    row("floor: bare SQLite query", s(fl.get("best")), "")
    rf = main_r.get("ratio_floor")
    row("kapd --dry-run --json, empty ledger", s(ck.get("best")),
        "%s the floor" % s(rf, "%.2fx"), "<= %gx" % tv.get("floor_ratio", 2.0),
        rf is not None and rf <= tv.get("floor_ratio", 2.0))
    ra = main_r.get("ratio_after")
    row("the same after the first --once (%s ledger rows)" % once.get("ledger_notifications",
                                                                      "?"),
        s(after.get("best")), "%s its floor (%s)" % (s(ra, "%.2fx"),
                                                     s(after.get("floor_best"))),
        "<= %gx" % tv.get("after_ratio", 2.5),
        ra is not None and ra <= tv.get("after_ratio", 2.5))
    if rm.get("ok"):
        row("remind over the same deadlines", s(rm.get("best")),
            "kapd %.1fx faster" % (rm["best"] / ck["best"]) if ck.get("best") else "")
    ow = once.get("wall") if once.get("rc") == 0 else None
    row("first kapd --once (%s mails, %s feed files)" % (once.get("emails", "?"),
                                                         once.get("feed_files", "?")),
        s(ow, "%.1f s"), "%s CPU" % s((once.get("user") or 0) + (once.get("sys") or 0)
                                      if ow is not None else None, "%.1f s"),
        "<= %g s" % tv.get("once_s", 30.0), ow is not None and ow <= tv.get("once_s", 30.0))
    lr = feeds.get("ratio_libical")
    row("%s-event feed, first write" % feeds.get("events", "?"), s(feeds.get("kapd_first_s")),
        "libical event by event: %s (%s)" % (s(feeds.get("libical_s")), s(lr, "%.2fx")),
        "<= 2x", lr is not None and lr <= 2.0)
    if smtp:
        row("SMTP, %s digests" % smtp.get("digests"), "%.0f mails/s" % (
            smtp["digests"] / smtp["kapd_seconds"]) if smtp.get("kapd_seconds") else "n/a",
            "%.1fx msmtp" % smtp["ratio"] if smtp.get("ratio") else "")
    rss = [v for v in (main_r.get("check_rss_mib"), feeds.get("kapd_peak_rss_mib"))
           if v is not None]
    peak = max(rss) if rss else None
    row("peak RSS, every kapd run", s(peak, "%.1f MiB"), "", "<= %g MiB"
        % tv.get("rss_mib", 32.0), peak is not None and peak <= tv.get("rss_mib", 32.0))

    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    print("\n== issue 15: every figure of one `make bench` run (compare ratios: other load "
          "on the machine inflates absolute times)")
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    failed = [r[0] for r in rows if r[4] == "FAIL"]
    print("bench targets: %s" % ("all PASS" if not failed else "FAIL: " + "; ".join(failed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
