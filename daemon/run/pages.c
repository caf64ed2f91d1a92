/* The plan pages: composing one (shared by kapd and kapctl show --html), and publishing
 * all of them after a check. */
#include "run/pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ics.h"
#include "core/page.h"
#include "io/feedfile.h"
#include "lib/i18n.h"
#include "lib/kdate.h"
#include "store/page_facts.h"
#include "store/pagestore.h"
#include "store/planio.h"
#include "store/versions.h"

/* The options of a page: the plan's local date, the nearest reminder's lead as "due soon"
 * (the reminders' lead days are strictly decreasing, so the first is the longest), the
 * staleness of the status report, and the audience. */
static void
options(
    const struct kapd_config *cfg, const struct page_facts *f, time_t now, struct page_options *o)
{
	kdate_t today;

	if (f->timezone == NULL || kdate_local(now, f->timezone, &today, NULL, NULL) < 0)
		if (kdate_local(now, cfg->timezone, &today, NULL, NULL) < 0)
			today = (kdate_t)(now / 86400);
	o->today = today;
	o->soon_days = cfg->reminders.n_lead > 0 ? cfg->reminders.lead_days[0] : 7;
	o->stale_after_days = cfg->status_report.stale_after_days;
	o->confidential = cfg->pages.confidential;
}

/* The changes since the last annual update, from core/plandiff's JSON.  The strings
 * point into the diff and the export, which the caller keeps until the page is
 * composed. */
struct since {
	json_t *then, *now, *diff;
	struct page_change *c;
	size_t n, cap;
};

static void
since_free(struct since *s)
{
	json_decref(s->then);
	json_decref(s->now);
	json_decref(s->diff);
	free(s->c);
}

static struct page_change *
since_add(struct since *s, enum page_change_kind kind, const char *section, const char *title)
{
	struct page_change *n;

	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 32;
		n = realloc(s->c, s->cap * sizeof(*n));
		if (n == NULL)
			return NULL;
		s->c = n;
	}
	n = &s->c[s->n++];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->section = section;
	n->title = title != NULL ? title : "";
	n->from = n->to = PAGE_NO_DATE;
	return n;
}

static const char *
jstr(json_t *o, const char *member)
{
	return json_string_value(json_object_get(o, member));
}

static kdate_t
jdate(json_t *o, const char *member)
{
	kdate_t d;

	return jstr(o, member) != NULL && kdate_parse(jstr(o, member), &d) == 0 ? d : PAGE_NO_DATE;
}

/* A person's name from the export's people, by key (the key when unknown). */
static const char *
person_name(json_t *doc, const char *key)
{
	json_t *p;
	size_t i;

	if (key == NULL)
		return NULL;
	json_array_foreach(json_object_get(doc, "people"), i, p) if (jstr(p, "key") != NULL &&
	    strcmp(jstr(p, "key"), key) == 0) return jstr(p, "name") != NULL
	    ? jstr(p, "name")
	    : key;
	return key;
}

static int
since_items(struct since *s)
{
	static const struct {
		const char *name;
		enum page_change_kind kind;
	} lists[] = {
		{ "added", CHANGE_ADDED },
		{ "removed", CHANGE_REMOVED },
		{ "done", CHANGE_DONE },
		{ "cancelled", CHANGE_CANCELLED },
		{ "reopened", CHANGE_REOPENED },
		{ "moved", CHANGE_MOVED },
		{ "owners", CHANGE_OWNER },
	};
	json_t *items = json_object_get(s->diff, "items"), *el;
	struct page_change *k;
	size_t i, j;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		json_array_foreach(json_object_get(items, lists[i].name), j, el)
		{
			k = since_add(s, lists[i].kind,
			    strcmp(jstr(el, "kind") ? jstr(el, "kind") : "", "milestone") == 0
			        ? N_("Milestone")
			        : N_("Activity"),
			    jstr(el, "title"));
			if (k == NULL)
				return -ENOMEM;
			k->times = (int)json_integer_value(json_object_get(el, "times"));
			if (k->kind == CHANGE_MOVED) {
				k->from = jdate(el, "from");
				k->to = jdate(el, "to");
			} else if (k->kind == CHANGE_OWNER) {
				k->from_owner = person_name(s->now, jstr(el, "from"));
				k->to_owner = person_name(s->now, jstr(el, "to"));
			}
		}
	}
	return 0;
}

