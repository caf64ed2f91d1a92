/* htmltext: the text of an HTML mail part, for reading replies sent as HTML only
 * (SPEC §8), pure.  Block elements end lines, <br> breaks them, entities are decoded,
 * <style>, <script> and <head> are dropped, and what sits in a <blockquote> comes out
 * as "> " lines, so that the quote stripper cuts the quoted original as in plain text. */
#ifndef KAPD_HTMLTEXT_H
#define KAPD_HTMLTEXT_H

#include <stddef.h>

/* The text of html[0..len) as a new NUL-terminated UTF-8 string in *out (free it), its
 * length in *outlen.  0 or -ENOMEM. */
int htmltext(const char *html, size_t len, char **out, size_t *outlen);

#endif
