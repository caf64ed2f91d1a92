/* Unit tests for kdate: strict date parsing, day arithmetic, ISO weeks, instants with
 * offsets, and local dates in IANA zones across daylight-saving changes.  Expected values
 * were computed independently with Python's datetime and zoneinfo. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lib/kdate.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define UNTOUCHED 0x5a5a5a5a

static kdate_t
day_of(const char *s)
{
	kdate_t d = UNTOUCHED;

	if (kdate_parse(s, &d) != 0)
		fail_msg("test setup: kdate_parse(\"%s\") should succeed", s);
	return d;
}

static time_t
instant_of(const char *s)
{
	time_t t = 0;

	if (kdate_parse_instant(s, &t) != 0)
		fail_msg("test setup: kdate_parse_instant(\"%s\") should succeed", s);
	return t;
}

static void
parse_accepts_real_dates_and_gives_days_since_1970(void **state)
{
	static const struct {
		const char *s;
		kdate_t day;
	} cases[] = {
		{ "1970-01-01", 0 },
		{ "1969-12-31", -1 },
		{ "2024-02-29", 19782 },
		{ "2000-02-29", 11016 },
		{ "1600-02-29", -135081 },
		{ "1900-03-01", -25508 },
		{ "2026-12-31", 20818 },
		{ "0001-01-01", -719162 },
		{ "9999-12-31", 2932896 },
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		kdate_t d = UNTOUCHED;
		int r = kdate_parse(cases[i].s, &d);

		if (r != 0 || d != cases[i].day)
			fail_msg("kdate_parse(\"%s\"): expected 0 and day %d, got %d and day %d",
			    cases[i].s, (int)cases[i].day, r, (int)d);
	}
}

static void
parse_rejects_anything_but_a_real_yyyy_mm_dd_and_leaves_output_alone(void **state)
{
	static const char *const bad[] = {
		"2026-02-29",
		"1900-02-29",
		"2026-13-01",
		"2026-00-10",
		"2026-01-00",
		"2026-04-31",
		"2026-01-32",
		"0000-01-01",
		"2026-1-01",
		"2026-01-1",
		"26-01-01",
		"2026-01-01x",
		"2026-01-01 ",
		" 2026-01-01",
		"2026/01/01",
		"2026-01-01T00:00:00Z",
		"",
		"2026",
		"+026-01-01",
		"-026-01-01",
		"2026-+1-01",
		"2026-01- 1",
		"20260101",
		"2026-01-0a",
		"\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x96-01-01", /* fullwidth digits */
		"10000-01-01",
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		kdate_t d = UNTOUCHED;
		int r = kdate_parse(bad[i], &d);

		if (r != -EINVAL || d != UNTOUCHED)
			fail_msg("kdate_parse(\"%s\"): expected -EINVAL and no output, got %d",
			    bad[i], r);
	}
	assert_int_equal(kdate_parse(NULL, &(kdate_t){ 0 }), -EINVAL);
}

static void
valid_ymd_and_days_in_month_follow_the_gregorian_leap_rule(void **state)
{
	(void)state;
	assert_int_equal(kdate_days_in_month(2024, 2), 29);
	assert_int_equal(kdate_days_in_month(2026, 2), 28);
	assert_int_equal(kdate_days_in_month(1900, 2), 28);
	assert_int_equal(kdate_days_in_month(2000, 2), 29);
	assert_int_equal(kdate_days_in_month(2026, 4), 30);
	assert_int_equal(kdate_days_in_month(2026, 12), 31);
	assert_int_equal(kdate_days_in_month(2026, 0), 0);
	assert_int_equal(kdate_days_in_month(2026, 13), 0);
	assert_true(kdate_valid_ymd(1, 1, 1));
	assert_true(kdate_valid_ymd(9999, 12, 31));
	assert_false(kdate_valid_ymd(0, 12, 31));
	assert_false(kdate_valid_ymd(10000, 1, 1));
	assert_false(kdate_valid_ymd(2026, 2, 29));
	assert_false(kdate_valid_ymd(2026, 6, -1));
}

