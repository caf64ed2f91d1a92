/* replycmd: the quote stripper and the command grammar of replies (SPEC §8).
 *
 * Mail clients put the new text above the original and mark where the original starts in
 * a few ways, all seen in the wild and in tests/unit/test_replycmd.c: "> " quotes
 * (everyone), an attribution line "On <date>, <name> wrote:" / "Am <date> schrieb
 * <name>:" that Gmail wraps over two or three lines, "-----Original Message-----" and
 * "-----Ursprüngliche Nachricht-----" (older Outlook), a line of underscores followed by a
 * "From:/Sent:/To:/Subject:" or "Von:/Gesendet:/An:/Betreff:" block (Outlook), and the
 * signature separator "-- " (RFC 3676 §4.3).  The first such line ends the new text. */
#include "core/replycmd.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#define MAX_WORDS 6        /* a command has at most three; more make the line not understood */
#define ATTRIBUTION_SPAN 3 /* lines an attribution may be wrapped over */
#define HEADER_LOOKAHEAD 5 /* lines after "From:" that must show another header field */

static const struct replycmd_word words[] = {
	{ "done", REPLYCMD_DONE, "en", "done [KEY]" },
	{ "date", REPLYCMD_DATE, "en", "date [KEY] DATE" },
	{ "reviewed", REPLYCMD_REVIEWED, "en", "reviewed" },
	{ "erledigt", REPLYCMD_DONE, "de", "erledigt [KEY]" },
	{ "termin", REPLYCMD_DATE, "de", "termin [KEY] DATUM" },
	{ "aktualisiert", REPLYCMD_REVIEWED, "de", "aktualisiert" },
};

static const char *const verb_names[] = {
	[REPLYCMD_DONE] = "done",
	[REPLYCMD_DATE] = "date",
	[REPLYCMD_REVIEWED] = "reviewed",
};

const struct replycmd_word *
replycmd_words(size_t *n)
{
	*n = sizeof(words) / sizeof(words[0]);
	return words;
}

const char *
replycmd_verb_name(enum replycmd_verb v)
{
	return (unsigned)v < sizeof(verb_names) / sizeof(verb_names[0]) ? verb_names[v] : "?";
}

/* ---- lines ---- */

struct span {
	const char *p;
	size_t n;
};

/* The line starting at *pos (without its LF or CRLF); *pos moves past it.  0 at the end. */
static int
next_line(const char *text, size_t len, size_t *pos, struct span *line)
{
	size_t i = *pos;

	if (i >= len)
		return 0;
	while (i < len && text[i] != '\n')
		i++;
	line->p = text + *pos;
	line->n = i - *pos;
	if (line->n > 0 && line->p[line->n - 1] == '\r')
		line->n--;
	*pos = i < len ? i + 1 : i;
	return 1;
}

/* Space, tab, or a no-break space (U+00A0 in UTF-8, common in text made from HTML). */
static size_t
space_at(const char *p, size_t n)
{
	if (n >= 1 && (p[0] == ' ' || p[0] == '\t'))
		return 1;
	if (n >= 2 && (unsigned char)p[0] == 0xc2 && (unsigned char)p[1] == 0xa0)
		return 2;
	return 0;
}

static struct span
trim(struct span s)
{
	size_t k;

	while (s.n > 0 && (k = space_at(s.p, s.n)) > 0) {
		s.p += k;
		s.n -= k;
	}
	while (s.n > 0 && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
		s.n--;
	while (
	    s.n >= 2 && (unsigned char)s.p[s.n - 2] == 0xc2 && (unsigned char)s.p[s.n - 1] == 0xa0)
		s.n -= 2;
	return s;
}

static int
starts_ci(struct span s, const char *prefix)
{
	size_t n = strlen(prefix);

	return s.n >= n && strncasecmp(s.p, prefix, n) == 0;
}

static int
ends_ci(struct span s, const char *suffix)
{
	size_t n = strlen(suffix);

	return s.n >= n && strncasecmp(s.p + s.n - n, suffix, n) == 0;
}

static int
contains_ci(struct span s, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= s.n; i++)
		if (strncasecmp(s.p + i, needle, n) == 0)
			return 1;
	return 0;
}

/* ---- what starts the original ---- */

/* "-----Original Message-----", "----- Ursprüngliche Nachricht -----" and kin. */
static int
is_separator(struct span s)
{
	static const char *const phrases[] = { "original message", "ursprüngliche nachricht",
		"original-nachricht", "forwarded message", "weitergeleitete nachricht", NULL };

	if (!starts_ci(s, "--"))
		return 0;
	while (s.n > 0 && (s.p[0] == '-' || s.p[0] == ' '))
		s.p++, s.n--;
	while (s.n > 0 && (s.p[s.n - 1] == '-' || s.p[s.n - 1] == ' '))
		s.n--;
	for (size_t i = 0; phrases[i] != NULL; i++)
		if (s.n == strlen(phrases[i]) && strncasecmp(s.p, phrases[i], s.n) == 0)
			return 1;
	return 0;
}

