#include "lib/width.h"
#include "lib/utf8.h"

#include <string.h>

struct width_range {
	uint32_t first, last;
};

#include "lib/width_table.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The horizontal ellipsis U+2026, one column wide. */
static const char ellipsis[] = "\xe2\x80\xa6";

static int
in_table(const struct width_range *t, size_t n, uint32_t cp)
{
	size_t lo = 0, hi = n;

	if (n == 0 || cp < t[0].first || cp > t[n - 1].last)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp > t[mid].last)
			lo = mid + 1;
		else if (cp < t[mid].first)
			hi = mid;
		else
			return 1;
	}
	return 0;
}

int
width_char(uint32_t cp)
{
	if (cp >= 0x20 && cp < 0x7f)
		return 1;
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return 0;
	if (in_table(width_zero, N(width_zero), cp))
		return 0;
	return in_table(width_wide, N(width_wide), cp) ? 2 : 1;
}

/* The columns of the character at s (of at most len bytes), and its length in *n. */
static int
next(const char *s, size_t len, size_t *n)
{
	uint32_t cp;

	*n = utf8_decode((const unsigned char *)s, len, &cp);
	if (*n == 0) {
		*n = 1;
		return 1;
	}
	return width_char(cp);
}

size_t
width_strn(const char *s, size_t len)
{
	size_t cols = 0, off = 0, n;

	while (off < len) {
		cols += (size_t)next(s + off, len - off, &n);
		off += n;
	}
	return cols;
}

size_t
width_str(const char *s)
{
	return s != NULL ? width_strn(s, strlen(s)) : 0;
}

size_t
width_prefix(const char *s, size_t cols)
{
	size_t len = strlen(s), off = 0, used = 0, n;
	int w;

	while (off < len) {
		w = next(s + off, len - off, &n);
		if (used + (size_t)w > cols)
			break;
		used += (size_t)w;
		off += n;
	}
	return off;
}

void
width_spaces(struct sbuf *out, size_t n)
{
	static const char blanks[] = "                                ";

	while (n > 0) {
		size_t k = n < sizeof(blanks) - 1 ? n : sizeof(blanks) - 1;

		sbuf_add(out, blanks, k);
		n -= k;
	}
}

void
width_fit(struct sbuf *out, const char *s, size_t cols, enum width_align align)
{
	size_t w, cut;

	if (s == NULL)
		s = "";
	w = width_str(s);
	if (w > cols) {
		if (cols == 0)
			return;
		cut = width_prefix(s, cols - 1);
		sbuf_add(out, s, cut);
		sbuf_add(out, ellipsis, sizeof(ellipsis) - 1);
		width_spaces(out, cols - 1 - width_strn(s, cut));
		return;
	}
	if (align == WIDTH_RIGHT)
		width_spaces(out, cols - w);
	sbuf_puts(out, s);
	if (align == WIDTH_LEFT)
		width_spaces(out, cols - w);
}
