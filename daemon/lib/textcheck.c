#include "lib/textcheck.h"
#include "lib/utf8.h"

#include <string.h>

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int
text_is_key(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (!is_alnum((unsigned char)s[n]) && !strchr("._-", s[n]))
			return 0;
	return n >= 1 && n <= TEXT_KEY_MAX;
}

static int
check_text(const char *s, int multiline)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t n;

	while (*p != '\0') {
		n = utf8_decode(p, 4, &cp); /* the NUL ends a truncated sequence */
		if (n == 0)
			return 0;
		if (cp < 0x20 && !(multiline && (cp == '\t' || cp == '\n' || cp == '\r')))
			return 0;
		if ((cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029)
			return 0;
		p += n;
	}
	return 1;
}

int
text_is_line(const char *s)
{
	return check_text(s, 0);
}

int
text_is_text(const char *s)
{
	return check_text(s, 1);
}

size_t
text_utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static int
is_atext(int c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

/* Dot-string: atoms of atext joined by single dots. */
static int
valid_local(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
		} else if (!is_atext((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

static int
valid_domain(const char *s)
{
	size_t label = 0, dots = 0;
	const char *p;

	for (p = s; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return 0;
			label = 0;
			dots++;
		} else if (is_alnum((unsigned char)*p) || *p == '-') {
			if (label == 0 && *p == '-')
				return 0;
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return dots >= 1 && label > 0 && p[-1] != '-' && (size_t)(p - s) <= 253;
}

int
text_is_email(const char *s)
{
	const char *at = strrchr(s, '@');

	if (at == NULL || strlen(s) > 254)
		return 0;
	return valid_local(s, (size_t)(at - s)) && valid_domain(at + 1);
}

int
text_is_lang(const char *s)
{
	size_t n = 0, first = 1;

	for (;;) {
		if (is_alnum((unsigned char)*s) && (!first || is_alpha((unsigned char)*s))) {
			n++;
			s++;
			continue;
		}
		if (first ? (n < 2 || n > 3) : (n < 1 || n > 8))
			return 0;
		if (*s == '\0')
			return 1;
		if (*s != '-')
			return 0;
		s++;
		n = 0;
		first = 0;
	}
}

int
text_is_currency(const char *s)
{
	return strlen(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' &&
	    s[2] >= 'A' && s[2] <= 'Z';
}