/* Every day of 1900..2100: consecutive day numbers, format matches y-m-d, and both
 * kdate_parse() and kdate_to_ymd() give the day back. */
static void
format_and_parse_round_trip_every_day_of_1900_to_2100(void **state)
{
	kdate_t prev = kdate_from_ymd(1899, 12, 31);

	(void)state;
	for (int y = 1900; y <= 2100; y++) {
		for (int m = 1; m <= 12; m++) {
			for (int d = 1; d <= kdate_days_in_month(y, m); d++) {
				char buf[KDATE_STRLEN], want[32];
				kdate_t day = kdate_from_ymd(y, m, d), back = UNTOUCHED;
				int by, bm, bd;

				snprintf(want, sizeof(want), "%04d-%02d-%02d", y, m, d);
				kdate_to_ymd(day, &by, &bm, &bd);
				if (day != prev + 1 || strcmp(kdate_format(day, buf), want) != 0 ||
				    kdate_parse(buf, &back) != 0 || back != day || by != y ||
				    bm != m || bd != d)
					fail_msg("%s: expected day %d formatted and parsed back, "
					         "got \"%s\"",
					    want, (int)prev + 1, buf);
				prev = day;
			}
		}
	}
}

static void
format_writes_four_digit_years_at_the_edges_of_the_range(void **state)
{
	char buf[KDATE_STRLEN];

	(void)state;
	assert_string_equal(kdate_format(kdate_from_ymd(1, 1, 1), buf), "0001-01-01");
	assert_string_equal(kdate_format(kdate_from_ymd(9999, 12, 31), buf), "9999-12-31");
	assert_ptr_equal(kdate_format(0, buf), buf);
	assert_string_equal(buf, "1970-01-01");
}

static void
add_years_keeps_the_day_and_turns_29_february_into_28_february(void **state)
{
	static const struct {
		const char *from;
		int n;
		const char *want;
	} cases[] = {
		{ "2024-02-29", 1, "2025-02-28" },
		{ "2024-02-29", 4, "2028-02-29" },
		{ "2024-02-29", -1, "2023-02-28" },
		{ "2024-02-29", -4, "2020-02-29" },
		{ "2024-02-29", 76, "2100-02-28" },
		{ "2024-02-29", -24, "2000-02-29" },
		{ "2024-02-29", 0, "2024-02-29" },
		{ "2026-03-15", 1, "2027-03-15" },
		{ "2026-12-31", 1, "2027-12-31" },
		{ "2025-02-28", 3, "2028-02-28" },
		{ "2026-01-01", -2025, "0001-01-01" },
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		char buf[KDATE_STRLEN];

		kdate_format(kdate_add_years(day_of(cases[i].from), cases[i].n), buf);
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("kdate_add_years(%s, %d): expected %s, got %s", cases[i].from,
			    cases[i].n, cases[i].want, buf);
	}
}

static void
day_after_31_december_is_1_january_of_next_year(void **state)
{
	char buf[KDATE_STRLEN];

	(void)state;
	assert_string_equal(kdate_format(day_of("2026-12-31") + 1, buf), "2027-01-01");
	assert_string_equal(kdate_format(day_of("2024-02-28") + 1, buf), "2024-02-29");
	assert_string_equal(kdate_format(day_of("2026-02-28") + 1, buf), "2026-03-01");
	assert_string_equal(kdate_format(day_of("1970-01-01") - 1, buf), "1969-12-31");
}

