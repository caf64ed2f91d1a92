/* page_facts: reads the whole plan for its page (core/page.h) from the database, in one
 * read transaction so the page shows one state of the plan. */
#ifndef KAPD_PAGE_FACTS_H
#define KAPD_PAGE_FACTS_H

#include <sqlite3.h>
#include <stddef.h>

#include "core/page.h"

struct page_facts {
	struct page_plan plan; /* points into this struct's memory */
	const char *timezone;  /* the plan's zone, NULL when it has none */
	void *mem;             /* owns everything */
};

/* Reads plan_key.  *out is new (page_facts_free).  -ENOENT when there is no such plan;
 * negative errno with err filled. */
int page_facts_load(
    sqlite3 *db, const char *plan_key, struct page_facts **out, char *err, size_t errlen);
/* Frees f; accepts NULL. */
void page_facts_free(struct page_facts *f);

#endif
