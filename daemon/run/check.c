/* The decision half of a check: stream items through the rules, drop what the ledger
 * already holds, print (dry run) or collect what is due now.  The sending half is in
 * outbox.c. */
#include "run/check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/rules.h"
#include "lib/sbuf.h"
#include "lib/table.h"
#include "run/outbox.h"
#include "store/db.h"
#include "store/ledger.h"
#include "store/world.h"

#define SLOT_CACHE 64  /* searched in order; the last entry is reused when full */
#define STAGE_CACHE 64 /* direct-mapped */

struct run {
	sqlite3 *db;
	const struct kapd_config *cfg;
	const struct check_options *o;
	struct check_stats *st;
	struct world w;
	struct rules_input in;
	struct rules *rules;
	const char *mailed;   /* ledger lines of the current item */
	const char *title;    /* of the current item */
	const char *due_text; /* of the current item, as stored (YYYY-MM-DD) */
	kdate_t due;          /* the same, parsed */
	/* Texts formatted once and reused: the notifications of a check share a few slots
	 * and stages, and a check can print a million lines. */
	struct slot_text {
		time_t t;
		long off;
		char s[32];
	} slots[SLOT_CACHE];
	struct stage_text {
		int rule, stage, year;
		char s[32];
	} stages[STAGE_CACHE];
	struct ledger_lookup *plan_mailed; /* ledger lookup for plan rules */
	/* Per person: whether the address needs JSON escaping (0 not known yet, 1 no, 2
	 * yes); a check prints each address many times. */
	unsigned char *email_plain;
	struct outbox *outbox;
	struct table *text; /* a dry run's human table, sized from its rows */
};

/* Matches "a b c" at p against the three parts; returns the end of the match or NULL. */
static const char *
match3(const char *p, const char *a, const char *b, const char *c)
{
	const char *part[3] = { a, b, c };
	size_t i, n;

	for (i = 0; i < 3; i++) {
		n = strlen(part[i]);
		if (strncmp(p, part[i], n) != 0)
			return NULL;
		p += n;
		if (i < 2 && *p++ != ' ')
			return NULL;
	}
	return p;
}