/* Goals, team, contacts, needs, competitors, SWOT: added, removed, changed. */
static int
since_sections(struct since *s)
{
	static const struct {
		const char *name, *msgid, *label;
	} secs[] = {
		{ "goals", N_("Goal"), "text" },
		{ "team", N_("Team member"), "person" },
		{ "contacts", N_("Contact"), "name" },
		{ "needs", N_("Need"), "text" },
		{ "competitors", N_("Competitor"), "name" },
		{ "swot", N_("SWOT"), "text" },
	};
	static const char *const lists[] = { "added", "removed", "changed" };
	json_t *el;
	size_t i, l, j;

	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
		for (l = 0; l < 3; l++)
			json_array_foreach(
			    json_object_get(json_object_get(s->diff, secs[i].name), lists[l]), j,
			    el)
			{
				const char *t = jstr(el, secs[i].label);

				if (strcmp(secs[i].name, "team") == 0)
					t = person_name(s->now, t);
				if (since_add(s, (enum page_change_kind)l, secs[i].msgid, t) ==
				    NULL)
					return -ENOMEM;
			}
	return 0;
}

/* Fills p->since and p->changes when the plan has a version; none is no error. */
static int
since_load(
    sqlite3 *db, const char *key, struct page_plan *p, struct since *s, char *err, size_t errlen)
{
	struct hist_list h = { 0 };
	struct version_info vi;
	int r;

	r = versions_get(db, NULL, key, 0, NULL, &vi, &s->then, err, errlen);
	if (r == -ENOENT)
		return 0;
	if (r == 0)
		r = planio_export(db, key, &s->now, err, errlen);
	if (r == 0)
		r = versions_history(db, key, vi.mark, &h, err, errlen);
	if (r == 0 && plandiff(s->then, s->now, key, h.h, h.n, &s->diff) < 0)
		r = -ENOENT;
	if (r == 0)
		r = since_items(s);
	if (r == 0)
		r = since_sections(s);
	hist_list_free(&h);
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (r == 0 && kdate_parse(vi.reviewed_on, &p->since) < 0)
		p->since = PAGE_NO_DATE;
	p->changes = s->c;
	p->n_changes = s->n;
	return r;
}

int
pages_render(sqlite3 *db, const struct kapd_config *cfg, const char *plan_key, time_t now,
    struct sbuf *out, char *err, size_t errlen)
{
	struct since s = { 0 };
	struct page_facts *f = NULL;
	struct page_options o;
	int r;

	/* One read transaction: the page shows one state of the plan. */
	r = db_read_begin(db, err, errlen);
	if (r < 0)
		return r;
	r = page_facts_load(db, plan_key, &f, err, errlen);
	if (r == 0)
		r = since_load(db, plan_key, &f->plan, &s, err, errlen);
	db_read_end(db);
	if (r == 0) {
		options(cfg, f, now, &o);
		page_compose(&f->plan, &o, out);
		if (out->failed) {
			snprintf(err, errlen, "out of memory");
			r = -ENOMEM;
		}
	}
	page_facts_free(f);
	since_free(&s);
	return r;
}

/* ---------------------------------------------------------------------------------- */

struct one_page {
	char *key;
	char token[TOKEN_FEED_LEN + 1];
	char content[17]; /* as recorded; "" for none */
};

struct pub {
	sqlite3 *db;
	const struct kapd_config *cfg;
	time_t now;
	int dirfd;
	struct pages_stats *st;
	struct errlist *problems;
	struct one_page *p;
	size_t n, cap;
};

static int
collect(void *ctx, const struct pagestore_entry *e)
{
	struct pub *x = ctx;
	struct one_page *np;

	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 16;
		np = realloc(x->p, x->cap * sizeof(*np));
		if (np == NULL)
			return -ENOMEM;
		x->p = np;
	}
	np = &x->p[x->n];
	np->key = strdup(e->key);
	if (np->key == NULL)
		return -ENOMEM;
	snprintf(np->token, sizeof(np->token), "%s", e->token);
	snprintf(np->content, sizeof(np->content), "%s", e->content ? e->content : "");
	x->n++;
	return 0;
}

