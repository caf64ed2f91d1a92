/* config: kapd.conf (libconfig syntax) into a typed, validated struct kapd_config.
 *
 * Every key is one row of a table (name, type, range, default, offset).  A type knows
 * which libconfig value types it accepts and how to check and store a value.  Defaults are
 * written in the table as they would be written in kapd.conf and go through the same
 * setters as the file, so a default can never bypass a check.  Reading never stops at the
 * first problem: every error is appended to an errlist as "file:line: what is wrong", and
 * the cross-field rules run after all keys were read.
 *
 * This file loads a file (or the defaults), reports, and checks the rules between keys;
 * the table is in config_keys.c, the setters in config_set.c (config_impl.h joins them). */
#include "conf/config_impl.h"
#include "lib/textcheck.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#define CONFIG_MAX_BYTES (1024 * 1024) /* far beyond any sensible kapd.conf */

/* ---- messages ---- */

/* Appends "file:line: [group.key: ]message"; without a setting (or a line) "file: ...". */
void
config_say(struct ctx *x, const struct key *k, const config_setting_t *s, const char *fmt, ...)
{
	const char *file = x->file, *group = k != NULL && x->group != NULL ? x->group : "";
	unsigned line = s != NULL ? config_setting_source_line(s) : 0;
	char where[24] = "", *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (s != NULL && config_setting_source_file(s) != NULL)
		file = config_setting_source_file(s);
	if (line > 0)
		snprintf(where, sizeof(where), ":%u", line);
	if (errlist_add(x->errs, "%s%s: %s%s%s%s%s", file, where, group, *group ? "." : "",
	        k != NULL ? k->name : "", k != NULL ? ": " : "",
	        msg != NULL ? msg : "(out of memory)") < 0 ||
	    msg == NULL)
		x->nomem = 1;
	x->nerr++;
	free(msg);
}

/* ---- whole-file checks ---- */

/* Checks the integer literal at p (a sign, digits, maybe hex or an L suffix; floats are
 * skipped) and returns the first character after it. */
static const char *
scan_number(const char *p, unsigned line, struct ctx *x)
{
	const char *q = p + (*p == '-' || *p == '+'), *end = q;
	int hex = q[0] == '0' && (q[1] == 'x' || q[1] == 'X'), bad;

	while (isalnum((unsigned char)*end) || *end == '.' ||
	    ((*end == '-' || *end == '+') && !hex && (end[-1] == 'e' || end[-1] == 'E')))
		end++;
	for (const char *c = q; c < end && !hex; c++)
		if (*c == '.' || *c == 'e' || *c == 'E')
			return end;
	errno = 0;
	if (hex)
		bad = strtoull(q, NULL, 16) > 0xffffffffULL;
	else {
		long long v = strtoll(p, NULL, 10);
		bad = end[-1] != 'L' && (v > INT_MAX || v < INT_MIN);
	}
	if (bad || errno == ERANGE) {
		if (errlist_add(x->errs, "%s:%u: %.*s does not fit in an integer", x->file, line,
		        (int)(end - p), p) < 0)
			x->nomem = 1;
		x->nerr++;
		if (x->n_bad_int < MAX_BAD_INTS)
			x->bad_int_line[x->n_bad_int++] = line;
	}
	return end;
}

/* libconfig 1.5 silently wraps integer literals that do not fit in 32 bits (4294967297
 * reads as 1), so they are caught in the text itself: numbers outside strings and
 * comments that do not continue a name. */
static void
scan_ints(const char *p, struct ctx *x)
{
	unsigned line = 1;
	char prev = ' ';

	for (; *p != '\0'; prev = *p, p++) {
		if (*p == '\n') {
			line++;
		} else if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				line += *p == '\n';
			}
			if (*p == '\0')
				return;
		} else if (*p == '#' || (*p == '/' && p[1] == '/')) {
			while (p[1] != '\0' && p[1] != '\n')
				p++;
		} else if (*p == '/' && p[1] == '*') {
			for (p += 2; *p != '\0' && !(*p == '*' && p[1] == '/'); p++)
				line += *p == '\n';
			if (*p == '\0')
				return;
			p++;
		} else if ((isdigit((unsigned char)*p) ||
		               ((*p == '-' || *p == '+') && isdigit((unsigned char)p[1]))) &&
		    !isalnum((unsigned char)prev) && strchr("_*-.", prev) == NULL) {
			p = scan_number(p, line, x) - 1;
		}
	}
}

static const config_setting_t *
at(const config_t *lc, const char *path, const char *fallback)
{
	const config_setting_t *s = config_lookup(lc, path);

	return s != NULL || fallback == NULL ? s : config_lookup(lc, fallback);
}

