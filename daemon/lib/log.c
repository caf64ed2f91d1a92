#include "lib/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static const char *log_prog = "kapd";
static int log_journal;
static int log_level = LOG_INFO;

/* JOURNAL_STREAM is "device:inode" of the stream systemd connected; stderr must still be
 * that stream (a redirect in between means a human reads it). */
static int
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(2, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *prog)
{
	log_prog = prog;
	log_journal = stderr_is_journal();
}

void
log_set_level(int prio)
{
	log_level = prio;
}

void
log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio > log_level)
		return;
	if (log_journal)
		fprintf(stderr, "<%d>", prio);
	else
		fprintf(stderr, "%s: ", log_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
