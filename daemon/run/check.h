/* check: one controlling run (SPEC §3).  It streams the open items of the active plans
 * through the rules, leaves out what the ledger says was mailed, and either prints what
 * is pending (dry run) or mails what is due at this slot and records it.  Deliveries left
 * unfinished by a crash, and temporary failures whose retry time came, are sent first. */
#ifndef KAPD_CHECK_H
#define KAPD_CHECK_H

#include "store/db.h" /* the opaque sqlite3 handle */
#include <stdio.h>
#include <time.h>

#include "conf/config.h"
#include "lib/errlist.h"
#include "io/transport.h"
#include "run/stats.h"

struct check_options {
	time_t now;
	int dry_run; /* decide, neither send nor record */
	int json;    /* dry run: one JSON object a line (SPEC §6) */
	FILE *out;   /* where a dry run prints */
};

/* Runs one check.  Problems with single messages or people (a bad address, a transport
 * error) are appended to problems and do not stop the check; a negative return means the
 * check itself failed (the database), with err filled.  tp may be NULL for a dry run. */
int check_run(sqlite3 *db, const struct kapd_config *cfg, struct transport *tp,
    const struct check_options *o, struct check_stats *st, struct errlist *problems, char *err,
    size_t errlen);

#endif