/* 1 when the ledger lines ("rule stage recipient", one a line) hold that line. */
static int
in_lines(const char *lines, const char *rule, const char *stage, const char *who)
{
	const char *p = lines, *end;

	while (p != NULL && *p != '\0') {
		end = match3(p, rule, stage, who);
		if (end != NULL && (*end == '\0' || *end == '\n'))
			return 1;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return 0;
}

static int
already_mailed(struct run *x, const struct rules_notification *n, const char *stage)
{
	const char *who = x->w.people[n->recipient].key;
	char due[KDATE_STRLEN];

	if (n->kind != KIND_PLAN)
		return x->mailed != NULL &&
		    in_lines(x->mailed, rules_rule_name(n->rule), stage, who);
	return ledger_plan_mailed(x->plan_mailed, rules_rule_name(n->rule), n->item,
	    kdate_format(n->due, due), stage, who);
}

/* "2026-12-01T08:00:00+01:00" */
static void
format_instant(time_t t, long offset, char *buf, size_t len)
{
	time_t local = t + offset;
	int off = (int)((offset < 0 ? -offset : offset) % 86400);
	struct tm tm;

	gmtime_r(&local, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, offset < 0 ? '-' : '+',
	    off / 3600, off / 60 % 60);
}

/* The slot's text, formatted once per distinct slot and zone offset (a check has a few
 * dozen: now and the next send time in each zone). */
static const char *
slot_text(struct run *x, time_t t, long off)
{
	struct slot_text *c;
	size_t i;

	for (i = 0; i < SLOT_CACHE && x->slots[i].s[0] != '\0'; i++)
		if (x->slots[i].t == t && x->slots[i].off == off)
			return x->slots[i].s;
	c = &x->slots[i < SLOT_CACHE ? i : SLOT_CACHE - 1];
	format_instant(t, off, c->s, sizeof(c->s));
	c->t = t;
	c->off = off;
	return c->s;
}

/* The stage's name (rules_stage_name), formatted once per distinct stage. */
static const char *
stage_text(struct run *x, const struct rules_notification *n)
{
	struct stage_text *c =
	    &x->stages[((unsigned)n->rule * 31u + (unsigned)n->stage + (unsigned)n->stage_year) %
	        STAGE_CACHE];

	if (c->s[0] == '\0' || c->rule != (int)n->rule || c->stage != n->stage ||
	    c->year != n->stage_year) {
		rules_stage_name(n, c->s, sizeof(c->s));
		c->rule = (int)n->rule;
		c->stage = n->stage;
		c->year = n->stage_year;
	}
	return c->s;
}

/* A JSON line under construction: appended to in memory, written with one fwrite. */
struct jline {
	char buf[2048];
	size_t len;
	int over;
};

static void
jl_raw(struct jline *l, const char *s, size_t n)
{
	if (n > sizeof(l->buf) - l->len) {
		l->over = 1;
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

#define JL_LIT(l, lit) jl_raw((l), (lit), sizeof(lit) - 1)

/* The bytes a JSON string escapes (RFC 8259 §7: quotation mark, reverse solidus and the
 * control characters), and the end of a C string. */
#define JL_C4(c) [c] = 1, [c + 1] = 1, [c + 2] = 1, [c + 3] = 1
static const unsigned char jl_special[256] = { JL_C4(0), JL_C4(4), JL_C4(8), JL_C4(12), JL_C4(16),
	JL_C4(20), JL_C4(24), JL_C4(28), ['"'] = 1, ['\\'] = 1 };

/* The length of the part of s that needs no escaping. */
static size_t
jl_plain(const char *s)
{
	size_t n = 0;

	while (!jl_special[(unsigned char)s[n]])
		n++;
	return n;
}

/* A JSON string.  Keys, stages, dates and addresses were validated at import and need no
 * escaping; anything else found in the database is escaped all the same. */
static void
jl_str(struct jline *l, const char *s)
{
	char esc[8];
	size_t n;

	JL_LIT(l, "\"");
	for (;;) {
		n = jl_plain(s);
		jl_raw(l, s, n);
		s += n;
		if (*s == '\0')
			break;
		if (*s == '"' || *s == '\\')
			snprintf(esc, sizeof(esc), "\\%c", *s);
		else
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned char)*s);
		jl_raw(l, esc, strlen(esc));
		s++;
	}
	JL_LIT(l, "\"");
}

static void
jl_cstr(struct jline *l, const char *s)
{
	jl_raw(l, s, strlen(s));
}

/* jl_str for a text printed many times; *plain remembers whether it needs escaping. */
static void
jl_known(struct jline *l, const char *s, unsigned char *plain)
{
	if (*plain == 0)
		*plain = s[jl_plain(s)] == '\0' ? 1 : 2;
	if (*plain == 2) {
		jl_str(l, s);
		return;
	}
	JL_LIT(l, "\"");
	jl_cstr(l, s);
	JL_LIT(l, "\"");
}

/* The stable line format of SPEC §6, written directly: a check can print a million. */
static int
print_json(struct run *x, const struct rules_notification *n, const char *stage)
{
	char due[KDATE_STRLEN];
	struct jline l;

	l.len = 0;
	l.over = 0;
	JL_LIT(&l, "{\"recipient\": ");
	jl_known(&l, x->w.people[n->recipient].email, &x->email_plain[n->recipient]);
	JL_LIT(&l, ", \"rule\": \"");
	jl_cstr(&l, rules_rule_name(n->rule));
	JL_LIT(&l, "\", \"stage\": ");
	jl_str(&l, stage);
	JL_LIT(&l, ", \"kind\": \"");
	jl_cstr(&l, rules_kind_name(n->kind));
	JL_LIT(&l, "\", \"item\": ");
	jl_str(&l, n->item);
	JL_LIT(&l, ", \"plan\": ");
	jl_str(&l, x->w.plans[n->plan].key);
	JL_LIT(&l, ", \"due\": \"");
	jl_cstr(&l,
	    x->due_text != NULL && n->due == x->due && n->kind != KIND_PLAN
	        ? x->due_text
	        : kdate_format(n->due, due));
	JL_LIT(&l, "\", \"slot\": \"");
	jl_cstr(&l, slot_text(x, n->slot, n->slot_offset));
	JL_LIT(&l, "\"}\n");
	if (l.over)
		return -EOVERFLOW; /* import bounds every field far below this */
	if (fwrite(l.buf, 1, l.len, x->o->out) != l.len)
		return -EIO;
	return 0;
}

static const char *const text_headings[] = { "SLOT", "SEND", "TO", "RULE", "STAGE", "KIND", "ITEM",
	"PLAN", "DUE", "FOR", NULL };

/* A dry run for people: a table whose columns fit their widest cell (by display width),
 * printed when the decision is complete. */
static int
print_text(struct run *x, const struct rules_notification *n, const char *stage)
{
	char due[KDATE_STRLEN], slot[64];
	const char *cells[10];

	format_instant(n->slot, n->slot_offset, slot, sizeof(slot));
	cells[0] = slot;
	cells[1] = n->deliver_now ? "now" : "later";
	cells[2] = x->w.people[n->recipient].email;
	cells[3] = rules_rule_name(n->rule);
	cells[4] = stage;
	cells[5] = rules_kind_name(n->kind);
	cells[6] = n->item;
	cells[7] = x->w.plans[n->plan].key;
	cells[8] = kdate_format(n->due, due);
	cells[9] = n->on_behalf != RULES_NONE ? x->w.people[n->on_behalf].key : "";
	return table_row(x->text, cells);
}

static struct table *
text_table(void)
{
	struct table *t;
	size_t i;

	if ((t = table_new(sizeof(text_headings) / sizeof(text_headings[0]) - 1)) == NULL)
		return NULL;
	for (i = 0; text_headings[i] != NULL; i++)
		table_column(t, i, text_headings[i], 0, WIDTH_LEFT);
	return t;
}

static int
print_table(const struct table *t, FILE *f)
{
	struct sbuf out = SBUF_INIT;
	int r = 0;

	if (table_rows(t) > 0)
		table_render(t, "", &out);
	if (out.failed)
		r = -ENOMEM;
	else if (out.len > 0 && fwrite(out.s, 1, out.len, f) != out.len)
		r = -EIO;
	sbuf_free(&out);
	return r;
}

static int
on_notification(void *ctx, const struct rules_notification *n)
{
	struct run *x = ctx;
	const char *stage = stage_text(x, n);

	if (already_mailed(x, n, stage))
		return 0;
	x->st->pending++;
	x->st->due_now += n->deliver_now != 0;
	if (x->o->dry_run)
		return x->o->json ? print_json(x, n, stage) : print_text(x, n, stage);
	if (!n->deliver_now)
		return 0;
	return outbox_add(x->outbox, n, stage, x->title);
}

static int
largest_lead(const struct kapd_config *cfg)
{
	return cfg->reminders.n_lead > 0 ? cfg->reminders.lead_days[0] : 0;
}

static int
on_item(void *ctx, const struct ledger_item *li)
{
	struct run *x = ctx;
	struct rules_item it;
	int plan;

	plan = world_plan(&x->w, li->plan_id);
	if (plan < 0 || kdate_parse(li->due, &it.due) < 0)
		return 0;
	it.kind = li->milestone ? KIND_MILESTONE : KIND_ACTIVITY;
	it.key = li->key;
	it.plan = plan;
	it.owner = li->owner_id == 0 ? RULES_NONE : world_person(&x->w, li->owner_id);
	it.at_risk = li->at_risk;
	x->title = li->title;
	x->mailed = li->mailed;
	x->due_text = li->due;
	x->due = it.due;
	x->st->items++;
	return rules_item(x->rules, &it, on_notification, x);
}

/* No zone is more than a day ahead of UTC: an item due after UTC's tomorrow plus the
 * longest lead time has no stage anywhere yet. */
static int
stream_items(struct run *x, char *err, size_t errlen)
{
	char until[KDATE_STRLEN], today_s[KDATE_STRLEN];
	kdate_t utc_today = (kdate_t)(x->o->now / 86400 - (x->o->now % 86400 < 0)), today;
	int r;

	if (kdate_local(x->o->now, x->cfg->timezone, &today, NULL, NULL) < 0)
		today = utc_today;
	if (errlen > 0)
		err[0] = '\0';
	r = ledger_stream_items(x->db, kdate_format(utc_today + 1 + largest_lead(x->cfg), until),
	    kdate_format(today, today_s), on_item, x, err, errlen);
	x->mailed = NULL;
	x->title = NULL;
	x->due_text = NULL;
	if (r < 0 && errlen > 0 && err[0] == '\0')
		snprintf(err, errlen, "deciding: %s", strerror(-r));
	return r;
}

static int
decide_plans(struct run *x, char *err, size_t errlen)
{
	size_t i;
	int r;

	r = ledger_lookup_new(x->db, &x->plan_mailed, err, errlen);
	for (i = 0; r == 0 && i < x->w.n_plans; i++) {
		x->title = x->w.plan_title[i];
		r = rules_plan(x->rules, (int)i, on_notification, x);
		if (r < 0)
			snprintf(
			    err, errlen, "deciding plan %s: %s", x->w.plans[i].key, strerror(-r));
	}
	x->title = NULL;
	x->st->plans = x->w.n_plans;
	return r;
}

static int
decide(struct run *x, char *err, size_t errlen)
{
	int r;

	r = world_load(x->db, &x->w, err, errlen);
	if (r < 0)
		return r;
	x->in.cfg = x->cfg;
	x->in.tz = &rules_tz_system;
	x->in.now = x->o->now;
	x->in.people = x->w.people;
	x->in.n_people = x->w.n_people;
	x->in.plans = x->w.plans;
	x->in.n_plans = x->w.n_plans;
	x->rules = rules_new(&x->in);
	x->email_plain = calloc(x->w.n_people + 1, 1);
	if (x->rules == NULL || x->email_plain == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* One read transaction: the decision sees one consistent state of the plans. */
	r = db_read_begin(x->db, err, errlen);
	if (r == 0)
		r = decide_plans(x, err, errlen);
	if (r == 0)
		r = stream_items(x, err, errlen);
	db_read_end(x->db);
	return r;
}

/* Zones that did not resolve (rules_fallbacks), named with their person or plan. */
static void
report_fallbacks(struct run *x, struct errlist *problems)
{
	const struct rules_fallback *fb;
	size_t i, n;

	n = x->rules != NULL ? rules_fallbacks(x->rules, &fb) : 0;
	for (i = 0; i < n; i++) {
		const char *used = fb[i].used ? fb[i].used : "none resolves, notifications skipped";

		if (fb[i].person != RULES_NONE)
			errlist_add(problems, "person %s (%s): unknown time zone \"%s\", using %s",
			    x->w.people[fb[i].person].key, x->w.person_name[fb[i].person],
			    fb[i].zone, used);
		else
			errlist_add(problems, "plan %s: unknown time zone \"%s\", using %s",
			    fb[i].plan >= 0 ? x->w.plans[fb[i].plan].key : "?", fb[i].zone, used);
	}
}

int
check_run(sqlite3 *db, const struct kapd_config *cfg, struct transport *tp,
    const struct check_options *o, struct check_stats *st, struct errlist *problems, char *err,
    size_t errlen)
{
	struct run x = { .db = db, .cfg = cfg, .o = o, .st = st };
	int r = 0;

	memset(st, 0, sizeof(*st));
	if (!o->dry_run) {
		x.outbox = outbox_new(db, cfg, tp, o->now, st, problems);
		if (x.outbox == NULL) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		r = outbox_retry(x.outbox, err, errlen);
	} else if (!o->json && (x.text = text_table()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (r == 0)
		r = decide(&x, err, errlen);
	if (r == 0 && x.text != NULL && (r = print_table(x.text, o->out)) < 0)
		snprintf(err, errlen, "printing the dry run: %s", strerror(-r));
	if (r == 0 && x.outbox != NULL)
		r = outbox_flush(x.outbox, &x.w, x.rules, err, errlen);
	report_fallbacks(&x, problems);
	if (tp != NULL)
		transport_flush(tp); /* no connection stays open while the daemon sleeps */
	ledger_lookup_free(x.plan_mailed);
	outbox_free(x.outbox);
	table_free(x.text);
	rules_free(x.rules);
	free(x.email_plain);
	world_free(&x.w);
	return r;
}