static void
weekday_is_iso_monday_1_to_sunday_7(void **state)
{
	static const struct {
		const char *s;
		int wd;
	} cases[] = {
		{ "1970-01-01", 4 },
		{ "1969-12-31", 3 },
		{ "2026-12-28", 1 },
		{ "2027-01-03", 7 },
		{ "2024-02-29", 4 },
		{ "2000-01-01", 6 },
		{ "0001-01-01", 1 },
		{ "9999-12-31", 5 },
		{ "1900-01-01", 1 },
		{ "2026-10-25", 7 },
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		int wd = kdate_weekday(day_of(cases[i].s));

		if (wd != cases[i].wd)
			fail_msg(
			    "kdate_weekday(%s): expected %d, got %d", cases[i].s, cases[i].wd, wd);
	}
}

static void
iso_week_belongs_to_the_year_of_its_thursday(void **state)
{
	static const struct {
		const char *s;
		int year, week;
	} cases[] = {
		{ "2026-12-28", 2026, 53 },
		{ "2026-12-29", 2026, 53 },
		{ "2026-12-30", 2026, 53 },
		{ "2026-12-31", 2026, 53 },
		{ "2027-01-01", 2026, 53 },
		{ "2027-01-02", 2026, 53 },
		{ "2027-01-03", 2026, 53 },
		{ "2027-01-04", 2027, 1 },
		{ "2020-12-31", 2020, 53 },
		{ "2021-01-03", 2020, 53 },
		{ "2021-01-04", 2021, 1 },
		{ "2024-12-29", 2024, 52 },
		{ "2024-12-30", 2025, 1 },
		{ "2008-12-29", 2009, 1 },
		{ "2010-01-03", 2009, 53 },
		{ "1970-01-01", 1970, 1 },
		{ "0001-01-01", 1, 1 },
		{ "9999-12-31", 9999, 52 },
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		int y = 0, w = 0;

		kdate_iso_week(day_of(cases[i].s), &y, &w);
		if (y != cases[i].year || w != cases[i].week)
			fail_msg("kdate_iso_week(%s): expected %d-W%02d, got %d-W%02d", cases[i].s,
			    cases[i].year, cases[i].week, y, w);
	}
}

static void
parse_instant_applies_the_explicit_offset(void **state)
{
	static const struct {
		const char *s;
		int64_t t;
	} cases[] = {
		{ "2026-12-01T08:00:00+01:00", 1796108400 },
		{ "2026-12-01T08:00+01:00", 1796108400 },
		{ "2026-12-01T08:00:00+0100", 1796108400 },
		{ "2026-12-01T08:00:00Z", 1796112000 },
		{ "2026-12-01T08:00:00.123456Z", 1796112000 },
		{ "2026-12-01T08:00:00.9+01:00", 1796108400 },
		{ "2026-12-01T08:00:00-05:30", 1796131800 },
		{ "2026-12-01T08:00:00-0530", 1796131800 },
		{ "2026-12-01T08:00:00-00:00", 1796112000 },
		{ "2026-01-01T00:30:00+01:00", 1767223800 },
		{ "2024-02-29T23:59:59+14:00", 1709200799 },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1969-12-31T23:59:59Z", -1 },
		{ "0001-01-01T00:00:00Z", -62135596800 },
		{ "9999-12-31T23:59:59Z", 253402300799 },
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		time_t t = 42;
		int r = kdate_parse_instant(cases[i].s, &t);

		if (r != 0 || (int64_t)t != cases[i].t)
			fail_msg(
			    "kdate_parse_instant(\"%s\"): expected 0 and %lld, got %d and %lld",
			    cases[i].s, (long long)cases[i].t, r, (long long)t);
	}
}

