/* versions: plan versions, item history since a version, review facts, rollover links. */
#include "store/versions.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"

static int
fail(sqlite3 *db, char *err, size_t errlen, int rc)
{
	snprintf(err, errlen, "%s", sqlite3_errmsg(db));
	return db_errno(rc);
}

static void
copy_col(sqlite3_stmt *st, int i, char *buf, size_t len)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	snprintf(buf, len, "%s", s ? (const char *)s : "");
}

int
versions_record(sqlite3 *db, const char *plan_key, const char *reviewed_on, json_t *doc,
    int *number, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	int r, rc;

	if (text == NULL)
		return -ENOMEM;
	r = db_prepare(db,
	    "INSERT INTO plan_version (plan_id, number, reviewed_on, change_mark, "
	    "document) SELECT p.id, coalesce((SELECT max(number) FROM plan_version v "
	    "WHERE v.plan_id = p.id), 0) + 1, ?2, (SELECT coalesce(max(id), 0) FROM item_change), "
	    "?3 FROM plan p WHERE p.key = ?1 RETURNING number",
	    &st, err, errlen);
	if (r < 0)
		goto out;
	sqlite3_bind_text(st, 1, plan_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, reviewed_on, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && number != NULL)
		*number = sqlite3_column_int(st, 0);
	if (rc == SQLITE_DONE) {
		snprintf(err, errlen, "no plan with key \"%s\"", plan_key);
		r = -ENOENT;
	} else if (rc != SQLITE_ROW) {
		r = fail(db, err, errlen, rc);
	}
out:
	sqlite3_finalize(st);
	free(text);
	return r;
}

static void
read_info(sqlite3_stmt *st, struct version_info *vi)
{
	vi->number = sqlite3_column_int(st, 0);
	copy_col(st, 1, vi->reviewed_on, sizeof(vi->reviewed_on));
	copy_col(st, 2, vi->created_at, sizeof(vi->created_at));
	vi->mark = sqlite3_column_int64(st, 3);
}

int
versions_list(sqlite3 *db, const char *plan_key, struct version_info **out, size_t *n, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct version_info *v = NULL, *nv;
	size_t cnt = 0, cap = 0;
	int r, rc;

	r = db_prepare(db, "SELECT 1 FROM plan WHERE key = ?1", &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, plan_key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_ROW) {
		snprintf(err, errlen, "no plan with key \"%s\"", plan_key);
		return -ENOENT;
	}
	r = db_prepare(db,
	    "SELECT v.number, v.reviewed_on, v.created_at, v.change_mark "
	    "FROM plan_version v JOIN plan p ON p.id = v.plan_id WHERE p.key = ?1 "
	    "ORDER BY v.number",
	    &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, plan_key, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				r = -ENOMEM;
				goto out;
			}
			v = nv;
		}
		read_info(st, &v[cnt++]);
	}
	if (rc != SQLITE_DONE)
		r = fail(db, err, errlen, rc);
out:
	sqlite3_finalize(st);
	if (r < 0) {
		free(v);
		return r;
	}
	*out = v;
	*n = cnt;
	return 0;
}

static const char get_sql[] =
    "SELECT v.number, v.reviewed_on, v.created_at, v.change_mark, "
    "v.document FROM plan_version v JOIN plan p ON p.id = v.plan_id WHERE p.key = ?1 "
    "AND (?2 = 0 OR v.number = ?2) AND (?3 IS NULL OR v.reviewed_on <= ?3) "
    "ORDER BY v.number DESC LIMIT 1";

int
versions_get(sqlite3 *db, struct db_stmts *stmts, const char *plan_key, int number,
    const char *on_or_before, struct version_info *vi, json_t **doc, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	json_error_t jerr;
	int r, rc;

	r = db_stmts_or_prepare(stmts, db, get_sql, &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, plan_key, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, number);
	if (on_or_before != NULL)
		sqlite3_bind_text(st, 3, on_or_before, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_info(st, vi);
		*doc = json_loads((const char *)sqlite3_column_text(st, 4), 0, &jerr);
		if (*doc == NULL) {
			snprintf(err, errlen, "version %d of %s is not valid JSON: %s", vi->number,
			    plan_key, jerr.text);
			r = -EBADMSG;
		}
	} else if (rc == SQLITE_DONE) {
		snprintf(err, errlen, "plan %s has no such version (kapctl versions %s lists them)",
		    plan_key, plan_key);
		r = -ENOENT;
	} else {
		r = fail(db, err, errlen, rc);
	}
	db_stmts_done(stmts, st);
	return r;
}

static const char *
keep(struct hist_list *l, sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	char *c;

	if (s == NULL || (c = strdup((const char *)s)) == NULL)
		return NULL;
	l->strings[l->nstrings++] = c;
	return c;
}

