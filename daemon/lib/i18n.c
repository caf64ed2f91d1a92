/* Lookups in GNU .mo files (the gettext manual, "The Format of GNU MO Files"): a header,
 * a table of original strings sorted by msgfmt, and a parallel table of translations.
 * Lookups bisect the originals; a plural entry's original is "singular\0plural" and its
 * translation "form0\0form1". */
#include "lib/i18n.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/catalogs.h"
#include "lib/plural.h"

#define MO_MAGIC 0x950412deU
#define MO_MAGIC_SWAPPED 0xde120495U

static uint32_t
word(const struct catalog *c, size_t off, int swapped)
{
	uint32_t v;

	if (off + 4 > c->size)
		return 0;
	memcpy(&v, c->mo + off, 4);
	if (swapped)
		v = (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
	return v;
}

/* The string at entry i of the table at off, or NULL when it lies outside the file. */
static const char *
entry(const struct catalog *c, uint32_t table, uint32_t i, int swapped, uint32_t *len)
{
	uint32_t l = word(c, table + 8 * (size_t)i, swapped);
	uint32_t at = word(c, table + 8 * (size_t)i + 4, swapped);

	if ((size_t)at + l >= c->size || c->mo[at + l] != '\0')
		return NULL;
	*len = l;
	return (const char *)c->mo + at;
}

/* Catalogs added at run time (i18n_add_catalog): tests load one that is not shipped. */
#define EXTRA_MAX 8
static struct catalog extra[EXTRA_MAX];
static int n_extra;

int
i18n_add_catalog(const char *lang, const unsigned char *mo, size_t size)
{
	if (lang == NULL || *lang == '\0' || strlen(lang) > 3 || n_extra == EXTRA_MAX)
		return -EINVAL;
	extra[n_extra].lang = lang;
	extra[n_extra].mo = mo;
	extra[n_extra].size = size;
	n_extra++;
	return 0;
}

/* The i-th catalog: the embedded ones, then those added at run time. */
static const struct catalog *
catalog_at(int i)
{
	if (i < i18n_ncatalogs)
		return &i18n_catalogs[i];
	return i - i18n_ncatalogs < n_extra ? &extra[i - i18n_ncatalogs] : NULL;
}

static const struct catalog *
find_catalog(const char *lang)
{
	const struct catalog *c;
	int i;

	for (i = 0; lang != NULL && (c = catalog_at(i)) != NULL; i++)
		if (strcmp(c->lang, lang) == 0)
			return c;
	return NULL;
}

/* The translation entry for msgid, with its length (plural forms separated by NUL). */
static const char *
lookup(const char *lang, const char *msgid, uint32_t *len)
{
	const struct catalog *c = find_catalog(lang);
	uint32_t magic, n, orig, trans, lo, hi, mid, l;
	const char *s;
	int swapped, cmp;

	if (c == NULL || c->size < 28)
		return NULL;
	magic = word(c, 0, 0);
	if (magic != MO_MAGIC && magic != MO_MAGIC_SWAPPED)
		return NULL;
	swapped = magic == MO_MAGIC_SWAPPED;
	n = word(c, 8, swapped);
	orig = word(c, 12, swapped);
	trans = word(c, 16, swapped);
	for (lo = 0, hi = n; lo < hi;) {
		mid = lo + (hi - lo) / 2;
		s = entry(c, orig, mid, swapped, &l);
		if (s == NULL)
			return NULL;
		cmp = strcmp(msgid, s);
		if (cmp == 0) {
			s = entry(c, trans, mid, swapped, len);
			return s != NULL && *s != '\0' ? s : NULL;
		}
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const char *
i18n_lang(const char *tag)
{
	const struct catalog *c;
	char primary[4];
	size_t n = 0;

	while (tag != NULL && n < 3 && tag[n] != '\0' && tag[n] != '-' && tag[n] != '_') {
		primary[n] = (char)(tag[n] >= 'A' && tag[n] <= 'Z' ? tag[n] - 'A' + 'a' : tag[n]);
		n++;
	}
	primary[n] = '\0';
	c = find_catalog(primary);
	return c != NULL ? c->lang : I18N_SOURCE_LANG;
}

const char *
i18n_tr(const char *lang, const char *msgid)
{
	uint32_t len;
	const char *t = lookup(lang, msgid, &len);

	return t != NULL ? t : msgid;
}

const char *
i18n_ntr(const char *lang, const char *singular, const char *plural, unsigned long n)
{
	uint32_t len, hlen;
	const char *t = lookup(lang, singular, &len);
	const char *form, *end;
	unsigned long i;

	if (t == NULL)
		return n == 1 ? singular : plural;
	/* The rule is the catalog's (its header is the translation of ""); form i is the
	 * i-th of the NUL-separated translations in the entry. */
	i = plural_form(lookup(lang, "", &hlen), n);
	for (form = t, end = t + len; i > 0 && form + strlen(form) < end; i--)
		form += strlen(form) + 1;
	return form;
}

char *
i18n_count(const char *lang, unsigned long n, const char *singular, const char *plural, char *buf,
    size_t len)
{
	/* The formats are the callers' literal msgids with one %lu (see i18n.h); msgfmt
	 * --check holds each translation to the same. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(buf, len, i18n_ntr(lang, singular, plural, n), n);
#pragma GCC diagnostic pop
	return buf;
}

const char *
i18n_ptr(const char *lang, const char *context, const char *msgid)
{
	char key[256];
	uint32_t len;
	const char *t;
	int k;

	/* msgfmt stores a msgctxt entry as "context\004msgid". */
	k = snprintf(key, sizeof(key), "%s\004%s", context, msgid);
	if (k < 0 || (size_t)k >= sizeof(key))
		return msgid;
	t = lookup(lang, key, &len);
	return t != NULL ? t : msgid;
}

static const char *const month_names[12] = { N_("January"), N_("February"), N_("March"),
	N_("April"), N_("May"), N_("June"), N_("July"), N_("August"), N_("September"),
	N_("October"), N_("November"), N_("December") };
static const char *const day_names[7] = { N_("Monday"), N_("Tuesday"), N_("Wednesday"),
	N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday") };

const char *
i18n_month(const char *lang, int m)
{
	return m >= 1 && m <= 12 ? i18n_tr(lang, month_names[m - 1]) : "";
}

char *
i18n_date(const char *lang, kdate_t day, char *buf, size_t len)
{
	int y, m, d;

	kdate_to_ymd(day, &y, &m, &d);
	/* TRANSLATORS: weekday, day, month, year: "Tuesday, 1 December 2026". */
	snprintf(buf, len, i18n_tr(lang, "%1$s, %2$d %3$s %4$d"),
	    i18n_tr(lang, day_names[kdate_weekday(day) - 1]), d, i18n_tr(lang, month_names[m - 1]),
	    y);
	return buf;
}

/* The one table of abbreviated month names: the catalogs translate them (context
 * "month"), and protocol text (RFC 5322 dates) uses them as they are. */
static const char *const month_abbr[12] = { NC_("month", "Jan"), NC_("month", "Feb"),
	NC_("month", "Mar"), NC_("month", "Apr"), NC_("month", "May"), NC_("month", "Jun"),
	NC_("month", "Jul"), NC_("month", "Aug"), NC_("month", "Sep"), NC_("month", "Oct"),
	NC_("month", "Nov"), NC_("month", "Dec") };

const char *
i18n_month_abbr_c(int m)
{
	return m >= 1 && m <= 12 ? month_abbr[m - 1] : "";
}

/* Short dates follow a pattern the catalog gives (TRANSLATORS comment below), so a new
 * language brings its own without code. */
char *
i18n_short_date(const char *lang, kdate_t day, char *buf, size_t len)
{
	/* TRANSLATORS: the pattern of a short date: D day, DD two-digit day, MM two-digit
	 * month, MON the abbreviated month name, YYYY year; anything else is copied. */
	const char *p = i18n_tr(lang, "D MON YYYY");
	size_t n = 0;
	int y, m, d, k;

	kdate_to_ymd(day, &y, &m, &d);
	for (; *p != '\0' && n + 1 < len; n += k > 0 ? (size_t)k : 0) {
		size_t room = len - n;

		if (strncmp(p, "YYYY", 4) == 0)
			k = snprintf(buf + n, room, "%04d", y), p += 4;
		else if (strncmp(p, "MON", 3) == 0)
			k = snprintf(
			    buf + n, room, "%s", i18n_ptr(lang, "month", month_abbr[m - 1])),
			p += 3;
		else if (strncmp(p, "MM", 2) == 0)
			k = snprintf(buf + n, room, "%02d", m), p += 2;
		else if (strncmp(p, "DD", 2) == 0)
			k = snprintf(buf + n, room, "%02d", d), p += 2;
		else if (*p == 'D')
			k = snprintf(buf + n, room, "%d", d), p++;
		else
			buf[n] = *p++, k = 1;
		if (k > 0 && (size_t)k >= room)
			k = (int)room - 1;
	}
	buf[n < len ? n : len - 1] = '\0';
	return buf;
}
