/* Unit tests for the calendar feeds: the pure iCalendar text (daemon/core/ics.c: escaping,
 * folding at 75 octets between whole UTF-8 characters, UID, DTSTAMP, SEQUENCE, STATUS,
 * the words in German and English, the change digest) and, on a real SQLite file in a
 * temporary directory, that a feed never carries confidential plan content
 * (daemon/run/feeds.c). */
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libical/ical.h>

#include "testutil.h"

#include "conf/config.h"
#include "store/db.h"
#include "run/feeds.h"
#include "run/feedsjob.h"
#include "core/ics.h"
#include "lib/i18n.h"
#include "lib/kdate.h"
#include "lib/sbuf.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static char *
cleaned(const char *in, int oneline)
{
	struct sbuf b = SBUF_INIT;
	char *s = NULL;

	ics_clean(in, oneline, &b);
	sbuf_add(&b, "", 0);
	assert_int_equal(sbuf_finish(&b, &s, NULL), 0);
	return s;
}

static char *
escaped(const char *in)
{
	struct sbuf b = SBUF_INIT;
	char *s = NULL;

	ics_escape(in, &b);
	sbuf_add(&b, "", 0);
	assert_int_equal(sbuf_finish(&b, &s, NULL), 0);
	return s;
}

/* ---------------------------------------------------------------------------------- */

static void
escape_quotes_backslash_semicolon_comma_and_newline(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "a,b;c\\d\ne", "a\\,b\\;c\\\\d\\ne" },
		{ "ends with \\", "ends with \\\\" },
		{ ",;\\\n", "\\,\\;\\\\\\n" },
		{ "Müller, Groß; 工厂 😀", "Müller\\, Groß\\; 工厂 😀" },
		{ "tab\tstays", "tab\tstays" },
		{ "", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(cases); i++) {
		char *s = escaped(cases[i].in);

		if (strcmp(s, cases[i].out) != 0)
			fail_msg("ics_escape(%s): expected \"%s\", got \"%s\"", cases[i].in,
			    cases[i].out, s);
		free(s);
	}
}

