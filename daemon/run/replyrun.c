/* replyrun: one pass over the replies that arrived (see replyrun.h). */
#include "run/replyrun.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mail.h"
#include "core/replyanswer.h"
#include "core/replyauth.h"
#include "core/replycmd.h"
#include "io/mailparse.h"
#include "io/replysource.h"
#include "lib/sbuf.h"
#include "store/db.h"
#include "store/replies.h"

/* Messages per transaction: one commit (and its fsyncs) serves many replies. */
#define BATCH 250
/* Answers claimed at a time: a crash loses at most these (never sends one twice). */
#define CLAIM 10

struct rr {
	sqlite3 *db;
	const struct kapd_config *cfg;
	struct transport *tp;
	time_t now;
	struct replyrun_stats *st;
	struct errlist *notes;
	char from_addr[256];
	const char *domain;
	const struct transport_hooks *hooks;
};

/* What one incoming message is, while it is being handled. */
struct incoming {
	const struct inmail *im;
	char mid[300];               /* its Message-ID, or a digest of its bytes */
	char key[REPLY_KEY_LEN + 1]; /* "" when it names none */
	char shown[120];             /* the Message-ID as the log may show it */
};

/* A Message-ID or sender fit for a log line: printable ASCII, cut short. */
static void
printable(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < len; i++)
		buf[i] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
}

/* 64-bit FNV-1a: names a message without Message-ID by its bytes, so that a refetch is
 * still recognised. */
