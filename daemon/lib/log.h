/* log: the programs' one logging module.  Library-like modules return errors and never log.
 * Under systemd (JOURNAL_STREAM set and matching stderr) each line carries a "<N>" syslog
 * priority prefix so journald keeps the priority; otherwise lines are plain. */
#ifndef KAPD_LOG_H
#define KAPD_LOG_H

#include <syslog.h>

/* Sets the program name used in plain lines and detects the journal. */
void log_init(const char *prog);
/* Only messages at or above this priority (LOG_ERR .. LOG_DEBUG) are written. */
void log_set_level(int prio);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
