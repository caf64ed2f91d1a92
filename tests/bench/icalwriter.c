/* The yardstick of the feed benchmark (tests/bench/feeds.py): the plan's events read from
 * the database and written with libical event by event, the plain way a C program would
 * do it: one VEVENT component per row with the properties of kapd's English feed (as
 * tests/bench/feeds.py's python3-icalendar writer), serialized, written, freed.  No
 * SEQUENCE bookkeeping, no digests, no tokens: what kapd's first check may cost at most
 * twice.
 *
 *     icalwriter DATABASE OUTPUT        prints the number of events written
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>
#include <sqlite3.h>

#define DOMAIN "bench.example"

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
	"Oct", "Nov", "Dec" };

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" (UTC), as the database stores them. */
static struct icaltimetype
parse(const char *s, int is_date)
{
	struct icaltimetype t = icaltime_null_time();

	if (s == NULL)
		return t;
	if (is_date) {
		sscanf(s, "%4d-%2d-%2d", &t.year, &t.month, &t.day);
		t.is_date = 1;
	} else {
		sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &t.year, &t.month, &t.day, &t.hour, &t.minute,
		    &t.second);
		t.zone = icaltimezone_get_utc_timezone();
	}
	return t;
}

static struct icaltimetype
day_of(const char *s)
{
	return parse(s, 1);
}

static void
human_day(const char *iso, char *buf, size_t len)
{
	struct icaltimetype t = parse(iso, 1);

	snprintf(buf, len, "%d %s %04d", t.day, months[(t.month + 11) % 12], t.year);
}

static struct icaltimetype
stamp_of(const char *s)
{
	return parse(s, 0);
}

struct row {
	const char *kind, *category, *key, *title, *due, *state, *done_on, *updated, *owner;
};

static int
write_event(FILE *out, const struct row *r, const char *plan_title)
{
	char uid[256], summary[1024], desc[2048], due_h[32], done_h[32] = "", st[64];
	struct icaltimetype due = day_of(r->due), end = due;
	icalcomponent *ev = icalcomponent_new_vevent();
	char *text;

	snprintf(uid, sizeof(uid), "%s-%s@%s", r->kind, r->key, DOMAIN);
	snprintf(summary, sizeof(summary), "%s%s%s", strcmp(r->state, "done") == 0 ? "Done: " : "",
	    strcmp(r->kind, "review") == 0 ? "Annual update: " : "", r->title);
	human_day(r->due, due_h, sizeof(due_h));
	if (strcmp(r->state, "done") == 0 && r->done_on != NULL)
		human_day(r->done_on, done_h, sizeof(done_h));
	snprintf(st, sizeof(st), "%s%s", done_h[0] != '\0' ? "done on " : "open", done_h);
	snprintf(desc, sizeof(desc), "Owner: %s\nPlan: %s\nState: %s\nDeadline: %s\nKey: %s",
	    r->owner != NULL ? r->owner : "not assigned", plan_title, st, due_h, r->key);
	icaltime_adjust(&end, 1, 0, 0, 0);
	icalcomponent_add_property(ev, icalproperty_new_uid(uid));
	icalcomponent_add_property(ev, icalproperty_new_dtstamp(stamp_of(r->updated)));
	icalcomponent_add_property(ev, icalproperty_new_dtstart(due));
	icalcomponent_add_property(ev, icalproperty_new_dtend(end));
	icalcomponent_add_property(ev, icalproperty_new_summary(summary));
	icalcomponent_add_property(ev, icalproperty_new_description(desc));
	icalcomponent_add_property(ev, icalproperty_new_categories(r->category));
	icalcomponent_add_property(ev, icalproperty_new_status(ICAL_STATUS_CONFIRMED));
	icalcomponent_add_property(ev, icalproperty_new_sequence(0));
	icalcomponent_add_property(ev, icalproperty_new_lastmodified(stamp_of(r->updated)));
	icalcomponent_add_property(ev, icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT));
	text = icalcomponent_as_ical_string_r(ev);
	icalcomponent_free(ev);
	if (text == NULL)
		return -1;
	fputs(text, out);
	free(text);
	return 0;
}

static const char items_sql[] =
    "SELECT key, title, due, state, done_on, updated_at FROM %s WHERE plan_id = 1 AND "
    "(state = 'open' OR coalesce(done_on, substr(updated_at, 1, 10)) >= '2026-11-02') "
    "ORDER BY position, id";

static long
write_items(sqlite3 *db, FILE *out, const char *table, const char *category, const char *plan_title)
{
	char sql[512];
	sqlite3_stmt *st = NULL;
	long n = 0;

	snprintf(sql, sizeof(sql), items_sql, table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct row r = { table, category, (const char *)sqlite3_column_text(st, 0),
			(const char *)sqlite3_column_text(st, 1),
			(const char *)sqlite3_column_text(st, 2),
			(const char *)sqlite3_column_text(st, 3),
			(const char *)sqlite3_column_text(st, 4),
			(const char *)sqlite3_column_text(st, 5), NULL };

		if (write_event(out, &r, plan_title) < 0)
			break;
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

int
main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	FILE *out;
	long n = 0, k;

	if (argc != 3) {
		fprintf(stderr, "usage: icalwriter DATABASE OUTPUT\n");
		return 64;
	}
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	        "SELECT p.key, p.title, p.next_review, p.updated_at, "
	        "(SELECT name FROM person WHERE id = 1) FROM plan p WHERE p.id = 1",
	        -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		fprintf(stderr, "icalwriter: %s: %s\n", argv[1], sqlite3_errmsg(db));
		return 1;
	}
	if ((out = fopen(argv[2], "w")) == NULL) {
		perror(argv[2]);
		return 1;
	}
	fputs("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kapd//kapd calendar feed//EN\r\n"
	      "CALSCALE:GREGORIAN\r\n",
	    out);
	{
		const char *title = (const char *)sqlite3_column_text(st, 1);
		struct row r = { "review", "Annual update",
			(const char *)sqlite3_column_text(st, 0), title,
			(const char *)sqlite3_column_text(st, 2), "open", NULL,
			(const char *)sqlite3_column_text(st, 3),
			(const char *)sqlite3_column_text(st, 4) };

		if (write_event(out, &r, title) == 0)
			n++;
		if ((k = write_items(db, out, "milestone", "Milestone", title)) >= 0)
			n += k;
		if ((k = write_items(db, out, "activity", "Activity", title)) >= 0)
			n += k;
	}
	fputs("END:VCALENDAR\r\n", out);
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (fclose(out) != 0) {
		perror(argv[2]);
		return 1;
	}
	printf("%ld\n", n);
	return 0;
}
