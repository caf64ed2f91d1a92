/* Validation of kapd-plan/1 documents: first every object against its table in
 * planspec.c (members, types, enumerations, keys), then the rules between objects
 * (references, teams, dates).  Pure: the database is reached only through the lookup. */
#include "core/planvalid.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/kdate.h"
#include "core/planspec.h"
#include "lib/textcheck.h"

#define LINE_MAX_CHARS 500
#define TEXT_MAX_CHARS 20000

struct vctx {
	struct errlist *errs;
	const struct planio_lookup *lookup;
	json_t *seen;   /* "kind/key" -> path of the first occurrence */
	json_t *people; /* person keys defined in the document */
};

static void
path_member(path_t out, const char *base, const char *name)
{
	planspec_path(out, "%s.%s", base, name);
}

static void
path_index(path_t out, const char *base, size_t i)
{
	planspec_path(out, "%s[%zu]", base, i);
}

static const char *
str_member(json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}

/* A line or text of valid characters: not too long, present when required. */
static void
check_size(struct vctx *v, const struct field *f, const char *s, const char *path, int max)
{
	if (text_utf8_len(s) > (size_t)max)
		errlist_add(v->errs, "%s: longer than %d characters", path, max);
	else if ((f->flags & FLD_REQUIRED) && *s == '\0')
		errlist_add(v->errs, "%s: must not be empty", path);
}

static void
check_string(struct vctx *v, const struct field *f, json_t *val, const char *path)
{
	const char *s = json_string_value(val);
	kdate_t d;

	switch (f->type) {
	case F_KEY:
	case F_REF:
		if (!text_is_key(s))
			errlist_add(v->errs,
			    "%s: \"%s\" is not a valid key (1-64 characters of "
			    "A-Z a-z 0-9 . _ -)",
			    path, s);
		break;
	case F_LINE:
		if (!text_is_line(s))
			errlist_add(v->errs,
			    "%s: control characters (line breaks, tabs...) are not allowed here",
			    path);
		else
			check_size(v, f, s, path, LINE_MAX_CHARS);
		break;
	case F_TEXT:
		if (!text_is_text(s))
			errlist_add(v->errs,
			    "%s: control characters other than tab and line breaks are not allowed",
			    path);
		else
			check_size(v, f, s, path, TEXT_MAX_CHARS);
		break;
	case F_DATE:
		if (kdate_parse(s, &d) < 0)
			errlist_add(
			    v->errs, "%s: \"%s\" is not a valid date (YYYY-MM-DD)", path, s);
		break;
	case F_EMAIL:
		if (!text_is_email(s))
			errlist_add(v->errs, "%s: \"%s\" is not a valid email address", path, s);
		break;
	case F_CURRENCY:
		if (!text_is_currency(s))
			errlist_add(v->errs,
			    "%s: \"%s\" is not an ISO 4217 currency code (e.g. EUR)", path, s);
		break;
	case F_LANG:
		if (!text_is_lang(s))
			errlist_add(
			    v->errs, "%s: \"%s\" is not a language tag (e.g. de, en-GB)", path, s);
		break;
	case F_TZ:
		if (!kdate_zone_exists(s))
			errlist_add(v->errs,
			    "%s: \"%s\" is not a known IANA time zone "
			    "(e.g. Europe/Berlin)",
			    path, s);
		break;
	default: break;
	}
}

static void
check_enum(struct vctx *v, const struct field *f, const char *s, const char *path)
{
	char list[256] = "";
	size_t i, off = 0;

	for (i = 0; f->enums[i] != NULL; i++) {
		if (strcmp(f->enums[i], s) == 0)
			return;
		off += (size_t)snprintf(
		    list + off, sizeof(list) - off, "%s%s", i ? ", " : "", f->enums[i]);
		if (off >= sizeof(list))
			break;
	}
	errlist_add(v->errs, "%s: \"%s\" is not one of: %s", path, s, list);
}

static void check_object(struct vctx *v, const struct objspec *spec, json_t *obj, const char *path);

