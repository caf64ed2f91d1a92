/* A recursive-descent evaluator of gettext plural expressions.  The grammar and the
 * precedence are C's, as GNU gettext's plural.y accepts them:
 *   expr  = or [ "?" expr ":" expr ]
 *   or    = and { "||" and }        and = eq { "&&" eq }
 *   eq    = rel { ("==" | "!=") rel } rel = add { ("<" | ">" | "<=" | ">=") add }
 *   add   = mul { ("+" | "-") mul }  mul = unary { ("*" | "/" | "%") unary }
 *   unary = "!" unary | "n" | number | "(" expr ")"
 * Both branches of ?: are parsed (to find the end of the expression) but only the chosen
 * one's value is used; a division by zero in either is an error, which for the short
 * expressions of real catalogs is never the case. */
#include "lib/plural.h"

#include <errno.h>
#include <string.h>

struct pe {
	const char *p;
	unsigned long n;
	int err;
};

static unsigned long expr(struct pe *s);

static void
skip(struct pe *s)
{
	while (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')
		s->p++;
}

/* 1 and consumes tok when the input continues with it. */
static int
take(struct pe *s, const char *tok)
{
	size_t len = strlen(tok);

	skip(s);
	if (strncmp(s->p, tok, len) != 0)
		return 0;
	/* "<" must not take the first half of "<=", nor "!" that of "!=". */
	if (len == 1 && (tok[0] == '<' || tok[0] == '>' || tok[0] == '!' || tok[0] == '=') &&
	    s->p[1] == '=')
		return 0;
	s->p += len;
	return 1;
}

static unsigned long
unary(struct pe *s)
{
	unsigned long v = 0;

	skip(s);
	if (take(s, "!"))
		return !unary(s);
	if (take(s, "(")) {
		v = expr(s);
		if (!take(s, ")"))
			s->err = 1;
		return v;
	}
	if (*s->p == 'n') {
		s->p++;
		return s->n;
	}
	if (*s->p < '0' || *s->p > '9') {
		s->err = 1;
		return 0;
	}
	while (*s->p >= '0' && *s->p <= '9')
		v = v * 10 + (unsigned long)(*s->p++ - '0');
	return v;
}

static unsigned long
mul(struct pe *s)
{
	unsigned long v = unary(s), w;

	for (;;) {
		if (take(s, "*")) {
			v *= unary(s);
		} else if (take(s, "/") || take(s, "%")) {
			int mod = s->p[-1] == '%';

			w = unary(s);
			if (w == 0) {
				s->err = 1;
				return 0;
			}
			v = mod ? v % w : v / w;
		} else {
			return v;
		}
	}
}

static unsigned long
add(struct pe *s)
{
	unsigned long v = mul(s);

	for (;;) {
		if (take(s, "+"))
			v += mul(s);
		else if (take(s, "-"))
			v -= mul(s);
		else
			return v;
	}
}

static unsigned long
rel(struct pe *s)
{
	unsigned long v = add(s);

	for (;;) {
		if (take(s, "<="))
			v = v <= add(s);
		else if (take(s, ">="))
			v = v >= add(s);
		else if (take(s, "<"))
			v = v < add(s);
		else if (take(s, ">"))
			v = v > add(s);
		else
			return v;
	}
}

static unsigned long
eq(struct pe *s)
{
	unsigned long v = rel(s);

	for (;;) {
		if (take(s, "=="))
			v = v == rel(s);
		else if (take(s, "!="))
			v = v != rel(s);
		else
			return v;
	}
}

static unsigned long
land(struct pe *s)
{
	unsigned long v = eq(s), w;

	while (take(s, "&&")) {
		w = eq(s);
		v = v && w;
	}
	return v;
}

static unsigned long
lor(struct pe *s)
{
	unsigned long v = land(s), w;

	while (take(s, "||")) {
		w = land(s);
		v = v || w;
	}
	return v;
}

static unsigned long
expr(struct pe *s)
{
	unsigned long c = lor(s), a, b;

	if (!take(s, "?"))
		return c;
	a = expr(s);
	if (!take(s, ":")) {
		s->err = 1;
		return 0;
	}
	b = expr(s);
	return c ? a : b;
}

int
plural_eval(const char *e, unsigned long n, unsigned long *out)
{
	struct pe s = { e, n, 0 };
	unsigned long v;

	if (e == NULL)
		return -EINVAL;
	v = expr(&s);
	skip(&s);
	/* The expression ends at the end of the text or at the ";" of the header line. */
	if (s.err || (*s.p != '\0' && *s.p != ';'))
		return -EINVAL;
	*out = v;
	return 0;
}

/* The number after "nplurals=" in the Plural-Forms line, or 0. */
static unsigned long
nplurals(const char *line)
{
	const char *p = strstr(line, "nplurals=");
	unsigned long v = 0;

	if (p == NULL)
		return 0;
	for (p += 9; *p >= '0' && *p <= '9' && v < 1000; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	return v;
}

unsigned long
plural_form(const char *header, unsigned long n)
{
	const char *line = header != NULL ? strstr(header, "Plural-Forms:") : NULL;
	const char *end, *e;
	unsigned long np, v;

	if (line == NULL)
		return n != 1;
	end = strchr(line, '\n');
	np = nplurals(line);
	e = strstr(line, "plural=");
	if (np == 0 || e == NULL || (end != NULL && e > end) || plural_eval(e + 7, n, &v) < 0 ||
	    v >= np)
		return n != 1;
	return v;
}