static unsigned long long
fnv1a(const char *p, size_t n)
{
	unsigned long long h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
note(struct rr *x, const struct incoming *in, const char *what)
{
	char from[120];

	printable(
	    in->im != NULL && in->im->from[0] ? in->im->from : "(no sender)", from, sizeof(from));
	errlist_add(x->notes, "reply from %s, message <%s>: %s", from, in->shown, what);
}

/* A record without changes (refused, automatic, unreadable). */
static void
record_only(struct rr *x, const struct incoming *in, int64_t delivery, const char *outcome,
    const char *reason, size_t *counter)
{
	struct reply_record rec = { in->mid, in->key, delivery,
		in->im != NULL && in->im->from[0] ? in->im->from : NULL, x->now, outcome, reason,
		NULL };
	int64_t id;
	char err[256], what[300];
	int r = replies_insert(x->db, &rec, &id, err, sizeof(err));

	if (r == -EEXIST) {
		x->st->replayed++;
		note(x, in, "handled before, nothing done");
		return;
	}
	if (r < 0) {
		snprintf(what, sizeof(what), "cannot be recorded: %s", err);
		note(x, in, what);
		return;
	}
	(*counter)++;
	snprintf(what, sizeof(what), "%s: %s; nothing changed, no answer", outcome, reason);
	note(x, in, what);
}

/* The reply key: the address it was sent to, else the ids it refers to. */
static void
find_key(struct rr *x, const struct inmail *im, char *key)
{
	key[0] = '\0';
	for (size_t i = 0; i < im->n_rcpts; i++)
		if (replyauth_key_from_address(x->cfg->replies.address, im->rcpts[i], key) == 0)
			return;
	if (replyauth_key_from_ids(im->in_reply_to, key) == 0 ||
	    replyauth_key_from_ids(im->references, key) == 0)
		return;
	key[0] = '\0';
}

/* "done A-1\ndate A-2 2026-12-15": what was read, for kapctl replies. */
static char *
commands_text(const struct replycmd_list *l)
{
	struct sbuf b = SBUF_INIT;
	char d[KDATE_STRLEN], *s = NULL;

	for (size_t i = 0; i < l->n; i++)
		sbuf_printf(&b, "%s%s%s%s%s%s", i ? "\n" : "", replycmd_verb_name(l->cmd[i].verb),
		    l->cmd[i].key[0] ? " " : "", l->cmd[i].key,
		    l->cmd[i].verb == REPLYCMD_DATE ? " " : "",
		    l->cmd[i].verb == REPLYCMD_DATE ? kdate_format(l->cmd[i].date, d) : "");
	for (size_t i = 0; i < l->n_bad; i++)
		sbuf_printf(&b, "%s? %s", b.len ? "\n" : "", l->bad[i]);
	return sbuf_finish(&b, &s, NULL) == 0 ? s : NULL;
}

/* The answer, unless the sender had answers_per_hour already.  *state is "pending" with
 * *answer set, or "limited". */
static int
make_answer(struct rr *x, const struct incoming *in, const struct reply_mail *m,
    const struct replycmd_list *l, const struct reply_decision *d, const struct reply_effect *eff,
    char **answer, size_t *len, const char **state)
{
	char msgid[320], err[256];
	int sent = 0, r;
	struct replyanswer a = { x->cfg->mail.from, in->im->from, m->lang[0] ? m->lang : NULL,
		in->im->subject, in->im->message_id, msgid, x->now, m, l, d, eff };

	*answer = NULL;
	*state = "limited";
	if ((r = replies_answers_since(
	         x->db, in->im->from, x->now - 3600, &sent, err, sizeof(err))) < 0)
		return r;
	if (sent >= x->cfg->replies.answers_per_hour)
		return 0;
	snprintf(msgid, sizeof(msgid), "<kapd-answer-%016llx@%s>",
	    fnv1a(in->mid, strlen(in->mid)) ^ (unsigned long long)x->now, x->domain);
	if ((r = replyanswer_compose(&a, answer, len, err, sizeof(err))) < 0)
		return r == -EINVAL ? 0 : r;
	*state = "pending";
	return 0;
}

static int
any_change(const struct reply_effect *eff, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (eff[i].kind == REPLY_CHANGED)
			return 1;
	return 0;
}

/* The change, its history, the record of the message and its answer: in the batch's
 * transaction, so they commit together.  A failure fails the whole batch (the insert
 * of a message handled before changes nothing, so it needs no undo). */
static int
commit_reply(struct rr *x, const struct incoming *in, const struct reply_mail *m,
    const struct replycmd_list *l, const struct reply_decision *d, char *err, size_t errlen)
{
	struct reply_effect eff[REPLYCMD_MAX];
	char *cmds = commands_text(l), *answer = NULL;
	struct reply_record rec = { in->mid, in->key, m->delivery_id, in->im->from, x->now,
		"unchanged", NULL, cmds };
	const char *state = "none", *outcome;
	int64_t id = 0;
	size_t alen = 0;
	int r;

	if ((r = replies_insert(x->db, &rec, &id, err, errlen)) < 0 ||
	    (r = replies_apply(x->db, id, m, d->act, d->n_act, x->now, eff, err, errlen)) < 0 ||
	    (r = make_answer(x, in, m, l, d, eff, &answer, &alen, &state)) < 0)
		goto rollback;
	outcome = any_change(eff, d->n_act) ? "applied" : "unchanged";
	if ((r = replies_finish(x->db, id, outcome, answer, alen, state, err, errlen)) < 0)
		goto rollback;
	if (outcome[0] == 'a')
		x->st->applied++;
	else
		x->st->unchanged++;
	snprintf(err, errlen, "%s, %zu of %zu commands acted on%s", outcome, d->n_act, l->n,
	    strcmp(state, "limited") == 0 ? "; no answer (answers_per_hour reached)" : "");
	note(x, in, err);
	goto out;
rollback:
	if (r == -EEXIST) {
		x->st->replayed++;
		note(x, in, "handled before, nothing done");
		r = 0;
	}
out:
	free(cmds);
	free(answer);
	return r;
}

/* A message from a person that names a known key: who sent it decides. */
static int
handle_keyed(
    struct rr *x, const struct incoming *in, const struct reply_mail *m, char *err, size_t errlen)
{
	static struct replycmd_list l; /* large; one message at a time */
	struct reply_decision d;
	const struct inmail *im = in->im;
	kdate_t today;
	enum reply_verdict v = replyauth_check(m, im->from, x->now);

	if (v != REPLY_ACCEPTED) {
		record_only(x, in, m->delivery_id, "refused",
		    v == REPLY_EXPIRED ? "the reply key has expired"
		                       : "the sender is not the one the mail went to",
		    &x->st->refused);
		return 0;
	}
	replycmd_parse(im->text, replycmd_strip(im->text, im->text_len), &l);
	if (kdate_local(x->now, m->tz[0] ? m->tz : x->cfg->timezone, &today, NULL, NULL) < 0 &&
	    kdate_local(x->now, "UTC", &today, NULL, NULL) < 0)
		today = (kdate_t)(x->now / 86400);
	replyauth_decide(m, &l, today, &d);
	return commit_reply(x, in, m, &l, &d, err, errlen);
}

static int
handle_mail(struct rr *x, struct incoming *in, char *err, size_t errlen)
{
	struct reply_mail m;
	const char *why;
	int r;

	find_key(x, in->im, in->key);
	if ((r = replies_seen(x->db, in->mid, in->key, err, errlen)) != 0) {
		if (r > 0) {
			x->st->replayed++;
			note(x, in, "handled before, nothing done");
		}
		return r < 0 ? r : 0;
	}
	if ((why = replyauth_automatic(&in->im->autoh)) != NULL) {
		record_only(x, in, 0, "automatic", why, &x->st->automatic);
		return 0;
	}
	if (in->key[0] == '\0') {
		record_only(x, in, 0, "refused", "no reply key", &x->st->refused);
		return 0;
	}
	if ((r = replies_mail(x->db, in->key, &m, err, errlen)) == -ENOENT) {
		record_only(x, in, 0, "refused", "unknown reply key", &x->st->refused);
		return 0;
	}
	if (r < 0)
		return r;
	r = handle_keyed(x, in, &m, err, errlen);
	replies_mail_free(&m);
	return r;
}

/* One message: 0 when it may be marked handled at its source. */
static int
handle(struct rr *x, struct replysource *src, const struct replysource_msg *msg, char *err,
    size_t errlen)
{
	struct inmail im;
	struct incoming in = { NULL, "", "", "" };
	char *raw = NULL, perr[256];
	size_t len = 0;
	int r = replysource_fetch(src, msg, REPLYRUN_MAX_MESSAGE, &raw, &len, err, errlen);

	if (r == -EFBIG || (r == 0 && mailparse(raw, len, &im, perr, sizeof(perr)) < 0)) {
		snprintf(in.mid, sizeof(in.mid), "set-aside-%s", msg->id);
		printable(in.mid, in.shown, sizeof(in.shown));
		record_only(x, &in, 0, "unreadable", r == -EFBIG ? "larger than 1 MiB" : perr,
		    &x->st->unreadable);
		if (r == 0)
			mailparse_free(&im);
		free(raw);
		return 0;
	}
	if (r < 0)
		return r;
	x->st->fetched++;
	in.im = &im;
	if (im.message_id != NULL)
		snprintf(in.mid, sizeof(in.mid), "%s", im.message_id);
	else
		snprintf(in.mid, sizeof(in.mid), "digest-%016llx-%zu", fnv1a(raw, len), len);
	printable(in.mid, in.shown, sizeof(in.shown));
	r = handle_mail(x, &in, err, errlen);
	mailparse_free(&im);
	free(raw);
	return r;
}

/* Sends up to CLAIM answers that wait (just made, or left by a mail server that was
 * down): claimed first, so that none goes out twice, then settled in one transaction.
 * *n gets how many were claimed. */
static int
send_claim(struct rr *x, size_t *claimed, char *err, size_t errlen)
{
	struct reply_answer *a = NULL;
	int64_t *retry = NULL, *failed = NULL;
	size_t n = 0, nr = 0, nf = 0;
	int r;

	*claimed = 0;
	if ((r = replies_claim(x->db, CLAIM, &a, &n, err, errlen)) < 0 || n == 0)
		return r;
	*claimed = n;
	retry = calloc(n, sizeof(*retry));
	failed = calloc(n, sizeof(*failed));
	for (size_t i = 0; i < n; i++) {
		char terr[512], to[120];
		int t = retry == NULL || failed == NULL
		    ? -ENOMEM
		    : transport_send(x->tp, x->from_addr, a[i].sender, a[i].token, a[i].answer,
		          a[i].len, terr, sizeof(terr));

		printable(a[i].sender, to, sizeof(to));
		if (t == 0) {
			x->st->answered++;
		} else if (t == -EAGAIN && retry != NULL) {
			errlist_add(x->notes,
			    "answer to %s deferred, trying again at the next "
			    "check: %s",
			    to, terr);
			retry[nr++] = a[i].id;
		} else if (failed != NULL) {
			errlist_add(x->notes, "answer to %s failed: %s", to,
			    t == -ENOMEM ? "out of memory" : terr);
			failed[nf++] = a[i].id;
		}
	}
	r = replies_settle(x->db, retry, nr, failed, nf, err, errlen);
	free(retry);
	free(failed);
	replies_answers_free(a, n);
	return r < 0 ? r : (int)nr; /* a deferral: the server is down, stop for this run */
}

static int
send_answers(struct rr *x, char *err, size_t errlen)
{
	size_t n = CLAIM;
	int r = 0;

	while (r == 0 && n == CLAIM)
		r = send_claim(x, &n, err, errlen);
	return r < 0 ? r : 0;
}

/* One batch: msgs[*i..] handled in one transaction until BATCH messages or the byte
 * budget; then marked done at the source (after the commit: a crash in between makes
 * the next run see them again, and the store knows them). */
static int
batch(struct rr *x, struct replysource *src, struct replysource_msg *msgs, size_t n, size_t *i,
    size_t *bytes, char *cursor, char *err, size_t errlen)
{
	size_t first = *i;
	int r;

	if ((r = db_begin(x->db, err, errlen)) < 0)
		return r;
	for (; r == 0 && *i < n && *i - first < BATCH; (*i)++) {
		/* The first message is read whatever its size, so that one large message
		 * cannot block the ones behind it forever. */
		if (*i > 0 && *bytes + msgs[*i].size > (size_t)x->cfg->replies.max_bytes) {
			*bytes = SIZE_MAX;
			break;
		}
		*bytes += msgs[*i].size;
		r = handle(x, src, &msgs[*i], err, errlen);
	}
	r = db_commit_or_rollback(x->db, r, err, errlen);
	if (r < 0) {
		*i = first;
		return r;
	}
	for (size_t k = first; k < *i; k++) {
		char derr[256];

		if (replysource_done(src, &msgs[k], derr, sizeof(derr)) < 0)
			errlist_add(x->notes, "a handled reply stays in the mailbox: %s", derr);
		snprintf(cursor, 48, "%s", msgs[k].cursor);
	}
	return 0;
}

/* Reads what waits, within replies.max_messages and replies.max_bytes. */
static int
read_source(struct rr *x, char *err, size_t errlen)
{
	struct replysource *src = NULL;
	struct replysource_msg *msgs = NULL;
	char cursor[48] = "";
	size_t n = 0, bytes = 0, i = 0;
	int r;

	if ((r = mailparse_ready(err, errlen)) < 0 ||
	    (r = replies_cursor(x->db, cursor, sizeof(cursor), err, errlen)) < 0 ||
	    (r = replysource_open(x->cfg, x->hooks, &src, err, errlen)) < 0)
		return r;
	r = replysource_list(
	    src, cursor, (size_t)x->cfg->replies.max_messages, &msgs, &n, err, errlen);
	while (r == 0 && i < n && bytes != SIZE_MAX)
		r = batch(x, src, msgs, n, &i, &bytes, cursor, err, errlen);
	/* A crash before this line refetches what was handled: the store knows it. */
	if (i > 0 && cursor[0] != '\0' && replies_set_cursor(x->db, cursor, err, errlen) < 0 &&
	    r == 0)
		r = -EIO;
	x->st->waiting = n - i;
	free(msgs);
	replysource_close(src);
	mailparse_shutdown();
	return r;
}

int
replyrun(sqlite3 *db, const struct kapd_config *cfg, struct transport *tp,
    const struct transport_hooks *hooks, time_t now, struct replyrun_stats *st,
    struct errlist *notes, char *err, size_t errlen)
{
	struct rr x = { db, cfg, tp, now, st, notes, "", NULL, hooks };
	char name[256];
	int r, r2 = 0;

	memset(st, 0, sizeof(*st));
	if (strlen(cfg->mail.from) >= sizeof(name) ||
	    mail_parse_address(cfg->mail.from, name, x.from_addr) < 0)
		snprintf(x.from_addr, sizeof(x.from_addr), "kapd@localhost.localdomain");
	x.domain = strchr(x.from_addr, '@') + 1;
	r = read_source(&x, err, errlen);
	/* Answers go out even when the source failed: they were made by earlier runs. */
	if (tp != NULL) {
		char err2[256];

		r2 = send_answers(&x, err2, sizeof(err2));
		if (r2 < 0 && r == 0)
			snprintf(err, errlen, "sending answers: %s", err2);
		transport_flush(tp);
	}
	return r < 0 ? r : r2;
}