static void
check_money(struct vctx *v, json_t *val, const char *path)
{
	const char *name;
	json_t *m;
	path_t p;

	if (!json_is_object(val)) {
		errlist_add(
		    v->errs, "%s: expected an object {\"amount\": n, \"currency\": \"EUR\"}", path);
		return;
	}
	json_object_foreach(val, name, m)
	{
		if (strcmp(name, "amount") != 0 && strcmp(name, "currency") != 0) {
			path_member(p, path, name);
			errlist_add(v->errs, "%s: unknown member", p);
		}
	}
	if (!json_is_number(json_object_get(val, "amount")))
		errlist_add(v->errs, "%s.amount: a number is required", path);
	m = json_object_get(val, "currency");
	if (!json_is_string(m) || !text_is_currency(json_string_value(m)))
		errlist_add(
		    v->errs, "%s.currency: an ISO 4217 currency code (e.g. EUR) is required", path);
}

static void
check_children(struct vctx *v, const struct field *f, json_t *val, const char *path)
{
	json_t *el;
	size_t i;
	path_t p;

	if (!json_is_array(val)) {
		errlist_add(v->errs, "%s: expected an array", path);
		return;
	}
	json_array_foreach(val, i, el)
	{
		path_index(p, path, i);
		check_object(v, f->child, el, p);
	}
}

static void
check_value(struct vctx *v, const struct field *f, json_t *val, const char *path)
{
	if (f->type == F_CHILDREN) {
		check_children(v, f, val, path);
	} else if (f->type == F_MONEY) {
		check_money(v, val, path);
	} else if (f->type == F_NUMBER) {
		if (!json_is_number(val))
			errlist_add(v->errs, "%s: expected a number", path);
	} else if (!json_is_string(val)) {
		errlist_add(v->errs, "%s: expected a string", path);
	} else if (f->type == F_ENUM) {
		check_enum(v, f, json_string_value(val), path);
	} else {
		check_string(v, f, val, path);
	}
}

/* Keys are unique within their kind across the whole document. */
static void
register_key(struct vctx *v, const struct objspec *spec, json_t *obj, const char *path)
{
	const char *key = str_member(obj, "key");
	char id[128];
	json_t *first;

	if (key == NULL || !text_is_key(key))
		return;
	snprintf(id, sizeof(id), "%s/%s", spec->kind, key);
	first = json_object_get(v->seen, id);
	if (first != NULL)
		errlist_add(v->errs, "%s.key: duplicate %s key \"%s\" (first used at %s)", path,
		    spec->kind, key, json_string_value(first));
	else
		json_object_set_new(v->seen, id, json_string(path));
}

static void
check_object(struct vctx *v, const struct objspec *spec, json_t *obj, const char *path)
{
	const struct field *f;
	const char *name;
	json_t *val;
	size_t i;
	path_t p;

	if (!json_is_object(obj)) {
		errlist_add(v->errs, "%s: expected an object (this %s)", path, spec->kind);
		return;
	}
	json_object_foreach(obj, name, val)
	{
		if (planspec_field(spec, name) == NULL) {
			path_member(p, path, name);
			errlist_add(v->errs, "%s: unknown member of this %s", p, spec->kind);
		}
	}
	for (i = 0; i < spec->nfields; i++) {
		f = &spec->fields[i];
		val = json_object_get(obj, f->name);
		path_member(p, path, f->name);
		if (val == NULL || json_is_null(val)) {
			if (f->flags & FLD_REQUIRED)
				errlist_add(v->errs, "%s: required member is missing", p);
			continue;
		}
		check_value(v, f, val, p);
	}
	if (spec->mode == OBJ_KEYED)
		register_key(v, spec, obj, path);
}

static void
check_top(struct vctx *v, json_t *doc)
{
	static const char *const members[] = { "format", "people", "accounts" };
	const char *name, *fmt;
	json_t *val, *el;
	size_t i, k;
	path_t p;

	json_object_foreach(doc, name, val)
	{
		for (k = 0; k < 3 && strcmp(members[k], name) != 0; k++)
			;
		if (k == 3)
			errlist_add(v->errs,
			    "$.%s: unknown member (expected format, people, accounts)", name);
	}
	fmt = str_member(doc, "format");
	if (fmt == NULL || strcmp(fmt, PLANIO_FORMAT) != 0)
		errlist_add(v->errs, "$.format: must be \"%s\"", PLANIO_FORMAT);
	for (k = 0; k < 2; k++) {
		const struct objspec *spec = k == 0 ? &spec_person : &spec_account;
		const char *list = k == 0 ? "people" : "accounts";

		val = json_object_get(doc, list);
		if (val == NULL || json_is_null(val))
			continue;
		path_member(p, "$", list);
		if (!json_is_array(val)) {
			errlist_add(v->errs, "%s: expected an array", p);
			continue;
		}
		json_array_foreach(val, i, el)
		{
			path_index(p, k == 0 ? "$.people" : "$.accounts", i);
			check_object(v, spec, el, p);
		}
	}
}