static void
clean_replaces_invalid_utf8_and_drops_control_characters(void **state)
{
	static const struct {
		const char *in;
		int oneline;
		const char *out;
	} cases[] = {
		{ "ok Ä 工 😀", 0, "ok Ä 工 😀" },
		{ "bad \xff byte", 0, "bad \xef\xbf\xbd byte" },
		{ "overlong \xc0\xaf", 0, "overlong \xef\xbf\xbd\xef\xbf\xbd" },
		{ "surrogate \xed\xa0\x80", 0, "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "cut \xe5\xb7", 0, "cut \xef\xbf\xbd\xef\xbf\xbd" },
		{ "bell\a nul-less \x1b[0m esc", 0, "bell nul-less [0m esc" },
		{ "del\x7f c1\xc2\x85", 0, "del c1" },
		{ "crlf\r\nlf\ncr\rend", 0, "crlf\nlf\ncr\nend" },
		{ "crlf\r\nlf\ntab\tend", 1, "crlf lf tab end" },
		{ "line\xe2\x80\xa8sep", 0, "line\xe2\x80\xa8sep" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(cases); i++) {
		char *s = cleaned(cases[i].in, cases[i].oneline);

		if (strcmp(s, cases[i].out) != 0)
			fail_msg(
			    "ics_clean case %zu: expected \"%s\", got \"%s\"", i, cases[i].out, s);
		free(s);
	}
	{
		char *s = cleaned(NULL, 0); /* NULL appends nothing */

		assert_string_equal(s, "");
		free(s);
	}
}

/* Every physical line of s: CRLF ended, at most 75 octets, valid UTF-8 on its own, no
 * control character but HTAB. */
static void
check_folded_block(const char *s)
{
	const char *p = s, *eol;
	char *line, *again;
	size_t n;

	while (*p != '\0') {
		eol = strstr(p, "\r\n");
		if (eol == NULL)
			fail_msg("text does not end with CRLF: \"%s\"", p);
		n = (size_t)(eol - p);
		if (n > ICS_LINE_MAX)
			fail_msg("a line of %zu octets: \"%.*s\"", n, (int)n, p);
		line = strndup(p, n);
		assert_non_null(line);
		again = cleaned(line, 0);
		if (strcmp(again, line) != 0 || strchr(line, '\n') != NULL)
			fail_msg("a line with invalid UTF-8 or a control character: \"%s\"", line);
		free(again);
		free(line);
		p = eol + 2;
	}
}

/* Checks folded output against its logical line: CRLF ends only, every physical line at
 * most 75 octets and valid UTF-8 on its own, continuation lines start with one space, no
 * fold between a backslash and what it escapes, and unfolding gives the line back. */
static void
check_folded(const char *line, const char *out, size_t outlen)
{
	struct sbuf unfolded = SBUF_INIT;
	const char *p = out, *end = out + outlen, *eol;
	int first = 1;

	check_folded_block(out);
	while (p < end) {
		eol = strstr(p, "\r\n");
		if (eol == NULL || eol >= end)
			fail_msg("folded \"%s\": a line without CRLF", line);
		if ((size_t)(eol - p) > ICS_LINE_MAX)
			fail_msg("folded \"%s\": a line of %zu octets", line, (size_t)(eol - p));
		if (memchr(p, '\n', (size_t)(eol - p)) || memchr(p, '\r', (size_t)(eol - p)))
			fail_msg("folded \"%s\": a bare CR or LF", line);
		if (!first) {
			if (*p != ' ')
				fail_msg("folded \"%s\": continuation line without a leading space",
				    line);
			if (p[-3] == '\\') {
				/* the previous physical line ended in a backslash: it must be escaped */
				const char *q = p - 3;
				size_t n = 0;

				while (q >= out && *q == '\\')
					n++, q--;
				if (n % 2 != 0)
					fail_msg("folded \"%s\": a fold inside an escape", line);
			}
			sbuf_add(&unfolded, p + 1, (size_t)(eol - p - 1));
		} else {
			sbuf_add(&unfolded, p, (size_t)(eol - p));
		}
		first = 0;
		p = eol + 2;
	}
	sbuf_add(&unfolded, "", 0);
	if (strcmp(unfolded.s, line) != 0)
		fail_msg("unfolding gave \"%s\", expected \"%s\"", unfolded.s, line);
	sbuf_free(&unfolded);
}

static void
fold_keeps_lines_within_75_octets_without_splitting_utf8_or_escapes(void **state)
{
	static const char *const units[] = { "a", "Z", " ", "\\,", "\\;", "\\\\", "\\n", "ä", "ß",
		"é", "工", "厂", "€", "😀", "🚀", "\t", ":" };
	struct sbuf line = SBUF_INIT, out = SBUF_INIT;
	unsigned seed = 12345;
	int i, n, k;

	(void)state;
	for (i = 0; i < 3000; i++) {
		line.len = 0;
		sbuf_puts(&line, i % 2 ? "SUMMARY:" : "DESCRIPTION:");
		n = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 160;
		for (k = 0; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			sbuf_puts(&line, units[(seed >> 16) % N_ELEMS(units)]);
		}
		out.len = 0;
		if (ics_fold(line.s, line.len, &out) != 0)
			fail_msg("ics_fold refused a valid line: \"%s\"", line.s);
		check_folded(line.s, out.s, out.len);
	}
	/* Exactly 75 octets stays on one line; 76 folds. */
	line.len = 0;
	for (k = 0; k < 75; k++)
		sbuf_add(&line, "x", 1);
	out.len = 0;
	assert_int_equal(ics_fold(line.s, line.len, &out), 0);
	assert_int_equal(out.len, 77);
	sbuf_add(&line, "y", 1);
	out.len = 0;
	assert_int_equal(ics_fold(line.s, line.len, &out), 0);
	assert_string_equal(out.s + 75, "\r\n y\r\n");
	sbuf_free(&line);
	sbuf_free(&out);
}

static void
fold_refuses_control_characters_and_invalid_utf8(void **state)
{
	static const char *const bad[] = { "A:bell\a", "A:nl\nx", "A:cr\rx", "A:\xff", "A:\x7f",
		"A:\xe5\xb7", "" };
	struct sbuf out = SBUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(bad); i++) {
		out.len = 0;
		if (ics_fold(bad[i], strlen(bad[i]), &out) != -EINVAL)
			fail_msg("ics_fold(\"%s\") should be -EINVAL", bad[i]);
		assert_int_equal(out.len, 0);
	}
	sbuf_free(&out);
}

/* ---------------------------------------------------------------------------------- */

static struct ics_event
sample_event(void)
{
	struct ics_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = ICS_ACTIVITY;
	ev.key = "kessler-2026-a07";
	ev.title = "Angebot, Teil 2; \\Ersatzteile";
	ev.owner = "Jürgen Huber";
	ev.plan = "Kessler 2026";
	ev.due = day_of("2026-12-31");
	ev.state = ICS_OPEN;
	ev.sequence = 7;
	ev.changed = instant_of("2026-12-01T09:00:00+01:00");
	return ev;
}

/* The folded VEVENT of ev, unfolded again into one string with "\n" line ends. */
static char *
event_text(const struct ics_calendar *cal, const struct ics_event *ev)
{
	struct ics_writer *w = ics_writer_new(cal);
	struct sbuf out = SBUF_INIT, flat = SBUF_INIT;
	const char *p;
	char *s = NULL;

	assert_non_null(w);
	assert_int_equal(ics_writer_event(w, ev, &out), 0);
	check_folded_block(out.s);
	for (p = out.s; *p != '\0'; p++) {
		if (p[0] == '\r' && p[1] == '\n' && p[2] == ' ')
			p += 2;
		else if (p[0] == '\r')
			continue;
		else
			sbuf_add(&flat, p, 1);
	}
	sbuf_add(&flat, "", 0);
	assert_int_equal(sbuf_finish(&flat, &s, NULL), 0);
	sbuf_free(&out);
	ics_writer_free(w);
	return s;
}

static void
assert_has_line(const char *text, const char *line)
{
	const char *p = text;
	size_t n = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
		p++;
	}
	fail_msg("expected the line \"%s\" in:\n%s", line, text);
}

static void
event_has_uid_dates_dtstamp_and_sequence(void **state)
{
	struct ics_calendar cal = { "en", "Kessler 2026", "Europe/Berlin", "kap.example", 0, 0 };
	struct ics_event ev = sample_event();
	char *t;

	(void)state;
	t = event_text(&cal, &ev);
	assert_has_line(t, "BEGIN:VEVENT");
	assert_has_line(t, "UID:activity-kessler-2026-a07@kap.example");
	assert_has_line(t, "DTSTAMP:20261201T080000Z");
	assert_has_line(t, "LAST-MODIFIED:20261201T080000Z");
	/* All day on the deadline; DTEND is exclusive: the next day, across a year's end. */
	assert_has_line(t, "DTSTART;VALUE=DATE:20261231");
	assert_has_line(t, "DTEND;VALUE=DATE:20270101");
	assert_has_line(t, "SEQUENCE:7");
	assert_has_line(t, "STATUS:CONFIRMED");
	assert_has_line(t, "CATEGORIES:Activity");
	assert_has_line(t, "TRANSP:TRANSPARENT");
	assert_has_line(t, "SUMMARY:Angebot\\, Teil 2\\; \\\\Ersatzteile");
	assert_has_line(t,
	    "DESCRIPTION:Owner: Jürgen Huber\\nPlan: Kessler 2026\\nState: open\\n"
	    "Deadline: 31 Dec 2026\\nKey: kessler-2026-a07");
	assert_has_line(t, "END:VEVENT");
	assert_null(strstr(t, "VALARM"));
	free(t);
}

