/* i18n: the texts people receive, in their language (SPEC §1).  Catalogs are gettext
 * .po files (po/), compiled by msgfmt and embedded into the binaries at build time, so a
 * process can write to a German and an English recipient in turn without switching its
 * locale and without locale packages on the server.  English is the source language;
 * languages without a catalog fall back to English.  Pure. */
#ifndef KAPD_I18N_H
#define KAPD_I18N_H

#include <stddef.h>

#include "lib/kdate.h"

/* The catalog language for a BCP 47 tag ("de-AT" -> "de"), or "en" without a catalog. */
const char *i18n_lang(const char *tag);
/* Marks a string for the catalog without translating it here (xgettext -k N_). */
#define N_(s) (s)

/* The translation of msgid in lang, or msgid itself.  A format stays a format: the
 * compiler checks the English msgid against the arguments; msgfmt --check checks that
 * each translation takes the same arguments. */
const char *i18n_tr(const char *lang, const char *msgid) __attribute__((format_arg(2)));
/* The singular or plural translation for n (both catalogs use n != 1). */
const char *i18n_ntr(const char *lang, const char *singular, const char *plural,
    unsigned long n) __attribute__((format_arg(2))) __attribute__((format_arg(3)));
/* A date as people of that language write it: "Tuesday, 1 December 2026",
 * "Dienstag, 1. Dezember 2026". */
char *i18n_date(const char *lang, kdate_t day, char *buf, size_t len);
/* The name of month m (1..12) in lang: "December", "Dezember". */
const char *i18n_month(const char *lang, int m);
/* A short date: "1 Dec 2026", "01.12.2026". */
char *i18n_short_date(const char *lang, kdate_t day, char *buf, size_t len);

#endif
