#include "run/outbox.h"
#include "lib/token.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/backoff.h"
#include "core/mail.h"
#include "lib/i18n.h"
#include "store/ledger.h"
#include "store/report_facts.h"
#include "store/replies.h"

/* A notification to send, packed: a first check collects over a hundred thousand.  The
 * texts live in the outbox's arena, shared by the notifications of one item. */
struct entry {
	const char *item, *title;
	int32_t plan, recipient, on_behalf, owner, stage, stage_year;
	kdate_t due;
	unsigned char rule, kind, role, unowned, at_risk, immediate;
};

/* The texts of one notification while its email is made. */
struct note_text {
	char due[KDATE_STRLEN];
	char stage[32];
};

#define ARENA_CHUNK 65536

struct chunk {
	struct chunk *next;
	size_t used, size;
	char data[];
};

struct outbox {
	sqlite3 *db;
	const struct kapd_config *cfg;
	struct transport *tp;
	time_t now;
	struct check_stats *st;
	struct errlist *problems;
	struct db_stmts *reports; /* the status reports' statements, prepared once */
	struct entry *e;
	size_t n, cap;
	struct chunk *arena;
	const char *last_item, *last_title; /* the texts of the last entry added */
	char from_addr[256];
	const char *domain;
	/* The outcome of the last email, stored with the next email's record (or at the
	 * end): one commit per email. */
	struct ledger_result pending;
	char pending_error[512];
	int has_pending;
};

struct outbox *
outbox_new(sqlite3 *db, const struct kapd_config *cfg, struct transport *tp, time_t now,
    struct check_stats *st, struct errlist *problems)
{
	struct outbox *ob = calloc(1, sizeof(*ob));
	char name[256];

	if (ob == NULL)
		return NULL;
	ob->db = db;
	ob->cfg = cfg;
	ob->tp = tp;
	ob->now = now;
	ob->st = st;
	ob->problems = problems;
	if ((ob->reports = db_stmts_new(db)) == NULL) {
		free(ob);
		return NULL;
	}
	if (strlen(cfg->mail.from) >= sizeof(name) ||
	    mail_parse_address(cfg->mail.from, name, ob->from_addr) < 0)
		snprintf(ob->from_addr, sizeof(ob->from_addr), "kapd@localhost.localdomain");
	ob->domain = strchr(ob->from_addr, '@') + 1;
	return ob;
}