static void
parse_instant_requires_an_offset_and_rejects_out_of_range_fields(void **state)
{
	static const char *const bad[] = {
		"2026-12-01T08:00:00",
		"2026-12-01T08:00",
		"2026-12-01 08:00:00Z",
		"2026-12-01t08:00:00Z",
		"2026-12-01T08:00:00z",
		"2026-12-01T24:00:00Z",
		"2026-12-01T08:60:00Z",
		"2026-12-01T08:00:60Z",
		"2026-12-01T8:00:00Z",
		"2026-12-01T08:0:00Z",
		"2026-12-01T08:00:0Z",
		"2026-12-01T08:00:00+24:00",
		"2026-12-01T08:00:00+01:60",
		"2026-12-01T08:00:00+1:00",
		"2026-12-01T08:00:00+01",
		"2026-12-01T08:00:00+01:0",
		"2026-12-01T08:00:00+010",
		"2026-12-01T08:00:00+01:00x",
		"2026-12-01T08:00:00+01:00:00",
		"2026-12-01T08:00:00 +01:00",
		"2026-12-01T08:00:00ZZ",
		"2026-12-01T08:00:00.Z",
		"2026-12-01T08:00.5Z",
		"2026-12-01T08:00:00,5Z",
		"2026-02-29T08:00:00Z",
		"2026-13-01T08:00:00Z",
		"2026-12-1T08:00:00Z",
		"2026-12-01T08:00:00UTC",
		"2026-12-01T08:00:00+01:00\n",
		"2026-12-01",
		"2026-12-01T",
		"",
		"T08:00:00Z",
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		time_t t = 42;
		int r = kdate_parse_instant(bad[i], &t);

		if (r != -EINVAL || t != 42)
			fail_msg(
			    "kdate_parse_instant(\"%s\"): expected -EINVAL and no output, got %d",
			    bad[i], r);
	}
	assert_int_equal(kdate_parse_instant(NULL, &(time_t){ 0 }), -EINVAL);
}

struct local_case {
	const char *tz;
	const char *instant;
	const char *date;
	int minute;
	long offset;
};

static void
check_local_cases(const struct local_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		kdate_t day = UNTOUCHED;
		int minute = -1;
		long off = -1;
		char got[KDATE_STRLEN] = "";
		int r = kdate_local(instant_of(c[i].instant), c[i].tz, &day, &minute, &off);

		if (r == 0)
			kdate_format(day, got);
		if (r != 0 || strcmp(got, c[i].date) != 0 || minute != c[i].minute ||
		    off != c[i].offset)
			fail_msg("kdate_local(%s, %s): expected %s %02d:%02d offset %ld, "
			         "got r=%d %s %02d:%02d offset %ld",
			    c[i].instant, c[i].tz, c[i].date, c[i].minute / 60, c[i].minute % 60,
			    c[i].offset, r, got, minute / 60, minute % 60, off);
	}
}

/* 2026-03-29 02:00 CET becomes 03:00 CEST; 2026-10-25 03:00 CEST becomes 02:00 CET. */
static void
local_berlin_follows_the_2026_daylight_saving_changes(void **state)
{
	static const struct local_case cases[] = {
		{ "Europe/Berlin", "2026-03-28T23:30:00Z", "2026-03-29", 30, 3600 },
		{ "Europe/Berlin", "2026-03-29T00:59:59Z", "2026-03-29", 1 * 60 + 59, 3600 },
		{ "Europe/Berlin", "2026-03-29T01:00:00Z", "2026-03-29", 3 * 60, 7200 },
		{ "Europe/Berlin", "2026-10-25T00:59:59Z", "2026-10-25", 2 * 60 + 59, 7200 },
		{ "Europe/Berlin", "2026-10-25T01:00:00Z", "2026-10-25", 2 * 60, 3600 },
		{ "Europe/Berlin", "2026-12-31T23:00:00Z", "2027-01-01", 0, 3600 },
		{ "Europe/Berlin", "2026-12-31T22:59:00Z", "2026-12-31", 23 * 60 + 59, 3600 },
	};

	(void)state;
	check_local_cases(cases, N_ELEMS(cases));
}