/* Text without its folds and without CR: what a reader sees, line by line. */
static void
unfold_into(const char *s, struct sbuf *flat)
{
	const char *p;

	for (p = s; *p != '\0'; p++) {
		if (p[0] == '\r' && p[1] == '\n' && (p[2] == ' ' || p[2] == '\t'))
			p += 2;
		else if (p[0] != '\r')
			sbuf_add(flat, p, 1);
	}
	sbuf_add(flat, "", 0);
}

static struct icaltimetype
lib_day(kdate_t day)
{
	struct icaltimetype t = icaltime_null_date();
	int y, m, d;

	kdate_to_ymd(day, &y, &m, &d);
	t.year = y, t.month = m, t.day = d, t.is_date = 1;
	return t;
}

/* ev as libical serializes a whole VEVENT made of the same values, unfolded. */
static char *
libical_event(const struct ics_calendar *cal, const struct ics_event *ev)
{
	static const char *const category[] = { "Milestone", "Activity", "Annual update" };
	icaltimezone *utc = icaltimezone_get_utc_timezone();
	icalcomponent *c = icalcomponent_new_vevent(), *alarm;
	struct sbuf uid = SBUF_INIT, sum = SBUF_INIT, desc = SBUF_INIT, flat = SBUF_INIT;
	struct icaltriggertype trig;
	char *text, *s = NULL;

	ics_uid(ev, cal->domain, &uid);
	ics_summary(cal->lang, ev, cal->customer_titles, &sum);
	ics_description(cal->lang, ev, &desc);
	icalcomponent_add_property(c, icalproperty_new_uid(uid.s));
	icalcomponent_add_property(
	    c, icalproperty_new_dtstamp(icaltime_from_timet_with_zone(ev->changed, 0, utc)));
	icalcomponent_add_property(c, icalproperty_new_dtstart(lib_day(ev->due)));
	icalcomponent_add_property(c, icalproperty_new_dtend(lib_day(ev->due + 1)));
	icalcomponent_add_property(c, icalproperty_new_summary(sum.s));
	icalcomponent_add_property(c, icalproperty_new_description(desc.s));
	icalcomponent_add_property(
	    c, icalproperty_new_categories(i18n_tr(cal->lang, category[ev->kind])));
	icalcomponent_add_property(c,
	    icalproperty_new_status(
	        ev->state == ICS_CANCELLED ? ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED));
	icalcomponent_add_property(c, icalproperty_new_sequence((int)ev->sequence));
	icalcomponent_add_property(
	    c, icalproperty_new_lastmodified(icaltime_from_timet_with_zone(ev->changed, 0, utc)));
	icalcomponent_add_property(c, icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT));
	text = icalcomponent_as_ical_string_r(c);
	assert_non_null(text);
	unfold_into(text, &flat);
	if (cal->alarm && ev->state == ICS_OPEN) {
		/* A subcomponent is written last, before END:VEVENT. */
		alarm = icalcomponent_new_valarm();
		memset(&trig, 0, sizeof(trig));
		trig.time = icaltime_null_time();
		trig.duration = icaldurationtype_from_int(-15 * 3600);
		icalcomponent_add_property(alarm, icalproperty_new_action(ICAL_ACTION_DISPLAY));
		icalcomponent_add_property(alarm, icalproperty_new_trigger(trig));
		icalcomponent_add_property(alarm, icalproperty_new_description(sum.s));
		free(text);
		text = icalcomponent_as_ical_string_r(alarm);
		assert_non_null(text);
		assert_true(flat.len > strlen("END:VEVENT\n"));
		flat.len -= strlen("END:VEVENT\n");
		unfold_into(text, &flat);
		sbuf_puts(&flat, "END:VEVENT\n");
		sbuf_add(&flat, "", 0);
		icalcomponent_free(alarm);
	}
	assert_int_equal(sbuf_finish(&flat, &s, NULL), 0);
	free(text);
	icalcomponent_free(c);
	sbuf_free(&uid);
	sbuf_free(&sum);
	sbuf_free(&desc);
	return s;
}

/* kapd writes texts (UID, SUMMARY, DESCRIPTION, the alarm's text) without libical and
 * caches the other lines: random hostile events, in both languages, with and without
 * alarm, in plan and person feeds, must read exactly as libical writes the same VEVENT. */
