"""Replies exactly once across crashes (SPEC §8): kapd --once is killed with SIGKILL at
random points while it reads a maildir of replies, again and again, while new replies
arrive.  Afterwards every reply was applied exactly once (its own deadline change shows
once in the history) and none was lost.  KAPD_REPLY_KILLS sets the number of kills (make
check: 20; make replies-torture: 150)."""

import os
import random
import signal
import subprocess
import time
import unittest

import kaptest
from test_replies import ReplyTestCase, TUESDAY_0900, ADDRESS

KILLS = int(os.environ.get("KAPD_REPLY_KILLS", "20"))
BATCH = 8  # replies added before each run
NOW = "2026-12-01T09:30:00+01:00"


class ReplyCrashTest(ReplyTestCase):

    def setUp(self):
        super().setUp()
        self.write_conf('replies = { source = "maildir"; maildir = "%s"; address = "%s"; '
                        'answers_per_hour = 1000; };\n' % (self.maildir, ADDRESS))
        self.check(TUESDAY_0900)
        self.m, self.k, self.items = self.pick(single=False)
        self.sent = []  # (message id, item, date)

    def add_reply(self, i):
        item = self.items[i % len(self.items)]
        # A date of its own per reply: its change can be counted in the history.
        day = "%04d-%02d-%02d" % (2027 + i // 336, 1 + (i // 28) % 12, 1 + i % 28)
        raw = self.reply(self.m, self.k, "date %s %s\n" % (item, day))
        mid = [l for l in raw.split(b"\n") if l.lower().startswith(b"message-id:")][0]
        self.sent.append((mid.split(b":", 1)[1].strip().decode(), item, day))

    def run_kapd(self, kill_after=None):
        argv = [kaptest.KAPD, "-c", self.conf, "--once", "--now", NOW]
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if kill_after is None:
            _, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, err.decode()[-2000:])
            return True
        time.sleep(kill_after)
        alive = p.poll() is None
        p.send_signal(signal.SIGKILL)
        p.communicate(timeout=60)
        return alive

    def test_kill_9_at_random_points_applies_each_reply_exactly_once(self):
        rnd = random.Random(int(os.environ.get("KAPD_REPLY_SEED", "12")))
        # How long one run over a batch takes, to spread the kills over it.
        for i in range(BATCH):
            self.add_reply(len(self.sent))
        start = time.monotonic()
        self.run_kapd()
        span = max(time.monotonic() - start, 0.05)
        kills = interrupted = 0
        while kills < KILLS:
            for _ in range(BATCH):
                self.add_reply(len(self.sent))
            interrupted += self.run_kapd(kill_after=rnd.uniform(0, span))
            kills += 1
        self.run_kapd()
        self.run_kapd()
        self.assertEqual(self.waiting(), [], "replies left unread")
        rows = self.ledger("SELECT message_id, outcome FROM reply")
        by_id = {}
        for mid, outcome in rows:
            by_id.setdefault("<%s>" % mid, []).append(outcome)
        lost = [mid for mid, _, _ in self.sent if mid not in by_id]
        self.assertEqual(lost, [], "replies lost")
        self.assertEqual(len(rows), len(self.sent), "a reply recorded twice")
        changes = {}
        for item, new in self.ledger("SELECT a.key, c.new_value FROM item_change c JOIN "
                                     "activity a ON a.id = c.item_id WHERE c.field = 'due' "
                                     "AND c.kind = 'activity' UNION ALL SELECT m.key, "
                                     "c.new_value FROM item_change c JOIN milestone m ON "
                                     "m.id = c.item_id WHERE c.field = 'due' AND "
                                     "c.kind = 'milestone'"):
            changes[(item, new)] = changes.get((item, new), 0) + 1
        twice = [(i, d) for _, i, d in self.sent if changes.get((i, d), 0) > 1]
        never = [(i, d) for _, i, d in self.sent if changes.get((i, d), 0) == 0]
        self.assertEqual(twice, [], "a reply's change applied twice")
        self.assertEqual(never, [], "a reply's change never applied")
        answers = {}
        for a in self.answers():
            answers[a["In-Reply-To"]] = answers.get(a["In-Reply-To"], 0) + 1
        dup = sum(1 for n in answers.values() if n > 1)
        limited = self.ledger("SELECT count(*) FROM reply WHERE answer_state = 'limited'")[0][0]
        print("\nkill -9: %d kills (%d while kapd ran), %d replies, each applied exactly "
              "once, none lost; %d answers, %d over the hourly limit, %d lost to a kill "
              "between claiming and sending, %d replies answered twice" % (kills,
              interrupted, len(self.sent),
              sum(answers.values()), limited, len(self.sent) - limited - len(answers), dup))
        self.assertEqual(dup, 0, "a reply was answered twice")


if __name__ == "__main__":
    unittest.main()
