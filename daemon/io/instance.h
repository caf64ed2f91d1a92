/* instance: one kapd per database.  A second kapd (daemon or --once) working the same
 * ledger would send the first one's in-flight mail again as a "crash leftover" (issue 10,
 * D9).  The lock is flock(2) on DATABASE.lock, held for the life of the process and
 * released by the kernel when it ends, however it ends; the file holds the holder's pid.
 * Network file systems are refused outright: SQLite's locking is not reliable there and
 * two hosts could each believe they hold the lock. */
#ifndef KAPD_INSTANCE_H
#define KAPD_INSTANCE_H

#include <stddef.h>
#include <sys/types.h>

/* Takes the lock for the database at db_path; returns the lock's descriptor (keep it open
 * to hold the lock).  -EBUSY when another process holds it (*holder: its pid, 0 when
 * unknown), -EREMOTE when the database lies on a network file system, another negative
 * errno when the lock file cannot be made; err says which. */
int instance_lock(const char *db_path, pid_t *holder, char *err, size_t errlen);
/* Releases the lock (closes fd; -1 is fine). */
void instance_unlock(int fd);

#endif
