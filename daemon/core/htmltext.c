/* htmltext: HTML to plain text, enough for a reply's commands (see htmltext.h).  Not a
 * browser: a tag is '<' to the next '>', names are compared case-insensitively, and
 * anything unknown is dropped. */
#include "core/htmltext.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/sbuf.h"

struct conv {
	struct sbuf b;
	int quote;  /* <blockquote> depth */
	int skip;   /* inside <style>, <script> or <head> */
	int at_bol; /* nothing written on the current line yet */
};

static void
newline(struct conv *c)
{
	sbuf_add(&c->b, "\n", 1);
	c->at_bol = 1;
}

static void
text(struct conv *c, const char *p, size_t n)
{
	if (c->skip || n == 0)
		return;
	if (c->at_bol)
		for (int i = 0; i < c->quote; i++)
			sbuf_add(&c->b, "> ", 2);
	c->at_bol = 0;
	sbuf_add(&c->b, p, n);
}

/* The tag's name (without '/') and whether it closes. */
static size_t
tag_name(const char *p, size_t n, int *closing, const char **name)
{
	size_t i = 0, k;

	*closing = n > 0 && p[0] == '/';
	i = (size_t)*closing;
	*name = p + i;
	for (k = i; k < n &&
	     ((p[k] >= 'a' && p[k] <= 'z') || (p[k] >= 'A' && p[k] <= 'Z') ||
	         (p[k] >= '0' && p[k] <= '9'));
	     k++)
		;
	return k - i;
}

static int
is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

static void
tag(struct conv *c, const char *p, size_t n)
{
	static const char *const blocks[] = { "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5",
		"h6", "table", "ul", "ol", "pre", "hr", NULL };
	const char *name;
	int closing;
	size_t k = tag_name(p, n, &closing, &name);

	if (is(name, k, "style") || is(name, k, "script") || is(name, k, "head")) {
		c->skip += closing ? (c->skip > 0 ? -1 : 0) : 1;
		return;
	}
	if (is(name, k, "blockquote")) {
		if (!c->at_bol)
			newline(c);
		c->quote += closing ? (c->quote > 0 ? -1 : 0) : 1;
		return;
	}
	if (is(name, k, "br")) {
		if (c->at_bol)
			text(c, "", 0);
		newline(c);
		return;
	}
	for (size_t i = 0; blocks[i] != NULL; i++)
		if (is(name, k, blocks[i]) && !c->at_bol)
			newline(c);
}

static void
put_codepoint(struct conv *c, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp == 0xa0 || cp == '\t')
		cp = ' ';
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp > 0x10ffff)
		cp = '?';
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	text(c, u, n);
}

/* An entity at p ('&' .. ';'): its length, or 0 when it is none we know. */
static size_t
entity(struct conv *c, const char *p, size_t n)
{
	static const struct {
		const char *name;
		unsigned long cp;
	} named[] = {
		{ "amp", '&' },
		{ "lt", '<' },
		{ "gt", '>' },
		{ "quot", '"' },
		{ "apos", '\'' },
		{ "nbsp", 0xa0 },
		{ "auml", 0xe4 },
		{ "ouml", 0xf6 },
		{ "uuml", 0xfc },
		{ "Auml", 0xc4 },
		{ "Ouml", 0xd6 },
		{ "Uuml", 0xdc },
		{ "szlig", 0xdf },
	};
	const char *semi = memchr(p, ';', n < 12 ? n : 12);
	size_t len;

	if (semi == NULL)
		return 0;
	len = (size_t)(semi - p);
	if (len > 2 && p[1] == '#') {
		char digits[12];
		int hex = p[2] == 'x' || p[2] == 'X';
		char *end;
		unsigned long cp;

		memcpy(digits, p + 2 + hex, len - 2 - hex);
		digits[len - 2 - hex] = '\0';
		cp = strtoul(digits, &end, hex ? 16 : 10);
		if (*end != '\0' || digits[0] == '\0')
			return 0;
		put_codepoint(c, cp);
		return len + 1;
	}
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (strlen(named[i].name) == len - 1 &&
		    strncmp(p + 1, named[i].name, len - 1) == 0) {
			put_codepoint(c, named[i].cp);
			return len + 1;
		}
	}
	return 0;
}

/* Runs of white space (line ends included) are one space, as a browser shows them. */
static size_t
space(struct conv *c, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (!c->at_bol)
		text(c, " ", 1);
	return i;
}

int
htmltext(const char *html, size_t len, char **out, size_t *outlen)
{
	struct conv c = { SBUF_INIT, 0, 0, 1 };
	size_t i = 0, k;

	while (i < len) {
		const char *p = html + i;

		if (*p == '<') {
			const char *gt = memchr(p, '>', len - i);

			k = gt != NULL ? (size_t)(gt - p) + 1 : len - i;
			if (k > 4 && strncmp(p, "<!--", 4) == 0) {
				const char *end = NULL;

				for (size_t j = i + 4; j + 3 <= len && end == NULL; j++)
					if (memcmp(html + j, "-->", 3) == 0)
						end = html + j + 3;
				k = end != NULL ? (size_t)(end - p) : len - i;
			} else {
				tag(&c, p + 1, k - 1);
			}
		} else if (*p == '&' && (k = entity(&c, p, len - i)) > 0) {
			;
		} else if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			k = space(&c, p, len - i);
		} else if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			k = 1; /* NUL and other controls are no text */
		} else {
			for (k = 1;
			     k < len - i && p[k] != '\0' && strchr("<& \t\r\n", p[k]) == NULL &&
			     (unsigned char)p[k] >= 0x20 && p[k] != 0x7f;
			     k++)
				;
			text(&c, p, k);
		}
		i += k;
	}
	return sbuf_finish(&c.b, out, outlen);
}