/* US rules: 2026-03-08 02:00 CST -> 03:00 CDT, 2026-11-01 02:00 CDT -> 01:00 CST. */
static void
local_chicago_follows_us_daylight_saving_and_lags_utc_by_a_day(void **state)
{
	static const struct local_case cases[] = {
		{ "America/Chicago", "2026-01-01T03:00:00Z", "2025-12-31", 21 * 60, -21600 },
		{ "America/Chicago", "2026-03-08T07:59:59Z", "2026-03-08", 1 * 60 + 59, -21600 },
		{ "America/Chicago", "2026-03-08T08:00:00Z", "2026-03-08", 3 * 60, -18000 },
		{ "America/Chicago", "2026-11-01T06:59:59Z", "2026-11-01", 1 * 60 + 59, -18000 },
		{ "America/Chicago", "2026-11-01T07:00:00Z", "2026-11-01", 1 * 60, -21600 },
	};

	(void)state;
	check_local_cases(cases, N_ELEMS(cases));
}

/* Southern hemisphere: 2026-04-05 03:00 AEDT -> 02:00 AEST, 2026-10-04 02:00 AEST ->
 * 03:00 AEDT. */
static void
local_sydney_follows_southern_daylight_saving_in_april_and_october(void **state)
{
	static const struct local_case cases[] = {
		{ "Australia/Sydney", "2026-04-04T15:59:59Z", "2026-04-05", 2 * 60 + 59, 39600 },
		{ "Australia/Sydney", "2026-04-04T16:00:00Z", "2026-04-05", 2 * 60, 36000 },
		{ "Australia/Sydney", "2026-10-03T15:59:59Z", "2026-10-04", 1 * 60 + 59, 36000 },
		{ "Australia/Sydney", "2026-10-03T16:00:00Z", "2026-10-04", 3 * 60, 39600 },
		{ "Australia/Sydney", "2026-12-31T23:30:00Z", "2027-01-01", 10 * 60 + 30, 39600 },
		{ "Asia/Shanghai", "2026-07-01T16:00:00Z", "2026-07-02", 0, 28800 },
		{ "UTC", "2026-06-30T23:59:59Z", "2026-06-30", 23 * 60 + 59, 0 },
	};

	(void)state;
	check_local_cases(cases, N_ELEMS(cases));
}

/* Alternating zones must not leak one zone's rules into the next answer (the last-zone
 * cache). */
static void
local_gives_the_same_answer_when_zones_alternate(void **state)
{
	time_t t = instant_of("2026-07-01T12:00:00Z");
	static const char *const zones[] = { "Europe/Berlin", "America/Chicago", "Europe/Berlin",
		"Europe/Berlin", "Australia/Sydney", "America/Chicago" };
	static const long offsets[] = { 7200, -18000, 7200, 7200, 36000, -18000 };

	(void)state;
	for (size_t i = 0; i < N_ELEMS(zones); i++) {
		kdate_t day;
		int minute;
		long off = 0;

		assert_int_equal(kdate_local(t, zones[i], &day, &minute, &off), 0);
		if (off != offsets[i])
			fail_msg("call %zu in %s: expected offset %ld, got %ld", i, zones[i],
			    offsets[i], off);
	}
	/* offset_s may be NULL. */
	assert_int_equal(kdate_local(t, "Europe/Berlin", &(kdate_t){ 0 }, &(int){ 0 }, NULL), 0);
}

static void
local_rejects_unknown_zones_with_einval_and_leaves_outputs_alone(void **state)
{
	static const char *const bad[] = {
		"Mars/Olympus_Mons",
		"Europe/Berlinn",
		"",
		"Europe/",
		"Europe",
		"../../../etc/passwd",
		"Europe/../Europe/Berlin",
		"/usr/share/zoneinfo/UTC",
		"Europe/Berlin ",
		"Europe\\Berlin",
		"leapseconds",
		"right/Europe/Berlin",
		"europe/berlin",
		"CET\n",
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		kdate_t day = UNTOUCHED;
		int minute = -1;
		long off = -1;
		int r = kdate_local(0, bad[i], &day, &minute, &off);

		if (r != -EINVAL || day != UNTOUCHED || minute != -1 || off != -1)
			fail_msg("kdate_local in \"%s\": expected -EINVAL and no output, got %d",
			    bad[i], r);
		if (kdate_zone_exists(bad[i]))
			fail_msg("kdate_zone_exists(\"%s\"): expected 0", bad[i]);
	}
	assert_int_equal(kdate_local(0, NULL, &(kdate_t){ 0 }, &(int){ 0 }, NULL), -EINVAL);
}

