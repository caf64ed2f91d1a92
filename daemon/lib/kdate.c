/* kdate: calendar dates as day numbers, ISO 8601 instants, and local time in IANA zones.
 * The date arithmetic follows Howard Hinnant's days_from_civil/civil_from_days: the year
 * is shifted to start on 1 March so that the leap day is the last day of the year, and
 * 400-year eras of 146097 days make the rest plain integer arithmetic. */
#include "lib/kdate.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KDATE_MIN_YEAR 1
#define KDATE_MAX_YEAR 9999
#define DAYS_PER_ERA 146097
#define EPOCH_SHIFT 719468 /* days from 0000-03-01 to 1970-01-01 */
#define ZONEINFO_DIR "/usr/share/zoneinfo/"
#define ZONE_MAXLEN 255

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Floor division, for day numbers and years before the epoch. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

int
kdate_days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m < 1 || m > 12)
		return 0;
	if (m == 2 && is_leap(y))
		return 29;
	return days[m - 1];
}

int
kdate_valid_ymd(int y, int m, int d)
{
	if (y < KDATE_MIN_YEAR || y > KDATE_MAX_YEAR)
		return 0;
	return d >= 1 && d <= kdate_days_in_month(y, m);
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;                                   /* [0, 399] */
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
	return era * DAYS_PER_ERA + doe - EPOCH_SHIFT;
}

kdate_t
kdate_from_ymd(int y, int m, int d)
{
	return (kdate_t)days_from_civil(y, m, d);
}