static void
events_read_as_libical_writes_them(void **state)
{
	static const char *const units[] = { "a", "Z", " ", ",", ";", "\\", "\"", ":", "'", "ä",
		"ß", "工", "😀", "\t", "\n", "\r\n", "\x01", "\x7f", "\xff", "\xc2\x85", "&", "<",
		"=", "x" };
	static const char *const days[] = { "2026-12-31", "2027-02-28", "2028-02-29", "1999-01-01",
		"2099-12-31" };
	struct sbuf t[4] = { SBUF_INIT, SBUF_INIT, SBUF_INIT, SBUF_INIT };
	unsigned seed = 4242;
	int i, k, j, n;

	(void)state;
	for (i = 0; i < 1500; i++) {
		struct ics_calendar cal = { i % 2 ? "de" : "en", "C", "Europe/Berlin",
			i % 3 ? "kap.example" : "k,a;p\\.example", (i / 2) % 2, (i / 4) % 2 };
		struct ics_event ev = sample_event();
		char *ours, *lib;

		for (j = 0; j < 4; j++) {
			t[j].len = 0;
			seed = seed * 1103515245u + 12345u;
			n = 1 + (int)((seed >> 16) % (j == 0 ? 120 : 40));
			for (k = 0; k < n; k++) {
				seed = seed * 1103515245u + 12345u;
				sbuf_puts(&t[j], units[(seed >> 16) % N_ELEMS(units)]);
			}
			sbuf_add(&t[j], "", 0);
		}
		ev.title = t[0].s;
		ev.owner = i % 5 ? t[1].s : NULL;
		ev.plan = t[2].s;
		ev.customer = t[3].s;
		ev.key = i % 7 ? "kessler-2026-a07" : t[1].s;
		ev.kind = (enum ics_kind)(i % 3);
		ev.state = (enum ics_state)((i / 3) % 3);
		ev.has_done_on = ev.state == ICS_DONE && i % 2;
		ev.done_on = day_of("2026-11-30");
		ev.due = day_of(days[i % N_ELEMS(days)]);
		ev.sequence = i % 11;
		ev.changed = instant_of("2026-12-01T09:00:00+01:00") + i * 3607;
		ours = event_text(&cal, &ev);
		lib = libical_event(&cal, &ev);
		for (k = 0; ours[k] != '\0' && ours[k] == lib[k]; k++)
			;
		if (ours[k] != lib[k])
			fail_msg("event %d differs from libical's at octet %d:\n%.60s\n--- "
			         "libical:\n%.60s",
			    i, k, ours + (k > 20 ? k - 20 : 0), lib + (k > 20 ? k - 20 : 0));
		free(ours);
		free(lib);
	}
	for (j = 0; j < 4; j++)
		sbuf_free(&t[j]);
}

static void
uid_is_stable_per_kind_and_key(void **state)
{
	struct ics_event ev = sample_event();
	struct sbuf b = SBUF_INIT;

	(void)state;
	ics_uid(&ev, "kap.example", &b);
	assert_string_equal(b.s, "activity-kessler-2026-a07@kap.example");
	/* Nothing but kind and key: a new title, deadline or owner keeps the UID. */
	ev.title = "other";
	ev.due += 10;
	ev.owner = "someone else";
	ev.sequence = 99;
	b.len = 0;
	ics_uid(&ev, "kap.example", &b);
	assert_string_equal(b.s, "activity-kessler-2026-a07@kap.example");
	ev.kind = ICS_MILESTONE;
	b.len = 0;
	ics_uid(&ev, "kap.example", &b);
	assert_string_equal(b.s, "milestone-kessler-2026-a07@kap.example");
	ev.kind = ICS_REVIEW;
	ev.key = "kessler-2026";
	b.len = 0;
	ics_uid(&ev, "kap.example", &b);
	assert_string_equal(b.s, "review-kessler-2026@kap.example");
	sbuf_free(&b);
}

static void
done_and_cancelled_events_say_so_in_the_feed_language(void **state)
{
	struct ics_calendar en = { "en", "x", NULL, "d.example", 1, 0 };
	struct ics_calendar de = { "de", "x", NULL, "d.example", 1, 0 };
	struct ics_event ev = sample_event();
	char *t;

	(void)state;
	ev.state = ICS_CANCELLED;
	t = event_text(&en, &ev);
	assert_has_line(t, "STATUS:CANCELLED");
	assert_non_null(strstr(t, "SUMMARY:Cancelled: Angebot"));
	assert_non_null(strstr(t, "State: cancelled"));
	assert_null(strstr(t, "VALARM")); /* no alarm for what will not happen */
	free(t);
	t = event_text(&de, &ev);
	assert_has_line(t, "STATUS:CANCELLED");
	assert_non_null(strstr(t, "SUMMARY:Abgesagt: Angebot"));
	assert_non_null(strstr(t, "Status: abgesagt"));
	assert_has_line(t, "CATEGORIES:Aktivität");
	free(t);
	ev.state = ICS_DONE;
	ev.has_done_on = 1;
	ev.done_on = day_of("2026-12-03");
	t = event_text(&de, &ev);
	assert_has_line(t, "STATUS:CONFIRMED");
	assert_non_null(strstr(t, "SUMMARY:Erledigt: Angebot"));
	assert_non_null(strstr(t,
	    "Verantwortlich: Jürgen Huber\\nPlan: Kessler 2026\\nStatus: "
	    "erledigt am 03.12.2026\\nTermin: 31.12.2026\\nSchlüssel: kessler-2026-a07"));
	free(t);
	t = event_text(&en, &ev);
	assert_non_null(strstr(t, "SUMMARY:Done: Angebot"));
	assert_non_null(strstr(t, "State: done on 3 Dec 2026"));
	free(t);
	/* The annual update and an event without owner. */
	ev = sample_event();
	ev.kind = ICS_REVIEW;
	ev.key = "kessler-2026";
	ev.title = "Kessler 2026";
	ev.owner = NULL;
	t = event_text(&de, &ev);
	assert_has_line(t, "SUMMARY:Jahresaktualisierung: Kessler 2026");
	assert_has_line(t, "CATEGORIES:Jahresaktualisierung");
	assert_non_null(strstr(t, "Verantwortlich: nicht zugewiesen"));
	free(t);
	assert_string_equal(ics_lang("de"), "de");
	assert_string_equal(ics_lang("de-AT"), "de");
	assert_string_equal(ics_lang("en"), "en");
	assert_string_equal(ics_lang("fr"), "en");
	assert_string_equal(ics_lang("dex"), "en");
	assert_string_equal(ics_lang(NULL), "en");
}

