/* Publishing the feeds: which feeds exist and what changed since the last check (read
 * through store/feedstore), then each feed whose content changed is written again
 * (io/feedfile), event by event (core/ics), and what was written is recorded. */
#include "run/feeds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ics.h"
#include "io/feedfile.h"
#include "store/feedstore.h"

/* Bumped when the text of the files changes for the same data, so every feed is written
 * again once after an upgrade. */
#define FORMAT_VERSION 2 /* 2: person feeds name the customer in titles */

/* Events per read transaction of the whole-database pass. */
#define BATCH 50000

struct feed {
	int64_t row;   /* feed.id */
	int64_t owner; /* plan.id or person.id */
	int is_plan;
	char token[FEEDS_TOKEN_LEN + 1];
	char *name; /* plan title or person name */
	char *tz;
	const char *lang;
	char old_digest[17], old_content[17]; /* as stored; "" for none */
	uint64_t sum;                         /* of its events' hashes */
	size_t n_events;
	uint64_t digest;  /* of everything the file shows */
	uint64_t content; /* hash of the bytes written */
	int dirty;        /* digest differs from the stored one */
	int done;         /* written, or found identical: record digest and content */
	int replaced;     /* the file was replaced */
	int pending;      /* written to its temporary file, not yet renamed */
};

struct feeds_run {
	sqlite3 *db;
	const struct kapd_config *cfg;
	time_t now;
	char cutoff[KDATE_STRLEN]; /* first closing day of done/cancelled items shown */
	struct feed *f;            /* plans (sorted by id), then people (sorted by id) */
	size_t n, cap, n_plans;
	struct feedstore_change *changes;
	size_t n_changes, cap_changes;
	struct feeds_stats *st;
	struct errlist *problems;
	int dirfd;
	struct feedstore_reader *reader;
};

/* ---------------------------------------------------------------------------------- */
/* Which feeds exist */

static int
add_feed(void *ctx, const struct feedstore_feed *in)
{
	struct feeds_run *x = ctx;
	struct feed *f;

	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 64;
		struct feed *nf = realloc(x->f, cap * sizeof(*nf));

		if (nf == NULL)
			return -ENOMEM;
		x->f = nf;
		x->cap = cap;
	}
	f = &x->f[x->n];
	memset(f, 0, sizeof(*f));
	f->row = in->row;
	f->owner = in->owner;
	f->is_plan = in->is_plan;
	snprintf(f->token, sizeof(f->token), "%s", in->token);
	snprintf(f->old_digest, sizeof(f->old_digest), "%s", in->digest ? in->digest : "");
	snprintf(f->old_content, sizeof(f->old_content), "%s", in->content ? in->content : "");
	f->name = strdup(in->name ? in->name : "");
	f->lang = ics_lang(in->language);
	f->tz = strdup(in->tz != NULL ? in->tz : x->cfg->timezone);
	x->n++;
	if (in->is_plan)
		x->n_plans = x->n;
	return f->name != NULL && f->tz != NULL ? 0 : -ENOMEM;
}

