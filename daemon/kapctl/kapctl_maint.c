/* kapctl person, absence, account, contact, need, competitor, project, complaint,
 * history, swot, plan, team, goal: everything a KAM maintains, without a hand-edited
 * JSON file (SPEC §10).  One table of kinds; the members each kind takes come from the
 * plan-format tables (core/planspec), and every change goes through the JSON import
 * with all its checks, in one transaction.  Removing a keyed object is the only direct
 * delete (an import never deletes). */
#include "kapctl/kapctl.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "core/actionlist_tab.h"
#include "core/planspec.h"
#include "lib/textcheck.h"
#include "store/db.h"
#include "store/maint.h"
#include "store/planio.h"

struct mkind {
	const char *name;   /* the command */
	const char *parent; /* "person", "account", "plan", or NULL at the top */
	const char *member; /* the array holding these objects */
	const char *id;     /* the identifying member; NULL: by number in the list */
};

static const struct mkind kinds[] = {
	{ "person", NULL, "people", "key" },
	{ "absence", "person", "absences", NULL },
	{ "account", NULL, "accounts", "key" },
	{ "contact", "account", "contacts", "key" },
	{ "need", "account", "needs", "key" },
	{ "competitor", "account", "competitors", "key" },
	{ "project", "account", "projects", "key" },
	{ "complaint", "account", "complaints", "key" },
	{ "history", "account", "history", "period" },
	{ "swot", "account", "swot", NULL },
	{ "plan", "account", "plans", "key" },
	{ "team", "plan", "team", "person" },
	{ "goal", "plan", "goals", "key" },
};

#define MAX_SETS 32

struct mreq {
	const struct mkind *k;
	const struct objspec *spec;
	const char *sub;         /* add, edit, remove, list, archive */
	const char *parent, *id; /* from the command line; NULL when not given */
	const char *name[MAX_SETS], *value[MAX_SETS];
	int nsets;
	const char *kam; /* plan add --kam */
	const struct ctl *c;
};

/* The name of a kind of object (objspec.kind, mkind.parent) in the user's language. */
static const char *
kind_word(const struct ctl *c, const char *kind)
{
	static const char *const words[] = { N_("absence"), N_("account"), N_("activity"),
		N_("competitor"), N_("complaint"), N_("contact"), N_("goal"), N_("history"),
		N_("milestone"), N_("need"), N_("person"), N_("plan"), N_("project"), N_("swot"),
		N_("team member"), NULL };
	size_t i;

	for (i = 0; kind != NULL && words[i] != NULL; i++)
		if (strcmp(words[i], kind) == 0)
			return tr(c, words[i]);
	return kind;
}

static const struct mkind *
find_kind(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

static const struct objspec *
spec_of_parent(const char *parent)
{
	if (parent == NULL)
		return NULL;
	if (strcmp(parent, "person") == 0)
		return &spec_person;
	if (strcmp(parent, "account") == 0)
		return &spec_account;
	return planspec_field(&spec_account, "plans")->child;
}

static const struct objspec *
spec_of(const struct mkind *k)
{
	if (k->parent == NULL)
		return strcmp(k->member, "people") == 0 ? &spec_person : &spec_account;
	return planspec_field(spec_of_parent(k->parent), k->member)->child;
}

static const char *
str(json_t *o, const char *m)
{
	return json_string_value(json_object_get(o, m));
}

/* The object holding the list: the document, a person, an account or a plan. */
static json_t *
holder(json_t *doc, const struct mkind *k, const char *parent)
{
	if (k->parent == NULL)
		return doc;
	if (strcmp(k->parent, "person") == 0)
		return al_find_person(doc, parent);
	if (strcmp(k->parent, "account") == 0)
		return al_find(json_object_get(doc, "accounts"), "key", parent);
	return al_find_plan(doc, parent, NULL);
}

/* A keyed child given by its key alone: the holder it belongs to. */
static json_t *
holder_of_key(json_t *doc, const struct mkind *k, const char *key)
{
	json_t *acc, *p;
	size_t i, j;

	if (k->parent == NULL)
		return doc;
	json_array_foreach(json_object_get(doc, "accounts"), i, acc)
	{
		if (strcmp(k->parent, "account") == 0 &&
		    al_find(json_object_get(acc, k->member), "key", key) != NULL)
			return acc;
		json_array_foreach(
		    json_object_get(acc, "plans"), j, p) if (strcmp(k->parent, "plan") == 0 &&
		    al_find(json_object_get(p, k->member), "key", key) != NULL) return p;
	}
	return NULL;
}

static void
known_members(const struct objspec *s, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < s->nfields; i++)
		if (s->fields[i].type != F_CHILDREN && s->fields[i].type != F_KEY)
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s--%s",
			    off ? " " : "", s->fields[i].name);
	for (i = 0; i < off && i < len; i++)
		if (buf[i] == '_')
			buf[i] = '-';
}