/* Outlook's "________________________________" above its header block. */
static int
is_underscores(struct span s)
{
	if (s.n < 10)
		return 0;
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] != '_')
			return 0;
	return 1;
}

/* A header field line of a quoted header block, optionally bold ("*From:*" from HTML). */
static int
is_field(struct span s, const char *const *names)
{
	while (s.n > 0 && s.p[0] == '*')
		s.p++, s.n--;
	for (size_t i = 0; names[i] != NULL; i++)
		if (starts_ci(s, names[i]))
			return 1;
	return 0;
}

/* "From: ..." / "Von: ..." followed within a few lines by another header field. */
static int
is_header_block(struct span s, const char *text, size_t len, size_t pos)
{
	static const char *const first[] = { "from:", "von:", NULL };
	static const char *const rest[] = { "sent:", "gesendet:", "date:", "datum:", "to:", "an:",
		"subject:", "betreff:", "cc:", NULL };
	struct span l;

	if (!is_field(s, first))
		return 0;
	for (int i = 0; i < HEADER_LOOKAHEAD && next_line(text, len, &pos, &l); i++)
		if (is_field(trim(l), rest))
			return 1;
	return 0;
}

static int
has_digit(struct span s)
{
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] >= '0' && s.p[i] <= '9')
			return 1;
	return 0;
}

/* "On Mon, 30 Nov 2026 at 08:00, kapd <kapd@example.com> wrote:" and "Am 30.11.2026 um
 * 08:00 schrieb kapd <kapd@example.com>:", each possibly wrapped: the span from this line
 * to one of the next two is tried as one. */
static int
is_attribution(struct span s, const char *text, size_t len, size_t pos)
{
	int en = starts_ci(s, "on "), de = starts_ci(s, "am ");
	struct span whole = s, l;

	if ((!en && !de) || !has_digit(s))
		return 0; /* every client's attribution carries a date */
	for (int i = 0; i < ATTRIBUTION_SPAN; i++) {
		if (en && ends_ci(whole, "wrote:"))
			return 1;
		if (de && ends_ci(whole, ":") && contains_ci(whole, " schrieb"))
			return 1;
		if (!next_line(text, len, &pos, &l) || (l = trim(l)).n == 0)
			break;
		whole.n = (size_t)(l.p + l.n - whole.p);
	}
	return 0;
}

static int
is_signature(struct span raw)
{
	return (raw.n == 2 && memcmp(raw.p, "--", 2) == 0) ||
	    (raw.n == 3 && memcmp(raw.p, "-- ", 3) == 0);
}

size_t
replycmd_strip(const char *text, size_t len)
{
	size_t pos = 0, start;
	struct span raw, s;

	for (start = pos; next_line(text, len, &pos, &raw); start = pos) {
		s = trim(raw);
		if (is_signature(raw) || (s.n > 0 && s.p[0] == '>') || is_separator(s) ||
		    is_underscores(s) || is_header_block(s, text, len, pos) ||
		    is_attribution(s, text, len, pos))
			return start;
	}
	return len;
}

/* ---- commands ---- */

int
replycmd_parse_date(const char *s, size_t len, kdate_t *out)
{
	int v[3] = { 0, 0, 0 }, nd[3] = { 0, 0, 0 }, f = 0;
	char sep = len >= 5 && s[4] == '-' ? '-' : '.';

	for (size_t i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9' && nd[f] < 4) {
			v[f] = v[f] * 10 + (s[i] - '0');
			nd[f]++;
		} else if (s[i] == sep && f < 2 && nd[f] > 0) {
			f++;
		} else {
			return -EINVAL;
		}
	}
	if (f != 2 || v[sep == '-' ? 0 : 2] < 1900)
		return -EINVAL; /* a typo, not a deadline */
	if (sep == '-' && nd[0] == 4 && nd[1] == 2 && nd[2] == 2 &&
	    kdate_valid_ymd(v[0], v[1], v[2])) {
		*out = kdate_from_ymd(v[0], v[1], v[2]);
		return 0;
	}
	if (sep == '.' && nd[0] <= 2 && nd[1] <= 2 && nd[2] == 4 &&
	    kdate_valid_ymd(v[2], v[1], v[0])) {
		*out = kdate_from_ymd(v[2], v[1], v[0]);
		return 0;
	}
	return -EINVAL;
}

/* Splits a line into words; punctuation people type around a word ("Done.", "*done*",
 * "erledigt:") is not part of it.  Returns the number of words, MAX_WORDS when more. */
