/* maint: removing keyed objects a KAM maintains with kapctl (an import never deletes). */
#ifndef KAPD_MAINT_H
#define KAPD_MAINT_H

#include <sqlite3.h>
#include <stddef.h>

#include "core/planspec.h"

/* Deletes the object of spec identified by id (its key, or for an OBJ_NATURAL kind its
 * natural key under parent_key).  -ENOENT when there is none; -EBUSY with err naming
 * the reason when other rows still refer to it (a person on a team, an item owner). */
int maint_delete(sqlite3 *db, const struct objspec *spec, const char *parent_key, const char *id,
    char *err, size_t errlen);

/* The plan whose document holds an object of spec (a child of an account or a plan),
 * given its parent's key or, without one, its own key: writes the plan key into out, or
 * "" when no plan holds it (the caller then works on the whole database). */
void maint_scope(
    sqlite3 *db, const struct objspec *spec, const char *parent_key, const char *key, char out[65]);

#endif
