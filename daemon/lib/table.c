#include "lib/table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct column {
	char *heading;
	size_t max;
	enum width_align align;
};

struct table {
	size_t ncols;
	struct column col[TABLE_MAX_COLS];
	char **cells; /* rows * ncols, row-major */
	size_t rows, cap;
};

struct table *
table_new(size_t ncols)
{
	struct table *t;

	if (ncols == 0 || ncols > TABLE_MAX_COLS)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t != NULL)
		t->ncols = ncols;
	return t;
}

void
table_free(struct table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->rows * t->ncols; i++)
		free(t->cells[i]);
	for (i = 0; i < t->ncols; i++)
		free(t->col[i].heading);
	free(t->cells);
	free(t);
}

void
table_column(struct table *t, size_t col, const char *heading, size_t max, enum width_align align)
{
	if (col >= t->ncols)
		return;
	free(t->col[col].heading);
	t->col[col].heading = heading != NULL ? strdup(heading) : NULL;
	t->col[col].max = max;
	t->col[col].align = align;
}

/* A cell is one line: tabs and line breaks of free text become blanks. */
static void
flatten(char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
}

int
table_row(struct table *t, const char *const *cells)
{
	size_t i, base;

	if (t->rows == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		char **c = realloc(t->cells, cap * t->ncols * sizeof(*c));

		if (c == NULL)
			return -ENOMEM;
		t->cells = c;
		t->cap = cap;
	}
	base = t->rows * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		t->cells[base + i] = strdup(cells[i] != NULL ? cells[i] : "-");
		if (t->cells[base + i] == NULL) {
			while (i-- > 0)
				free(t->cells[base + i]);
			return -ENOMEM;
		}
		flatten(t->cells[base + i]);
	}
	t->rows++;
	return 0;
}

size_t
table_rows(const struct table *t)
{
	return t->rows;
}

/* The width of each column: its widest cell or heading, at most its maximum. */
static void
measure(const struct table *t, size_t *w, int *headed)
{
	size_t c, r, cw;

	*headed = 0;
	for (c = 0; c < t->ncols; c++) {
		w[c] = width_str(t->col[c].heading);
		*headed |= t->col[c].heading != NULL;
		for (r = 0; r < t->rows; r++) {
			cw = width_str(t->cells[r * t->ncols + c]);
			if (cw > w[c])
				w[c] = cw;
		}
		if (t->col[c].max > 0 && w[c] > t->col[c].max)
			w[c] = t->col[c].max;
	}
}

static void
render_line(const struct table *t, const size_t *w, const char *const *cells, const char *indent,
    struct sbuf *out)
{
	size_t c, last = t->ncols - 1, start = out->len;

	sbuf_puts(out, indent);
	for (c = 0; c < t->ncols; c++) {
		width_fit(out, cells[c], w[c], t->col[c].align);
		if (c < last)
			sbuf_add(out, "  ", 2);
	}
	/* Empty cells at the end leave no trailing blanks. */
	while (!out->failed && out->len > start && out->s[out->len - 1] == ' ')
		out->s[--out->len] = '\0';
	sbuf_add(out, "\n", 1);
}

void
table_render(const struct table *t, const char *indent, struct sbuf *out)
{
	size_t w[TABLE_MAX_COLS], c, r;
	const char *head[TABLE_MAX_COLS];
	int headed;

	measure(t, w, &headed);
	if (headed) {
		for (c = 0; c < t->ncols; c++)
			head[c] = t->col[c].heading;
		render_line(t, w, head, indent, out);
	}
	for (r = 0; r < t->rows; r++)
		render_line(t, w, (const char *const *)&t->cells[r * t->ncols], indent, out);
}