void
outbox_free(struct outbox *ob)
{
	struct chunk *c, *next;

	if (ob == NULL)
		return;
	for (c = ob->arena; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(ob->e);
	db_stmts_free(ob->reports);
	free(ob);
}

/* A copy of s in the arena, or the last copy when it has the same text. */
static const char *
keep_text(struct outbox *ob, const char *s, const char *last)
{
	size_t n, size;
	struct chunk *c = ob->arena;

	if (s == NULL)
		return NULL;
	if (last != NULL && strcmp(s, last) == 0)
		return last;
	n = strlen(s) + 1;
	if (c == NULL || c->size - c->used < n) {
		size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		if ((c = malloc(sizeof(*c) + size)) == NULL)
			return NULL;
		c->next = ob->arena;
		c->used = 0;
		c->size = size;
		ob->arena = c;
	}
	memcpy(c->data + c->used, s, n);
	c->used += n;
	return c->data + c->used - n;
}

int
outbox_add(
    struct outbox *ob, const struct rules_notification *n, const char *stage, const char *title)
{
	struct entry *e;

	(void)stage; /* formatted again from n when the email is made */
	if (ob->n == ob->cap) {
		size_t cap = ob->cap ? ob->cap * 2 : 64;

		e = realloc(ob->e, cap * sizeof(*e));
		if (e == NULL)
			return -ENOMEM;
		ob->e = e;
		ob->cap = cap;
	}
	e = &ob->e[ob->n];
	e->item = keep_text(ob, n->item, ob->last_item);
	e->title = keep_text(ob, title, ob->last_title);
	if (e->item == NULL || (title != NULL && e->title == NULL))
		return -ENOMEM;
	ob->last_item = e->item;
	ob->last_title = e->title != NULL ? e->title : ob->last_title;
	e->plan = n->plan;
	e->recipient = n->recipient;
	e->on_behalf = n->on_behalf;
	e->owner = n->owner;
	e->stage = n->stage;
	e->stage_year = n->stage_year;
	e->due = n->due;
	e->rule = (unsigned char)n->rule;
	e->kind = (unsigned char)n->kind;
	e->role = (unsigned char)n->role;
	e->unowned = (unsigned char)n->unowned;
	e->at_risk = (unsigned char)n->at_risk;
	e->immediate = (unsigned char)n->immediate;
	ob->n++;
	return 0;
}

/* A fresh unguessable token, "kapd-" and 96 random bits: the Message-ID's left part and
 * the .eml file name.  buf holds at least 30 bytes. */
static int
new_token(char *buf, size_t len)
{
	if (len < 30)
		return -EINVAL;
	memcpy(buf, "kapd-", 5);
	return token_random_hex(buf + 5, 24, NULL, 0);
}

#define MSGID_LEN 320 /* "<token@domain>" */

/* The headers that carry a mail's reply key (SPEC §8), when replies are on. */
struct reply_headers {
	char msgid[MSGID_LEN];
	char refs[128];
	char reply_to[320];
};

/* With replies on, the delivery's reply key goes into Reply-To, Message-ID and
 * References; without, or when no key can be stored, m keeps the KAM as Reply-To. */
static void
reply_headers(struct outbox *ob, int64_t id, const char *token, struct mail_message *m,
    struct reply_headers *h)
{
	const struct kapd_config *c = ob->cfg;
	char key[REPLY_KEY_LEN + 1], err[256];

	if (c->replies.source == REPLY_OFF)
		return;
	snprintf(err, sizeof(err), "replies.address does not fit");
	if (replies_key(ob->db, id, ob->now + (time_t)c->replies.key_days * 86400, key, err,
	        sizeof(err)) < 0 ||
	    config_reply_address(c, key, h->reply_to, sizeof(h->reply_to)) < 0) {
		errlist_add(
		    ob->problems, "mail to %s goes without a reply key: %s", m->to_addr, err);
		return;
	}
	replyauth_message_id(token, key, ob->domain, h->msgid, sizeof(h->msgid));
	snprintf(h->refs, sizeof(h->refs), "<kapd-reply.%s@%s>", key, ob->domain);
	m->message_id = h->msgid;
	m->references = h->refs;
	m->reply_to = h->reply_to;
	m->reply_commands = 1;
	explicit_bzero(key, sizeof(key));
}

/* The outcome of one email handed to the transport (r from transport_send or
 * transport_commit): counted, reported, and put into *res (its error text in errbuf). */
static void
account(struct outbox *ob, int64_t id, int r, char *err, size_t errlen, int attempts,
    time_t first_slot, size_t count, const char *to, struct ledger_result *res)
{
	struct backoff_policy policy = { ob->cfg->delivery.retry_first, ob->cfg->delivery.retry_max,
		ob->cfg->delivery.give_up_after };
	char tries[32];
	time_t next = 0;

	if (r == -EAGAIN && !backoff_next(&policy, first_slot, ob->now, attempts + 1, &next)) {
		r = -ETIMEDOUT;
		snprintf(err + strlen(err), errlen - strlen(err), "; gave up after %s",
		    i18n_count(I18N_SOURCE_LANG, (unsigned long)attempts + 1, "%lu attempt",
		        "%lu attempts", tries, sizeof(tries)));
	}
	if (r == 0) {
		ob->st->mails++;
		ob->st->notified += count;
	} else if (r == -EAGAIN) {
		ob->st->deferred++;
		errlist_add(ob->problems, "mail to %s deferred, retrying later: %s", to, err);
	} else {
		ob->st->failed++;
		errlist_add(ob->problems, "mail to %s failed permanently: %s", to, err);
	}
	*res = (struct ledger_result){ id,
		r == 0             ? LEDGER_SENT
		    : r == -EAGAIN ? LEDGER_DEFERRED
		                   : LEDGER_FAILED,
		r == 0 ? NULL : err, next, ob->now };
}

/* Hands a composed message to the transport and records what happened. */
static int
send_and_record(struct outbox *ob, int64_t id, const struct mail_message *m, const char *token,
    int attempts, time_t first_slot, size_t count)
{
	char *msg = NULL, err[512] = "";
	size_t len = 0;
	int r;

	r = mail_compose(m, &msg, &len, err, sizeof(err));
	if (r == 0)
		r = transport_send(
		    ob->tp, ob->from_addr, m->to_addr, token, msg, len, err, sizeof(err));
	free(msg);
	snprintf(ob->pending_error, sizeof(ob->pending_error), "%s", err);
	account(ob, id, r, ob->pending_error, sizeof(ob->pending_error), attempts, first_slot,
	    count, m->to_addr, &ob->pending);
	ob->has_pending = 1;
	return 0;
}

/* The facts of each status report in a mail, gathered at the slot (SPEC §3: what a slot
 * sends is decided at the slot), in one read transaction: one view of the database, and
 * one lock instead of one per query.  A report that cannot be gathered is sent without
 * its facts rather than not at all. */
static void
attach_reports(struct outbox *ob, struct mail_item *items, size_t n, kdate_t today)
{
	struct report *rep;
	char err[256];
	size_t i;
	int txn = 0;

	for (i = 0; i < n; i++) {
		items[i].report = NULL;
		/* The annual-update reminders carry the "since the last update" summary. */
		if (items[i].rule != RULE_STATUS_REPORT && items[i].kind != KIND_PLAN)
			continue;
		if (!txn)
			txn = db_read_begin(ob->db, err, sizeof(err)) == 0;
		if (report_build(ob->db, ob->reports, items[i].plan_key, today,
		        ob->cfg->status_report.stale_after_days, &rep, err, sizeof(err)) == 0)
			items[i].report = rep;
		else
			errlist_add(
			    ob->problems, "status report of plan %s: %s", items[i].plan_key, err);
	}
	if (txn)
		db_read_end(ob->db);
}

static void
free_reports(struct mail_item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		report_free((struct report *)items[i].report);
		items[i].report = NULL;
	}
}