/* Writes the page bytes of one plan unless the file already holds them. */
static int
write_page(struct pub *x, struct one_page *pg, struct sbuf *bytes, char *err, size_t errlen)
{
	struct feedfile o;
	char hex[17];
	int r, replaced = 0;

	token_hex64(ics_hash(ICS_HASH_INIT, bytes->s, bytes->len), hex);
	/* Unchanged and still there: not even a temporary file. */
	if (strcmp(hex, pg->content) == 0 &&
	    !feedfile_missing(&feedfile_html, x->dirfd, pg->token)) {
		x->st->same++;
		return 0;
	}
	r = feedfile_create(&feedfile_html, &o, x->dirfd, pg->token, err, errlen);
	if (r < 0)
		return r;
	sbuf_free(&o.buf);
	o.buf = *bytes; /* o owns the bytes now */
	*bytes = (struct sbuf)SBUF_INIT;
	r = feedfile_commit(&o, pg->content, &replaced, err, errlen);
	if (r == 0)
		r = pagestore_record(x->db, pg->token, hex, replaced, err, errlen);
	if (r == 0 && replaced)
		x->st->written++;
	else if (r == 0)
		x->st->same++;
	return r;
}

static void
publish_one(struct pub *x, struct one_page *pg)
{
	struct sbuf bytes = SBUF_INIT;
	char why[512];
	int r;

	why[0] = '\0';
	r = pages_render(x->db, x->cfg, pg->key, x->now, &bytes, why, sizeof(why));
	if (r == 0)
		r = write_page(x, pg, &bytes, why, sizeof(why));
	sbuf_free(&bytes);
	if (r < 0) {
		x->st->failed++;
		errlist_add(x->problems,
		    "pages: the page of plan %s was not written (%s/%s): %s; "
		    "its previous version stays and the next check tries again",
		    pg->key, x->cfg->pages.directory, pg->token, why[0] ? why : strerror(-r));
	}
}

static int
cmp_token(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Removes the pages of rotated tokens and of plans no longer active. */
static int
remove_old(struct pub *x, char *err, size_t errlen)
{
	const char **tokens = calloc(x->n + 1, sizeof(*tokens));
	size_t i;
	int r;

	if (tokens == NULL)
		return -ENOMEM;
	for (i = 0; i < x->n; i++)
		tokens[i] = x->p[i].token;
	qsort(tokens, x->n, sizeof(*tokens), cmp_token);
	r = feedfile_remove_others(&feedfile_html, x->dirfd, x->cfg->pages.directory, tokens, x->n,
	    &x->st->removed, x->problems, err, errlen);
	free(tokens);
	return r;
}

int
pages_publish(sqlite3 *db, const struct kapd_config *cfg, time_t now, struct pages_stats *st,
    struct errlist *problems, char *err, size_t errlen)
{
	struct pub x = { db, cfg, now, -1, st, problems, NULL, 0, 0 };
	size_t i;
	int r;

	memset(st, 0, sizeof(*st));
	r = pagestore_ensure_tokens(db, err, errlen);
	if (r == 0)
		r = pagestore_list(db, collect, &x, err, errlen);
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (r == 0)
		r = feedfile_open_dir(&feedfile_html, cfg->pages.directory, &x.dirfd, err, errlen);
	st->pages = x.n;
	for (i = 0; r == 0 && i < x.n; i++)
		publish_one(&x, &x.p[i]);
	if (r == 0)
		r = remove_old(&x, err, errlen);
	/* The renames are durable once the directory is. */
	if (x.dirfd >= 0) {
		if (st->written > 0)
			fsync(x.dirfd);
		close(x.dirfd);
	}
	for (i = 0; i < x.n; i++)
		free(x.p[i].key);
	free(x.p);
	return r;
}

int
pages_clean_stale(const char *dir, size_t *removed, char *err, size_t errlen)
{
	return feedfile_clean_stale(&feedfile_html, dir, removed, err, errlen);
}

int
pages_list(sqlite3 *db, int (*cb)(void *ctx, const struct pagestore_entry *e), void *ctx, char *err,
    size_t errlen)
{
	int r;

	r = pagestore_ensure_tokens(db, err, errlen);
	if (r == 0)
		r = pagestore_list(db, cb, ctx, err, errlen);
	return r;
}

int
pages_rotate(sqlite3 *db, const char *key, char token[TOKEN_FEED_LEN + 1], char *err, size_t errlen)
{
	return pagestore_rotate(db, key, token, err, errlen);
}

void
pages_url(const char *base_url, const char *token, struct sbuf *out)
{
	size_t n = strlen(base_url);

	sbuf_puts(out, base_url);
	if (n == 0 || base_url[n - 1] != '/')
		sbuf_add(out, "/", 1);
	sbuf_puts(out, token);
	sbuf_puts(out, ".html");
}