static void
person_feeds_name_the_customer_in_titles_in_the_feed_language(void **state)
{
	struct ics_calendar de = { "de", "x", NULL, "d.example", 0, 1 };
	struct ics_calendar en = { "en", "x", NULL, "d.example", 0, 1 };
	struct ics_calendar plan = { "de", "x", NULL, "d.example", 0, 0 };
	struct ics_event ev = sample_event();
	char *t;

	(void)state;
	ev.title = "Angebot BZ 800 übergeben";
	ev.customer = "Kessler";
	t = event_text(&de, &ev);
	assert_has_line(t, "SUMMARY:Kessler: Angebot BZ 800 übergeben");
	free(t);
	t = event_text(&plan, &ev); /* a plan's feed names its customer already */
	assert_has_line(t, "SUMMARY:Angebot BZ 800 übergeben");
	free(t);
	ev.state = ICS_DONE;
	t = event_text(&de, &ev);
	assert_has_line(t, "SUMMARY:Erledigt: Kessler: Angebot BZ 800 übergeben");
	free(t);
	t = event_text(&en, &ev);
	assert_has_line(t, "SUMMARY:Done: Kessler: Angebot BZ 800 übergeben");
	free(t);
	/* A name that needs escaping, no name, and the annual update (titled by its plan). */
	ev.state = ICS_OPEN;
	ev.customer = "Müller, Groß; Söhne";
	t = event_text(&en, &ev);
	assert_has_line(t, "SUMMARY:Müller\\, Groß\\; Söhne: Angebot BZ 800 übergeben");
	free(t);
	ev.customer = NULL;
	t = event_text(&en, &ev);
	assert_has_line(t, "SUMMARY:Angebot BZ 800 übergeben");
	free(t);
	ev.customer = "Kessler";
	ev.kind = ICS_REVIEW;
	ev.title = "Kessler 2026";
	t = event_text(&de, &ev);
	assert_has_line(t, "SUMMARY:Jahresaktualisierung: Kessler 2026");
	free(t);
}

static void
alarm_is_opt_in_and_only_on_open_events(void **state)
{
	struct ics_calendar cal = { "en", "x", NULL, "d.example", 1, 0 };
	struct ics_event ev = sample_event();
	char *t;

	(void)state;
	t = event_text(&cal, &ev);
	assert_has_line(t, "BEGIN:VALARM");
	assert_has_line(t, "ACTION:DISPLAY");
	assert_has_line(t, "TRIGGER:-PT15H");
	assert_has_line(t, "END:VALARM");
	free(t);
	ev.state = ICS_DONE;
	t = event_text(&cal, &ev);
	assert_null(strstr(t, "VALARM"));
	free(t);
	ev.state = ICS_OPEN;
	t = event_text(&cal, &ev);
	assert_has_line(t, "BEGIN:VALARM");
	free(t);
}

/* Only the properties a calendar needs: no ORGANIZER, ATTENDEE (addresses), URL, or
 * anything else that could carry plan content. */
static void
event_has_only_the_properties_a_calendar_needs(void **state)
{
	static const char *const allowed[] = { "BEGIN", "END", "UID", "DTSTAMP", "DTSTART", "DTEND",
		"SUMMARY", "DESCRIPTION", "CATEGORIES", "STATUS", "SEQUENCE", "LAST-MODIFIED",
		"TRANSP", "ACTION", "TRIGGER" };
	struct ics_calendar cal = { "de", "x", NULL, "d.example", 1, 0 };
	struct ics_event ev = sample_event();
	char *t, *line, *next;
	size_t i, n;

	(void)state;
	t = event_text(&cal, &ev);
	for (line = t; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		next = next != NULL ? next + 1 : line + strlen(line);
		n = strcspn(line, ":;");
		for (i = 0; i < N_ELEMS(allowed); i++)
			if (strlen(allowed[i]) == n && strncmp(line, allowed[i], n) == 0)
				break;
		if (i == N_ELEMS(allowed))
			fail_msg("unexpected property in an event: %.*s", (int)(next - line), line);
	}
	free(t);
}

static void
calendar_header_escapes_its_name_and_asks_for_hourly_refresh(void **state)
{
	struct ics_calendar cal = { "en", "Müller, Groß; A\\B", "Europe/Berlin", "d", 0, 0 };
	struct sbuf out = SBUF_INIT;

	(void)state;
	assert_int_equal(ics_begin(&cal, &out), 0);
	ics_end(&out);
	check_folded_block(out.s);
	assert_string_equal(out.s,
	    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
	    "PRODID:-//kapd//kapd calendar feed//EN\r\nCALSCALE:GREGORIAN\r\n"
	    "NAME:Müller\\, Groß\\; A\\\\B\r\nX-WR-CALNAME:Müller\\, Groß\\; A\\\\B\r\n"
	    "X-WR-TIMEZONE:Europe/Berlin\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n"
	    "X-PUBLISHED-TTL:PT1H\r\nEND:VCALENDAR\r\n");
	out.len = 0;
	ics_person_calendar_name("de", "Anna Weber", &out);
	assert_string_equal(out.s, "Key-Account-Aufgaben: Anna Weber");
	out.len = 0;
	ics_plan_calendar_name("de", "Kessler 2026", &out);
	assert_string_equal(out.s, "Kessler 2026");
	sbuf_free(&out);
}

