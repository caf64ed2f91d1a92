/* csv: reader and writer of spreadsheet text.  RFC 4180 is the base; beyond it the
 * reader takes what spreadsheets really write: a BOM, Windows-1252, ";" or tab as the
 * delimiter (German Excel writes ";" because "," is the decimal mark), LF, CRLF or a
 * lone CR, and a quote inside an unquoted field as a literal character. */
#include "core/csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"

/* Windows-1252 0x80-0x9F (the rest is Latin-1, the same as Unicode); 0 is undefined. */
static const unsigned short cp1252_c1[32] = {
	0x20AC,
	0,
	0x201A,
	0x0192,
	0x201E,
	0x2026,
	0x2020,
	0x2021,
	0x02C6,
	0x2030,
	0x0160,
	0x2039,
	0x0152,
	0,
	0x017D,
	0,
	0,
	0x2018,
	0x2019,
	0x201C,
	0x201D,
	0x2022,
	0x2013,
	0x2014,
	0x02DC,
	0x2122,
	0x0161,
	0x203A,
	0x0153,
	0,
	0x017E,
	0x0178,
};

/* U+FFFD marks an undefined Windows-1252 byte in the converted text; Windows-1252 cannot
 * produce it otherwise, so the parser reports it with its row. */
#define BAD_CP1252 "\xEF\xBF\xBD"

struct reader {
	const char *name;
	const char *p, *end;
	char delim;
	int cp1252;
	size_t row; /* row of the record being read */
	struct sbuf field;
	char **fields;
	size_t nfields, cap;
	struct csv_table *t;
	struct errlist *errs;
	int nomem;
};

const char *
csv_encoding_name(enum csv_encoding e)
{
	switch (e) {
	case CSV_UTF8_BOM: return N_("UTF-8 with BOM");
	case CSV_CP1252: return "Windows-1252";
	default: return "UTF-8";
	}
}

const char *
csv_delim_name(char delim)
{
	return delim == ';' ? N_("semicolon") : delim == '\t' ? N_("tab") : N_("comma");
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates, at
 * most U+10FFFF), or 0. */
