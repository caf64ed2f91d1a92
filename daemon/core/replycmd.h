/* replycmd: what a team member typed into a reply (SPEC §8), pure.  replycmd_strip finds
 * where the new text ends (the quoted original, a forwarded header block or a signature
 * begins); replycmd_parse reads the commands in that text, one a line, German or English,
 * from one table of command words. */
#ifndef KAPD_REPLYCMD_H
#define KAPD_REPLYCMD_H

#include <stddef.h>

#include "lib/kdate.h"

#define REPLYCMD_MAX 32       /* commands read from one reply; more are counted only */
#define REPLYCMD_MAX_BAD 8    /* command lines not understood, kept for the answer */
#define REPLYCMD_LINE_MAX 121 /* bytes of such a line kept (with its NUL) */
#define REPLYCMD_KEY_MAX 65   /* an item key: 1..64 of [A-Za-z0-9._-] */

enum replycmd_verb {
	REPLYCMD_DONE,     /* the item is done today */
	REPLYCMD_DATE,     /* the item's deadline moves */
	REPLYCMD_REVIEWED, /* the plan's annual update is recorded (KAM only) */
};

struct replycmd {
	enum replycmd_verb verb;
	char key[REPLYCMD_KEY_MAX]; /* "" when left out (the mail held one item) */
	kdate_t date;               /* REPLYCMD_DATE only */
	unsigned line;              /* 1-based, in the text given to replycmd_parse */
};

struct replycmd_list {
	struct replycmd cmd[REPLYCMD_MAX];
	size_t n;
	size_t n_dropped; /* commands beyond REPLYCMD_MAX */
	/* Lines that begin with a command word whose arguments did not parse, as typed
	 * (cut at a character boundary, controls replaced by spaces). */
	char bad[REPLYCMD_MAX_BAD][REPLYCMD_LINE_MAX];
	size_t n_bad;
};

/* One row of the command table: a word people type, what it does, and how to use it. */
struct replycmd_word {
	const char *word; /* lower case */
	enum replycmd_verb verb;
	const char *lang;  /* "en" or "de": the command list of an answer shows its own */
	const char *usage; /* "done [KEY]" */
};

/* The table, in the order an answer lists it; *n gets its length. */
const struct replycmd_word *replycmd_words(size_t *n);
/* "done", "date", "reviewed": the verb's stable name (kapctl replies, the database). */
const char *replycmd_verb_name(enum replycmd_verb v);
/* The length of the new part of a reply's text: everything before the first line that
 * starts the quoted original ("> ...", "On ... wrote:", "Am ... schrieb ...:", "-----
 * Original Message -----", Outlook's "From:/Von:" header block, a line of underscores) or
 * a signature ("-- ").  Pure, never reads past len. */
size_t replycmd_strip(const char *text, size_t len);
/* Reads the commands of text[0..len): a line whose first word is a command word is a
 * command, understood or not; other lines are ignored.  Always fills *out. */
void replycmd_parse(const char *text, size_t len, struct replycmd_list *out);
/* "2026-12-15" or "15.12.2026" (day and month may have one digit), a real day of the
 * years 1900..9999: 0 or -EINVAL. */
int replycmd_parse_date(const char *s, size_t len, kdate_t *out);

#endif