static int
grow(struct hist_list *l, size_t *cap)
{
	struct hist_change *h;
	char **s;

	if (l->n < *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 32;
	if ((h = realloc(l->h, *cap * sizeof(*h))) == NULL)
		return -ENOMEM;
	l->h = h;
	if ((s = realloc(l->strings, *cap * 5 * sizeof(*s))) == NULL)
		return -ENOMEM;
	l->strings = s;
	return 0;
}

static const char history_sql[] =
    "SELECT c.kind, coalesce(m.key, a.key), c.field, c.old_value, "
    "c.new_value FROM item_change c JOIN plan p ON p.id = c.plan_id "
    "LEFT JOIN milestone m ON c.kind = 'milestone' AND m.id = c.item_id "
    "LEFT JOIN activity a ON c.kind = 'activity' AND a.id = c.item_id "
    "WHERE p.key = ?1 AND c.id > ?2 AND (?3 IS NULL OR c.changed_at >= ?3) "
    "AND c.kind IN ('milestone', 'activity') ORDER BY c.id";

static int
history(sqlite3 *db, struct db_stmts *stmts, const char *plan_key, sqlite3_int64 mark,
    const char *since, struct hist_list *out, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int r, rc;

	memset(out, 0, sizeof(*out));
	r = db_stmts_or_prepare(stmts, db, history_sql, &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, plan_key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, mark);
	if (since != NULL)
		sqlite3_bind_text(st, 3, since, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = grow(out, &cap)) < 0)
			break;
		/* kind and field are CHECKed enumerations: their copies keep them. */
		out->h[out->n].kind = keep(out, st, 0);
		out->h[out->n].key = keep(out, st, 1);
		out->h[out->n].field = keep(out, st, 2);
		out->h[out->n].old_value = keep(out, st, 3);
		out->h[out->n++].new_value = keep(out, st, 4);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = fail(db, err, errlen, rc);
	db_stmts_done(stmts, st);
	if (r < 0)
		hist_list_free(out);
	return r;
}

int
versions_history(sqlite3 *db, const char *plan_key, sqlite3_int64 mark, struct hist_list *out,
    char *err, size_t errlen)
{
	return history(db, NULL, plan_key, mark, NULL, out, err, errlen);
}

int
versions_history_since(sqlite3 *db, struct db_stmts *stmts, const char *plan_key, const char *since,
    struct hist_list *out, char *err, size_t errlen)
{
	return history(db, stmts, plan_key, 0, since, out, err, errlen);
}

void
hist_list_free(struct hist_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nstrings; i++)
		free(l->strings[i]);
	free(l->strings);
	free(l->h);
	memset(l, 0, sizeof(*l));
}

/* One query per section: rows and newest change. */
static const struct {
	const char *name, *table;
	int account;
} section_tables[] = {
	{ "team", "team_member", 0 },
	{ "goals", "goal", 0 },
	{ "milestones", "milestone", 0 },
	{ "activities", "activity", 0 },
	{ "contacts", "contact", 1 },
	{ "needs", "need", 1 },
	{ "competitors", "competitor", 1 },
	{ "swot", "swot", 1 },
	{ "history", "history", 1 },
	{ "projects", "project", 1 },
};

int
versions_sections(sqlite3 *db, const char *plan_key, struct review_section *out, size_t *n,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char sql[256];
	size_t i, k = 0;
	int r;

	for (i = 0; i < sizeof(section_tables) / sizeof(section_tables[0]) && k < *n; i++) {
		snprintf(sql, sizeof(sql),
		    "SELECT count(*), coalesce(max(t.updated_at), '') FROM %s t "
		    "JOIN plan p ON p.%s = t.%s WHERE p.key = ?1",
		    section_tables[i].table, section_tables[i].account ? "account_id" : "id",
		    section_tables[i].account ? "account_id" : "plan_id");
		if ((r = db_prepare(db, sql, &st, err, errlen)) < 0)
			return r;
		sqlite3_bind_text(st, 1, plan_key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			out[k].name = section_tables[i].name;
			out[k].count = sqlite3_column_int64(st, 0);
			copy_col(st, 1, out[k].last_change, sizeof(out[k].last_change));
			k++;
		}
		sqlite3_finalize(st);
	}
	*n = k;
	return 0;
}

static int
exec_keys(sqlite3 *db, const char *sql, const char *a, const char *b, const char *c, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = db_prepare(db, sql, &st, err, errlen)) < 0)
		return r;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	if (c != NULL)
		sqlite3_bind_text(st, 3, c, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		r = fail(db, err, errlen, rc);
	else if (sqlite3_changes(db) == 0) {
		snprintf(err, errlen, "no plan with key \"%s\"", a);
		r = -ENOENT;
	}
	sqlite3_finalize(st);
	return r;
}

int
versions_link(sqlite3 *db, const char *plan_key, const char *next_key, char *err, size_t errlen)
{
	return exec_keys(db,
	    "INSERT INTO plan_link (plan_id, next_id) SELECT a.id, b.id "
	    "FROM plan a, plan b WHERE a.key = ?1 AND b.key = ?2",
	    plan_key, next_key, NULL, err, errlen);
}

int
versions_links(sqlite3 *db, const char *plan_key, char prev[65], char next[65])
{
	sqlite3_stmt *st = NULL;

	prev[0] = next[0] = '\0';
	if (sqlite3_prepare_v2(db,
	        "SELECT (SELECT a.key FROM plan_link l JOIN plan a "
	        "ON a.id = l.plan_id WHERE l.next_id = p.id), (SELECT b.key FROM plan_link l JOIN "
	        "plan b "
	        "ON b.id = l.next_id WHERE l.plan_id = p.id) FROM plan p WHERE p.key = ?1",
	        -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, plan_key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		copy_col(st, 0, prev, 65);
		copy_col(st, 1, next, 65);
	}
	sqlite3_finalize(st);
	return 0;
}

int
versions_set_review(
    sqlite3 *db, const char *plan_key, const char *last, const char *next, char *err, size_t errlen)
{
	return exec_keys(db,
	    "UPDATE plan SET last_review = ?2, next_review = ?3, updated_at = " NOW_SQL
	    " WHERE key = ?1",
	    plan_key, last, next, err, errlen);
}
