/* numfmt: numbers and amounts of money as a language writes them ("38.000.000 EUR" in
 * German, "38,000,000 EUR" in English), and a missing value as a dash, never as 0.
 * Languages without an entry in the table write as English does.  Pure, and
 * independent of the process locale. */
#ifndef KAPD_NUMFMT_H
#define KAPD_NUMFMT_H

#include <stddef.h>

/* What a missing value shows: U+2013 EN DASH. */
#define NUMFMT_MISSING "\xe2\x80\x93"

/* n with the digit grouping of lang (a BCP 47 tag; NULL: English) into buf; returns
 * buf.  A result that does not fit is cut (buf holds at least 32 bytes in practice). */
char *numfmt_int(const char *lang, long long n, char *buf, size_t len);
/* An amount rounded to cents, grouped, with two decimals only when it has cents, and the
 * currency code after it when currency is not NULL: "1.234,50 EUR", "1,234.50 EUR",
 * "38.000.000 EUR".  NULL amount (a missing value) or a value beyond what a double holds
 * exactly in cents writes NUMFMT_MISSING. */
char *numfmt_money(
    const char *lang, const double *amount, const char *currency, char *buf, size_t len);

#endif