static int
person_known(struct vctx *v, const char *key)
{
	if (json_object_get(v->people, key) != NULL)
		return 1;
	return v->lookup != NULL && v->lookup->person_exists != NULL &&
	    v->lookup->person_exists(v->lookup->ctx, key);
}

/* Iterates over the objects of an array member, skipping what pass one already reported. */
#define each_object(parent, member, i, el)                                                         \
	json_array_foreach(json_is_array(json_object_get(parent, member))                          \
	        ? json_object_get(parent, member)                                                  \
	        : NULL,                                                                            \
	    i, el) if (json_is_object(el))

static void
check_absences(struct vctx *v, json_t *person, const char *path)
{
	const char *self = str_member(person, "key"), *from, *until, *sub;
	json_t *a;
	size_t i;

	each_object(person, "absences", i, a)
	{
		from = str_member(a, "from");
		until = str_member(a, "until");
		sub = str_member(a, "substitute");
		if (from != NULL && until != NULL && strcmp(until, from) < 0)
			errlist_add(v->errs, "%s.absences[%zu].until: %s is before from (%s)", path,
			    i, until, from);
		if (sub != NULL && self != NULL && strcmp(sub, self) == 0)
			errlist_add(v->errs,
			    "%s.absences[%zu].substitute: a person cannot substitute "
			    "for themselves",
			    path, i);
		else if (sub != NULL && text_is_key(sub) && !person_known(v, sub))
			errlist_add(v->errs,
			    "%s.absences[%zu].substitute: no person with key \"%s\"", path, i, sub);
	}
}

/* Team rules: persons exist and appear once, exactly one kam, at most one sponsor. */
static json_t *
check_team(struct vctx *v, json_t *plan, const char *path)
{
	json_t *team = json_object(), *m;
	const char *who, *role;
	int kams = 0, sponsors = 0;
	size_t i;

	each_object(plan, "team", i, m)
	{
		who = str_member(m, "person");
		role = str_member(m, "role");
		kams += role != NULL && strcmp(role, "kam") == 0;
		sponsors += role != NULL && strcmp(role, "sponsor") == 0;
		if (who == NULL || !text_is_key(who))
			continue;
		if (!person_known(v, who))
			errlist_add(v->errs, "%s.team[%zu].person: no person with key \"%s\"", path,
			    i, who);
		if (json_object_get(team, who) != NULL)
			errlist_add(v->errs, "%s.team[%zu].person: \"%s\" is on the team twice",
			    path, i, who);
		json_object_set_new(team, who, json_true());
	}
	if (kams != 1)
		errlist_add(v->errs,
		    "%s.team: a plan needs exactly one member with role \"kam\" "
		    "(found %d)",
		    path, kams);
	if (sponsors > 1)
		errlist_add(
		    v->errs, "%s.team: at most one sponsor per plan (found %d)", path, sponsors);
	return team;
}

static void
check_item(struct vctx *v, json_t *it, const char *path, json_t *team, json_t *projects,
    json_t *milestones)
{
	const char *owner = str_member(it, "owner"), *proj = str_member(it, "project");
	const char *ms = str_member(it, "milestone"), *state = str_member(it, "state");

	if (owner != NULL && text_is_key(owner) && json_object_get(team, owner) == NULL)
		errlist_add(v->errs, "%s.owner: \"%s\" is not on the team of this plan%s", path,
		    owner, person_known(v, owner) ? "" : " (and no such person exists)");
	if (proj != NULL && text_is_key(proj) && json_object_get(projects, proj) == NULL)
		errlist_add(v->errs, "%s.project: no project \"%s\" in this account", path, proj);
	if (milestones != NULL && ms != NULL && text_is_key(ms) &&
	    json_object_get(milestones, ms) == NULL)
		errlist_add(v->errs, "%s.milestone: no milestone \"%s\" in this plan", path, ms);
	if (json_is_string(json_object_get(it, "done_on")) &&
	    (state == NULL || strcmp(state, "done") != 0))
		errlist_add(v->errs, "%s.done_on: only a done item has a completion date", path);
	/* An import is the record of what happened: a done item says when (issue 10, D10).
	 * Defaulting to the import day would invent a date that an export then repeats. */
	if (state != NULL && strcmp(state, "done") == 0 &&
	    !json_is_string(json_object_get(it, "done_on")))
		errlist_add(v->errs,
		    "%s.done_on: required when the state is \"done\" (the day it "
		    "was done, YYYY-MM-DD)",
		    path);
}

