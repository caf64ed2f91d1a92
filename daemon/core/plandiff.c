/* plandiff: the difference of one plan between two of its kapd-plan/1 documents, with
 * the history in between for how often a deadline or an owner changed. */
#include "core/plandiff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/actionlist_tab.h"
#include "lib/kdate.h"

/* The keyed sections compared by key, and where they live. */
static const struct section {
	const char *name;   /* in the diff */
	const char *member; /* array member */
	int in_account;     /* of the account rather than the plan */
	const char *id;     /* identifying member; NULL: the whole object (SWOT) */
} sections[] = {
	{ "goals", "goals", 0, "key" },
	{ "team", "team", 0, "person" },
	{ "contacts", "contacts", 1, "key" },
	{ "needs", "needs", 1, "key" },
	{ "competitors", "competitors", 1, "key" },
	{ "swot", "swot", 1, NULL },
};

static const char *
str(json_t *o, const char *m)
{
	return json_string_value(json_object_get(o, m));
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The element of arr matching like; the one at index hint is tried first: two exports of
 * a plan list most entries in the same order, which keeps a plan of 500 items linear
 * (the plan page compares them at every check). */
static json_t *
find_by(json_t *arr, const char *id, json_t *like, size_t hint)
{
	size_t i;
	json_t *el = json_array_get(arr, hint);

	if (el != NULL && (id != NULL ? same(str(el, id), str(like, id)) : json_equal(el, like)))
		return el;
	json_array_foreach(arr, i,
	    el) if (id != NULL ? same(str(el, id), str(like, id)) : json_equal(el, like)) return el;
	return NULL;
}

/* added / removed / changed of one section. */
static json_t *
diff_section(const struct section *s, json_t *a, json_t *b)
{
	json_t *out = json_pack("{s:[],s:[],s:[]}", "added", "removed", "changed"), *el, *o;
	size_t i;

	json_array_foreach(b, i, el)
	{
		o = find_by(a, s->id, el, i);
		if (o == NULL)
			json_array_append(json_object_get(out, "added"), el);
		else if (!json_equal(o, el))
			json_array_append(json_object_get(out, "changed"), el);
	}
	json_array_foreach(a, i, el) if (find_by(b, s->id, el, i) == NULL)
	    json_array_append(json_object_get(out, "removed"), el);
	return out;
}

static json_t *
item_ref(const char *kind, json_t *it)
{
	return json_pack("{s:s,s:s,s:s}", "kind", kind, "key", str(it, "key") ?: "", "title",
	    str(it, "title") ?: "");
}

static int
count_hist(
    const struct hist_change *h, size_t nh, const char *kind, const char *key, const char *field)
{
	size_t i;
	int n = 0;

	for (i = 0; i < nh; i++)
		n += same(h[i].kind, kind) && same(h[i].key, key) && same(h[i].field, field);
	return n;
}

static long
days_between(const char *from, const char *to)
{
	kdate_t a, b;

	if (from == NULL || to == NULL || kdate_parse(from, &a) < 0 || kdate_parse(to, &b) < 0)
		return 0;
	return (long)b - (long)a;
}

/* The facts of an item present in both documents: its state, deadline and owner. */
static void
diff_item(json_t *items, const char *kind, json_t *was, json_t *is, const struct hist_change *h,
    size_t nh)
{
	const char *s0 = str(was, "state") ?: "open", *s1 = str(is, "state") ?: "open";
	const char *key = str(is, "key");
	int moves = count_hist(h, nh, kind, key, "due");
	int owners = count_hist(h, nh, kind, key, "owner");
	json_t *r;

	if (!same(s0, s1) && (strcmp(s1, "done") == 0 || strcmp(s1, "cancelled") == 0)) {
		r = item_ref(kind, is);
		if (str(is, "done_on"))
			json_object_set_new(r, "done_on", json_string(str(is, "done_on")));
		json_array_append_new(
		    json_object_get(items, strcmp(s1, "done") == 0 ? "done" : "cancelled"), r);
	} else if (!same(s0, s1) && strcmp(s1, "open") == 0) {
		json_array_append_new(json_object_get(items, "reopened"), item_ref(kind, is));
	}
	if (moves > 0 || !same(str(was, "due"), str(is, "due"))) {
		r = item_ref(kind, is);
		json_object_set_new(r, "from", json_string(str(was, "due") ?: ""));
		json_object_set_new(r, "to", json_string(str(is, "due") ?: ""));
		json_object_set_new(r, "times", json_integer(moves > 0 ? moves : 1));
		json_object_set_new(
		    r, "days", json_integer(days_between(str(was, "due"), str(is, "due"))));
		json_array_append_new(json_object_get(items, "moved"), r);
	}
	if (!same(str(was, "owner"), str(is, "owner"))) {
		r = item_ref(kind, is);
		json_object_set_new(
		    r, "from", str(was, "owner") ? json_string(str(was, "owner")) : json_null());
		json_object_set_new(
		    r, "to", str(is, "owner") ? json_string(str(is, "owner")) : json_null());
		json_object_set_new(r, "times", json_integer(owners > 0 ? owners : 1));
		json_array_append_new(json_object_get(items, "owners"), r);
	}
}

static void
diff_items(
    json_t *items, const char *kind, json_t *a, json_t *b, const struct hist_change *h, size_t nh)
{
	json_t *el, *o, *r;
	size_t i;

	json_array_foreach(b, i, el)
	{
		o = find_by(a, "key", el, i);
		if (o != NULL) {
			diff_item(items, kind, o, el, h, nh);
			continue;
		}
		r = item_ref(kind, el);
		json_object_set_new(r, "state", json_string(str(el, "state") ?: "open"));
		json_array_append_new(json_object_get(items, "added"), r);
	}
	json_array_foreach(a, i, el) if (find_by(b, "key", el, i) == NULL)
	    json_array_append_new(json_object_get(items, "removed"), item_ref(kind, el));
}

static json_t *
counts(json_t *items)
{
	static const char *const names[] = { "added", "removed", "done", "cancelled", "reopened",
		"moved", "owners" };
	json_t *c = json_object();
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		json_object_set_new(c, names[i],
		    json_integer((json_int_t)json_array_size(json_object_get(items, names[i]))));
	return c;
}

int
plandiff(json_t *then, json_t *now, const char *plan_key, const struct hist_change *h, size_t nh,
    json_t **out)
{
	json_t *acc0 = NULL, *acc1 = NULL, *p0, *p1, *d, *items, *empty = json_array();
	const struct section *s;
	size_t i;

	p0 = al_find_plan(then, plan_key, &acc0);
	p1 = al_find_plan(now, plan_key, &acc1);
	if (p0 == NULL && p1 == NULL) {
		json_decref(empty);
		return -ENOENT;
	}
	items = json_pack("{s:[],s:[],s:[],s:[],s:[],s:[],s:[]}", "added", "removed", "done",
	    "cancelled", "reopened", "moved", "owners");
	diff_items(items, "milestone", json_object_get(p0, "milestones") ?: empty,
	    json_object_get(p1, "milestones") ?: empty, h, nh);
	diff_items(items, "activity", json_object_get(p0, "activities") ?: empty,
	    json_object_get(p1, "activities") ?: empty, h, nh);
	d = json_object();
	json_object_set_new(d, "counts", counts(items));
	json_object_set_new(d, "items", items);
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		s = &sections[i];
		json_object_set_new(d, s->name,
		    diff_section(s, json_object_get(s->in_account ? acc0 : p0, s->member) ?: empty,
		        json_object_get(s->in_account ? acc1 : p1, s->member) ?: empty));
	}
	json_decref(empty);
	*out = d;
	return 0;
}

