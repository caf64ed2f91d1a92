/* i18n: the texts people receive, in their language (SPEC §1).  Catalogs are gettext
 * .po files (po/), compiled by msgfmt and embedded into the binaries at build time, so a
 * process can write to a German and an English recipient in turn without switching its
 * locale and without locale packages on the server.  English is the source language;
 * languages without a catalog fall back to English.  Pure. */
#ifndef KAPD_I18N_H
#define KAPD_I18N_H

#include <stddef.h>

#include "lib/kdate.h"

/* The source language of every msgid: what a tag without a catalog falls back to. */
#define I18N_SOURCE_LANG "en"

/* The catalog language for a BCP 47 tag ("de-AT" -> "de"), or I18N_SOURCE_LANG without a
 * catalog.  The languages are those of the catalogs in po/ (and any added below): no
 * language code is known elsewhere. */
const char *i18n_lang(const char *tag);
/* Adds a compiled catalog (GNU .mo) for lang at run time; lang and mo must outlive the
 * process's use of it.  For tests, which load a catalog that is not shipped.  0 or
 * -EINVAL (bad tag, table full). */
int i18n_add_catalog(const char *lang, const unsigned char *mo, size_t size);
/* Marks a string for the catalog without translating it here (xgettext -k N_); NC_ with
 * a context (msgctxt), looked up by i18n_ptr; NP_ marks a singular and plural pair. */
#define N_(s) (s)
#define NC_(c, s) (s)
/* A singular and plural pair for a table (two initializers), looked up by i18n_ntr. */
#define NP_(s, p) s, p

/* The translation of msgid in lang, or msgid itself.  A format stays a format: the
 * compiler checks the English msgid against the arguments; msgfmt --check checks that
 * each translation takes the same arguments. */
const char *i18n_tr(const char *lang, const char *msgid) __attribute__((format_arg(2)));
/* The form of singular/plural for n that the catalog's Plural-Forms rule picks (ngettext
 * semantics: one, two or more forms); without a translation, singular for n == 1. */
const char *i18n_ntr(const char *lang, const char *singular, const char *plural, unsigned long n)
    __attribute__((format_arg(2))) __attribute__((format_arg(3)));
/* n with its noun, "1 active plan", "2 active plans": singular and plural take exactly
 * one %lu (xgettext -ki18n_count:3,4).  Returns buf. */
char *i18n_count(const char *lang, unsigned long n, const char *singular, const char *plural,
    char *buf, size_t len);
/* The translation of msgid in context (msgctxt), for words that differ by use ("May" the
 * month's abbreviation). */
const char *i18n_ptr(const char *lang, const char *context, const char *msgid)
    __attribute__((format_arg(3)));
/* A date as people of that language write it: "Tuesday, 1 December 2026",
 * "Dienstag, 1. Dezember 2026". */
char *i18n_date(const char *lang, kdate_t day, char *buf, size_t len);
/* The name of month m (1..12) in lang: "December", "Dezember". */
const char *i18n_month(const char *lang, int m);
/* The English abbreviation of month m (1..12), untranslated, for protocol text such as
 * RFC 5322 dates: "Dec". */
const char *i18n_month_abbr_c(int m);
/* A short date: "1 Dec 2026", "01.12.2026" (the pattern is the catalog's). */
char *i18n_short_date(const char *lang, kdate_t day, char *buf, size_t len);

#endif
