/* actionlist: a plan's milestones and activities as a spreadsheet (SPEC §10).  One
 * table of columns (English and German names) drives both directions.  Works on the
 * plan's kapd-plan/1 document (store/planio exports and imports it), so the CSV import
 * gets every check and the one transaction of the JSON import.  Pure. */
#ifndef KAPD_ACTIONLIST_H
#define KAPD_ACTIONLIST_H

#include <jansson.h>
#include <stddef.h>

#include "core/csv.h"
#include "lib/errlist.h"
#include "lib/kdate.h"

struct al_options {
	const char *const *ignore; /* column names to skip (NULL-terminated), or NULL */
	kdate_t today;             /* the completion date of items the sheet marks done */
	/* 1 when key (of "milestone" or "activity") belongs to another plan; may be NULL. */
	int (*key_elsewhere)(void *ctx, const char *kind, const char *key);
	void *ctx;
};

struct al_summary {
	size_t created, updated, unchanged;
	char *lines; /* one line per created or updated item: "updated activity a1: due, owner" */
};

/* Applies the sheet t (read from file, for the messages) to plan plan_key inside doc.
 * Every problem goes to errs as "FILE:ROW:COLUMN: what" with the column's header text;
 * on any problem doc is left as it was and -EINVAL is returned.  On success the summary
 * is filled (free its lines) and doc holds the plan as the sheet wants it. */
int actionlist_apply(json_t *doc, const char *plan_key, const struct csv_table *t, const char *file,
    const struct al_options *opt, struct al_summary *sum, struct errlist *errs);
void al_summary_free(struct al_summary *sum);

/* The sheet of plan plan_key in doc: UTF-8 with BOM (so Excel and LibreOffice open it
 * without asking), header and values in lang ("de" or "en"), CRLF records.  *out is
 * caller-owned.  -ENOENT when the plan is not in doc. */
int actionlist_export(
    json_t *doc, const char *plan_key, const char *lang, char delim, char **out, size_t *len);

/* A date as the sheet may hold it: YYYY-MM-DD, TT.MM.JJJJ or T.M.JJJJ; 0 or -EINVAL. */
int actionlist_parse_date(const char *s, kdate_t *out);

#endif