/* The feed of plan or person id (both parts of x->f are sorted by owner), or NULL. */
static struct feed *
find_feed(struct feeds_run *x, int is_plan, int64_t id)
{
	size_t lo = is_plan ? 0 : x->n_plans, hi = is_plan ? x->n_plans : x->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (x->f[mid].owner == id)
			return &x->f[mid];
		if (x->f[mid].owner < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---------------------------------------------------------------------------------- */
/* What changed */

static int
add_change(
    struct feeds_run *x, const struct feedstore_event *e, long seq, uint64_t digest, time_t changed)
{
	struct feedstore_change *c;

	if (x->n_changes == x->cap_changes) {
		size_t cap = x->cap_changes ? 2 * x->cap_changes : 256;

		c = realloc(x->changes, cap * sizeof(*c));
		if (c == NULL)
			return -ENOMEM;
		x->changes = c;
		x->cap_changes = cap;
	}
	c = &x->changes[x->n_changes++];
	c->kind = e->ev.kind;
	c->id = e->id;
	c->seq = seq;
	c->digest = digest;
	c->changed = changed;
	c->known = e->known;
	return 0;
}

/* One event of the whole-database pass: its digest against the stored one, and its share
 * in the digests of the feeds that show it.  Feeds sum their events' hashes, so the order
 * of the pass does not matter. */
static int
account(void *ctx, const struct feedstore_event *e)
{
	struct feeds_run *x = ctx;
	struct ics_event ev = e->ev;
	struct feed *f;
	uint64_t d, mix;
	int r = 0;

	d = ics_event_digest(&ev);
	if (!e->known || e->digest != d) {
		/* A change is stamped with the time of the check that saw it (never earlier
		 * than the event's previous stamp), a new event with its row's updated_at but
		 * never later than the check: rows carry the wall clock of whoever wrote them,
		 * which need not be the check's clock (kapd --now). */
		if (e->known) {
			ev.sequence++;
			ev.changed = ev.changed > x->now ? ev.changed : x->now;
		} else if (ev.changed > x->now) {
			ev.changed = x->now;
		}
		r = add_change(x, e, ev.sequence, d, ev.changed);
	}
	mix = ics_hash(ICS_HASH_INIT, &d, sizeof(d));
	mix = ics_hash(mix, &ev.sequence, sizeof(ev.sequence));
	mix = ics_hash(mix, &ev.changed, sizeof(ev.changed));
	x->st->events++;
	if ((f = find_feed(x, 1, e->plan)) != NULL) {
		f->sum += mix;
		f->n_events++;
	}
	if (e->owner != 0 && (f = find_feed(x, 0, e->owner)) != NULL) {
		f->sum += mix;
		f->n_events++;
	}
	return r;
}

static int
record_changes(void *ctx, char *err, size_t errlen)
{
	struct feeds_run *x = ctx;
	int r;

	r = feedstore_record_changes(x->db, x->changes, x->n_changes, err, errlen);
	x->st->changed += x->n_changes;
	x->n_changes = 0;
	return r;
}

/* The whole-database pass, in batches so that the list of changed events stays small
 * however large the database (a first check records every event).  A row changed
 * between two batches is seen by the next check. */
static int
scan_all(struct feeds_run *x, char *err, size_t errlen)
{
	int kind, r = 0;

	for (kind = ICS_MILESTONE; r == 0 && kind <= ICS_REVIEW; kind++)
		r = feedstore_scan(
		    x->db, kind, x->cutoff, x->now, BATCH, account, record_changes, x, err, errlen);
	return r;
}

/* The digest of everything a feed's file shows. */
static void
finish_digest(struct feeds_run *x, struct feed *f)
{
	int32_t n[3] = { FORMAT_VERSION, f->is_plan, x->cfg->feeds.alarm };
	uint64_t h = ics_hash(ICS_HASH_INIT, n, sizeof(n));
	uint64_t count = f->n_events;

	h = ics_hash_str(h, f->lang);
	h = ics_hash_str(h, f->token);
	h = ics_hash_str(h, f->name);
	h = ics_hash_str(h, f->tz);
	h = ics_hash_str(h, x->cfg->feeds.domain);
	h = ics_hash(h, &count, sizeof(count));
	f->digest = ics_hash(h, &f->sum, sizeof(f->sum));
}

/* The pass over the database: feeds, tokens, changed events, digests. */
static int
decide(struct feeds_run *x, char *err, size_t errlen)
{
	kdate_t today;
	size_t i;
	int r;

	if (kdate_local(x->now, x->cfg->timezone, &today, NULL, NULL) < 0)
		today = (kdate_t)(x->now / 86400 - (x->now % 86400 < 0));
	/* Done on day D: shown through D + keep_done_days - 1. */
	kdate_format(today - x->cfg->feeds.keep_done_days + 1, x->cutoff);
	r = feedstore_ensure_tokens(x->db, err, errlen);
	if (r < 0)
		return r;
	r = feedstore_load(x->db, add_feed, x, err, errlen);
	if (r == 0)
		r = scan_all(x, err, errlen);
	for (i = 0; r == 0 && i < x->n; i++) {
		char hex[17];

		finish_digest(x, &x->f[i]);
		token_hex64(x->f[i].digest, hex);
		x->f[i].dirty = strcmp(hex, x->f[i].old_digest) != 0;
	}
	x->st->feeds = x->n;
	return r;
}

/* ---------------------------------------------------------------------------------- */
/* Writing */

struct stream {
	struct feeds_run *x;
	struct ics_writer *w;
	struct feedfile *o;
};

/* One event into the file; a libical failure leaves the event out and says so. */
static int
stream_event(void *ctx, const struct feedstore_event *e)
{
	struct stream *s = ctx;
	const struct ics_event *ev = &e->ev;
	int r;

	r = ics_writer_event(s->w, ev, &s->o->buf);
	if (r == -ENOMEM)
		s->o->err = ENOMEM;
	else if (r < 0)
		errlist_add(s->x->problems,
		    "feeds: %s %s left out of a feed: libical wrote text "
		    "that is not valid iCalendar",
		    ev->kind == ICS_REVIEW          ? "plan"
		        : ev->kind == ICS_MILESTONE ? "milestone"
		                                    : "activity",
		    ev->key);
	if (s->o->buf.len >= FEEDFILE_FLUSH_AT)
		feedfile_flush(s->o);
	return s->o->err != 0; /* stop quietly: the write error is reported by the commit */
}

/* Writes the whole feed into the open temporary file o. */
static int
generate(struct feeds_run *x, const struct feed *f, struct feedfile *o, char *err, size_t errlen)
{
	static const enum ics_kind order[] = { ICS_REVIEW, ICS_MILESTONE, ICS_ACTIVITY };
	struct ics_calendar cal;
	struct sbuf name = SBUF_INIT;
	struct stream s = { x, NULL, o };
	size_t i;
	int r;

	if (f->is_plan)
		ics_plan_calendar_name(f->lang, f->name, &name);
	else
		ics_person_calendar_name(f->lang, f->name, &name);
	cal.lang = f->lang;
	cal.name = name.s != NULL ? name.s : "";
	cal.tz = f->tz;
	cal.domain = x->cfg->feeds.domain;
	cal.alarm = x->cfg->feeds.alarm;
	cal.customer_titles = !f->is_plan;
	s.w = ics_writer_new(&cal);
	r = s.w == NULL || name.failed ? -ENOMEM : ics_begin(&cal, &o->buf);
	/* One read transaction: the file shows one state of the plans. */
	if (r == 0 && (r = db_read_begin(x->db, err, errlen)) == 0) {
		for (i = 0; r == 0 && o->err == 0 && i < sizeof(order) / sizeof(order[0]); i++)
			r = feedstore_events(x->reader, order[i], f->is_plan, f->owner, x->cutoff,
			    x->now, stream_event, &s, err, errlen);
		db_read_end(x->db);
	}
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (r == 0)
		ics_end(&o->buf);
	ics_writer_free(s.w);
	sbuf_free(&name);
	return r;
}

/* Writes feed f into its temporary file, unsynced: 0 (f->done set when the content is
 * unchanged, f->pending when the file awaits publish_all), or a negative errno with err
 * filled. */
static int
write_feed(struct feeds_run *x, struct feed *f, char *err, size_t errlen)
{
	struct feedfile o;
	int r, same = 0;

	r = feedfile_create(&feedfile_ics, &o, x->dirfd, f->token, err, errlen);
	if (r < 0)
		return r;
	r = generate(x, f, &o, err, errlen);
	if (r < 0) {
		feedfile_abort(&o);
		return r;
	}
	r = feedfile_close(&o, f->old_content, &same, err, errlen);
	if (r < 0)
		return r;
	f->content = o.hash;
	if (same) {
		x->st->same++;
		f->done = 1;
	} else {
		f->pending = 1;
	}
	return 0;
}

static void
not_written(struct feeds_run *x, const struct feed *f, const char *why)
{
	x->st->failed++;
	errlist_add(x->problems,
	    "feeds: the feed of %s \"%s\" was not written (%s/%s); "
	    "its previous version stays and the next check tries again",
	    f->is_plan ? "plan" : "person", f->name, x->cfg->feeds.directory, why);
}

/* The files written are synced (one syncfs when there are many), then renamed, then
 * the directory is synced once: the guarantee of a sync per file (feedfile.h). */
static void
publish_all(struct feeds_run *x)
{
	const char **tokens = calloc(x->n + 1, sizeof(*tokens));
	char why[512] = "out of memory";
	size_t i, n = 0;
	int synced = 0, any = 0;

	for (i = 0; tokens != NULL && i < x->n; i++)
		if (x->f[i].pending)
			tokens[n++] = x->f[i].token;
	if (tokens != NULL)
		synced = feedfile_sync(&feedfile_ics, x->dirfd, tokens, n, why, sizeof(why)) == 0;
	free(tokens);
	for (i = 0; i < x->n; i++) {
		struct feed *f = &x->f[i];

		if (!f->pending)
			continue;
		f->pending = 0;
		if (feedfile_publish(&feedfile_ics, x->dirfd, f->token, !synced, why, sizeof(why)) <
		        0 ||
		    !synced) {
			not_written(x, f, why);
			continue;
		}
		f->replaced = f->done = 1;
		x->st->written++;
		any = 1;
	}
	/* The renames are durable once the directory is. */
	if (any)
		fsync(x->dirfd);
}

/* Errors after which writing the other feeds is pointless this check. */
static int
hopeless(int r)
{
	return r == -ENOSPC || r == -EDQUOT || r == -EROFS || r == -EACCES || r == -EPERM ||
	    r == -ENOMEM;
}

/* Writes every dirty feed and every feed whose file is missing. */
static void
write_all(struct feeds_run *x)
{
	char why[512];
	size_t i, skipped = 0;
	int r, pending = 0, stop = 0;

	for (i = 0; i < x->n; i++) {
		struct feed *f = &x->f[i];

		if (!f->dirty && !feedfile_missing(&feedfile_ics, x->dirfd, f->token))
			continue;
		if (stop) {
			skipped++;
			continue;
		}
		r = write_feed(x, f, why, sizeof(why));
		if (r == 0) {
			pending |= f->pending;
			continue;
		}
		not_written(x, f, why);
		stop = hopeless(r);
	}
	if (skipped > 0) {
		x->st->failed += skipped;
		errlist_add(x->problems,
		    "feeds: %zu more feeds were not written for the same reason", skipped);
	}
	if (pending)
		publish_all(x);
}

/* Stores what was written (or found identical) for each feed, in one transaction. */
static int
record_feeds(struct feeds_run *x, char *err, size_t errlen)
{
	struct feedstore_written *w;
	size_t i, n = 0;
	int r;

	for (i = 0; i < x->n; i++)
		n += x->f[i].done != 0;
	if (n == 0)
		return 0;
	if ((w = calloc(n, sizeof(*w))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0, n = 0; i < x->n; i++) {
		const struct feed *f = &x->f[i];

		if (!f->done)
			continue;
		w[n].row = f->row;
		w[n].token = f->token;
		w[n].digest = f->digest;
		w[n].content = f->content;
		w[n++].replaced = f->replaced;
	}
	r = feedstore_record_written(x->db, w, n, x->now, err, errlen);
	free(w);
	return r;
}

static int
cmp_token(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Removes TOKEN.ics files whose token belongs to no feed that exists now. */
static int
remove_old(struct feeds_run *x, char *err, size_t errlen)
{
	const char **tokens;
	size_t i;
	int r;

	tokens = calloc(x->n + 1, sizeof(*tokens));
	if (tokens == NULL) {
		snprintf(err, errlen, "feeds.directory %s: out of memory", x->cfg->feeds.directory);
		return -ENOMEM;
	}
	for (i = 0; i < x->n; i++)
		tokens[i] = x->f[i].token;
	qsort(tokens, x->n, sizeof(*tokens), cmp_token);
	r = feedfile_remove_others(&feedfile_ics, x->dirfd, x->cfg->feeds.directory, tokens, x->n,
	    &x->st->removed, x->problems, err, errlen);
	free(tokens);
	return r;
}

static void
run_free(struct feeds_run *x)
{
	size_t i;

	if (x == NULL)
		return;
	if (x->dirfd >= 0)
		close(x->dirfd);
	for (i = 0; i < x->n; i++) {
		free(x->f[i].name);
		free(x->f[i].tz);
	}
	free(x->f);
	free(x->changes);
	free(x);
}

int
feeds_prepare(sqlite3 *db, const struct kapd_config *cfg, time_t now, struct feeds_stats *st,
    struct errlist *problems, struct feeds_run **out, char *err, size_t errlen)
{
	struct feeds_run *x = calloc(1, sizeof(*x));
	int r;

	*out = NULL;
	memset(st, 0, sizeof(*st));
	if (x == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*x = (struct feeds_run){
		.db = db, .cfg = cfg, .now = now, .st = st, .problems = problems, .dirfd = -1
	};
	r = feedfile_open_dir(&feedfile_ics, cfg->feeds.directory, &x->dirfd, err, errlen);
	if (r == 0)
		r = decide(x, err, errlen);
	/* The changes are recorded: only the feeds' list is needed from here on. */
	free(x->changes);
	x->changes = NULL;
	x->cap_changes = 0;
	if (r < 0) {
		run_free(x);
		return r;
	}
	*out = x;
	return 0;
}

void
feeds_write(struct feeds_run *x, sqlite3 *db)
{
	x->db = db; /* a child's own connection (run/feedsjob.c) */
	if (feedstore_reader_new(db, &x->reader) < 0) {
		errlist_add(x->problems, "feeds: out of memory; no feed was written");
		return;
	}
	write_all(x);
	feedstore_reader_free(x->reader);
	x->reader = NULL;
}

size_t
feeds_count(const struct feeds_run *x)
{
	return x->n;
}

size_t
feeds_dirty(const struct feeds_run *x)
{
	size_t i, n = 0;

	for (i = 0; i < x->n; i++)
		n += x->f[i].dirty != 0;
	return n;
}

void
feeds_result(const struct feeds_run *x, size_t i, struct feeds_written *w)
{
	const struct feed *f = &x->f[i];

	w->done = (unsigned char)f->done;
	w->replaced = (unsigned char)f->replaced;
	w->content = f->content;
}

void
feeds_set_result(struct feeds_run *x, size_t i, const struct feeds_written *w)
{
	struct feed *f = &x->f[i];

	f->done = w->done;
	f->replaced = w->replaced;
	f->content = w->content;
}

int
feeds_finish(struct feeds_run *x, char *err, size_t errlen)
{
	int r;

	r = record_feeds(x, err, errlen);
	if (r == 0)
		r = remove_old(x, err, errlen);
	run_free(x);
	return r;
}

int
feeds_publish(sqlite3 *db, const struct kapd_config *cfg, time_t now, struct feeds_stats *st,
    struct errlist *problems, char *err, size_t errlen)
{
	struct feeds_run *x;
	int r;

	r = feeds_prepare(db, cfg, now, st, problems, &x, err, errlen);
	if (r < 0)
		return r;
	feeds_write(x, db);
	return feeds_finish(x, err, errlen);
}

int
feeds_rotate(sqlite3 *db, const char *kind, const char *key, char token[FEEDS_TOKEN_LEN + 1],
    const char **kind_out, char *err, size_t errlen)
{
	/* The file under the old name is removed by the daemon's next check (remove_old). */
	return feedstore_rotate(db, kind, key, token, kind_out, err, errlen);
}

void
feeds_url(const char *base_url, const char *token, struct sbuf *out)
{
	size_t n = strlen(base_url);

	sbuf_puts(out, base_url);
	if (n == 0 || base_url[n - 1] != '/')
		sbuf_add(out, "/", 1);
	sbuf_puts(out, token);
	sbuf_puts(out, ".ics");
}
