/* rollover: copies what carries over into next year's plan.  Keys of goals, milestones
 * and activities are unique across plans, so each copy gets a key derived from the new
 * plan's key; done and cancelled items stay with the old plan, which is archived. */
#include "core/rollover.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/actionlist_tab.h"
#include "lib/textcheck.h"

static const char *
str(json_t *o, const char *m)
{
	return json_string_value(json_object_get(o, m));
}

/* "acme-2026-a1" -> "acme-2027-a1"; "a1" -> "acme-2027-a1". */
static int
new_key(const char *old_plan, const char *new_plan, const char *key, char *out, size_t len,
    struct errlist *errs)
{
	size_t n = strlen(old_plan);
	int w;

	if (strncmp(key, old_plan, n) == 0 && key[n] != '\0')
		w = snprintf(out, len, "%s%s", new_plan, key + n);
	else
		w = snprintf(out, len, "%s-%s", new_plan, key);
	if (w < 0 || (size_t)w >= len || !text_is_key(out)) {
		errlist_add(errs,
		    "the copy of \"%s\" would need a key longer than 64 characters; "
		    "choose a shorter plan key",
		    key);
		return -EINVAL;
	}
	return 0;
}

/* Copies the members of src into a new object with a new key, dropping members the
 * copy must not carry. */
static json_t *
copy_with_key(json_t *src, const char *key, const char *const *drop)
{
	json_t *c = json_deep_copy(src);

	for (; drop != NULL && *drop != NULL; drop++)
		json_object_del(c, *drop);
	json_object_set_new(c, "key", json_string(key));
	return c;
}

static int
copy_list(json_t *from, json_t *to, const char *member, const char *old_key, const char *new_plan,
    int open_only, json_t *map, struct errlist *errs)
{
	static const char *const drop[] = { "done_on", NULL };
	json_t *arr = json_array(), *el, *c;
	char key[80];
	size_t i;
	int r = 0;

	json_array_foreach(json_object_get(from, member), i, el)
	{
		if (open_only && strcmp(str(el, "state") ?: "open", "open") != 0)
			continue;
		if (new_key(old_key, new_plan, str(el, "key") ?: "", key, 65, errs) < 0) {
			r = -EINVAL;
			continue;
		}
		c = copy_with_key(el, key, drop);
		if (map != NULL)
			json_object_set_new(map, str(el, "key"), json_string(key));
		json_array_append_new(arr, c);
	}
	json_object_set_new(to, member, arr);
	return r;
}

/* An activity's milestone: the copy's key when the milestone came along, else none. */
static void
relink(json_t *plan, json_t *map)
{
	json_t *el, *to;
	size_t i;

	json_array_foreach(json_object_get(plan, "activities"), i, el)
	{
		if (str(el, "milestone") == NULL)
			continue;
		to = json_object_get(map, str(el, "milestone"));
		if (to != NULL)
			json_object_set(el, "milestone", to);
		else
			json_object_del(el, "milestone");
	}
}

int
rollover_build(json_t *doc, const char *old_key, const char *new_key_, const char *title,
    kdate_t today, struct rollover_counts *counts, struct errlist *errs)
{
	json_t *acc = NULL, *old = al_find_plan(doc, old_key, &acc), *np, *map;
	char d0[KDATE_STRLEN], d1[KDATE_STRLEN];
	static const char *const keep[] = { "language", "timezone", NULL };
	const char *const *k;
	int r = 0;

	if (old == NULL) {
		errlist_add(errs, "no plan with key \"%s\"", old_key);
		return -EINVAL;
	}
	np = json_pack("{s:s,s:s,s:s,s:s,s:s}", "key", new_key_, "title",
	    title ? title : str(old, "title") ?: new_key_, "state", "active",
	    "last_review", kdate_format(today, d0),
	    "next_review", kdate_format(kdate_add_years(today, 1), d1));
	for (k = keep; *k != NULL; k++)
		if (json_object_get(old, *k) != NULL)
			json_object_set(np, *k, json_object_get(old, *k));
	json_object_set_new(np, "team",
	    json_object_get(old, "team") != NULL ? json_deep_copy(json_object_get(old, "team"))
	                                         : json_array());
	map = json_object();
	r |= copy_list(old, np, "goals", old_key, new_key_, 0, NULL, errs);
	r |= copy_list(old, np, "milestones", old_key, new_key_, 1, map, errs);
	r |= copy_list(old, np, "activities", old_key, new_key_, 1, NULL, errs);
	relink(np, map);
	json_decref(map);
	if (r != 0) {
		json_decref(np);
		return -EINVAL;
	}
	counts->team = json_array_size(json_object_get(np, "team"));
	counts->goals = json_array_size(json_object_get(np, "goals"));
	counts->milestones = json_array_size(json_object_get(np, "milestones"));
	counts->activities = json_array_size(json_object_get(np, "activities"));
	json_object_set_new(old, "state", json_string("archived"));
	json_array_append_new(json_object_get(acc, "plans"), np);
	return 0;
}
