/* table: a text table for the terminal whose columns are as wide as their widest cell
 * in display columns (lib/width.h), so umlauts, CJK names and emoji line up.  A column
 * may have a maximum: longer cells are cut with "…".  Pure: it renders into an sbuf. */
#ifndef KAPD_TABLE_H
#define KAPD_TABLE_H

#include <stddef.h>

#include "lib/sbuf.h"
#include "lib/width.h"

struct table;

/* A table of ncols columns (at most TABLE_MAX_COLS); NULL when out of memory.  Free it
 * with table_free. */
#define TABLE_MAX_COLS 16
struct table *table_new(size_t ncols);
void table_free(struct table *t);
/* Sets column col's heading (NULL: none; a table without any heading prints no heading
 * line), its maximum width in columns (0: none) and its alignment. */
void table_column(
    struct table *t, size_t col, const char *heading, size_t max, enum width_align align);
/* Appends a row of ncols cells (copied, tabs and line breaks as blanks; NULL prints as
 * "-"): 0 or -ENOMEM. */
int table_row(struct table *t, const char *const *cells);
/* Number of rows added. */
size_t table_rows(const struct table *t);
/* Appends the table, each line starting with indent and ending in "\n", columns
 * separated by two spaces; the last column is not padded. */
void table_render(const struct table *t, const char *indent, struct sbuf *out);

#endif
