/* kapctl show plan: the history part (SPEC §2: a moved deadline or a changed owner is
 * kept as history).  Folded per item: first deadline -> current one, how often. */
#include "kapctl/kapctl.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "core/actionlist_tab.h"
#include "core/plandiff.h"
#include "store/itemkeys.h"
#include "store/versions.h"

static const char *
str(json_t *o, const char *m)
{
	return json_string_value(json_object_get(o, m));
}

static const char *
title_of(json_t *plan, const char *kind, const char *key)
{
	json_t *it;
	size_t i;

	json_array_foreach(
	    json_object_get(plan, strcmp(kind, "milestone") == 0 ? "milestones" : "activities"), i,
	    it) if (strcmp(str(it, "key") ?: "", key) == 0) return str(it, "title")
	    ?: "";
	return "";
}

/* One table per kind of change, columns sized by display width like the rest of show:
 * "activity  KEY  Title:  from → to (n times)". */
/* An owner by name where the plan's document knows the person. */
static const char *
who(const struct ctl *c, json_t *doc, const char *key)
{
	json_t *p = key ? al_find_person(doc, key) : NULL;

	return p && str(p, "name") ? str(p, "name") : key ? key : tr(c, "(none)");
}

static void
print_changes(const struct ctl *c, json_t *folded, json_t *doc, json_t *plan, const char *field,
    const char *heading)
{
	struct table *t = table_new(4);
	char title[600], change[160], n[64];
	const char *cells[4] = { NULL, NULL, title, change };
	json_t *el;
	size_t i;
	long times;

	if (t == NULL)
		return;
	table_column(t, 2, NULL, 50, WIDTH_LEFT);
	json_array_foreach(folded, i, el)
	{
		if (strcmp(str(el, "field"), field) != 0)
			continue;
		times = (long)json_integer_value(json_object_get(el, "times"));
		cells[0] = str(el, "kind");
		cells[1] = str(el, "key");
		snprintf(
		    title, sizeof(title), "%s:", title_of(plan, str(el, "kind"), str(el, "key")));
		COUNT(c, n, times, "%lu time", "%lu times");
		if (strcmp(field, "owner") == 0)
			snprintf(change, sizeof(change), "%s → %s (%s)",
			    who(c, doc, str(el, "from")), who(c, doc, str(el, "to")), n);
		else
			snprintf(change, sizeof(change), "%s → %s (%s)",
			    str(el, "from") ?: tr(c, "(none)"), str(el, "to") ?: tr(c, "(none)"),
			    n);
		if (table_row(t, cells) < 0)
			break;
	}
	if (table_rows(t) > 0) {
		printf("\n%s\n", tr(c, heading));
		ctl_table_print(c, t, "  ");
	} else {
		table_free(t);
	}
}

void
ctl_show_history(struct ctl *c, const char *plan_key, struct json_t *doc, struct json_t *plan)
{
	struct hist_list h;
	char err[256];
	json_t *folded;

	if (versions_history(c->db, plan_key, 0, &h, err, sizeof(err)) < 0) {
		ctl_fail(0, "show", tr(c, "cannot read the history: %s"), err);
		return;
	}
	folded = plandiff_history(h.h, h.n);
	print_changes(c, folded, doc, plan, "due", N_("Moved deadlines"));
	print_changes(c, folded, doc, plan, "owner", N_("Owner changes"));
	json_decref(folded);
	hist_list_free(&h);
}

int
ctl_check_open_activities(struct ctl *c, const char *cmd, const char *key)
{
	char *open = itemkeys_open_activities(c->db, key);

	if (open == NULL)
		return 0;
	ctl_fail(EX_DATAERR, cmd,
	    tr(c,
	        "milestone %s still has open activities: %s; finish or cancel them first, or give "
	        "--force"),
	    key, open);
	free(open);
	return EX_DATAERR;
}