static void
zone_exists_accepts_real_zone_names(void **state)
{
	static const char *const good[] = {
		"UTC",
		"Europe/Berlin",
		"America/Chicago",
		"Australia/Sydney",
		"Asia/Shanghai",
		"America/Argentina/Buenos_Aires",
		"Etc/GMT+5",
		"Etc/GMT-14",
		"America/Port-au-Prince",
	};
	char longname[300];

	(void)state;
	for (size_t i = 0; i < N_ELEMS(good); i++)
		if (!kdate_zone_exists(good[i]))
			fail_msg("kdate_zone_exists(\"%s\"): expected 1", good[i]);
	memset(longname, 'A', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_false(kdate_zone_exists(longname));
	assert_false(kdate_zone_exists(NULL));
}

/* kdate_local() borrows TZ; the process's own zone must be back afterwards. */
static void
local_restores_the_process_tz_whether_set_or_unset(void **state)
{
	time_t t = instant_of("2026-07-01T12:00:00Z");
	kdate_t day;
	int minute;
	struct tm tm;

	(void)state;
	assert_int_equal(setenv("TZ", "Asia/Tokyo", 1), 0);
	tzset();
	assert_int_equal(kdate_local(t, "America/Chicago", &day, &minute, NULL), 0);
	assert_string_equal(getenv("TZ"), "Asia/Tokyo");
	assert_non_null(localtime_r(&t, &tm));
	assert_int_equal(tm.tm_hour, 21);
	/* The zone already in TZ is answered without switching. */
	assert_int_equal(kdate_local(t, "Asia/Tokyo", &day, &minute, NULL), 0);
	assert_int_equal(minute, 21 * 60);
	assert_string_equal(getenv("TZ"), "Asia/Tokyo");

	assert_int_equal(unsetenv("TZ"), 0);
	tzset();
	assert_int_equal(kdate_local(t, "Europe/Berlin", &day, &minute, NULL), 0);
	assert_int_equal(minute, 14 * 60);
	assert_null(getenv("TZ"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_accepts_real_dates_and_gives_days_since_1970),
		cmocka_unit_test(
		    parse_rejects_anything_but_a_real_yyyy_mm_dd_and_leaves_output_alone),
		cmocka_unit_test(valid_ymd_and_days_in_month_follow_the_gregorian_leap_rule),
		cmocka_unit_test(format_and_parse_round_trip_every_day_of_1900_to_2100),
		cmocka_unit_test(format_writes_four_digit_years_at_the_edges_of_the_range),
		cmocka_unit_test(add_years_keeps_the_day_and_turns_29_february_into_28_february),
		cmocka_unit_test(day_after_31_december_is_1_january_of_next_year),
		cmocka_unit_test(weekday_is_iso_monday_1_to_sunday_7),
		cmocka_unit_test(iso_week_belongs_to_the_year_of_its_thursday),
		cmocka_unit_test(parse_instant_applies_the_explicit_offset),
		cmocka_unit_test(parse_instant_requires_an_offset_and_rejects_out_of_range_fields),
		cmocka_unit_test(local_berlin_follows_the_2026_daylight_saving_changes),
		cmocka_unit_test(local_chicago_follows_us_daylight_saving_and_lags_utc_by_a_day),
		cmocka_unit_test(
		    local_sydney_follows_southern_daylight_saving_in_april_and_october),
		cmocka_unit_test(local_gives_the_same_answer_when_zones_alternate),
		cmocka_unit_test(local_rejects_unknown_zones_with_einval_and_leaves_outputs_alone),
		cmocka_unit_test(zone_exists_accepts_real_zone_names),
		cmocka_unit_test(local_restores_the_process_tz_whether_set_or_unset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
