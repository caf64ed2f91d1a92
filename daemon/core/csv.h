/* csv: spreadsheet text in and out (RFC 4180 with what Excel and LibreOffice really
 * write).  The reader detects the encoding (UTF-8 with or without BOM, else
 * Windows-1252) and the delimiter (, ; or tab), turns everything into UTF-8 records and
 * numbers them as a spreadsheet numbers its rows.  Pure: no file I/O. */
#ifndef KAPD_CSV_H
#define KAPD_CSV_H

#include <stddef.h>

#include "lib/errlist.h"
#include "lib/sbuf.h"

enum csv_encoding { CSV_UTF8, CSV_UTF8_BOM, CSV_CP1252 };

struct csv_record {
	size_t row; /* the spreadsheet's row number: the first record is row 1 */
	size_t nfields;
	char **fields; /* UTF-8, line breaks inside a field as "\n" */
};

struct csv_table {
	enum csv_encoding encoding;
	char delim;
	struct csv_record *rec; /* records without any non-empty field are left out */
	size_t n, cap;
};

#define CSV_TABLE_INIT                                                                             \
	{                                                                                          \
		CSV_UTF8, ',', NULL, 0, 0                                                          \
	}

/* Reads buf (len bytes, need not be NUL-terminated) into t.  Every problem is added to
 * errs as "NAME:ROW: what" (name is the file name for the messages); returns 0, -EINVAL
 * when errs got something, or -ENOMEM.  t is filled as far as it was readable and must be
 * freed with csv_table_free in every case. */
int csv_read(
    const char *buf, size_t len, const char *name, struct csv_table *t, struct errlist *errs);
/* The same with a given delimiter (, ; or tab) instead of detecting it; 0 detects. */
int csv_read_delim(const char *buf, size_t len, const char *name, char delim, struct csv_table *t,
    struct errlist *errs);
void csv_table_free(struct csv_table *t);

/* "UTF-8", "UTF-8 with BOM", "Windows-1252": catalog messages (i18n_tr for another
 * language). */
const char *csv_encoding_name(enum csv_encoding e);
/* "comma", "semicolon", "tab": catalog messages. */
const char *csv_delim_name(char delim);

/* Appends one field, quoted when it holds the delimiter, a quote, a line break or
 * leading/trailing space (RFC 4180 §2.6-2.7); a line break inside stays "\n", as Excel
 * writes one inside a cell. */
void csv_put_field(struct sbuf *b, const char *s, char delim);
/* Ends a record with CRLF (RFC 4180 §2.1). */
void csv_end_record(struct sbuf *b);

#endif