/* Rules between keys, checked after every key was read (and reported). */
/* "Name <addr>" or "addr", with a valid address: the sender of every email. */
static int
sender_ok(const char *from)
{
	const char *lt = strchr(from, '<');
	char addr[256];
	size_t n;

	if (lt == NULL)
		return text_is_email(from);
	n = strlen(lt + 1);
	if (n < 2 || lt[n] != '>' || n - 1 >= sizeof(addr))
		return 0;
	memcpy(addr, lt + 1, n - 1);
	addr[n - 1] = '\0';
	return text_is_email(addr);
}

int
config_reply_address(const struct kapd_config *c, const char *key, char *buf, size_t len)
{
	const char *a = c->replies.address, *k = a != NULL ? strstr(a, "{key}") : NULL;
	int n;

	if (k == NULL || strstr(k + 5, "{key}") != NULL)
		return -EINVAL;
	n = snprintf(buf, len, "%.*s%s%s", (int)(k - a), a, key, k + 5);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return text_is_email(buf) ? 0 : -EINVAL;
}

/* The replies group, when on: where replies come from and where they are sent to. */
static void
check_replies(const config_t *lc, struct ctx *x)
{
	const struct kapd_config *c = x->c;
	const config_setting_t *g = at(lc, "replies.source", "replies");
	char probe[320];

	if (c->replies.source == REPLY_OFF)
		return;
	/* A sample key as long as a real one (32 hex digits) shows the address is usable. */
	if (c->replies.address == NULL)
		config_say(x, NULL, g, "replies.address: required when replies are on");
	else if (config_reply_address(c, "0123456789abcdef0123456789abcdef", probe, sizeof(probe)) <
	    0)
		config_say(x, NULL, at(lc, "replies.address", NULL),
		    "replies.address: \"%s\" must be an "
		    "address with {key} once, like \"kap+{key}@example.com\"",
		    c->replies.address);
	if (c->replies.source == REPLY_IMAP && c->replies.url == NULL)
		config_say(x, NULL, g, "replies.url: required when replies.source is \"imap\"");
	if (c->replies.source == REPLY_IMAP && c->replies.user == NULL)
		config_say(x, NULL, g, "replies.user: required when replies.source is \"imap\"");
	if (c->replies.source == REPLY_MAILDIR && c->replies.maildir == NULL)
		config_say(
		    x, NULL, g, "replies.maildir: required when replies.source is \"maildir\"");
}

static void
check_rules(const config_t *lc, struct ctx *x)
{
	const struct kapd_config *c = x->c;
	char a[24], b[24];

	if (c->delivery.window_end <= c->delivery.send_time)
		config_say(x, NULL, at(lc, "delivery.window_end", "delivery.send_time"),
		    "delivery.window_end (%02d:%02d) must be after delivery.send_time (%02d:%02d)",
		    c->delivery.window_end / 60, c->delivery.window_end % 60,
		    c->delivery.send_time / 60, c->delivery.send_time % 60);
	if (c->delivery.give_up_after < c->delivery.retry_first)
		config_say(x, NULL, at(lc, "delivery.give_up_after", "delivery.retry_first"),
		    "delivery.give_up_after (%s) must not be shorter than delivery.retry_first "
		    "(%s)",
		    config_fmt_duration(c->delivery.give_up_after, a, sizeof(a)),
		    config_fmt_duration(c->delivery.retry_first, b, sizeof(b)));
	if (c->delivery.retry_max < c->delivery.retry_first)
		config_say(x, NULL, at(lc, "delivery.retry_max", "delivery.retry_first"),
		    "delivery.retry_max (%s) must not be shorter than delivery.retry_first (%s)",
		    config_fmt_duration(c->delivery.retry_max, a, sizeof(a)),
		    config_fmt_duration(c->delivery.retry_first, b, sizeof(b)));
	if (!sender_ok(c->mail.from))
		config_say(x, NULL, at(lc, "mail.from", NULL),
		    "mail.from: \"%s\" is not an address "
		    "(\"Name <user@example.com>\" or \"user@example.com\")",
		    c->mail.from);
	check_replies(lc, x);
	if (c->mail.transport != MAIL_SMTP)
		return;
	if (c->mail.url == NULL)
		config_say(x, NULL, at(lc, "mail.transport", NULL),
		    "mail.url: required when mail.transport is \"smtp\"");
	/* The built-in sender only suits the file transport: a real server needs a real one. */
	if (config_lookup(lc, "mail.from") == NULL)
		config_say(x, NULL, at(lc, "mail.transport", NULL),
		    "mail.from: required when mail.transport is \"smtp\"");
}

