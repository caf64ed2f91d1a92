/* The plan pages: composing one (shared by kapd and kapctl show --html), and publishing
 * all of them after a check. */
#include "run/pages.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/page.h"
#include "lib/kdate.h"
#include "store/page_facts.h"

/* The options of a page: the plan's local date, the nearest reminder's lead as "due soon"
 * (the reminders' lead days are strictly decreasing, so the first is the longest), the
 * staleness of the status report, and the audience. */
static void
options(const struct kapd_config *cfg, const struct page_facts *f, time_t now,
    struct page_options *o)
{
	kdate_t today;

	if (f->timezone == NULL || kdate_local(now, f->timezone, &today, NULL, NULL) < 0)
		if (kdate_local(now, cfg->timezone, &today, NULL, NULL) < 0)
			today = (kdate_t)(now / 86400);
	o->today = today;
	o->soon_days = cfg->reminders.n_lead > 0 ? cfg->reminders.lead_days[0] : 7;
	o->stale_after_days = cfg->status_report.stale_after_days;
	o->confidential = cfg->pages.confidential;
}

int
pages_render(sqlite3 *db, const struct kapd_config *cfg, const char *plan_key, time_t now,
    struct sbuf *out, char *err, size_t errlen)
{
	struct page_facts *f = NULL;
	struct page_options o;
	int r;

	r = page_facts_load(db, plan_key, &f, err, errlen);
	if (r < 0)
		return r;
	options(cfg, f, now, &o);
	page_compose(&f->plan, &o, out);
	page_facts_free(f);
	if (out->failed) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}
