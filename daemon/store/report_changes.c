/* report_changes: reads the item history and the latest version, and folds them with
 * core/plandiff into the report's plain data.  The strings live in one JSON tree kept
 * with the report (changes_mem). */
#include "store/report_changes.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/actionlist_tab.h"
#include "core/plandiff.h"
#include "store/planio.h"
#include "store/versions.h"

#define MOST_MOVED 5

static const char *
str(json_t *o, const char *m)
{
	return json_string_value(json_object_get(o, m));
}

static json_t *
item_of(json_t *plan, const char *kind, const char *key)
{
	return al_find(json_object_get(plan,
	                   strcmp(kind ?: "", "milestone") == 0 ? "milestones" : "activities"),
	    "key", key ?: "");
}

static const char *
person_name(json_t *doc, const char *key)
{
	json_t *p = key ? al_find_person(doc, key) : NULL;

	return p && str(p, "name") ? str(p, "name") : key;
}

/* One folded change (from plandiff_history or plandiff's "moved") as report data; the
 * strings stay in keep, which holds everything the report points to. */
static void
to_change(
    json_t *doc, json_t *plan, json_t *el, const char *field, json_t *keep, struct report_change *c)
{
	json_t *it = item_of(plan, str(el, "kind"), str(el, "key"));
	kdate_t a, b;

	json_array_append(keep, el);
	c->kind = str(el, "kind");
	c->key = str(el, "key");
	c->title = it ? str(it, "title") : str(el, "title");
	c->field = field;
	c->from = str(el, "from");
	c->to = str(el, "to");
	if (strcmp(field, "owner") == 0) {
		c->from = person_name(doc, c->from);
		c->to = person_name(doc, c->to);
	}
	c->times = (int)json_integer_value(json_object_get(el, "times"));
	c->days = 0;
	if (strcmp(field, "due") == 0 && c->from && c->to && kdate_parse(c->from, &a) == 0 &&
	    kdate_parse(c->to, &b) == 0)
		c->days = (long)b - (long)a;
}

static int
week(json_t *doc, json_t *plan, struct report *rep, const struct hist_list *h, json_t *keep)
{
	json_t *folded, *el;
	size_t i, n = 0;

	folded = plandiff_history(h->h, h->n);
	rep->changes = calloc(json_array_size(folded) + 1, sizeof(*rep->changes));
	if (rep->changes == NULL) {
		json_decref(folded);
		return -ENOMEM;
	}
	json_array_foreach(folded, i, el)
	    to_change(doc, plan, el, str(el, "field"), keep, &rep->changes[n++]);
	rep->n_changes = n;
	json_decref(folded);
	return 0;
}

static int
count(json_t *diff, const char *name)
{
	return (int)json_integer_value(json_object_get(json_object_get(diff, "counts"), name));
}

/* The summary since the latest version; a plan without one has none (has = 0). */
static int
since_update(sqlite3 *db, const char *plan_key, json_t *doc, json_t *plan, struct report *rep,
    json_t *keep, const struct version_info *v, json_t *then, char *err, size_t errlen)
{
	struct version_info vi = *v;
	struct hist_list h = { 0 };
	json_t *diff = NULL, *top = NULL, *el;
	size_t i;
	int r;

	r = versions_history(db, plan_key, vi.mark, &h, err, errlen);
	if (r == 0 && plandiff(then, doc, plan_key, h.h, h.n, &diff) == 0) {
		rep->update.has = 1;
		kdate_parse(vi.reviewed_on, &rep->update.day);
		rep->update.added = count(diff, "added");
		rep->update.done = count(diff, "done");
		rep->update.cancelled = count(diff, "cancelled");
		rep->update.moved = count(diff, "moved");
		rep->update.owners = count(diff, "owners");
		top = plandiff_most_moved(diff, MOST_MOVED);
		rep->update.most_moved =
		    calloc(json_array_size(top) + 1, sizeof(struct report_change));
		if (rep->update.most_moved == NULL)
			r = -ENOMEM;
		json_array_foreach(top, i, el) if (r == 0) to_change(doc, plan, el, "due", keep,
		    &rep->update.most_moved[rep->update.n_most_moved++]);
	}
	hist_list_free(&h);
	json_decref(top);
	json_decref(diff);
	return r;
}

int
report_changes_add(sqlite3 *db, struct db_stmts *stmts, const char *plan_key, struct report *rep,
    char *err, size_t errlen)
{
	json_t *doc = NULL, *keep = json_array(), *plan, *then = NULL;
	struct version_info vi;
	struct hist_list h = { 0 };
	char since[KDATE_STRLEN];
	int r;

	/* keep holds the document and the folded changes the report points into. */
	rep->changes_mem = keep;
	/* The previous report's day itself is in: a change made that day after the report
	 * was composed would otherwise never be shown. */
	r = versions_history_since(
	    db, stmts, plan_key, kdate_format(rep->since, since), &h, err, errlen);
	if (r == 0 &&
	    (r = versions_get(db, stmts, plan_key, 0, NULL, &vi, &then, err, errlen)) == -ENOENT)
		r = 0;
	/* Most plans most weeks have neither: no export for them. */
	if (r < 0 || (h.n == 0 && then == NULL))
		goto out;
	if ((r = planio_export(db, plan_key, &doc, err, errlen)) < 0)
		goto out;
	json_array_append_new(keep, doc);
	plan = al_find_plan(doc, plan_key, NULL);
	r = week(doc, plan, rep, &h, keep);
	if (r == 0 && then != NULL)
		r = since_update(db, plan_key, doc, plan, rep, keep, &vi, then, err, errlen);
out:
	hist_list_free(&h);
	json_decref(then);
	return r;
}

void
report_changes_free(struct report *rep)
{
	if (rep == NULL)
		return;
	free(rep->changes);
	free(rep->update.most_moved);
	json_decref(rep->changes_mem);
	rep->changes = NULL;
	rep->update.most_moved = NULL;
	rep->changes_mem = NULL;
}
