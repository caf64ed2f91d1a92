/* config_impl: what the parts of conf/config share and nothing outside conf/ sees: the
 * key table's types (config_keys.c holds the table), the state of one load, and the
 * functions that read values into the struct (config_set.c) and report problems
 * (config.c). */
#ifndef KAPD_CONFIG_IMPL_H
#define KAPD_CONFIG_IMPL_H

#include <stddef.h>

#include <libconfig.h>

#include "conf/config.h"

#define MAX_BAD_INTS 32

enum ktype {
	K_INT,      /* int, min..max */
	K_BOOL,     /* int, 0 or 1 */
	K_DURATION, /* int seconds, min..max; 90, "90s", "15m", "2h", "4d" */
	K_STRING,   /* char *; words = allowed prefixes (URL schemes) or NULL */
	K_ZONE,     /* char *, an IANA time zone */
	K_ENUM,     /* int, index into words */
	K_WEEKDAY,  /* int, ISO 1..7 */
	K_TIME,     /* int, minutes after midnight from "HH:MM" */
	K_WEEKDAYS, /* unsigned, bit (1u << ISO weekday) */
	K_LEAD,     /* int[CONFIG_MAX_LEAD] at off, int count at off_n; elements min..max */
	K_DATES,    /* kdate_t * at off, size_t count at off_n; sorted, no duplicates */
	K_GROUP,    /* members in sub; groups do not nest */
};

struct key {
	const char *name;
	enum ktype type;
	size_t off;
	size_t off_n;
	long min, max;
	const char *dflt; /* as written in kapd.conf; NULL: no default (field stays NULL) */
	const char *const *words;
	const struct key *sub;
};

/* What one load is doing: where messages go and which group is being read. */
struct ctx {
	const char *file;
	struct errlist *errs;
	struct kapd_config *c;
	const char *group; /* name of the group being read, NULL at the top level */
	int nerr;
	int nomem;
	unsigned bad_int_line[MAX_BAD_INTS]; /* lines with an integer libconfig wrapped */
	size_t n_bad_int;
};

typedef void setter_fn(const struct key *k, const config_setting_t *s, struct ctx *x);

struct ktype_info {
	unsigned accept; /* bit (1u << CONFIG_TYPE_x) for each libconfig type taken */
	const char *expect;
	setter_fn *set;
};

/* Every key of kapd.conf: the top level, with a K_GROUP row for each group. */
extern const struct key *const config_top_keys;

/* Appends "file:line: [group.key: ]message" to the load's errors (k and s may be NULL). */
void config_say(struct ctx *x, const struct key *k, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Checks the setting s against key k's type and stores it, or reports why not. */
void config_apply(const struct key *k, const config_setting_t *s, struct ctx *x);
/* Applies every member of group g that keys knows, and reports the others (with a
 * suggestion when one is near). */
void config_read_group(const struct key *keys, const config_setting_t *g, struct ctx *x);
/* Replaces *dst by a copy of v; -ENOMEM (and x->nomem set) without memory. */
int config_replace_string(char **dst, const char *v, struct ctx *x);
/* "90s", "15m", "2h", "4d": the largest unit that divides v, into buf. */
const char *config_fmt_duration(long long v, char *buf, size_t len);

#endif
