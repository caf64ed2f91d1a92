/* planspec: the tables describing kapd-plan/1, shared by validation, import and export.
 * Each object kind lists its JSON members with their type and SQL column, so the three
 * directions cannot drift apart. */
#ifndef KAPD_PLANSPEC_H
#define KAPD_PLANSPEC_H

#include <stddef.h>

enum ftype {
	F_KEY,   /* the object's own key */
	F_LINE,  /* one line of text: no control characters at all */
	F_TEXT,  /* free text: tab and line breaks allowed, no other controls */
	F_DATE,  /* YYYY-MM-DD */
	F_EMAIL, /* addr-spec */
	F_ENUM,
	F_NUMBER,
	F_CURRENCY, /* ISO 4217 code */
	F_LANG,     /* BCP 47 tag */
	F_TZ,       /* IANA zone */
	F_REF,      /* key of another object (ref_table) */
	F_MONEY,    /* {"amount": n, "currency": "EUR"} into column and column2 */
	F_CHILDREN, /* array of child objects */
};

#define FLD_REQUIRED 0x1

struct objspec;

struct field {
	const char *name; /* JSON member */
	enum ftype type;
	unsigned flags;
	const char *column;          /* SQL column (F_CHILDREN: none) */
	const char *const *enums;    /* F_ENUM: NULL-terminated */
	const char *ref_table;       /* F_REF */
	const struct objspec *child; /* F_CHILDREN */
	const char *dflt;            /* stored when the member is absent or null */
	const char *column2;         /* F_MONEY: the currency column */
};

enum objmode {
	OBJ_KEYED,   /* upsert by its key, never deleted by an import */
	OBJ_NATURAL, /* upsert by (parent, natural_key) */
	OBJ_REPLACE, /* no identity: the document's list replaces the parent's rows */
};

struct objspec {
	const char *kind; /* "activity": messages and key uniqueness */
	const char *table;
	const char *parent_column; /* NULL for top-level kinds */
	const char *parent_table;
	enum objmode mode;
	const char *natural_key; /* OBJ_NATURAL: the member that identifies it */
	const struct field *fields;
	size_t nfields;
	int has_position; /* keeps the document's order */
};

extern const struct objspec spec_person;
extern const struct objspec spec_account;

/* A JSON path for messages ("$.accounts[0].plans[1].team"). */
typedef char path_t[512];

/* Formats a path; paths are short (keys are at most 64 characters) and a longer one is
 * cut, which only shortens a message. */
void planspec_path(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The field of spec named name, or NULL. */
const struct field *planspec_field(const struct objspec *spec, const char *name);

#endif