/* Stores the outcome still pending on its own. */
static void
settle(struct outbox *ob)
{
	char err[256];

	if (!ob->has_pending)
		return;
	if (ledger_outcome(ob->db, &ob->pending, err, sizeof(err)) < 0)
		errlist_add(ob->problems, "cannot record the outcome of delivery %lld: %s",
		    (long long)ob->pending.id, err);
	ob->has_pending = 0;
}

static void
fill_note(struct ledger_note *note, struct mail_item *item, const struct entry *e,
    const struct world *w, struct note_text *t)
{
	struct rules_notification n;

	memset(&n, 0, sizeof(n));
	n.rule = (enum rule)e->rule;
	n.stage = e->stage;
	n.stage_year = e->stage_year;
	rules_stage_name(&n, t->stage, sizeof(t->stage));
	memset(note, 0, sizeof(*note));
	memset(item, 0, sizeof(*item));
	note->rule = rules_rule_name((enum rule)e->rule);
	note->kind = rules_kind_name((enum item_kind)e->kind);
	note->item_key = item->item_key = e->item;
	note->plan_key = item->plan_key = w->plans[e->plan].key;
	note->deadline = kdate_format(e->due, t->due);
	note->stage = item->stage = t->stage;
	note->recipient_key = w->people[e->recipient].key;
	note->on_behalf_key = e->on_behalf != RULES_NONE ? w->people[e->on_behalf].key : NULL;
	note->title = item->title = e->title;
	note->owner_name = item->owner_name =
	    e->owner != RULES_NONE ? w->person_name[e->owner] : NULL;
	note->unowned = item->unowned = e->unowned;
	note->at_risk = item->at_risk = e->at_risk;
	item->role = (enum rule_role)e->role;
	item->rule = (enum rule)e->rule;
	item->kind = (enum item_kind)e->kind;
	item->plan_title = w->plan_title[e->plan];
	item->on_behalf_name = e->on_behalf != RULES_NONE ? w->person_name[e->on_behalf] : NULL;
	item->due = e->due;
}

/* The end of the email starting at entry i: a digest takes all of a person's
 * notifications; immediate ones go alone. */
static size_t
group_end(const struct outbox *ob, size_t i)
{
	size_t j = i + 1;

	if (!ob->e[i].immediate)
		while (j < ob->n && ob->e[j].recipient == ob->e[i].recipient && !ob->e[j].immediate)
			j++;
	return j;
}

/* Completes m (recipient, Reply-To, language, today and items set by the caller) as the
 * email of delivery id under token: From, Date, its Message-ID (in h), with replies on the
 * reply key's headers, and the status reports' facts attached to items (free_reports
 * after sending). */
