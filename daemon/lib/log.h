/* log: the programs' one logging module.  Library-like modules return errors and never log.
 * Under systemd (JOURNAL_STREAM set and matching stderr) each line carries a "<N>" syslog
 * priority prefix so journald keeps the priority; otherwise lines are plain. */
#ifndef KAPD_LOG_H
#define KAPD_LOG_H

#include <stddef.h>
#include <syslog.h>

/* Sets the program name used in plain lines and detects the journal. */
void log_init(const char *prog);
/* Only messages at or above this priority (LOG_ERR .. LOG_DEBUG) are written. */
void log_set_level(int prio);
/* Writes one line.  The formatted message is escaped as a whole (log_escape), so no
 * argument can break the line or reach the terminal as a control sequence. */
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Copies in to out (outlen bytes, always terminated) with backslash, CR, LF, TAB, the
 * other C0 controls, DEL, C1 controls (U+0080..U+009F), U+2028/U+2029, the bidi controls
 * (U+202A..U+202E, U+2066..U+2069) and bytes that are not UTF-8 written as escapes (\\ \r \n \t \xNN \uNNNN); valid UTF-8 text stays.  Stops
 * before an escape that would not fit.  Returns the length written. */
size_t log_escape(const char *in, char *out, size_t outlen);

#endif
