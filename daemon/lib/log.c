#include "lib/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LOG_LINE_MAX 4096 /* a longer message is cut, and says so */

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

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when invalid.  Overlong
 * forms and surrogates are invalid (RFC 3629 §4). */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned long cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	cp = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* U+2028/U+2029 (line and paragraph separators) and the bidirectional controls U+202A..
 * U+202E and U+2066..U+2069, which reorder what a terminal shows ("Trojan Source"). */
static int
is_format_char(const unsigned char *s)
{
	if (s[0] != 0xe2)
		return 0;
	return (s[1] == 0x80 && s[2] >= 0xa8 && s[2] <= 0xae) ||
	    (s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9);
}

size_t
log_escape(const char *in, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t n = strlen(in), i = 0, o = 0, k;
	char esc[8];

	if (outlen == 0)
		return 0;
	while (i < n) {
		k = 1;
		esc[0] = '\0';
		if (s[i] == '\\')
			snprintf(esc, sizeof(esc), "\\\\");
		else if (s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
			snprintf(esc, sizeof(esc), "\\%c",
			    s[i] == '\n'       ? 'n'
			        : s[i] == '\r' ? 'r'
			                       : 't');
		else if (s[i] < 0x20 || s[i] == 0x7f)
			snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
		else if (s[i] >= 0x80 && (k = utf8_len(s + i, n - i)) == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
			k = 1;
		} else if (k == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0) {
			snprintf(esc, sizeof(esc), "\\u%04x", s[i + 1]); /* C1 control */
		} else if (k == 3 && is_format_char(s + i)) {
			snprintf(esc, sizeof(esc), "\\u%04x",
			    (s[i] & 0x0f) << 12 | (s[i + 1] & 0x3f) << 6 | (s[i + 2] & 0x3f));
		}
		if (esc[0] != '\0') {
			if (o + strlen(esc) >= outlen)
				break;
			memcpy(out + o, esc, strlen(esc));
			o += strlen(esc);
		} else {
			if (o + k >= outlen)
				break;
			memcpy(out + o, s + i, k);
			o += k;
		}
		i += k;
	}
	out[o] = '\0';
	return o;
}

/* Every message is escaped here, whatever its arguments: a name, address or server
 * answer with CR/LF would otherwise forge a second journal line ("Bcc: ... failed"), and
 * an ESC sequence would drive the reader's terminal (issue 10, D8). */
void
log_msg(int prio, const char *fmt, ...)
{
	char raw[LOG_LINE_MAX], line[4 * LOG_LINE_MAX];
	va_list ap;
	int n;

	if (prio > log_level)
		return;
	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (n < 0)
		snprintf(raw, sizeof(raw), "(unprintable log message)");
	log_escape(raw, line, sizeof(line));
	if (log_journal)
		fprintf(stderr, "<%d>%s%s\n", prio, line, n >= (int)sizeof(raw) ? " [cut]" : "");
	else
		fprintf(
		    stderr, "%s: %s%s\n", log_prog, line, n >= (int)sizeof(raw) ? " [cut]" : "");
}