static void
finish_message(struct outbox *ob, int64_t id, const char *token, struct mail_item *items,
    struct mail_message *m, struct reply_headers *h)
{
	m->from = ob->cfg->mail.from;
	m->date = ob->now;
	snprintf(h->msgid, sizeof(h->msgid), "<%s@%s>", token, ob->domain);
	m->message_id = h->msgid;
	reply_headers(ob, id, token, m, h);
	attach_reports(ob, items, m->n_items, m->today);
}

/* ---------------------------------------------------------------------------------- */
/* Batches, for a transport that stores each email under its token (transport_batch):
 * the emails of a batch are recorded in one transaction, staged, made durable by one
 * transport_commit, and their outcomes stored in a second transaction.  A crash in
 * between sends the batch's emails again under the same tokens, replacing their files:
 * the duplicate window of one email becomes one batch, without a duplicate file. */

struct job {
	struct ledger_note *notes;
	struct mail_item *items;
	struct note_text *dues;
	int *keep;
	char token[64], day_s[KDATE_STRLEN];
	kdate_t day;
	const struct entry *e;
	size_t n;
	int skip;   /* no today for the recipient: left out, as deliver() */
	int staged; /* handed to the transport */
	int r;
	char err[512];
};

static void
job_free(struct job *j)
{
	free(j->notes);
	free(j->items);
	free(j->dues);
	free(j->keep);
}

static int
job_prepare(struct outbox *ob, const struct world *w, struct rules *rules, struct job *j,
    const struct entry *e, size_t n, struct ledger_mail *lm)
{
	int to = e[0].recipient, r;
	size_t i;

	memset(j, 0, sizeof(*j));
	j->e = e;
	j->n = n;
	j->notes = calloc(n, sizeof(*j->notes));
	j->items = calloc(n, sizeof(*j->items));
	j->dues = calloc(n, sizeof(*j->dues));
	j->keep = calloc(n, sizeof(*j->keep));
	if (j->notes == NULL || j->items == NULL || j->dues == NULL || j->keep == NULL)
		return -ENOMEM;
	if ((r = new_token(j->token, sizeof(j->token))) < 0)
		return r;
	if (rules_today(rules, to, e[0].plan, &j->day) < 0) {
		j->skip = 1;
		return 0;
	}
	for (i = 0; i < n; i++)
		fill_note(&j->notes[i], &j->items[i], &e[i], w, &j->dues[i]);
	*lm = (struct ledger_mail){ { w->people[to].key, w->people[to].email, e[0].immediate,
		                        j->token, ob->now, kdate_format(j->day, j->day_s) },
		j->notes, n, j->keep, 0 };
	return 0;
}

/* The message of the recorded email id of j: its kept items only (j->n becomes their
 * number); see finish_message. */
static void
job_message(struct outbox *ob, const struct world *w, struct job *j, int64_t id,
    struct reply_headers *rh, struct mail_message *m)
{
	int to = j->e[0].recipient, kam = w->plans[j->e[0].plan].kam;
	size_t i, k = 0;

	for (i = 0; i < j->n; i++)
		if (j->keep[i])
			j->items[k++] = j->items[i];
	j->n = k;
	*m = (struct mail_message){ .to_name = w->person_name[to],
		.to_addr = w->people[to].email,
		.reply_to = kam != RULES_NONE ? w->people[kam].email : NULL,
		.today = j->day,
		.lang = w->person_lang[to],
		.items = j->items,
		.n_items = k };
	finish_message(ob, id, j->token, j->items, m, rh);
}

/* One email with the entries e[0..n-1], all for the same person, recorded and sent on its
 * own. */
static int
deliver(struct outbox *ob, const struct world *w, struct rules *rules, const struct entry *e,
    size_t n, char *err, size_t errlen)
{
	struct reply_headers rh;
	struct mail_message m;
	struct ledger_mail lm;
	struct job j;
	int r;

	r = job_prepare(ob, w, rules, &j, e, n, &lm);
	if (r == 0 && j.skip)
		r = -EINVAL; /* no today for the recipient */
	if (r == 0) {
		r = ledger_record(ob->db, ob->has_pending ? &ob->pending : NULL, &lm.d, j.notes, n,
		    j.keep, &lm.id, err, errlen);
		if (r < 0)
			settle(ob);
		else
			ob->has_pending = 0;
	}
	if (r == 0 && lm.id != 0) {
		job_message(ob, w, &j, lm.id, &rh, &m);
		r = send_and_record(ob, lm.id, &m, j.token, 0, ob->now, j.n);
		free_reports(j.items, j.n);
	}
	job_free(&j);
	return r;
}

