/* actionlist_tab: the one table of action-list columns and values, shared by the import
 * (actionlist.c) and the export (actionlist_export.c).  Internal to core/. */
#ifndef KAPD_ACTIONLIST_TAB_H
#define KAPD_ACTIONLIST_TAB_H

#include <jansson.h>

enum al_col {
	AL_KEY,
	AL_TYPE,
	AL_TITLE,
	AL_OWNER,
	AL_DUE,
	AL_STATE,
	AL_MILESTONE,
	AL_PROJECT,
	AL_DESCRIPTION,
	AL_NCOLS
};

struct al_column {
	enum al_col id;
	const char *en, *de; /* header names */
	const char *member;  /* the item's kapd-plan/1 member; NULL for key and type */
};

/* A value with its words in both languages: types and states. */
struct al_word {
	const char *value; /* the kapd-plan/1 value */
	const char *en, *de;
};

extern const struct al_column al_columns[AL_NCOLS];
extern const struct al_word al_types[];  /* "milestone", "activity"; NULL-terminated */
extern const struct al_word al_states[]; /* "open", "done", "cancelled" */

/* The plan object with key in doc and (optionally) its account; NULL when absent. */
json_t *al_find_plan(json_t *doc, const char *key, json_t **account);
/* The object of array arr whose string member equals key; NULL when absent. */
json_t *al_find(json_t *arr, const char *member, const char *key);
/* The person object with key in doc's people; NULL when absent. */
json_t *al_find_person(json_t *doc, const char *key);

#endif