static json_t *
key_set(json_t *parent, const char *member)
{
	json_t *set = json_object(), *el;
	const char *key;
	size_t i;

	each_object(parent, member, i, el)
	{
		key = str_member(el, "key");
		if (key != NULL)
			json_object_set_new(set, key, json_true());
	}
	return set;
}

static void
check_plan(struct vctx *v, json_t *plan, const char *path, json_t *projects)
{
	json_t *team = check_team(v, plan, path), *milestones = key_set(plan, "milestones"), *it;
	const char *last = str_member(plan, "last_review"), *next = str_member(plan, "next_review");
	size_t i;
	path_t p;

	if (last != NULL && next != NULL && strcmp(next, last) <= 0)
		errlist_add(
		    v->errs, "%s.next_review: %s is not after last_review (%s)", path, next, last);
	each_object(plan, "milestones", i, it)
	{
		planspec_path(p, "%s.milestones[%zu]", path, i);
		check_item(v, it, p, team, projects, NULL);
	}
	each_object(plan, "activities", i, it)
	{
		planspec_path(p, "%s.activities[%zu]", path, i);
		check_item(v, it, p, team, projects, milestones);
	}
	json_decref(team);
	json_decref(milestones);
}

static void
check_account(struct vctx *v, json_t *acc, const char *path)
{
	json_t *projects = key_set(acc, "projects"), *periods = json_object(), *el;
	const char *s, *e;
	size_t i;
	path_t p;

	each_object(acc, "history", i, el)
	{
		s = str_member(el, "period");
		if (s != NULL && json_object_get(periods, s) != NULL)
			errlist_add(v->errs, "%s.history[%zu].period: period \"%s\" appears twice",
			    path, i, s);
		else if (s != NULL)
			json_object_set_new(periods, s, json_true());
	}
	each_object(acc, "projects", i, el)
	{
		s = str_member(el, "start");
		e = str_member(el, "end");
		if (s != NULL && e != NULL && strcmp(e, s) < 0)
			errlist_add(v->errs, "%s.projects[%zu].end: %s is before start (%s)", path,
			    i, e, s);
	}
	each_object(acc, "plans", i, el)
	{
		planspec_path(p, "%s.plans[%zu]", path, i);
		check_plan(v, el, p, projects);
	}
	json_decref(projects);
	json_decref(periods);
}

static void
check_rules(struct vctx *v, json_t *doc)
{
	json_t *el;
	size_t i;
	path_t p;

	each_object(doc, "people", i, el) if (json_is_string(json_object_get(el, "key")))
	    json_object_set_new(v->people, str_member(el, "key"), json_true());
	each_object(doc, "people", i, el)
	{
		path_index(p, "$.people", i);
		check_absences(v, el, p);
	}
	each_object(doc, "accounts", i, el)
	{
		path_index(p, "$.accounts", i);
		check_account(v, el, p);
	}
}

int
planio_validate(json_t *doc, const struct planio_lookup *lookup, struct errlist *errs)
{
	struct vctx v = { errs, lookup, json_object(), json_object() };
	size_t before = errs->n;

	if (v.seen == NULL || v.people == NULL) {
		errlist_add(errs, "$: out of memory");
		goto out;
	}
	if (!json_is_object(doc)) {
		errlist_add(errs, "$: expected an object with \"format\": \"%s\"", PLANIO_FORMAT);
		goto out;
	}
	check_top(&v, doc);
	check_rules(&v, doc);
out:
	json_decref(v.seen);
	json_decref(v.people);
	return errs->n > before ? -EINVAL : 0;
}