static size_t
split_words(struct span s, struct span *w)
{
	size_t n = 0, k;

	while (s.n > 0) {
		while (s.n > 0 && (k = space_at(s.p, s.n)) > 0)
			s.p += k, s.n -= k;
		if (s.n == 0)
			break;
		if (n == MAX_WORDS)
			return MAX_WORDS;
		w[n].p = s.p;
		while (s.n > 0 && space_at(s.p, s.n) == 0)
			s.p++, s.n--;
		w[n].n = (size_t)(s.p - w[n].p);
		while (w[n].n > 0 && w[n].p[0] == '*')
			w[n].p++, w[n].n--;
		while (w[n].n > 0 && strchr(".,;:!*", w[n].p[w[n].n - 1]) != NULL)
			w[n].n--;
		n += w[n].n > 0;
	}
	return n;
}

static const struct replycmd_word *
find_word(struct span w)
{
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i].word) == w.n && strncasecmp(words[i].word, w.p, w.n) == 0)
			return &words[i];
	return NULL;
}

static int
take_key(struct span w, char *key)
{
	if (w.n == 0 || w.n >= REPLYCMD_KEY_MAX)
		return -EINVAL;
	for (size_t i = 0; i < w.n; i++)
		if (!((w.p[i] >= 'a' && w.p[i] <= 'z') || (w.p[i] >= 'A' && w.p[i] <= 'Z') ||
		        (w.p[i] >= '0' && w.p[i] <= '9') || strchr("._-", w.p[i]) != NULL))
			return -EINVAL;
	memcpy(key, w.p, w.n);
	key[w.n] = '\0';
	return 0;
}

/* The arguments after the command word: 0 with c filled, or -EINVAL. */
static int
take_args(enum replycmd_verb verb, const struct span *w, size_t n, struct replycmd *c)
{
	c->key[0] = '\0';
	switch (verb) {
	case REPLYCMD_DONE: return n == 0 ? 0 : n == 1 ? take_key(w[0], c->key) : -EINVAL;
	case REPLYCMD_DATE:
		if (n == 2 && take_key(w[0], c->key) < 0)
			return -EINVAL;
		return n == 1 || n == 2 ? replycmd_parse_date(w[n - 1].p, w[n - 1].n, &c->date)
		                        : -EINVAL;
	case REPLYCMD_REVIEWED: return n == 0 ? 0 : -EINVAL;
	}
	return -EINVAL;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	size_t k = p[0] < 0x80             ? 1
	    : p[0] >= 0xc2 && p[0] <= 0xdf ? 2
	    : p[0] >= 0xe0 && p[0] <= 0xef ? 3
	    : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4
	                                   : 0;

	if (k == 0 || k > n)
		return 0;
	for (size_t i = 1; i < k; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((k == 3 && p[0] == 0xe0 && p[1] < 0xa0) || (k == 3 && p[0] == 0xed && p[1] >= 0xa0) ||
	    (k == 4 && p[0] == 0xf0 && p[1] < 0x90) || (k == 4 && p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return k;
}

/* A copy of a line fit to be quoted in an answer: valid UTF-8 ('?' for what is not),
 * controls and line separators as spaces, cut at a character boundary. */
static void
copy_line(struct span s, char *dst, size_t cap)
{
	size_t o = 0, k;

	for (size_t i = 0; i < s.n; i += k) {
		const unsigned char *p = (const unsigned char *)s.p + i;

		k = utf8_seq(p, s.n - i);
		if (o + (k ? k : 1) >= cap)
			break;
		if (k == 0 || (k == 2 && p[0] == 0xc2 && p[1] < 0xa0)) { /* invalid, or C1 */
			dst[o++] = '?';
			k = k ? k : 1;
		} else if ((k == 1 && (p[0] < 0x20 || p[0] == 0x7f)) ||
		    (k == 3 && p[0] == 0xe2 && p[1] == 0x80 &&
		        (p[2] == 0xa8 || p[2] == 0xa9))) { /* U+2028, U+2029 */
			dst[o++] = ' ';
		} else {
			memcpy(dst + o, p, k);
			o += k;
		}
	}
	dst[o] = '\0';
}

static void
parse_line(struct span s, unsigned lineno, struct replycmd_list *out)
{
	struct span w[MAX_WORDS];
	const struct replycmd_word *word;
	struct replycmd c;
	size_t n = split_words(s, w);

	if (n == 0 || (word = find_word(w[0])) == NULL)
		return;
	memset(&c, 0, sizeof(c));
	c.verb = word->verb;
	c.line = lineno;
	if (n < MAX_WORDS && take_args(word->verb, w + 1, n - 1, &c) == 0) {
		if (out->n < REPLYCMD_MAX)
			out->cmd[out->n++] = c;
		else
			out->n_dropped++;
	} else if (out->n_bad < REPLYCMD_MAX_BAD) {
		copy_line(s, out->bad[out->n_bad++], REPLYCMD_LINE_MAX);
	}
}

void
replycmd_parse(const char *text, size_t len, struct replycmd_list *out)
{
	size_t pos = 0;
	unsigned lineno = 0;
	struct span raw;

	memset(out, 0, sizeof(*out));
	while (next_line(text, len, &pos, &raw))
		parse_line(trim(raw), ++lineno, out);
}
