/* actionlist: the spreadsheet import of a plan's milestones and activities.  The sheet
 * is checked completely against the plan's document first (every problem with its row
 * and column); only a sheet without problems changes the document. */
#include "core/actionlist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/actionlist_tab.h"
#include "lib/sbuf.h"
#include "lib/textcheck.h"

#define TITLE_MAX 500

const struct al_column al_columns[AL_NCOLS] = {
	{ AL_KEY, "key", "Schlüssel", NULL },
	{ AL_TYPE, "type", "Art", NULL },
	{ AL_TITLE, "title", "Titel", "title" },
	{ AL_OWNER, "owner", "Verantwortlich", "owner" },
	{ AL_DUE, "due", "Termin", "due" },
	{ AL_STATE, "state", "Status", "state" },
	{ AL_MILESTONE, "milestone", "Meilenstein", "milestone" },
	{ AL_PROJECT, "project", "Projekt", "project" },
	{ AL_DESCRIPTION, "description", "Beschreibung", "description" },
};

const struct al_word al_types[] = {
	{ "milestone", "milestone", "Meilenstein" },
	{ "activity", "activity", "Aktivität" },
	{ NULL, NULL, NULL },
};

const struct al_word al_states[] = {
	{ "open", "open", "offen" },
	{ "done", "done", "erledigt" },
	{ "cancelled", "cancelled", "abgesagt" },
	{ NULL, NULL, NULL },
};

/* One checked row: the item it changes (NULL: a new one) and the members it wants. */
struct al_row {
	size_t row;
	const char *kind; /* "milestone" or "activity" */
	const char *key;
	json_t *item; /* borrowed from the document, or NULL */
	json_t *want; /* new reference: member -> value (json null: remove) */
};

struct al_ctx {
	json_t *doc, *plan, *account;
	const struct csv_table *t;
	const char *file;
	const struct al_options *opt;
	struct errlist *errs;
	int col[AL_NCOLS]; /* field index of each column, -1 when absent */
	const char *head[AL_NCOLS];
	json_t *seen; /* "kind/key" -> row; the sheet's milestones by key */
	struct al_row *rows;
	size_t nrows;
};

json_t *
al_find_plan(json_t *doc, const char *key, json_t **account)
{
	size_t i, j;
	json_t *acc, *plan;

	json_array_foreach(json_object_get(doc, "accounts"), i, acc)
	    json_array_foreach(json_object_get(acc, "plans"), j,
	        plan) if (json_is_string(json_object_get(plan, "key")) &&
	        strcmp(json_string_value(json_object_get(plan, "key")), key) == 0)
	{
		if (account != NULL)
			*account = acc;
		return plan;
	}
	return NULL;
}

json_t *
al_find(json_t *arr, const char *member, const char *key)
{
	size_t i;
	json_t *el;

	json_array_foreach(
	    arr, i, el) if (strcmp(json_string_value(json_object_get(el, member)) ?: "", key) ==
	    0) return el;
	return NULL;
}

json_t *
al_find_person(json_t *doc, const char *key)
{
	return al_find(json_object_get(doc, "people"), "key", key);
}

static const char *
str(json_t *obj, const char *member)
{
	return json_string_value(json_object_get(obj, member));
}

/* The item of kind with key in an array of the plan ("milestones", "activities"). */
static json_t *
find_item(json_t *plan, const char *kind, const char *key)
{
	size_t i;
	json_t *it;

	json_array_foreach(
	    json_object_get(plan, strcmp(kind, "milestone") == 0 ? "milestones" : "activities"), i,
	    it) if (strcmp(str(it, "key") ?: "", key) == 0) return it;
	return NULL;
}

static void
trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	memmove(s, s + i, n - i + 1);
}

int
actionlist_parse_date(const char *s, kdate_t *out)
{
	int d, m, y, n = 0;

	if (kdate_parse(s, out) == 0)
		return 0;
	/* TT.MM.JJJJ, also T.M.JJJJ: one or two digits for day and month, four for the year. */
	if (sscanf(s, "%2d.%2d.%4d%n", &d, &m, &y, &n) != 3 || s[n] != '\0' || n < 8 ||
	    strchr(s, '-') != NULL || strchr(s, '+') != NULL || strchr(s, ' ') != NULL ||
	    strlen(strrchr(s, '.') + 1) != 4 || !kdate_valid_ymd(y, m, d))
		return -EINVAL;
	*out = kdate_from_ymd(y, m, d);
	return 0;
}

