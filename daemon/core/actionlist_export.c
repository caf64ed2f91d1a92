/* actionlist export: the plan's milestones, then its activities, as a sheet that
 * actionlist_apply reads back without a change. */
#include "core/actionlist.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/actionlist_tab.h"
#include "lib/sbuf.h"

static const char *
str(json_t *obj, const char *member)
{
	return json_string_value(json_object_get(obj, member));
}

static const char *
word(const struct al_word *w, const char *value, int de)
{
	for (; value != NULL && w->value != NULL; w++)
		if (strcmp(w->value, value) == 0)
			return de ? w->de : w->en;
	return value ? value : "";
}

/* The owner as people read it: the name, when the import resolves that name back to
 * the same person (no team member has it as key or email, nobody else has the name);
 * else the person key. */
static const char *
owner_cell(json_t *doc, json_t *plan, const char *key)
{
	json_t *me = key ? al_find_person(doc, key) : NULL, *tm, *p;
	const char *name = me ? str(me, "name") : NULL, *k;
	size_t i;

	if (name == NULL)
		return key ? key : "";
	json_array_foreach(json_object_get(plan, "team"), i, tm)
	{
		k = str(tm, "person");
		p = k ? al_find_person(doc, k) : NULL;
		if (k == NULL || p == NULL)
			continue;
		if (strcmp(k, name) == 0 ||
		    (str(p, "email") && strcasecmp(str(p, "email"), name) == 0) ||
		    (p != me && str(p, "name") && strcmp(str(p, "name"), name) == 0))
			return key;
	}
	return name;
}

static void
put_date(struct sbuf *b, const char *iso, int de, char delim)
{
	kdate_t d;
	int y, m, day;
	char buf[16];

	if (iso == NULL || !de || kdate_parse(iso, &d) < 0) {
		csv_put_field(b, iso ? iso : "", delim);
		return;
	}
	kdate_to_ymd(d, &y, &m, &day);
	snprintf(buf, sizeof(buf), "%02d.%02d.%04d", day, m, y);
	csv_put_field(b, buf, delim);
}

static void
put_item(
    struct sbuf *b, json_t *doc, json_t *plan, json_t *it, const char *kind, int de, char delim)
{
	size_t c;
	const char *v;

	for (c = 0; c < AL_NCOLS; c++) {
		if (c > 0)
			sbuf_add(b, &delim, 1);
		switch (al_columns[c].id) {
		case AL_KEY: v = str(it, "key"); break;
		case AL_TYPE: v = word(al_types, kind, de); break;
		case AL_OWNER: v = owner_cell(doc, plan, str(it, "owner")); break;
		case AL_STATE: v = word(al_states, str(it, "state"), de); break;
		case AL_DUE: put_date(b, str(it, "due"), de, delim); continue;
		default: v = str(it, al_columns[c].member); break;
		}
		csv_put_field(b, v ? v : "", delim);
	}
	csv_end_record(b);
}

int
actionlist_export(
    json_t *doc, const char *plan_key, const char *lang, char delim, char **out, size_t *len)
{
	struct sbuf b = SBUF_INIT;
	json_t *plan = al_find_plan(doc, plan_key, NULL), *it;
	int de = lang != NULL && strcmp(lang, "de") == 0;
	size_t c, i;

	if (plan == NULL)
		return -ENOENT;
	/* The BOM tells Excel the text is UTF-8; without it Excel reads Windows-1252. */
	sbuf_add(&b, "\xEF\xBB\xBF", 3);
	for (c = 0; c < AL_NCOLS; c++) {
		if (c > 0)
			sbuf_add(&b, &delim, 1);
		csv_put_field(&b, de ? al_columns[c].de : al_columns[c].en, delim);
	}
	csv_end_record(&b);
	json_array_foreach(json_object_get(plan, "milestones"), i, it)
	    put_item(&b, doc, plan, it, "milestone", de, delim);
	json_array_foreach(json_object_get(plan, "activities"), i, it)
	    put_item(&b, doc, plan, it, "activity", de, delim);
	return sbuf_finish(&b, out, len);
}