void
kdate_to_ymd(kdate_t day, int *y, int *m, int *d)
{
	int64_t z = (int64_t)day + EPOCH_SHIFT;
	int64_t era = floor_div(z, DAYS_PER_ERA);
	int64_t doe = z - era * DAYS_PER_ERA;                                /* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
	int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
	int mon = (int)(mp < 10 ? mp + 3 : mp - 9);

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = mon;
	*y = (int)(yoe + era * 400 + (mon <= 2));
}

/* Reads exactly n ASCII digits; isdigit() would depend on the locale. */
static int
read_digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* "YYYY-MM-DD" at the start of s, without looking past its 10 characters. */
static int
parse_date_prefix(const char *s, kdate_t *out)
{
	int y, m, d;

	if (read_digits(s, 4, &y) < 0 || s[4] != '-' || read_digits(s + 5, 2, &m) < 0 ||
	    s[7] != '-' || read_digits(s + 8, 2, &d) < 0)
		return -EINVAL;
	if (!kdate_valid_ymd(y, m, d))
		return -EINVAL;
	*out = kdate_from_ymd(y, m, d);
	return 0;
}

int
kdate_parse(const char *s, kdate_t *out)
{
	kdate_t day;

	/* strnlen stops early, so a short string is never read past its NUL. */
	if (s == NULL || strnlen(s, 11) != 10 || parse_date_prefix(s, &day) < 0)
		return -EINVAL;
	*out = day;
	return 0;
}

static void
put_digits(char *p, int n, int v)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

char *
kdate_format(kdate_t day, char buf[KDATE_STRLEN])
{
	int y, m, d;

	kdate_to_ymd(day, &y, &m, &d);
	/* A day outside years 1..9999 never comes from kdate_parse(); formatting one is a
	 * caller's bug.  Without assertions the year is written modulo 10000. */
	assert(y >= KDATE_MIN_YEAR && y <= KDATE_MAX_YEAR);
	if (y < 0)
		y = -y;
	put_digits(buf, 4, y % 10000);
	buf[4] = '-';
	put_digits(buf + 5, 2, m);
	buf[7] = '-';
	put_digits(buf + 8, 2, d);
	buf[10] = '\0';
	return buf;
}

kdate_t
kdate_add_years(kdate_t day, int n)
{
	int y, m, d;
	int64_t ny;

	kdate_to_ymd(day, &y, &m, &d);
	ny = (int64_t)y + n;
	if (m == 2 && d == 29 && !is_leap(ny))
		d = 28;
	return (kdate_t)days_from_civil(ny, m, d);
}

int
kdate_weekday(kdate_t day)
{
	/* 1970-01-01 was a Thursday (4). */
	int64_t r = ((int64_t)day + 3) % 7;

	return (int)(r < 0 ? r + 7 : r) + 1;
}

/* ISO 8601 §4.1.4.2 (week dates): a week belongs to the year that holds its Thursday, and
 * week 1 is the week with the year's first Thursday. */
void
kdate_iso_week(kdate_t day, int *iso_year, int *week)
{
	int64_t thursday = (int64_t)day - kdate_weekday(day) + 4;
	int y, m, d;

	kdate_to_ymd((kdate_t)thursday, &y, &m, &d);
	*iso_year = y;
	*week = (int)((thursday - days_from_civil(y, 1, 1)) / 7 + 1);
}

/* "HH:MM", then optionally ":SS" and, only after seconds, a fraction ".ddd" that is
 * dropped.  A leap second ("60", RFC 3339 §5.6) is refused: time_t cannot hold it. */
static int
parse_clock(const char **sp, int *secs)
{
	const char *s = *sp;
	int h, mi, sec = 0;

	if (read_digits(s, 2, &h) < 0 || s[2] != ':' || read_digits(s + 3, 2, &mi) < 0)
		return -EINVAL;
	s += 5;
	if (*s == ':') {
		if (read_digits(s + 1, 2, &sec) < 0)
			return -EINVAL;
		s += 3;
		if (*s == '.') {
			if (s[1] < '0' || s[1] > '9')
				return -EINVAL;
			for (s++; *s >= '0' && *s <= '9'; s++)
				;
		}
	}
	if (h > 23 || mi > 59 || sec > 59)
		return -EINVAL;
	*secs = h * 3600 + mi * 60 + sec;
	*sp = s;
	return 0;
}

/* "Z", "+HH:MM", "-HH:MM", "+HHMM" or "-HHMM", and nothing after it. */
static int
parse_offset(const char *s, int *offset)
{
	int sign, h, mi;

	if (s[0] == 'Z' && s[1] == '\0') {
		*offset = 0;
		return 0;
	}
	if (s[0] != '+' && s[0] != '-')
		return -EINVAL;
	sign = s[0] == '-' ? -1 : 1;
	if (read_digits(s + 1, 2, &h) < 0)
		return -EINVAL;
	s += 3;
	if (*s == ':')
		s++;
	if (read_digits(s, 2, &mi) < 0 || s[2] != '\0' || h > 23 || mi > 59)
		return -EINVAL;
	*offset = sign * (h * 3600 + mi * 60);
	return 0;
}

int
kdate_parse_instant(const char *s, time_t *out)
{
	kdate_t day;
	int secs, offset;
	int64_t t;

	if (s == NULL || strnlen(s, 11) < 11 || parse_date_prefix(s, &day) < 0 || s[10] != 'T')
		return -EINVAL;
	s += 11;
	if (parse_clock(&s, &secs) < 0 || parse_offset(s, &offset) < 0)
		return -EINVAL;
	t = (int64_t)day * 86400 + secs - offset;
	if ((int64_t)(time_t)t != t)
		return -EINVAL; /* only with a 32-bit time_t */
	*out = (time_t)t;
	return 0;
}

static int
zone_name_ok(const char *tz)
{
	size_t n = strnlen(tz, ZONE_MAXLEN + 1);

	if (n == 0 || n > ZONE_MAXLEN || tz[0] == '/' || strstr(tz, "..") != NULL)
		return 0;
	/* The "right/" zones count leap seconds, so they disagree with POSIX time_t. */
	if (strncmp(tz, "right/", 6) == 0)
		return 0;
	return strspn(tz,
	           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	           "0123456789/_+-") == n;
}

/* A regular file that starts with the TZif magic (RFC 8536 §3.1); zoneinfo also holds
 * text files such as "leapseconds" whose names look like zones. */
static int
zone_file_ok(const char *tz)
{
	char path[sizeof(ZONEINFO_DIR) + ZONE_MAXLEN];
	char magic[4];
	struct stat st;
	int fd, ok;

	snprintf(path, sizeof(path), "%s%s", ZONEINFO_DIR, tz);
	/* O_NONBLOCK: opening a FIFO planted there must not hang the daemon. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return 0;
	ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
	    memcmp(magic, "TZif", sizeof(magic)) == 0;
	close(fd);
	return ok;
}

int
kdate_zone_exists(const char *tz)
{
	if (tz == NULL || !zone_name_ok(tz))
		return 0;
	return strcmp(tz, "UTC") == 0 || zone_file_ok(tz);
}

/* The zone kdate_local() last validated.  Validation opens a file, and the daemon asks
 * for the same few zones over and over, so one remembered name saves most of that work.
 * Like setenv() and tzset() below, this makes kdate_local() unsafe to call from several
 * threads at once (kapd is single-threaded). */
static char last_zone[ZONE_MAXLEN + 1];

static int
zone_known(const char *tz)
{
	if (tz == NULL)
		return 0;
	if (last_zone[0] != '\0' && strcmp(tz, last_zone) == 0)
		return 1;
	if (!kdate_zone_exists(tz))
		return 0;
	snprintf(last_zone, sizeof(last_zone), "%s", tz);
	return 1;
}

/* Puts TZ back as it was (unset when saved is NULL) and reloads the process's zone, so
 * that the rest of the program never notices the detour. */
static int
restore_tz(const char *saved)
{
	int r = saved != NULL ? setenv("TZ", saved, 1) : unsetenv("TZ");

	r = r < 0 ? -errno : 0;
	tzset();
	return r;
}

/* The C library only converts in "the" local zone, taken from TZ by tzset(); localtime_r()
 * is not required to call tzset() itself, so it is called explicitly.  TZ is restored after
 * every call, which costs a reload of both zones (some 25 us with glibc): leaving the
 * borrowed zone loaded for the next call would leave any other localtime_r() caller in the
 * process with the wrong rules.  Asking for the zone TZ already names costs no reload.
 * Not thread-safe: TZ and the C library's zone state are process-wide. */
static int
local_tm(time_t t, const char *tz, struct tm *tm)
{
	const char *cur = getenv("TZ");
	char *saved = NULL;
	int r = 0, rr;

	if (cur != NULL && strcmp(cur, tz) == 0) {
		tzset();
		return localtime_r(&t, tm) != NULL ? 0 : -EOVERFLOW;
	}
	/* getenv()'s string may be freed by setenv(), so keep a copy. */
	if (cur != NULL && (saved = strdup(cur)) == NULL)
		return -ENOMEM;
	if (setenv("TZ", tz, 1) < 0) {
		r = -errno;
		goto out;
	}
	tzset();
	if (localtime_r(&t, tm) == NULL)
		r = -EOVERFLOW;
	if ((rr = restore_tz(saved)) < 0 && r == 0)
		r = rr;
out:
	free(saved);
	return r;
}

int
kdate_local(time_t t, const char *tz, kdate_t *day, int *minute, long *offset_s)
{
	struct tm tm;
	int r;

	if (!zone_known(tz))
		return -EINVAL;
	if ((r = local_tm(t, tz, &tm)) < 0)
		return r;
	if (tm.tm_year > KDATE_MAX_YEAR - 1900 ||
	    !kdate_valid_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday))
		return -EOVERFLOW;
	*day = kdate_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	if (minute != NULL)
		*minute = tm.tm_hour * 60 + tm.tm_min;
	if (offset_s != NULL)
		*offset_s = tm.tm_gmtoff;
	return 0;
}

/* mktime() in zone tz, with TZ swapped in and restored as in local_tm(). */
static int
zone_mktime(struct tm *tm, const char *tz, time_t *out)
{
	const char *cur = getenv("TZ");
	char *saved = NULL;
	int r = 0, rr, same = cur != NULL && strcmp(cur, tz) == 0;

	if (!same && cur != NULL && (saved = strdup(cur)) == NULL)
		return -ENOMEM;
	if (!same && setenv("TZ", tz, 1) < 0) {
		r = -errno;
		goto out;
	}
	tzset();
	*out = mktime(tm);
	if (*out == (time_t)-1 && tm->tm_year < 60)
		r = -EOVERFLOW;
	if (!same && (rr = restore_tz(saved)) < 0 && r == 0)
		r = rr;
out:
	free(saved);
	return r;
}

int
kdate_instant(const char *tz, kdate_t day, int minute, time_t *out, long *offset_s)
{
	struct tm tm;
	time_t t = 0;
	int y, m, d, r;

	if (!zone_known(tz))
		return -EINVAL;
	memset(&tm, 0, sizeof(tm));
	kdate_to_ymd(day, &y, &m, &d);
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = minute / 60;
	tm.tm_min = minute % 60;
	tm.tm_isdst = -1; /* let the zone's rules decide; a time in a DST gap moves forward */
	if ((r = zone_mktime(&tm, tz, &t)) < 0)
		return r;
	*out = t;
	if (offset_s != NULL)
		*offset_s = tm.tm_gmtoff;
	return 0;
}
