#include "lib/numfmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Separators by primary language subtag (CLDR's common forms); de-CH and de-LI group
 * with an apostrophe.  Unlisted languages write as English. */
struct seps {
	const char *lang;
	const char *group, *decimal;
};

static const struct seps seps_table[] = {
	{ "en", ",", "." },
	{ "de", ".", "," },
	{ "es", ".", "," },
	{ "it", ".", "," },
	{ "nl", ".", "," },
	{ "pt", ".", "," },
	{ "da", ".", "," },
	{ "tr", ".", "," },
	{ "fr", "\xe2\x80\xaf", "," }, /* U+202F NARROW NO-BREAK SPACE */
	{ "pl", "\xc2\xa0", "," },
	{ "cs", "\xc2\xa0", "," }, /* U+00A0 NO-BREAK SPACE */
	{ "sv", "\xc2\xa0", "," },
	{ "fi", "\xc2\xa0", "," },
	{ "nb", "\xc2\xa0", "," },
	{ "ja", ",", "." },
	{ "zh", ",", "." },
};

static const struct seps swiss = { "de-CH", "\xe2\x80\x99", "." }; /* U+2019 */

static const struct seps *
seps_of(const char *lang)
{
	size_t i, n;

	if (lang == NULL)
		return &seps_table[0];
	if ((strncmp(lang, "de-CH", 5) == 0 || strncmp(lang, "de-LI", 5) == 0) &&
	    (lang[5] == '\0' || lang[5] == '-'))
		return &swiss;
	for (n = 0; lang[n] != '\0' && lang[n] != '-' && lang[n] != '_'; n++)
		;
	for (i = 0; i < sizeof(seps_table) / sizeof(seps_table[0]); i++)
		if (strlen(seps_table[i].lang) == n && strncmp(seps_table[i].lang, lang, n) == 0)
			return &seps_table[i];
	return &seps_table[0];
}

/* The digits of v grouped by threes: at most 20 digits and 6 separators of 3 bytes. */
#define GROUPED_MAX 48

static void
grouped(const struct seps *s, unsigned long long v, char out[GROUPED_MAX])
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%llu", v), i;
	size_t off = 0, g = strlen(s->group);

	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0) {
			memcpy(out + off, s->group, g);
			off += g;
		}
		out[off++] = digits[i];
	}
	out[off] = '\0';
}

char *
numfmt_int(const char *lang, long long n, char *buf, size_t len)
{
	char g[GROUPED_MAX];
	unsigned long long v = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;

	grouped(seps_of(lang), v, g);
	if (len > 0)
		snprintf(buf, len, "%s%s", n < 0 ? "-" : "", g);
	return buf;
}

char *
numfmt_money(const char *lang, const double *amount, const char *currency, char *buf, size_t len)
{
	const struct seps *s = seps_of(lang);
	char g[GROUPED_MAX], frac[8] = "";
	unsigned long long c;

	if (len == 0)
		return buf;
	/* 2^53 cents: beyond it a double no longer holds every cent. */
	if (amount == NULL || !isfinite(*amount) || fabs(*amount) * 100 >= 9007199254740992.0) {
		snprintf(buf, len, "%s", NUMFMT_MISSING);
		return buf;
	}
	c = (unsigned long long)round(fabs(*amount) * 100);
	grouped(s, c / 100, g);
	if (c % 100 != 0)
		snprintf(frac, sizeof(frac), "%s%02llu", s->decimal, c % 100);
	snprintf(buf, len, "%s%s%s%s%s", *amount < 0 && c > 0 ? "-" : "", g, frac,
	    currency != NULL ? " " : "", currency != NULL ? currency : "");
	return buf;
}
