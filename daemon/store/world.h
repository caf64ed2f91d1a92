/* world: the people and active plans of the database, loaded into the plain structs the
 * rules take.  Items are not loaded here: a check streams them. */
#ifndef KAPD_WORLD_H
#define KAPD_WORLD_H

#include <sqlite3.h>
#include <stddef.h>

#include "core/rules.h"

struct arena;

struct world {
	struct rules_person *people;
	const char **person_name;
	const char **person_lang; /* BCP 47 tag or NULL */
	sqlite3_int64 *person_id; /* ascending, parallel to people */
	size_t n_people;
	struct rules_absence *absences;
	struct rules_plan *plans;
	const char **plan_title;
	sqlite3_int64 *plan_id; /* ascending, parallel to plans */
	size_t n_plans;
	/* Row id -> index, built after loading when the ids are dense enough (they are
	 * INTEGER PRIMARY KEYs, normally 1..n): a check looks up two ids per item. */
	int *person_at, *plan_at; /* -1: no such row; NULL: binary search */
	size_t person_span, plan_span;
	const char *zones[64]; /* distinct zone names, shared by people and plans */
	size_t n_zones;
	struct arena *arena; /* owns every string */
};

/* Loads people (with absences and the time of their last digest) and active plans (with
 * KAM and sponsor).  On failure w is left empty and err says why. */
int world_load(sqlite3 *db, struct world *w, char *err, size_t errlen);
void world_free(struct world *w);
/* Index of the person / active plan with that row id, or RULES_NONE / -1. */
int world_person(const struct world *w, sqlite3_int64 id);
int world_plan(const struct world *w, sqlite3_int64 id);
/* A copy of s that lives as long as w (NULL for NULL); NULL also on allocation failure,
 * which world_failed() then reports. */
const char *world_strdup(struct world *w, const char *s);
int world_failed(const struct world *w);

#endif