/* --member VALUE: the member set (or, with "-", removed) on obj. */
static int
set_member(struct mreq *q, json_t *obj, const char *name, const char *value)
{
	const struct field *f = planspec_field(q->spec, name);
	char cur[4], *end;
	double amount;
	int n = 0;

	if (strcmp(value, "-") == 0) {
		json_object_del(obj, name);
		return 0;
	}
	if (f->type == F_NUMBER) {
		amount = strtod(value, &end);
		if (*value == '\0' || *end != '\0')
			return ctl_fail(EX_DATAERR, q->k->name,
			    tr(q->c, "--%s: \"%s\" is not a number"), name, value);
		json_object_set_new(obj, name, json_real(amount));
	} else if (f->type == F_MONEY) {
		if (sscanf(value, "%lf %3s%n", &amount, cur, &n) != 2 || value[n] != '\0')
			return ctl_fail(EX_DATAERR, q->k->name,
			    tr(q->c, "--%s: \"AMOUNT CURRENCY\", e.g. \"25000000 EUR\""), name);
		json_object_set_new(
		    obj, name, json_pack("{s:f,s:s}", "amount", amount, "currency", cur));
	} else {
		json_object_set_new(obj, name, json_string(value));
	}
	return 0;
}

/* --name VALUE and --name=VALUE after the positional arguments; "-" and "_" both work
 * inside names (--focus-value, --focus_value). */
static int
parse_sets(struct mreq *q, int argc, char **argv, int i)
{
	static char names[MAX_SETS][48];
	const struct field *f;
	char known[512], *eq;
	size_t j;

	for (; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) != 0 || q->nsets == MAX_SETS)
			return ctl_fail(
			    EX_USAGE, q->k->name, tr(q->c, "unexpected \"%s\""), argv[i]);
		snprintf(names[q->nsets], sizeof(names[0]), "%s", argv[i] + 2);
		if ((eq = strchr(names[q->nsets], '=')) != NULL)
			*eq = '\0';
		for (j = 0; names[q->nsets][j] != '\0'; j++)
			if (names[q->nsets][j] == '-')
				names[q->nsets][j] = '_';
		q->value[q->nsets] = eq ? strchr(argv[i], '=') + 1
		    : i + 1 < argc      ? argv[++i]
		                        : NULL;
		if (q->value[q->nsets] == NULL)
			return ctl_fail(
			    EX_USAGE, q->k->name, tr(q->c, "%s needs a value"), argv[i]);
		if (strcmp(q->k->name, "plan") == 0 && strcmp(names[q->nsets], "kam") == 0) {
			q->kam = q->value[q->nsets];
			continue;
		}
		f = planspec_field(q->spec, names[q->nsets]);
		if (f == NULL || f->type == F_CHILDREN || f->type == F_KEY ||
		    (q->k->id != NULL && strcmp(f->name, q->k->id) == 0)) {
			known_members(q->spec, known, sizeof(known));
			return ctl_fail(EX_USAGE, q->k->name,
			    tr(q->c, "unknown option --%s (a %s takes %s)"), names[q->nsets],
			    kind_word(q->c, q->spec->kind), known);
		}
		q->name[q->nsets] = names[q->nsets];
		q->nsets++;
	}
	return -1;
}

