/* kdate: calendar dates and instants.  A deadline is a calendar date (SPEC §3), kept as a
 * day number so that time zones and daylight-saving changes can never shift it.  Everything
 * here is pure except kdate_local(), which asks the C library for a zone's rules. */
#ifndef KAPD_KDATE_H
#define KAPD_KDATE_H

#include <stdint.h>
#include <time.h>

/* Days since 1970-01-01 in the proleptic Gregorian calendar (negative before). */
typedef int32_t kdate_t;

#define KDATE_STRLEN 11 /* "YYYY-MM-DD" and NUL */

/* 1 if y-m-d is a real date with 1 <= y <= 9999, else 0. */
int kdate_valid_ymd(int y, int m, int d);
/* Day number of a valid y-m-d (the caller checked it with kdate_valid_ymd). */
kdate_t kdate_from_ymd(int y, int m, int d);
void kdate_to_ymd(kdate_t day, int *y, int *m, int *d);
int kdate_days_in_month(int y, int m);
/* Strict "YYYY-MM-DD" (exactly 10 characters, a real date): 0, or -EINVAL. */
int kdate_parse(const char *s, kdate_t *out);
/* Writes "YYYY-MM-DD" into buf and returns buf. */
char *kdate_format(kdate_t day, char buf[KDATE_STRLEN]);
/* The same day n years later (or earlier); 29 February becomes 28 February when the target
 * year is not a leap year (SPEC §2, annual update). */
kdate_t kdate_add_years(kdate_t day, int n);
/* ISO 8601 weekday: 1 = Monday .. 7 = Sunday. */
int kdate_weekday(kdate_t day);
/* ISO 8601 week-numbering year and week (1..53) of a day. */
void kdate_iso_week(kdate_t day, int *iso_year, int *week);

/* Parses an ISO 8601 instant with an explicit offset, "2026-12-01T08:00:00+01:00",
 * "...Z", "...+0100", seconds optional ("2026-12-01T08:00+01:00"): 0, or -EINVAL. */
int kdate_parse_instant(const char *s, time_t *out);

/* The local calendar date and minute of the day of instant t in IANA zone tz
 * ("Europe/Berlin"); minute and offset_s (the zone's UTC offset at t in seconds) may be
 * NULL.  Returns 0, -EINVAL when the zone is unknown, -ENOMEM, or -EOVERFLOW when t is
 * out of range.  Not thread-safe: it switches TZ for the call and restores it. */
int kdate_local(time_t t, const char *tz, kdate_t *day, int *minute, long *offset_s);
/* The instant of local day and minute in zone tz (a time that does not exist because of a
 * daylight-saving gap moves forward, as mktime() does); offset_s (may be NULL) receives
 * the zone's UTC offset then.  0, -EINVAL for an unknown zone, -ENOMEM, -EOVERFLOW. */
int kdate_instant(const char *tz, kdate_t day, int minute, time_t *out, long *offset_s);
/* 1 if tz names a zone in the system's time zone database, else 0. */
int kdate_zone_exists(const char *tz);

#endif