/* Composes the recorded email of j and stages it. */
static void
job_stage(struct outbox *ob, const struct world *w, struct job *j, int64_t id)
{
	struct reply_headers rh;
	struct mail_message m;
	char *msg = NULL;
	size_t len = 0;

	job_message(ob, w, j, id, &rh, &m);
	j->r = mail_compose(&m, &msg, &len, j->err, sizeof(j->err));
	if (j->r == 0)
		j->r = transport_stage(
		    ob->tp, ob->from_addr, m.to_addr, j->token, msg, len, j->err, sizeof(j->err));
	free(msg);
	free_reports(j->items, j->n);
	j->staged = 1;
}

/* Stages the recorded emails, commits the transport, stores the outcomes. */
static void
send_batch(struct outbox *ob, const struct world *w, struct job *jobs, const struct ledger_mail *lm,
    size_t n)
{
	struct ledger_result *res = calloc(n, sizeof(*res));
	char cerr[512] = "";
	size_t i, k = 0;
	int cr;

	for (i = 0; i < n; i++)
		if (lm[i].id != 0)
			job_stage(ob, w, &jobs[i], lm[i].id);
	cr = transport_commit(ob->tp, cerr, sizeof(cerr));
	for (i = 0; i < n; i++) {
		struct job *j = &jobs[i];

		if (!j->staged)
			continue;
		if (j->r == 0 && cr < 0) {
			j->r = cr;
			snprintf(j->err, sizeof(j->err), "%s", cerr);
		}
		if (res != NULL)
			account(ob, lm[i].id, j->r, j->err, sizeof(j->err), 0, ob->now, j->n,
			    lm[i].d.email, &res[k++]);
	}
	if (res == NULL || ledger_outcomes(ob->db, res, k, cerr, sizeof(cerr)) < 0)
		errlist_add(ob->problems,
		    "cannot record the outcome of %zu deliveries: %s; they "
		    "are sent again (replacing their files)",
		    n, res == NULL ? "out of memory" : cerr);
	free(res);
}

/* One batch: entries [*i, ...) up to max emails. */
static int
flush_batch(struct outbox *ob, const struct world *w, struct rules *rules, size_t *i,
    struct job *jobs, struct ledger_mail *lm, size_t max, char *err, size_t errlen)
{
	size_t n = 0, k, j;
	int r = 0;

	while (*i < ob->n && n < max && r == 0) {
		j = group_end(ob, *i);
		r = job_prepare(ob, w, rules, &jobs[n], &ob->e[*i], j - *i, &lm[n]);
		if (r < 0 || jobs[n].skip)
			job_free(&jobs[n]);
		else
			n++;
		*i = j;
	}
	if (r == 0) {
		r = ledger_record_batch(ob->db, NULL, 0, lm, n, err, errlen);
		if (r == 0)
			send_batch(ob, w, jobs, lm, n);
	}
	for (k = 0; k < n; k++)
		job_free(&jobs[k]);
	return r;
}

static int
flush_batches(
    struct outbox *ob, const struct world *w, struct rules *rules, char *err, size_t errlen)
{
	size_t max = transport_batch(ob->tp), i = 0;
	struct job *jobs = calloc(max, sizeof(*jobs));
	struct ledger_mail *lm = calloc(max, sizeof(*lm));
	int r = 0;

	if (jobs == NULL || lm == NULL)
		r = -ENOMEM;
	while (r == 0 && i < ob->n)
		r = flush_batch(ob, w, rules, &i, jobs, lm, max, err, errlen);
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(jobs);
	free(lm);
	return r;
}

static int
cmp_entries(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->recipient != y->recipient)
		return x->recipient < y->recipient ? -1 : 1;
	return x->immediate - y->immediate;
}

int
outbox_flush(
    struct outbox *ob, const struct world *w, struct rules *rules, char *err, size_t errlen)
{
	size_t i = 0, j;
	int r;

	if (ob->n > 0) /* qsort(NULL, 0, ...) is undefined behaviour (UBSan says so) */
		qsort(ob->e, ob->n, sizeof(*ob->e), cmp_entries);
	if (transport_batch(ob->tp) > 1)
		return flush_batches(ob, w, rules, err, errlen);
	while (i < ob->n) {
		j = group_end(ob, i);
		r = deliver(ob, w, rules, &ob->e[i], j - i, err, errlen);
		if (r < 0 && r != -EINVAL) {
			settle(ob);
			return r;
		}
		i = j;
	}
	settle(ob);
	return 0;
}