static int
by_moves(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t tx = json_integer_value(json_object_get(x, "times"));
	json_int_t ty = json_integer_value(json_object_get(y, "times"));
	json_int_t dx = json_integer_value(json_object_get(x, "days"));
	json_int_t dy = json_integer_value(json_object_get(y, "days"));

	if (tx != ty)
		return tx > ty ? -1 : 1;
	dx = dx < 0 ? -dx : dx;
	dy = dy < 0 ? -dy : dy;
	if (dx != dy)
		return dx > dy ? -1 : 1;
	return strcmp(str(x, "key") ?: "", str(y, "key") ?: "");
}

json_t *
plandiff_most_moved(json_t *diff, size_t max)
{
	json_t *moved = json_object_get(json_object_get(diff, "items"), "moved"),
	       *out = json_array();
	size_t n = json_array_size(moved), i;
	json_t **v = n ? calloc(n, sizeof(*v)) : NULL;

	if (n == 0 || v == NULL) {
		free(v);
		return out;
	}
	for (i = 0; i < n; i++)
		v[i] = json_array_get(moved, i);
	qsort(v, n, sizeof(*v), by_moves);
	for (i = 0; i < n && i < max; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

json_t *
plandiff_history(const struct hist_change *h, size_t nh)
{
	json_t *out = json_array(), *el, *hit;
	size_t i, j;

	for (i = 0; i < nh; i++) {
		if (h[i].key == NULL || h[i].field == NULL ||
		    (strcmp(h[i].field, "due") != 0 && strcmp(h[i].field, "owner") != 0))
			continue;
		hit = NULL;
		json_array_foreach(out, j, el) if (same(str(el, "kind"), h[i].kind) &&
		    same(str(el, "key"), h[i].key) && same(str(el, "field"), h[i].field)) hit = el;
		if (hit == NULL) {
			hit = json_pack("{s:s,s:s,s:s,s:s?,s:i}", "kind", h[i].kind, "key",
			    h[i].key, "field", h[i].field, "from", h[i].old_value, "times", 0);
			json_array_append_new(out, hit);
		}
		json_object_set_new(
		    hit, "to", h[i].new_value ? json_string(h[i].new_value) : json_null());
		json_object_set_new(hit, "times",
		    json_integer(json_integer_value(json_object_get(hit, "times")) + 1));
	}
	return out;
}