static int
parse_request(struct mreq *q, int argc, char **argv)
{
	int i = 2, want, add, keyed, parentpos = 0, idpos = 0;

	if (argc < 2 || (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		ctl_usage(q->c, argc < 2 ? stderr : stdout, argv[0]);
		return argc < 2 ? EX_USAGE : EX_OK;
	}
	q->sub = argv[1];
	if (strcmp(q->sub, "list") == 0) {
		if (q->k->parent == NULL || argc != 3)
			return ctl_fail(EX_USAGE, q->k->name, tr(q->c, "usage: kapctl %s list %s"),
			    q->k->name, q->k->parent ? q->k->parent : "(see kapctl list)");
		q->parent = argv[2];
		return -1;
	}
	if (strcmp(q->sub, "add") != 0 && strcmp(q->sub, "edit") != 0 &&
	    strcmp(q->sub, "remove") != 0 &&
	    !(strcmp(q->sub, "archive") == 0 && strcmp(q->k->name, "plan") == 0))
		return ctl_fail(EX_USAGE, q->k->name,
		    tr(q->c, "unknown subcommand \"%s\" (add, edit, remove%s)"), q->sub,
		    q->k->parent ? ", list" : "");
	/* The positional words: the parent unless the key alone names the object (or it
	 * is at the top), then the key, name or number unless a numbered entry is added. */
	add = strcmp(q->sub, "add") == 0;
	keyed = q->k->id != NULL && strcmp(q->k->id, "key") == 0;
	if (q->k->parent == NULL || (keyed && !add))
		want = 1, idpos = 2;
	else if (q->k->id == NULL && add)
		want = 1, parentpos = 2;
	else
		want = 2, parentpos = 2, idpos = 3;
	for (; i < argc && strncmp(argv[i], "--", 2) != 0; i++)
		;
	if (i - 2 != want)
		return ctl_fail(EX_USAGE, q->k->name,
		    tr(q->c, "wrong number of arguments; see kapctl %s --help"), q->k->name);
	q->parent = parentpos ? argv[parentpos] : NULL;
	q->id = idpos ? argv[idpos] : NULL;
	return parse_sets(q, argc, argv, 2 + want);
}

/* The list entry of an object given by number (1-based), or by its id member. */
static json_t *
find_entry(struct mreq *q, json_t *arr, size_t *index)
{
	char *end;
	unsigned long n;
	json_t *el;
	size_t i;

	if (q->k->id == NULL) {
		n = strtoul(q->id, &end, 10);
		if (*q->id == '\0' || *end != '\0' || n < 1 || n > json_array_size(arr))
			return NULL;
		*index = n - 1;
		return json_array_get(arr, n - 1);
	}
	json_array_foreach(arr, i, el) if (strcmp(str(el, q->k->id) ?: "", q->id) == 0)
	{
		*index = i;
		return el;
	}
	return NULL;
}

/* A plan has exactly one KAM and at most one sponsor: naming a new one makes the old
 * one a member, so a change of KAM is one command. */
static void
one_holder_of_role(json_t *team, json_t *me)
{
	const char *role = str(me, "role");
	json_t *el;
	size_t i;

	if (role == NULL || strcmp(role, "member") == 0)
		return;
	json_array_foreach(team, i, el) if (el != me && strcmp(str(el, "role") ?: "", role) == 0)
	    json_object_set_new(el, "role", json_string("member"));
}

static int
apply_sets(struct mreq *q, json_t *obj)
{
	int i, r;

	for (i = 0; i < q->nsets; i++)
		if ((r = set_member(q, obj, q->name[i], q->value[i])) != 0)
			return r;
	return 0;
}

static int
do_add(struct mreq *q, json_t *h, json_t *arr)
{
	json_t *obj = json_object();
	int r;

	if (q->k->id != NULL && al_find(arr, q->k->id, q->id) != NULL) {
		json_decref(obj);
		return ctl_fail(EX_DATAERR, q->k->name, tr(q->c, "%s \"%s\" exists already"),
		    kind_word(q->c, q->spec->kind), q->id);
	}
	if (q->k->id != NULL)
		json_object_set_new(obj, q->k->id, json_string(q->id));
	if ((r = apply_sets(q, obj)) != 0) {
		json_decref(obj);
		return r;
	}
	if (q->kam != NULL)
		json_object_set_new(
		    obj, "team", json_pack("[{s:s,s:s}]", "person", q->kam, "role", "kam"));
	json_array_append_new(arr, obj);
	if (strcmp(q->k->name, "team") == 0)
		one_holder_of_role(arr, obj);
	(void)h;
	return 0;
}

static int
change(struct mreq *q, json_t *doc)
{
	json_t *h = q->parent ? holder(doc, q->k, q->parent) : holder_of_key(doc, q->k, q->id);
	json_t *arr, *obj;
	size_t idx = 0;
	int r;

	if (h == NULL)
		return ctl_fail(EX_DATAERR, q->k->name, tr(q->c, "no %s \"%s\""),
		    kind_word(q->c, q->parent ? q->k->parent : q->spec->kind),
		    q->parent ? q->parent : q->id);
	arr = json_object_get(h, q->k->member);
	if (arr == NULL)
		json_object_set_new(h, q->k->member, arr = json_array());
	if (strcmp(q->sub, "add") == 0)
		return do_add(q, h, arr);
	if ((obj = find_entry(q, arr, &idx)) == NULL)
		return q->parent ? ctl_fail(EX_DATAERR, q->k->name, tr(q->c, "no %s \"%s\" in %s"),
		                       kind_word(q->c, q->spec->kind), q->id, q->parent)
		                 : ctl_fail(EX_DATAERR, q->k->name, tr(q->c, "no %s \"%s\""),
		                       kind_word(q->c, q->spec->kind), q->id);
	if (strcmp(q->sub, "remove") == 0) {
		json_array_remove(arr, idx);
		return 0;
	}
	if (strcmp(q->sub, "archive") == 0)
		json_object_set_new(obj, "state", json_string("archived"));
	if (q->nsets == 0 && strcmp(q->sub, "edit") == 0)
		return ctl_fail(EX_USAGE, q->k->name,
		    tr(q->c, "give what to change (kapctl %s --help)"), q->k->name);
	if ((r = apply_sets(q, obj)) != 0)
		return r;
	if (strcmp(q->k->name, "team") == 0)
		one_holder_of_role(arr, obj);
	return 0;
}

static void
print_entry(const struct objspec *s, json_t *el, size_t n)
{
	const struct field *f;
	json_t *v;
	char *txt;
	size_t i;

	printf("%3zu ", n);
	for (i = 0; i < s->nfields; i++) {
		f = &s->fields[i];
		if (f->type == F_CHILDREN || (v = json_object_get(el, f->name)) == NULL ||
		    json_is_null(v))
			continue;
		txt = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		printf(" %s=%s", f->name, txt ? txt : json_string_value(v));
		free(txt);
	}
	putchar('\n');
}

static int
list(struct ctl *c, struct mreq *q, json_t *doc)
{
	json_t *h = holder(doc, q->k, q->parent), *arr, *el;
	size_t i;

	if (h == NULL)
		return ctl_fail(EX_DATAERR, q->k->name, tr(c, "no %s \"%s\""),
		    kind_word(c, q->k->parent), q->parent);
	arr = json_object_get(h, q->k->member);
	if (c->json)
		return ctl_print_json(json_incref(arr ? arr : json_array())) < 0 ? EX_IOERR : EX_OK;
	json_array_foreach(arr, i, el) print_entry(q->spec, el, i + 1);
	if (json_array_size(arr) == 0)
		printf(tr(c, "no %s entries for %s %s\n"), kind_word(c, q->spec->kind),
		    kind_word(c, q->k->parent), q->parent);
	return EX_OK;
}

/* "added goal G1 to P1", "removed need N2 of ACME", "changed person anna". */
static void
print_done(const struct ctl *c, const struct mreq *q)
{
	const char *s = q->sub, *p = q->parent;
	char what[256];

	snprintf(what, sizeof(what), "%s%s%s", kind_word(c, q->spec->kind), q->id ? " " : "",
	    q->id ? q->id : "");
	if (strcmp(s, "add") == 0)
		p ? printf(tr(c, "added %s to %s\n"), what, p) : printf(tr(c, "added %s\n"), what);
	else if (strcmp(s, "remove") == 0)
		p ? printf(tr(c, "removed %s of %s\n"), what, p)
		  : printf(tr(c, "removed %s\n"), what);
	else if (strcmp(s, "archive") == 0)
		p ? printf(tr(c, "archived %s of %s\n"), what, p)
		  : printf(tr(c, "archived %s\n"), what);
	else
		p ? printf(tr(c, "changed %s of %s\n"), what, p)
		  : printf(tr(c, "changed %s\n"), what);
}

static int
report_import(struct mreq *q, struct errlist *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		fprintf(stderr, "kapctl %s: %s\n", q->k->name,
		    errlist_msg(errs, i, tr(q->c, "(out of memory)")));
	return EX_DATAERR;
}

/* Keyed objects and history periods are deleted directly; list entries (team, SWOT,
 * absences) by writing the list without them. */
static int
removes_directly(const struct mreq *q)
{
	return strcmp(q->sub, "remove") == 0 && q->spec->mode != OBJ_REPLACE;
}

static int
run(struct ctl *c, struct mreq *q)
{
	struct errlist errs = ERRLIST_INIT;
	struct planio_stats st = { 0 };
	char err[512], scope[65];
	json_t *doc = NULL;
	int r;

	if (removes_directly(q)) {
		if (strcmp(q->k->name, "plan") == 0 || strcmp(q->k->name, "account") == 0)
			return ctl_fail(EX_USAGE, q->k->name,
			    tr(c, "a %s is not removed; archive it (kapctl plan archive KEY)"),
			    kind_word(c, q->k->name));
		r = maint_delete(c->db, q->spec, q->parent, q->id, err, sizeof(err));
		return r < 0 ? ctl_fail(r == -ENOENT || r == -EBUSY ? EX_DATAERR : ctl_exit_code(r),
		                   q->k->name, "%s", err)
		             : 0;
	}
	/* One plan's document holds its team, goals and its account's sections: export
	 * only that plan, not the whole database.  People, accounts and the list of an
	 * account's plans need the whole document. */
	scope[0] = '\0';
	if (!(strcmp(q->k->name, "plan") == 0 && strcmp(q->sub, "list") == 0))
		maint_scope(c->db, q->spec, q->parent, q->id, scope);
	r = planio_export(c->db, *scope ? scope : NULL, &doc, err, sizeof(err));
	if (r < 0)
		return ctl_fail(ctl_exit_code(r), q->k->name, "%s", err);
	if (strcmp(q->sub, "list") == 0)
		r = list(c, q, doc);
	else if ((r = change(q, doc)) == 0 &&
	    planio_import(c->db, doc, PLANIO_IN_TRANSACTION, &st, &errs) < 0)
		r = report_import(q, &errs);
	json_decref(doc);
	errlist_free(&errs);
	return r;
}

int
cmd_maint(struct ctl *c, int argc, char **argv)
{
	struct mreq q = { 0 };
	char err[512];
	int r;

	q.c = c;
	q.k = find_kind(argv[0]);
	q.spec = spec_of(q.k);
	if ((r = parse_request(&q, argc, argv)) >= 0)
		return r;
	if (q.id != NULL && q.k->id != NULL && strcmp(q.k->id, "key") == 0 && !text_is_key(q.id))
		return ctl_fail(EX_DATAERR, q.k->name,
		    tr(c, "\"%s\" is not a key (1-64 of A-Z a-z 0-9 . _ -)"), q.id);
	if ((r = ctl_db(c, 0)) != 0)
		return r;
	if (db_begin(c->db, err, sizeof(err)) < 0)
		return ctl_fail(EX_TEMPFAIL, q.k->name, "%s", err);
	r = run(c, &q);
	if (r == 0 && strcmp(q.sub, "list") != 0 && db_commit(c->db, err, sizeof(err)) < 0)
		r = ctl_fail(EX_IOERR, q.k->name, "%s", err);
	if (r != 0 || strcmp(q.sub, "list") == 0) {
		db_rollback(c->db);
		return r;
	}
	print_done(c, &q);
	return EX_OK;
}