static size_t
utf8_seq(const unsigned char *s, const unsigned char *end)
{
	size_t n, i;
	unsigned long cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if ((size_t)(end - s) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return n;
}

/* The offset of the first byte that is not valid UTF-8, or len. */
static size_t
utf8_bad(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf, *end = s + len;
	size_t n;

	while (s < end) {
		if ((n = utf8_seq(s, end)) == 0)
			break;
		s += n;
	}
	return (size_t)(s - (const unsigned char *)buf);
}

/* The line of an offset (a line break inside a quoted field counts here: the message
 * only needs to lead the eye to the place). */
static size_t
line_of(const char *buf, size_t off)
{
	size_t i, line = 1;

	for (i = 0; i < off; i++)
		line += buf[i] == '\n';
	return line;
}

static void
put_cp(struct sbuf *b, unsigned long cp)
{
	char u[3];

	if (cp < 0x80) {
		u[0] = (char)cp;
		sbuf_add(b, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3F));
		sbuf_add(b, u, 2);
	} else {
		u[0] = (char)(0xE0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		sbuf_add(b, u, 3);
	}
}

/* Windows-1252 to UTF-8. */
static int
from_cp1252(const char *buf, size_t len, char **out, size_t *outlen)
{
	struct sbuf b = SBUF_INIT;
	size_t i;
	unsigned char c;

	sbuf_add(&b, "", 0);
	for (i = 0; i < len; i++) {
		c = (unsigned char)buf[i];
		if (c >= 0x80 && c <= 0x9F)
			put_cp(&b, cp1252_c1[c - 0x80] ? cp1252_c1[c - 0x80] : 0xFFFD);
		else
			put_cp(&b, c);
	}
	return sbuf_finish(&b, out, outlen);
}

/* Fields in the header when d is the delimiter, read by the parser's rules: a quote
 * opens a quoted field only at the start of a field. */
static size_t
header_fields(const char *p, const char *end, char d)
{
	size_t n = 1;
	int start = 1, quoted = 0;

	for (; p < end; p++) {
		if (quoted) {
			if (*p == '"' && p + 1 < end && p[1] == '"')
				p++;
			else if (*p == '"')
				quoted = 0;
			continue;
		}
		if (*p == '\n' || *p == '\r')
			break;
		if (start && *p == '"')
			quoted = 1;
		start = *p == d;
		n += start;
	}
	return n;
}

/* The delimiter that splits the header (its first non-empty line) into the most
 * fields; a tie goes to ";" then tab then "," (a header holds no decimal commas). */
static char
detect_delim(const char *p, const char *end)
{
	static const char cand[] = { ';', '\t', ',' };
	size_t n, best = 1, i;
	char d = ',';

	while (p < end && (*p == '\n' || *p == '\r'))
		p++;
	for (i = 0; i < 3; i++)
		if ((n = header_fields(p, end, cand[i])) > best) {
			best = n;
			d = cand[i];
		}
	return d;
}

static void
end_field(struct reader *r)
{
	char *s = NULL, **f;
	size_t len;

	if (r->nfields == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		if ((f = realloc(r->fields, cap * sizeof(*f))) == NULL) {
			r->nomem = 1;
			sbuf_free(&r->field);
			return;
		}
		r->fields = f;
		r->cap = cap;
	}
	sbuf_add(&r->field, "", 0);
	if (sbuf_finish(&r->field, &s, &len) < 0)
		r->nomem = 1;
	else
		r->fields[r->nfields++] = s;
	r->field = (struct sbuf)SBUF_INIT;
}

static void
free_fields(char **fields, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(fields[i]);
	free(fields);
}

/* Keeps a record that has at least one non-empty field; an empty row (Excel writes
 * ";;;;" for one) still counts as a row. */
static void
end_record(struct reader *r)
{
	struct csv_table *t = r->t;
	struct csv_record *rec;
	size_t i, used = 0;

	end_field(r);
	for (i = 0; i < r->nfields; i++)
		used |= r->fields[i][0] != '\0';
	if (used && t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		if ((rec = realloc(t->rec, cap * sizeof(*rec))) == NULL)
			r->nomem = 1, used = 0;
		else
			t->rec = rec, t->cap = cap;
	}
	if (used) {
		t->rec[t->n].row = r->row;
		t->rec[t->n].nfields = r->nfields;
		t->rec[t->n++].fields = r->fields;
	} else {
		free_fields(r->fields, r->nfields);
	}
	r->fields = NULL;
	r->nfields = r->cap = 0;
	r->row++;
}

/* Consumes a line break at r->p (LF, CRLF or CR); 1 when there was one. */
static int
line_break(struct reader *r)
{
	if (*r->p == '\r') {
		r->p += r->p + 1 < r->end && r->p[1] == '\n' ? 2 : 1;
		return 1;
	}
	if (*r->p == '\n') {
		r->p++;
		return 1;
	}
	return 0;
}

/* A quoted field from after its opening quote up to and including the closing one;
 * a line break inside becomes "\n" and the row it started on stays the record's row. */
static int
quoted_field(struct reader *r)
{
	while (r->p < r->end) {
		if (*r->p == '"') {
			if (r->p + 1 < r->end && r->p[1] == '"') {
				sbuf_add(&r->field, "\"", 1);
				r->p += 2;
				continue;
			}
			r->p++;
			return 0;
		}
		if (line_break(r)) {
			sbuf_add(&r->field, "\n", 1);
			continue;
		}
		sbuf_add(&r->field, r->p++, 1);
	}
	errlist_add(
	    r->errs, "%s:%zu: a quoted field is not closed (a \" is missing)", r->name, r->row);
	return -EINVAL;
}

/* After a closing quote only the delimiter or the end of the line may follow; spaces
 * are skipped (some writers pad), anything else is reported and skipped. */
static void
after_quote(struct reader *r)
{
	int bad = 0;

	while (r->p < r->end && *r->p != r->delim && *r->p != '\n' && *r->p != '\r') {
		bad |= *r->p != ' ';
		r->p++;
	}
	if (bad)
		errlist_add(r->errs,
		    "%s:%zu: text after the closing quote of field %zu (a quote "
		    "inside a quoted field must be doubled)",
		    r->name, r->row, r->nfields + 1);
}

static int
parse(struct reader *r)
{
	int at_start = 1;

	while (r->p < r->end && !r->nomem) {
		if (*r->p == '\0') {
			errlist_add(
			    r->errs, "%s:%zu: a NUL byte (is this a text file?)", r->name, r->row);
			return -EINVAL;
		}
		if (at_start && *r->p == '"') {
			r->p++;
			if (quoted_field(r) < 0)
				return -EINVAL;
			after_quote(r);
			at_start = 0;
			continue;
		}
		if (*r->p == r->delim) {
			end_field(r);
			r->p++;
			at_start = 1;
		} else if (line_break(r)) {
			end_record(r);
			at_start = 1;
		} else {
			sbuf_add(&r->field, r->p++, 1);
			at_start = 0;
		}
	}
	/* Text after the last line break is a last record without one. */
	if (!at_start || r->nfields > 0)
		end_record(r);
	return r->nomem ? -ENOMEM : 0;
}

/* Reports each undefined Windows-1252 byte with its record's row. */
static void
check_cp1252(struct csv_table *t, const char *name, struct errlist *errs)
{
	size_t i, j;

	for (i = 0; i < t->n; i++)
		for (j = 0; j < t->rec[i].nfields; j++)
			if (strstr(t->rec[i].fields[j], BAD_CP1252) != NULL)
				errlist_add(errs,
				    "%s:%zu: a byte that is not a character in "
				    "Windows-1252 (0x81, 0x8D, 0x8F, 0x90 or 0x9D)",
				    name, t->rec[i].row);
}

/* A BOM that a tool put in front of the header after some empty lines is not part of
 * the first column's name; a record it leaves empty is no record. */
static void
strip_header_bom(struct csv_table *t)
{
	struct csv_record *r = t->n ? &t->rec[0] : NULL;
	size_t i, used = 0, len;

	if (r == NULL || r->nfields == 0)
		return;
	while ((len = strlen(r->fields[0])) >= 3 && memcmp(r->fields[0], "\xEF\xBB\xBF", 3) == 0)
		memmove(r->fields[0], r->fields[0] + 3, len - 2);
	for (i = 0; i < r->nfields; i++)
		used |= r->fields[i][0] != '\0';
	if (used)
		return;
	free_fields(r->fields, r->nfields);
	memmove(&t->rec[0], &t->rec[1], (t->n - 1) * sizeof(*t->rec));
	t->n--;
	strip_header_bom(t);
}

int
csv_read(const char *buf, size_t len, const char *name, struct csv_table *t, struct errlist *errs)
{
	return csv_read_delim(buf, len, name, 0, t, errs);
}

int
csv_read_delim(const char *buf, size_t len, const char *name, char delim, struct csv_table *t,
    struct errlist *errs)
{
	struct reader r;
	char *text = NULL;
	size_t tlen = 0, before = errs->n;
	int rc;

	memset(&r, 0, sizeof(r));
	t->encoding = CSV_UTF8;
	if (len >= 2 &&
	    ((buf[0] == '\xFF' && buf[1] == '\xFE') || (buf[0] == '\xFE' && buf[1] == '\xFF'))) {
		errlist_add(errs,
		    "%s:1: UTF-16 text; save the sheet as \"CSV UTF-8\" or "
		    "\"CSV (semicolon separated)\"",
		    name);
		return -EINVAL;
	}
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
		/* A sheet saved again by a tool that adds a BOM may carry two. */
		while (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
			buf += 3;
			len -= 3;
		}
		t->encoding = CSV_UTF8_BOM;
		if ((tlen = utf8_bad(buf, len)) < len) {
			errlist_add(errs,
			    "%s:%zu: not UTF-8, although the file starts with a UTF-8 "
			    "byte order mark",
			    name, line_of(buf, tlen));
			return -EINVAL;
		}
	} else if (utf8_bad(buf, len) < len) {
		t->encoding = CSV_CP1252;
		if (from_cp1252(buf, len, &text, &tlen) < 0)
			return -ENOMEM;
		buf = text;
		len = tlen;
	}
	r.name = name;
	r.p = buf;
	r.end = buf + len;
	r.delim = t->delim = delim ? delim : detect_delim(buf, buf + len);
	r.row = 1;
	r.t = t;
	r.errs = errs;
	rc = parse(&r);
	strip_header_bom(t);
	sbuf_free(&r.field);
	free_fields(r.fields, r.nfields);
	if (t->encoding == CSV_CP1252)
		check_cp1252(t, name, errs);
	free(text);
	if (rc == 0 && errs->n > before)
		rc = -EINVAL;
	return rc;
}

void
csv_table_free(struct csv_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free_fields(t->rec[i].fields, t->rec[i].nfields);
	free(t->rec);
	t->rec = NULL;
	t->n = t->cap = 0;
}

void
csv_put_field(struct sbuf *b, const char *s, char delim)
{
	size_t len = strlen(s);
	const char *p;

	if (len == 0 ||
	    (strchr(s, delim) == NULL && strpbrk(s, "\"\r\n") == NULL && s[0] != ' ' &&
	        s[len - 1] != ' ')) {
		sbuf_add(b, s, len);
		return;
	}
	sbuf_add(b, "\"", 1);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			sbuf_add(b, "\"\"", 2);
		else if (*p != '\r')
			sbuf_add(b, p, 1);
	}
	sbuf_add(b, "\"", 1);
}

void
csv_end_record(struct sbuf *b)
{
	sbuf_add(b, "\r\n", 2);
}
