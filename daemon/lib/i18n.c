/* Lookups in GNU .mo files (the gettext manual, "The Format of GNU MO Files"): a header,
 * a table of original strings sorted by msgfmt, and a parallel table of translations.
 * Lookups bisect the originals; a plural entry's original is "singular\0plural" and its
 * translation "form0\0form1". */
#include "lib/i18n.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/catalogs.h"

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

static const struct catalog *
find_catalog(const char *lang)
{
	int i;

	for (i = 0; lang != NULL && i < i18n_ncatalogs; i++)
		if (strcmp(i18n_catalogs[i].lang, lang) == 0)
			return &i18n_catalogs[i];
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
	char primary[4];
	size_t n = 0;
	int i;

	while (tag != NULL && n < 3 && tag[n] != '\0' && tag[n] != '-' && tag[n] != '_') {
		primary[n] = (char)(tag[n] >= 'A' && tag[n] <= 'Z' ? tag[n] - 'A' + 'a' : tag[n]);
		n++;
	}
	primary[n] = '\0';
	for (i = 0; i < i18n_ncatalogs; i++)
		if (strcmp(i18n_catalogs[i].lang, primary) == 0)
			return i18n_catalogs[i].lang;
	return "en";
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
	uint32_t len;
	const char *t = lookup(lang, singular, &len);
	size_t first;

	if (t == NULL)
		return n == 1 ? singular : plural;
	if (n == 1)
		return t;
	first = strlen(t);
	/* The second form follows the first's NUL, inside the entry. */
	return first + 1 < len ? t + first + 1 : t;
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

char *
i18n_short_date(const char *lang, kdate_t day, char *buf, size_t len)
{
	static const char *const abbr[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
		"Aug", "Sep", "Oct", "Nov", "Dec" };
	int y, m, d;

	kdate_to_ymd(day, &y, &m, &d);
	if (strcmp(i18n_lang(lang), "de") == 0)
		snprintf(buf, len, "%02d.%02d.%04d", d, m, y);
	else
		snprintf(buf, len, "%d %s %04d", d, abbr[m - 1], y);
	return buf;
}