static void
hostile_text_still_gives_valid_lines(void **state)
{
	struct ics_calendar cal = { "en", "x\r\nX-EVIL:1", "Europe/Berlin", "d.example", 1, 0 };
	struct ics_event ev = sample_event();
	struct ics_writer *w;
	struct sbuf out = SBUF_INIT, title = SBUF_INIT;
	int k;

	(void)state;
	for (k = 0; k < 40; k++)
		sbuf_puts(&title, "工厂验收😀,;\\\n\r\x01\xff");
	ev.title = title.s;
	ev.owner = "Name\r\nATTENDEE:mailto:x@y";
	w = ics_writer_new(&cal);
	assert_int_equal(ics_writer_event(w, &ev, &out), 0);
	assert_int_equal(ics_begin(&cal, &out), 0);
	check_folded_block(out.s);
	assert_null(strstr(out.s, "\nATTENDEE"));
	assert_null(strstr(out.s, "\nX-EVIL"));
	ics_writer_free(w);
	sbuf_free(&out);
	sbuf_free(&title);
}

static void
digest_changes_with_every_shown_field_only(void **state)
{
	struct ics_event a = sample_event(), b;
	uint64_t d = ics_event_digest(&a);

	(void)state;
	b = a;
	b.sequence = 100;
	b.changed += 3600;
	assert_true(ics_event_digest(&b) == d); /* what the daemon derives is not an input */
	b = a, b.title = "Angebot, Teil 3";
	assert_true(ics_event_digest(&b) != d);
	b = a, b.due++;
	assert_true(ics_event_digest(&b) != d);
	b = a, b.state = ICS_DONE;
	assert_true(ics_event_digest(&b) != d);
	b = a, b.owner = "Anna Weber";
	assert_true(ics_event_digest(&b) != d);
	b = a, b.owner = NULL;
	assert_true(ics_event_digest(&b) != d);
	b = a, b.plan = "Kessler 2027";
	assert_true(ics_event_digest(&b) != d);
	b = a, b.customer = "Kessler AG";
	assert_true(ics_event_digest(&b) != d);
	b = a, b.kind = ICS_MILESTONE;
	assert_true(ics_event_digest(&b) != d);
	b = a, b.state = ICS_DONE, b.has_done_on = 1, b.done_on = a.due;
	assert_true(ics_event_digest(&b) !=
	    ics_event_digest(&(struct ics_event){ .kind = a.kind,
	        .key = a.key,
	        .title = a.title,
	        .owner = a.owner,
	        .plan = a.plan,
	        .due = a.due,
	        .state = ICS_DONE }));
	/* Fields do not run into each other. */
	b = a, b.title = "ab", b.owner = "c";
	a.title = "a", a.owner = "bc";
	assert_true(ics_event_digest(&a) != ics_event_digest(&b));
}

/* ---------------------------------------------------------------------------------- */
/* The whole module on a real database: nothing confidential gets into a feed. */

static const char *const markers[] = { "MARKER-ADDRESS", "MARKER-PHONE", "marker@customer",
	"MARKER-POSITIONING", "MARKER-CONTACT", "MARKER-NOTES", "MARKER-NEED", "MARKER-COMPETITOR",
	"MARKER-STRENGTH", "MARKER-COMPLAINT", "MARKER-SWOT", "MARKER-GOAL", "MARKER-TARGET",
	"MARKER-DESCRIPTION", "MARKER-PROJECT", "987654321", "123456789", "MARKER-FUNCTION",
	"person@supplier.example" };

static const char fixture_sql[] =
    "INSERT INTO person (id, key, name, email, language, function) VALUES"
    " (1, 'p-kam', 'Anna Weber', 'person@supplier.example', 'de', 'MARKER-FUNCTION'),"
    " (2, 'p-tm', 'Oliver Hughes', 'person@supplier.example', 'en', NULL);"
    "INSERT INTO account (id, key, name, address, phone, email, positioning, market_volume,"
    " market_currency) VALUES (1, 'acc', 'Kessler Maschinenbau', 'MARKER-ADDRESS', 'MARKER-PHONE',"
    " 'marker@customer.example', 'MARKER-POSITIONING', 987654321, 'EUR');"
    "INSERT INTO contact (account_id, key, name, email, notes) VALUES"
    " (1, 'c1', 'MARKER-CONTACT', 'marker@customer.example', 'MARKER-NOTES');"
    "INSERT INTO need (account_id, key, text) VALUES (1, 'n1', 'MARKER-NEED');"
    "INSERT INTO competitor (account_id, key, name, strengths) VALUES"
    " (1, 'k1', 'MARKER-COMPETITOR', 'MARKER-STRENGTH');"
    "INSERT INTO history (account_id, period, revenue, margin, currency) VALUES"
    " (1, '2025', 123456789, 987654321, 'EUR');"
    "INSERT INTO complaint (account_id, key, date, subject) VALUES"
    " (1, 'cp1', '2026-10-01', 'MARKER-COMPLAINT');"
    "INSERT INTO swot (account_id, kind, text) VALUES (1, 'threat', 'MARKER-SWOT');"
    "INSERT INTO project (id, account_id, key, title) VALUES (1, 1, 'pr1', 'MARKER-PROJECT');"
    "INSERT INTO plan (id, account_id, key, title, next_review) VALUES"
    " (1, 1, 'plan1', 'Plan eins', '2027-01-15'),"
    " (2, 1, 'plan0', 'Old plan', NULL);"
    "UPDATE plan SET state = 'archived' WHERE id = 2;"
    "INSERT INTO team_member (plan_id, person_id, role) VALUES (1, 1, 'kam'), (1, 2, 'member');"
    "INSERT INTO goal (plan_id, key, horizon, text, target) VALUES"
    " (1, 'g1', 'mid', 'MARKER-GOAL', 'MARKER-TARGET');"
    "INSERT INTO milestone (id, plan_id, key, title, description, owner_id, due, project_id)"
    " VALUES (1, 1, 'm1', 'Meilenstein eins', 'MARKER-DESCRIPTION', 1, '2026-12-10', 1);"
    "INSERT INTO activity (plan_id, key, title, description, owner_id, due, milestone_id)"
    " VALUES (1, 'a1', 'Aktivität eins', 'MARKER-DESCRIPTION', 2, '2026-12-05', 1),"
    " (1, 'a2', 'Aktivität zwei', 'MARKER-DESCRIPTION', NULL, '2026-12-06', NULL),"
    " (2, 'a3', 'Archived activity', NULL, 2, '2026-12-06', NULL);";

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct sbuf b = SBUF_INIT;
	char buf[4096], *s = NULL;
	size_t n;

	assert_non_null(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sbuf_add(&b, buf, n);
	fclose(f);
	sbuf_add(&b, "", 0);
	assert_int_equal(sbuf_finish(&b, &s, NULL), 0);
	return s;
}