static const struct al_word *
find_word(const struct al_word *w, const char *s)
{
	for (; w->value != NULL; w++)
		if (strcasecmp(s, w->en) == 0 || strcasecmp(s, w->de) == 0)
			return w;
	return NULL;
}

static void
row_err(struct al_ctx *x, size_t row, enum al_col c, const char *fmt, const char *a, const char *b)
{
	char what[512];

	/* fmt holds at most two %s, filled with a and b. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(what, sizeof(what), fmt, a ? a : "", b ? b : "");
#pragma GCC diagnostic pop
	errlist_add(x->errs, "%s:%zu:%s: %s", x->file, row,
	    x->head[c] ? x->head[c] : al_columns[c].en, what);
}

static int
ignored(const struct al_options *opt, const char *name)
{
	const char *const *p;

	for (p = opt->ignore; p != NULL && *p != NULL; p++)
		if (strcasecmp(*p, name) == 0)
			return 1;
	return 0;
}

/* Maps the header's names to columns; unknown and repeated names are errors. */
static void
read_header(struct al_ctx *x, const struct csv_record *h)
{
	size_t i;
	int c, found;

	for (c = 0; c < AL_NCOLS; c++)
		x->col[c] = -1;
	for (i = 0; i < h->nfields; i++) {
		trim(h->fields[i]);
		for (c = 0, found = 0; c < AL_NCOLS && !found; c++) {
			if (strcasecmp(h->fields[i], al_columns[c].en) != 0 &&
			    strcasecmp(h->fields[i], al_columns[c].de) != 0)
				continue;
			found = 1;
			if (x->col[c] >= 0)
				errlist_add(x->errs, "%s:%zu:%s: the column appears twice", x->file,
				    h->row, h->fields[i]);
			x->col[c] = (int)i;
			x->head[c] = h->fields[i];
		}
		if (!found && !ignored(x->opt, h->fields[i]))
			errlist_add(x->errs,
			    "%s:%zu:%s: unknown column (known: key, type, title, "
			    "owner, due, state, milestone, project, description or Schlüssel, Art, "
			    "Titel, Verantwortlich, Termin, Status, Meilenstein, Projekt, "
			    "Beschreibung; --ignore-column skips one)",
			    x->file, h->row, h->fields[i]);
	}
	if (x->col[AL_KEY] < 0)
		errlist_add(
		    x->errs, "%s:%zu:key: the column key (Schlüssel) is missing", x->file, h->row);
}

/* The cell of column c, trimmed except the description; NULL when the column is absent. */
static const char *
cell(struct al_ctx *x, const struct csv_record *r, enum al_col c)
{
	if (x->col[c] < 0)
		return NULL;
	if ((size_t)x->col[c] >= r->nfields)
		return "";
	if (c != AL_DESCRIPTION)
		trim(r->fields[x->col[c]]);
	return r->fields[x->col[c]];
}

/* Owners by person key, then email (case-insensitive), then exact name, among the
 * plan's team only.  Returns the person key, or NULL. */
static const char *
resolve_owner(struct al_ctx *x, const char *s, int *ambiguous)
{
	const char *hit = NULL, *k;
	size_t i;
	int pass, n;
	json_t *tm, *p;

	*ambiguous = 0;
	for (pass = 0; pass < 3; pass++) {
		n = 0;
		json_array_foreach(json_object_get(x->plan, "team"), i, tm)
		{
			k = str(tm, "person");
			if (k == NULL || (p = al_find_person(x->doc, k)) == NULL)
				continue;
			if ((pass == 0 && strcmp(k, s) == 0) ||
			    (pass == 1 && str(p, "email") && strcasecmp(str(p, "email"), s) == 0) ||
			    (pass == 2 && str(p, "name") && strcmp(str(p, "name"), s) == 0)) {
				hit = k;
				n++;
			}
		}
		if (n > 1)
			*ambiguous = 1;
		if (n > 0)
			return hit;
	}
	return NULL;
}

static int
has_project(struct al_ctx *x, const char *key)
{
	size_t i;
	json_t *p;

	json_array_foreach(json_object_get(x->account, "projects"), i,
	    p) if (strcmp(str(p, "key") ?: "", key) == 0) return 1;
	return 0;
}

/* Pass one: each row's kind and key, so that rows may name milestones of later rows
 * and a key appears only once. */
static void
first_pass(struct al_ctx *x)
{
	const struct csv_record *r;
	const struct al_word *w;
	const char *key, *type;
	char id[160];
	size_t i;
	json_t *prev;

	for (i = 1; i < x->t->n; i++) {
		r = &x->t->rec[i];
		x->rows[i].row = r->row;
		key = cell(x, r, AL_KEY);
		type = cell(x, r, AL_TYPE);
		if (key == NULL || *key == '\0' || !text_is_key(key))
			continue;
		w = type != NULL && *type != '\0' ? find_word(al_types, type) : NULL;
		if (w == NULL)
			w = find_item(x->plan, "milestone", key)  ? &al_types[0]
			    : find_item(x->plan, "activity", key) ? &al_types[1]
			                                          : NULL;
		if (w == NULL)
			continue;
		x->rows[i].kind = w->value;
		x->rows[i].key = key;
		snprintf(id, sizeof(id), "%s/%s", w->value, key);
		prev = json_object_get(x->seen, id);
		if (prev != NULL) {
			char rowtxt[24];
			snprintf(
			    rowtxt, sizeof(rowtxt), "%lld", (long long)json_integer_value(prev));
			row_err(x, r->row, AL_KEY, "\"%s\" appears already in row %s", key, rowtxt);
			x->rows[i].kind = NULL;
		} else {
			json_object_set_new(x->seen, id, json_integer((json_int_t)r->row));
		}
	}
}

static void
want_str(json_t *want, const char *member, const char *s)
{
	json_object_set_new(want, member, s != NULL && *s != '\0' ? json_string(s) : json_null());
}

static void
check_key_type(struct al_ctx *x, const struct csv_record *r, struct al_row *row)
{
	const char *key = cell(x, r, AL_KEY), *type = cell(x, r, AL_TYPE);
	const struct al_word *w = type && *type ? find_word(al_types, type) : NULL;

	if (*key == '\0')
		row_err(
		    x, r->row, AL_KEY, "a key is needed (1-64 of A-Z a-z 0-9 . _ -)", NULL, NULL);
	else if (!text_is_key(key))
		row_err(x, r->row, AL_KEY, "\"%s\" is not a key (1-64 of A-Z a-z 0-9 . _ -)", key,
		    NULL);
	if (type != NULL && *type != '\0' && w == NULL)
		row_err(x, r->row, AL_TYPE,
		    "\"%s\" is not a type (milestone, activity, "
		    "Meilenstein, Aktivität)",
		    type, NULL);
	else if (row->kind == NULL && *key != '\0' && text_is_key(key) && w == NULL)
		row_err(x, r->row, AL_TYPE,
		    "\"%s\" is new: its type is needed (milestone or "
		    "activity)",
		    key, NULL);
	if (row->kind == NULL)
		return;
	row->item = find_item(x->plan, row->kind, row->key);
	if (row->item == NULL &&
	    find_item(x->plan, strcmp(row->kind, "milestone") == 0 ? "activity" : "milestone",
	        row->key) != NULL &&
	    w != NULL)
		row_err(x, r->row, AL_TYPE, "\"%s\" is a %s of the plan; an item keeps its type",
		    row->key, strcmp(row->kind, "milestone") == 0 ? "activity" : "milestone");
	else if (row->item == NULL && x->opt->key_elsewhere != NULL &&
	    x->opt->key_elsewhere(x->opt->ctx, row->kind, row->key))
		row_err(x, r->row, AL_KEY,
		    "the %s \"%s\" belongs to another plan (keys are unique "
		    "across plans)",
		    row->kind, row->key);
}

/* title and due: needed for a new item, never empty. */
static void
check_required(struct al_ctx *x, const struct csv_record *r, struct al_row *row)
{
	const char *title = cell(x, r, AL_TITLE), *due = cell(x, r, AL_DUE);
	char day[KDATE_STRLEN];
	kdate_t d;

	if ((title == NULL && row->item == NULL) || (title != NULL && *title == '\0'))
		row_err(x, r->row, AL_TITLE, "a title is needed", NULL, NULL);
	else if (title != NULL && (!text_is_line(title) || text_utf8_len(title) > TITLE_MAX))
		row_err(x, r->row, AL_TITLE,
		    "one line of at most 500 characters, without control "
		    "characters",
		    NULL, NULL);
	else if (title != NULL)
		want_str(row->want, "title", title);
	if ((due == NULL && row->item == NULL) || (due != NULL && *due == '\0'))
		row_err(
		    x, r->row, AL_DUE, "a date is needed (YYYY-MM-DD or TT.MM.JJJJ)", NULL, NULL);
	else if (due != NULL && actionlist_parse_date(due, &d) < 0)
		row_err(x, r->row, AL_DUE, "\"%s\" is not a date (YYYY-MM-DD or TT.MM.JJJJ)", due,
		    NULL);
	else if (due != NULL)
		want_str(row->want, "due", kdate_format(d, day));
}

static void
check_owner_state(struct al_ctx *x, const struct csv_record *r, struct al_row *row)
{
	const char *owner = cell(x, r, AL_OWNER), *state = cell(x, r, AL_STATE), *key;
	const struct al_word *w;
	int amb;

	if (owner != NULL && *owner != '\0') {
		key = resolve_owner(x, owner, &amb);
		if (key == NULL)
			row_err(x, r->row, AL_OWNER,
			    "\"%s\" is not on the team of plan %s (give a "
			    "person key, email or exact name)",
			    owner, str(x->plan, "key"));
		else if (amb)
			row_err(x, r->row, AL_OWNER,
			    "\"%s\" names more than one team member; give "
			    "the person key or email",
			    owner, NULL);
		else
			want_str(row->want, "owner", key);
	} else if (owner != NULL) {
		want_str(row->want, "owner", NULL);
	}
	if (state != NULL && *state != '\0') {
		if ((w = find_word(al_states, state)) == NULL)
			row_err(x, r->row, AL_STATE,
			    "\"%s\" is not a state (open, done, cancelled, "
			    "offen, erledigt, abgesagt)",
			    state, NULL);
		else
			want_str(row->want, "state", w->value);
	} else if (row->item == NULL) {
		want_str(row->want, "state", "open");
	}
}

static int
sheet_has_milestone(struct al_ctx *x, const char *key)
{
	char id[160];

	snprintf(id, sizeof(id), "milestone/%s", key);
	return json_object_get(x->seen, id) != NULL;
}

static void
check_links(struct al_ctx *x, const struct csv_record *r, struct al_row *row)
{
	const char *ms = cell(x, r, AL_MILESTONE), *pr = cell(x, r, AL_PROJECT);
	const char *desc = cell(x, r, AL_DESCRIPTION);

	if (ms != NULL && *ms != '\0' && row->kind != NULL && strcmp(row->kind, "milestone") == 0)
		row_err(x, r->row, AL_MILESTONE,
		    "a milestone belongs to no milestone; leave the "
		    "cell empty",
		    NULL, NULL);
	else if (ms != NULL && *ms != '\0' && find_item(x->plan, "milestone", ms) == NULL &&
	    !sheet_has_milestone(x, ms))
		row_err(x, r->row, AL_MILESTONE, "no milestone \"%s\" in plan %s or in the sheet",
		    ms, str(x->plan, "key"));
	else if (ms != NULL && row->kind != NULL && strcmp(row->kind, "activity") == 0)
		want_str(row->want, "milestone", ms);
	if (pr != NULL && *pr != '\0' && !has_project(x, pr))
		row_err(x, r->row, AL_PROJECT, "no project \"%s\" in the plan's account", pr, NULL);
	else if (pr != NULL)
		want_str(row->want, "project", pr);
	if (desc != NULL && !text_is_text(desc))
		row_err(
		    x, r->row, AL_DESCRIPTION, "control characters are not allowed", NULL, NULL);
	else if (desc != NULL)
		want_str(row->want, "description", desc);
}

static void
check_row(struct al_ctx *x, size_t i)
{
	const struct csv_record *r = &x->t->rec[i];
	struct al_row *row = &x->rows[i];
	size_t before = x->errs->n, j;

	for (j = 0; j < r->nfields; j++)
		if (j >= x->t->rec[0].nfields && r->fields[j][0] != '\0') {
			errlist_add(x->errs, "%s:%zu:%zu: more cells than the header has columns",
			    x->file, r->row, j + 1);
			break;
		}
	row->want = json_object();
	check_key_type(x, r, row);
	check_required(x, r, row);
	check_owner_state(x, r, row);
	check_links(x, r, row);
	if (x->errs->n > before || row->kind == NULL) {
		json_decref(row->want);
		row->want = NULL;
	}
}

/* Sets what the row wants on its item and lists the members that changed.  The
 * completion date follows the state: set to today when an item becomes done, dropped
 * when it leaves done. */
static void
apply_row(struct al_ctx *x, struct al_row *row, struct al_summary *sum, struct sbuf *out)
{
	const char *member, *now;
	/* Whether the item was done before this row, decided before the loop below replaces
	 * the state string that a pointer into the item would keep. */
	const char *old = row->item ? str(row->item, "state") : NULL;
	int was_done = old != NULL && strcmp(old, "done") == 0;
	json_t *v, *item = row->item, *arr;
	char day[KDATE_STRLEN];
	int n = 0;

	if (item == NULL) {
		item = json_pack("{s:s}", "key", row->key);
		arr = json_object_get(
		    x->plan, strcmp(row->kind, "milestone") == 0 ? "milestones" : "activities");
		if (arr == NULL)
			json_object_set_new(x->plan,
			    strcmp(row->kind, "milestone") == 0 ? "milestones" : "activities",
			    arr = json_array());
		json_array_append_new(arr, item);
		sbuf_printf(out, "created %s %s\n", row->kind, row->key);
		sum->created++;
	}
	json_object_foreach(row->want, member, v)
	{
		if (json_is_null(v) ? json_object_get(item, member) == NULL ||
		            json_is_null(json_object_get(item, member))
		                    : json_equal(v, json_object_get(item, member)))
			continue;
		if (row->item != NULL && n++ == 0)
			sbuf_printf(out, "updated %s %s: %s", row->kind, row->key, member);
		else if (row->item != NULL)
			sbuf_printf(out, ", %s", member);
		if (json_is_null(v))
			json_object_del(item, member);
		else
			json_object_set(item, member, v);
	}
	now = str(item, "state");
	if (now != NULL && strcmp(now, "done") == 0 && (!was_done || str(item, "done_on") == NULL))
		json_object_set_new(item, "done_on", json_string(kdate_format(x->opt->today, day)));
	else if (now == NULL || strcmp(now, "done") != 0)
		json_object_del(item, "done_on");
	if (n > 0) {
		sbuf_puts(out, "\n");
		sum->updated++;
	} else if (row->item != NULL) {
		sum->unchanged++;
	}
}

static unsigned long
msg_row(const char *msg, size_t skip)
{
	return msg != NULL && strlen(msg) > skip ? strtoul(msg + skip, NULL, 10) : 0;
}

/* Errors in row order, as the reader goes through the sheet (a stable insertion sort:
 * the order inside a row stays the order of the columns checked). */
static void
sort_errors(struct errlist *e, size_t from, const char *file)
{
	size_t i, j, skip = strlen(file) + 1;
	char *m;

	for (i = from + 1; i < e->n && i < e->cap; i++) {
		m = e->msg[i];
		for (j = i; j > from && msg_row(e->msg[j - 1], skip) > msg_row(m, skip); j--)
			e->msg[j] = e->msg[j - 1];
		e->msg[j] = m;
	}
}

static void
free_rows(struct al_ctx *x)
{
	size_t i;

	for (i = 0; i < x->nrows; i++)
		json_decref(x->rows[i].want);
	free(x->rows);
	json_decref(x->seen);
}

int
actionlist_apply(json_t *doc, const char *plan_key, const struct csv_table *t, const char *file,
    const struct al_options *opt, struct al_summary *sum, struct errlist *errs)
{
	struct al_ctx x = { .doc = doc, .t = t, .file = file, .opt = opt, .errs = errs };
	struct sbuf out = SBUF_INIT;
	size_t i, before = errs->n;

	memset(sum, 0, sizeof(*sum));
	x.plan = al_find_plan(doc, plan_key, &x.account);
	if (x.plan == NULL) {
		errlist_add(errs, "%s: no plan with key \"%s\"", file, plan_key);
		return -EINVAL;
	}
	if (t->n == 0) {
		errlist_add(errs, "%s:1: the sheet is empty (a header row is needed)", file);
		return -EINVAL;
	}
	read_header(&x, &t->rec[0]);
	if (errs->n > before)
		return -EINVAL;
	x.nrows = t->n;
	x.rows = calloc(t->n, sizeof(*x.rows));
	x.seen = json_object();
	if (x.rows == NULL || x.seen == NULL) {
		free_rows(&x);
		return -ENOMEM;
	}
	first_pass(&x);
	for (i = 1; i < t->n; i++)
		check_row(&x, i);
	for (i = 1; i < t->n && errs->n == before; i++)
		apply_row(&x, &x.rows[i], sum, &out);
	free_rows(&x);
	if (errs->n > before) {
		sort_errors(errs, before, file);
		sbuf_free(&out);
		return -EINVAL;
	}
	sbuf_add(&out, "", 0);
	return sbuf_finish(&out, &sum->lines, NULL);
}

void
al_summary_free(struct al_summary *sum)
{
	if (sum == NULL)
		return;
	free(sum->lines);
	sum->lines = NULL;
}
