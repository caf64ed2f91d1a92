/* feedsjob: the feed files written beside the check's mails, in a child process.
 *
 * A first check of a large database writes tens of thousands of feed files and mails;
 * on a machine with two cores both can be written at once.  feedsjob_start decides, in
 * the calling process, which feeds changed and records the changed events
 * (feeds_prepare), then forks a child that opens its own connection to the database and
 * writes the files (feeds_write): it only reads the database, and reads only plans, which
 * the mails do not change.  feedsjob_finish, once the mails are done, collects what the
 * child wrote (through a pipe), records it and removes the files of feeds that are gone
 * (feeds_finish): the same result, files and rows as feeds_publish.
 *
 * A child, not a thread: the C library's time zone (kdate_local switches TZ) and other
 * process-wide state stay out of each other's way.  The fork happens only while the
 * caller's connection holds no lock (db_idle).  When few feeds changed (the checks of
 * a normal day) or no child can be started, the files are written by feedsjob_finish
 * itself, as feeds_publish would. */
#ifndef KAPD_FEEDSJOB_H
#define KAPD_FEEDSJOB_H

#include <sys/types.h>
#include <time.h>

#include "run/feeds.h"

struct feedsjob;

/* Below this many changed feeds, starting a process costs more than it saves: the files
 * are written inline. */
#define FEEDSJOB_MIN_DIRTY 64

/* Starts publishing the feeds at instant now; cfg must outlive the job.  A child writes
 * the files when at least min_dirty feeds changed (kapd: FEEDSJOB_MIN_DIRTY).  Never
 * NULL (without memory, the job only remembers to publish inline); an error of the
 * decision is kept and returned by feedsjob_finish, so the log keeps its order. */
struct feedsjob *feedsjob_start(
    sqlite3 *db, const struct kapd_config *cfg, time_t now, size_t min_dirty);
/* The child's process id, 0 when the files are written inline (for tests). */
pid_t feedsjob_pid(const struct feedsjob *j);
/* Waits for the files, records them and frees the job: what feeds_publish returns, with
 * st, problems and err filled the same way.  A child that ended early (killed, out of
 * memory) leaves the feeds it did not report unrecorded: the next check writes them
 * again, and the previous files stay meanwhile. */
int feedsjob_finish(
    struct feedsjob *j, struct feeds_stats *st, struct errlist *problems, char *err, size_t errlen);

#endif