/* The fixture's database and feeds directory in a new temporary directory dir. */
static sqlite3 *
fixture_db(char *dir, struct kapd_config *cfg)
{
	char path[512], err[512];
	sqlite3 *db = NULL;

	if (mkdtemp(dir) == NULL)
		fail_msg("test setup: mkdtemp: %s", strerror(errno));
	assert_int_equal(config_defaults(cfg), 0);
	free(cfg->feeds.directory);
	snprintf(path, sizeof(path), "%s/feeds", dir);
	cfg->feeds.directory = strdup(path);
	free(cfg->database);
	snprintf(path, sizeof(path), "%s/kap.db", dir);
	cfg->database = strdup(path);
	if (db_open(path, DB_OPEN_CREATE | DB_OPEN_MIGRATE, &db, err, sizeof(err)) < 0)
		fail_msg("test setup: db_open: %s", err);
	if (db_exec(db, fixture_sql, err, sizeof(err)) < 0)
		fail_msg("test setup: %s", err);
	return db;
}

static void
fixture_remove(const char *dir, sqlite3 *db, struct kapd_config *cfg)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(cfg->feeds.directory);

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", cfg->feeds.directory, e->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(cfg->feeds.directory);
	db_close(db);
	snprintf(path, sizeof(path), "%s/kap.db", dir);
	unlink(path);
	rmdir(dir);
	config_free(cfg);
}