/* Resending: the email is composed again from what the ledger recorded. */
struct stored {
	struct ledger_stored rows;
	struct mail_item *items;
};

static enum item_kind
parse_kind(const char *name)
{
	if (name != NULL && strcmp(name, "plan") == 0)
		return KIND_PLAN;
	if (name != NULL && strcmp(name, "milestone") == 0)
		return KIND_MILESTONE;
	return KIND_ACTIVITY;
}

/* The mail items of a stored delivery; -EINVAL when a row cannot be shown. */
static int
load_stored(struct outbox *ob, int64_t id, struct stored *s)
{
	const struct ledger_stored_note *x;
	struct mail_item *it;
	char err[256];
	size_t i;
	int r, rule;

	s->items = NULL;
	r = ledger_load_delivery(ob->db, id, &s->rows, err, sizeof(err));
	if (r < 0 || s->rows.n == 0)
		return r < 0 ? r : -EINVAL;
	s->items = calloc(s->rows.n, sizeof(*s->items));
	if (s->items == NULL)
		return -ENOMEM;
	for (i = 0; i < s->rows.n; i++) {
		x = &s->rows.notes[i];
		it = &s->items[i];
		rule = rules_by_name(x->rule);
		if (rule < 0 || x->item_key == NULL || x->plan_key == NULL || x->stage == NULL)
			return -EINVAL;
		it->rule = (enum rule)rule;
		it->kind = parse_kind(x->kind);
		it->item_key = x->item_key;
		it->plan_key = x->plan_key;
		if (x->deadline == NULL || kdate_parse(x->deadline, &it->due) < 0)
			it->due = 0;
		it->stage = x->stage;
		it->title = x->title;
		it->owner_name = x->owner_name;
		it->unowned = x->unowned;
		it->at_risk = x->at_risk;
		it->plan_title = x->plan_title;
		it->on_behalf_name = x->on_behalf_name;
		it->role = rules_role(it->rule, it->unowned, x->to_sponsor);
	}
	return 0;
}

static void
stored_free(struct stored *s)
{
	free(s->items);
	ledger_stored_free(&s->rows);
}

static void
retry_one(struct outbox *ob, const struct ledger_retry *d)
{
	struct reply_headers rh;
	char err[256];
	struct mail_message m;
	struct stored s;
	kdate_t day = 0;

	if (load_stored(ob, d->id, &s) < 0 || d->token == NULL || d->email == NULL) {
		struct ledger_result res = { d->id, LEDGER_FAILED, "unreadable ledger rows", 0,
			ob->now };

		errlist_add(ob->problems,
		    "delivery %lld in the ledger cannot be sent again "
		    "(its notifications are unreadable); marked failed",
		    (long long)d->id);
		if (ledger_outcome(ob->db, &res, err, sizeof(err)) < 0)
			errlist_add(ob->problems, "cannot record the outcome of delivery %lld: %s",
			    (long long)d->id, err);
		ob->st->failed++;
		stored_free(&s);
		return;
	}
	if (d->local_date != NULL)
		kdate_parse(d->local_date, &day);
	m = (struct mail_message){ .to_name = d->to_name,
		.to_addr = d->email,
		.reply_to = s.rows.reply_to,
		.today = day,
		.lang = d->lang,
		.items = s.items,
		.n_items = s.rows.n };
	finish_message(ob, d->id, d->token, s.items, &m, &rh);
	ob->st->retried++;
	send_and_record(ob, d->id, &m, d->token, d->attempts, d->armed_at, s.rows.n);
	settle(ob);
	free_reports(s.items, s.rows.n);
	stored_free(&s);
}

/* The due deliveries are read first, all of them, and only then sent one by one, each
 * outcome written with no statement open (ledger_due_retries says why). */
int
outbox_retry(struct outbox *ob, char *err, size_t errlen)
{
	struct ledger_retry *v = NULL;
	size_t n = 0, i;
	int r;

	r = ledger_due_retries(ob->db, ob->now, &v, &n, err, errlen);
	if (r < 0)
		return r;
	for (i = 0; i < n; i++)
		retry_one(ob, &v[i]);
	ledger_retries_free(v, n);
	return 0;
}