static void
syntax_error(const config_t *lc, struct ctx *x)
{
	const char *file = config_error_file(lc) != NULL ? config_error_file(lc) : x->file;
	const char *text = config_error_text(lc) != NULL ? config_error_text(lc) : "";
	int r;

	if (config_error_type(lc) == CONFIG_ERR_FILE_IO)
		r = errlist_add(x->errs, "%s: cannot read: %s", file, text);
	else if (strcmp(text, "syntax error") == 0) /* libconfig's text for most errors */
		r = errlist_add(x->errs, "%s:%d: syntax error", file, config_error_line(lc));
	else
		r = errlist_add(
		    x->errs, "%s:%d: syntax error: %s", file, config_error_line(lc), text);
	if (r < 0)
		x->nomem = 1;
	x->nerr++;
}

/* The whole file as a string (so that scan_ints() can see the literals). */
static int
read_text(const char *path, struct errlist *errs, char **out)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	int r = 0;

	if (f == NULL || (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode))) {
		r = f == NULL ? -errno : -EISDIR;
		errlist_add(errs, "%s: cannot open: %s", path, strerror(-r));
	} else if ((buf = malloc(CONFIG_MAX_BYTES + 1)) == NULL) {
		r = -ENOMEM;
		errlist_add(errs, "%s: out of memory", path);
	} else if ((n = fread(buf, 1, CONFIG_MAX_BYTES + 1, f)) > CONFIG_MAX_BYTES || ferror(f) ||
	    memchr(buf, '\0', n) != NULL) {
		r = ferror(f) ? -EIO : n > CONFIG_MAX_BYTES ? -EFBIG : -EINVAL;
		errlist_add(errs, "%s: cannot read: %s", path,
		    r == -EINVAL ? "it contains a NUL byte" : strerror(-r));
	}
	if (f != NULL)
		fclose(f);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

/* ---- public ---- */

/* Each default goes through the same setter as a value from the file. */
static void
apply_defaults(const struct key *keys, struct ctx *x)
{
	char buf[256];
	config_t lc;

	for (const struct key *k = keys; k->name != NULL; k++) {
		if (k->type == K_GROUP) {
			x->group = k->name;
			apply_defaults(k->sub, x);
			x->group = NULL;
			continue;
		}
		if (k->dflt == NULL)
			continue;
		config_init(&lc);
		snprintf(buf, sizeof(buf), "v = %s;", k->dflt);
		if (config_read_string(&lc, buf) == CONFIG_TRUE)
			config_apply(k, config_lookup(&lc, "v"), x);
		else
			x->nerr++;
		config_destroy(&lc);
	}
}

int
config_defaults(struct kapd_config *c)
{
	struct errlist errs = ERRLIST_INIT;
	struct kapd_config t;
	struct ctx x = { .file = "(built-in default)", .errs = &errs, .c = &t };

	memset(&t, 0, sizeof(t));
	apply_defaults(config_top_keys, &x);
	errlist_free(&errs);
	if (x.nomem || x.nerr > 0) {
		config_free(&t);
		return x.nomem ? -ENOMEM : -EINVAL; /* -EINVAL: a bad default in the table */
	}
	*c = t;
	return 0;
}

int
config_load(const char *path, struct kapd_config *c, struct errlist *errs)
{
	struct kapd_config t;
	struct ctx x = { .file = path, .errs = errs, .c = &t };
	char *text = NULL;
	config_t lc;
	int r;

	if ((r = read_text(path, errs, &text)) < 0)
		return r;
	if ((r = config_defaults(&t)) < 0) {
		errlist_add(errs, "%s: cannot set up the defaults: %s", path, strerror(-r));
		free(text);
		return r;
	}
	config_init(&lc);
	if (config_read_string(&lc, text) != CONFIG_TRUE) {
		syntax_error(&lc, &x);
	} else {
		scan_ints(text, &x);
		config_read_group(config_top_keys, config_root_setting(&lc), &x);
		check_rules(&lc, &x);
	}
	config_destroy(&lc);
	free(text);
	config_replace_string(&t.path, path, &x);
	if (x.nomem && errlist_add(errs, "%s: out of memory", path) == 0)
		x.nerr++;
	r = x.nomem ? -ENOMEM : x.nerr > 0 ? -EINVAL : 0;
	if (r == 0)
		*c = t;
	else
		config_free(&t);
	return r;
}

static void
free_keys(const struct key *keys, struct kapd_config *c)
{
	for (const struct key *k = keys; k->name != NULL; k++) {
		char *p = (char *)c + k->off;

		if (k->type == K_GROUP)
			free_keys(k->sub, c);
		else if (k->type == K_STRING || k->type == K_ZONE)
			free(*(char **)p);
		else if (k->type == K_DATES)
			free(*(kdate_t **)p);
	}
}

void
config_free(struct kapd_config *c)
{
	if (c == NULL)
		return;
	free_keys(config_top_keys, c);
	free(c->path);
	memset(c, 0, sizeof(*c));
}