static int
feeds_recorded(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int n;

	assert_int_equal(sqlite3_prepare_v2(db,
	                     "SELECT count(*) FROM feed WHERE digest IS NOT NULL AND content_hash "
	                     "IS NOT NULL AND written_at IS NOT NULL",
	                     -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* kapd writes the feed files in a child process while it mails (run/feedsjob.c): the
 * files and rows are those of feeds_publish, and a child that dies leaves its feeds
 * unrecorded, so the next check writes them. */
static void
a_child_writes_the_feeds_and_a_killed_one_loses_none(void **state)
{
	time_t now = instant_of("2026-12-01T09:00:00+01:00");
	char dir[] = "/tmp/kapd-test-feedsjob-XXXXXX", err[512];
	struct kapd_config cfg;
	struct feeds_stats st;
	struct errlist problems = ERRLIST_INIT;
	struct feedsjob *job;
	sqlite3 *db;
	int status = 0;
	pid_t pid;

	(void)state;
	db = fixture_db(dir, &cfg);
	job = feedsjob_start(db, &cfg, now, 0);
	assert_true(feedsjob_pid(job) > 0);
	assert_int_equal(feedsjob_finish(job, &st, &problems, err, sizeof(err)), 0);
	assert_int_equal(problems.n, 0);
	assert_int_equal(st.feeds, 3);
	assert_int_equal(st.written, 3);
	assert_int_equal(feeds_recorded(db), 3);
	/* Recorded as written: the next check finds nothing to do. */
	assert_int_equal(feeds_publish(db, &cfg, now, &st, &problems, err, sizeof(err)), 0);
	assert_int_equal(st.written + st.same, 0);
	/* Fewer changed feeds than asked for: written inline, the same way. */
	job = feedsjob_start(db, &cfg, now, 1);
	assert_int_equal(feedsjob_pid(job), 0);
	assert_int_equal(feedsjob_finish(job, &st, &problems, err, sizeof(err)), 0);
	assert_int_equal(st.feeds, 3);
	assert_int_equal(st.written + st.same, 0);
	assert_int_equal(problems.n, 0);
	fixture_remove(dir, db, &cfg);

	strcpy(dir, "/tmp/kapd-test-feedsjob-XXXXXX");
	db = fixture_db(dir, &cfg);
	job = feedsjob_start(db, &cfg, now, 0);
	pid = feedsjob_pid(job);
	assert_true(pid > 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(feedsjob_finish(job, &st, &problems, err, sizeof(err)), 0);
	assert_int_equal(waitpid(pid, &status, WNOHANG), -1); /* reaped by feedsjob_finish */
	if (problems.n == 1) {
		/* Killed before it reported (nearly always: it had to open the database). */
		assert_non_null(strstr(problems.msg[0], "ended early (signal 9)"));
		assert_int_equal(st.written, 0);
		assert_int_equal(feeds_recorded(db), 0);
	} else {
		assert_int_equal(problems.n, 0); /* it was done before the signal came */
	}
	errlist_free(&problems);
	/* The next check writes whatever was not recorded, and then every feed is. */
	assert_int_equal(feeds_publish(db, &cfg, now, &st, &problems, err, sizeof(err)), 0);
	assert_int_equal(problems.n, 0);
	assert_int_equal(feeds_recorded(db), 3);
	fixture_remove(dir, db, &cfg);
}

static void
feeds_carry_no_revenue_margin_complaint_contact_or_notes(void **state)
{
	char dir[] = "/tmp/kapd-test-feeds-XXXXXX", path[512], err[512];
	struct kapd_config cfg;
	struct feeds_stats st;
	struct errlist problems = ERRLIST_INIT;
	struct dirent *e;
	sqlite3 *db = NULL;
	size_t files = 0, customer = 0, i;
	DIR *d;
	char *text;

	(void)state;
	if (mkdtemp(dir) == NULL)
		fail_msg("test setup: mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/kap.db", dir);
	assert_int_equal(config_defaults(&cfg), 0);
	free(cfg.feeds.directory);
	snprintf(path + strlen(dir), sizeof(path) - strlen(dir), "/feeds");
	cfg.feeds.directory = strdup(path);
	snprintf(path, sizeof(path), "%s/kap.db", dir);
	if (db_open(path, DB_OPEN_CREATE | DB_OPEN_MIGRATE, &db, err, sizeof(err)) < 0)
		fail_msg("test setup: db_open: %s", err);
	if (db_exec(db, fixture_sql, err, sizeof(err)) < 0)
		fail_msg("test setup: %s", err);
	if (feeds_publish(db, &cfg, instant_of("2026-12-01T09:00:00+01:00"), &st, &problems, err,
	        sizeof(err)) < 0)
		fail_msg("feeds_publish: %s", err);
	assert_int_equal(problems.n, 0);
	/* One plan (the archived one has none), its KAM and its member. */
	assert_int_equal(st.feeds, 3);
	assert_int_equal(st.written, 3);
	d = opendir(cfg.feeds.directory);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		files++;
		assert_int_equal(strlen(e->d_name), FEEDS_TOKEN_LEN + 4);
		snprintf(path, sizeof(path), "%s/%s", cfg.feeds.directory, e->d_name);
		text = read_file(path);
		check_folded_block(text);
		for (i = 0; i < N_ELEMS(markers); i++)
			if (strstr(text, markers[i]) != NULL)
				fail_msg("feed %s holds confidential text \"%s\":\n%s", e->d_name,
				    markers[i], text);
		assert_null(strstr(text, "Archived activity"));
		/* The customer's name, and only that of the account, titles a person's events. */
		customer += strstr(text, "\nSUMMARY:Kessler Maschinenbau: ") != NULL;
		free(text);
		unlink(path);
	}
	closedir(d);
	assert_int_equal(files, 3);
	assert_int_equal(customer, 2); /* the two people's feeds, not the plan's */
	errlist_free(&problems);
	db_close(db);
	rmdir(cfg.feeds.directory);
	snprintf(path, sizeof(path), "%s/kap.db", dir);
	unlink(path);
	rmdir(dir);
	config_free(&cfg);
}

static void
tokens_are_128_random_bits_in_hex(void **state)
{
	char err[256], path[256], dir[] = "/tmp/kapd-test-tokens-XXXXXX";
	char a[FEEDS_TOKEN_LEN + 1], b[FEEDS_TOKEN_LEN + 1];
	const char *kind = NULL;
	sqlite3 *db = NULL;
	size_t i;

	(void)state;
	if (mkdtemp(dir) == NULL)
		fail_msg("test setup: mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/kap.db", dir);
	if (db_open(path, DB_OPEN_CREATE | DB_OPEN_MIGRATE, &db, err, sizeof(err)) < 0 ||
	    db_exec(db, fixture_sql, err, sizeof(err)) < 0)
		fail_msg("test setup: %s", err);
	assert_int_equal(feeds_rotate(db, "person", "p-tm", a, &kind, err, sizeof(err)), 0);
	assert_string_equal(kind, "person");
	assert_int_equal(feeds_rotate(db, NULL, "p-tm", b, &kind, err, sizeof(err)), 0);
	assert_int_equal(strlen(a), FEEDS_TOKEN_LEN);
	for (i = 0; i < FEEDS_TOKEN_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	assert_string_not_equal(a, b);
	assert_int_equal(feeds_rotate(db, NULL, "nobody", b, &kind, err, sizeof(err)), -ENOENT);
	assert_int_equal(feeds_rotate(db, "plan", "plan1", b, &kind, err, sizeof(err)), 0);
	assert_string_equal(kind, "plan");
	db_close(db);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(escape_quotes_backslash_semicolon_comma_and_newline),
		cmocka_unit_test(clean_replaces_invalid_utf8_and_drops_control_characters),
		cmocka_unit_test(
		    fold_keeps_lines_within_75_octets_without_splitting_utf8_or_escapes),
		cmocka_unit_test(fold_refuses_control_characters_and_invalid_utf8),
		cmocka_unit_test(event_has_uid_dates_dtstamp_and_sequence),
		cmocka_unit_test(events_read_as_libical_writes_them),
		cmocka_unit_test(uid_is_stable_per_kind_and_key),
		cmocka_unit_test(done_and_cancelled_events_say_so_in_the_feed_language),
		cmocka_unit_test(alarm_is_opt_in_and_only_on_open_events),
		cmocka_unit_test(event_has_only_the_properties_a_calendar_needs),
		cmocka_unit_test(calendar_header_escapes_its_name_and_asks_for_hourly_refresh),
		cmocka_unit_test(hostile_text_still_gives_valid_lines),
		cmocka_unit_test(digest_changes_with_every_shown_field_only),
		cmocka_unit_test(person_feeds_name_the_customer_in_titles_in_the_feed_language),
		cmocka_unit_test(feeds_carry_no_revenue_margin_complaint_contact_or_notes),
		cmocka_unit_test(a_child_writes_the_feeds_and_a_killed_one_loses_none),
		cmocka_unit_test(tokens_are_128_random_bits_in_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
