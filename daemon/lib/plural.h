/* plural: the plural rule of a gettext catalog.  A catalog's header says
 * "Plural-Forms: nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 ||
 * n%100>=20) ? 1 : 2);" (Polish); the expression is C, over unsigned long n, with the
 * operators of GNU gettext's plural.y: ?: || && == != < > <= >= + - * / % ! and
 * parentheses.  Pure; no allocation. */
#ifndef KAPD_PLURAL_H
#define KAPD_PLURAL_H

#include <stddef.h>

/* The value of the C expression expr for n into *out.  -EINVAL for a syntax error, an
 * unknown token or a division by zero. */
int plural_eval(const char *expr, unsigned long n, unsigned long *out);
/* Finds "nplurals=N; plural=EXPR;" in a catalog header (the msgstr of the empty msgid)
 * and returns the form index for n, in [0, nplurals).  Without a usable Plural-Forms
 * line, or when the expression fails or is out of range, the Germanic rule n != 1 of the
 * source language (gettext's own default). */
unsigned long plural_form(const char *header, unsigned long n);

#endif
