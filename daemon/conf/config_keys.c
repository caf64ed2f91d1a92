/* config_keys: the table of kapd.conf's keys (name, type, range, default, field), and
 * reading a group of settings against it, with a suggestion for a mistyped key. */
#include "conf/config_impl.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(enum notify_mode) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum mail_transport) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum reply_source) == sizeof(int), "enums are stored as int");

static const char *const mode_names[] = { "digest", "immediate", "escalations-only", "none", NULL };
static const char *const transport_names[] = { "file", "smtp", NULL };
static const char *const smtp_schemes[] = { "smtp://", "smtps://", NULL };
static const char *const http_schemes[] = { "http://", "https://", NULL };
static const char *const source_names[] = { "off", "imap", "maildir", NULL };
static const char *const imap_schemes[] = { "imaps://", "imap://", NULL };

#define OFF(m) offsetof(struct kapd_config, m)
#define KEY(n, t, m, lo, hi, d)                                                                    \
	{                                                                                          \
		.name = n, .type = t, .off = OFF(m), .min = lo, .max = hi, .dflt = d               \
	}
#define INT(n, m, lo, hi, d) KEY(n, K_INT, m, lo, hi, d)
#define DUR(n, m, lo, hi, d) KEY(n, K_DURATION, m, lo, hi, d)
#define BOOL(n, m, d) KEY(n, K_BOOL, m, 0, 1, d)
#define STR(n, m, d) KEY(n, K_STRING, m, 0, 0, d)
#define URL(n, m, d, w)                                                                            \
	{                                                                                          \
		.name = n, .type = K_STRING, .off = OFF(m), .dflt = d, .words = w                  \
	}
#define ENUM(n, m, d, w)                                                                           \
	{                                                                                          \
		.name = n, .type = K_ENUM, .off = OFF(m), .dflt = d, .words = w                    \
	}
#define LEAD(n, m, d)                                                                              \
	{                                                                                          \
		.name = n, .type = K_LEAD, .off = OFF(m.lead_days), .off_n = OFF(m.n_lead),        \
		.min = 1, .max = 365, .dflt = d                                                    \
	}
#define GROUP(n, s)                                                                                \
	{                                                                                          \
		.name = n, .type = K_GROUP, .sub = s                                               \
	}
#define END                                                                                        \
	{                                                                                          \
		.name = NULL                                                                       \
	}

static const struct key reminders_keys[] = {
	LEAD("lead_days", reminders, "[7, 1]"),
	INT("overdue_every_days", reminders.overdue_every_days, 1, 365, "3"),
	INT("escalate_after_days", reminders.escalate_after_days, 1, 3650, "7"),
	INT("sponsor_after_days", reminders.sponsor_after_days, 1, 3650, "21"),
	END,
};

static const struct key annual_update_keys[] = {
	LEAD("lead_days", annual_update, "[30, 7]"),
	INT("overdue_every_days", annual_update.overdue_every_days, 1, 365, "7"),
	INT("escalate_after_days", annual_update.escalate_after_days, 1, 3650, "30"),
	END,
};

static const struct key status_report_keys[] = {
	KEY("weekday", K_WEEKDAY, status_report.weekday, 1, 7, "\"Monday\""),
	INT("stale_after_days", status_report.stale_after_days, 1, 3650, "180"),
	END,
};

static const struct key delivery_keys[] = {
	ENUM("mode", delivery.mode, "\"digest\"", mode_names),
	KEY("send_time", K_TIME, delivery.send_time, 0, 0, "\"08:00\""),
	KEY("window_end", K_TIME, delivery.window_end, 0, 0, "\"18:00\""),
	KEY("send_days", K_WEEKDAYS, delivery.send_days, 0, 0,
	    "[\"Monday\", \"Tuesday\", \"Wednesday\", \"Thursday\", \"Friday\"]"),
	{ .name = "holidays",
	    .type = K_DATES,
	    .off = OFF(delivery.holidays),
	    .off_n = OFF(delivery.n_holidays),
	    .dflt = "[]" },
	DUR("retry_first", delivery.retry_first, 1, 86400, "\"5m\""),
	DUR("retry_max", delivery.retry_max, 1, 86400, "\"2h\""),
	DUR("give_up_after", delivery.give_up_after, 1, 60 * 86400, "\"4d\""),
	END,
};

static const struct key mail_keys[] = {
	ENUM("transport", mail.transport, "\"file\"", transport_names),
	STR("directory", mail.directory, "\"/var/lib/kapd/outbox\""),
	URL("url", mail.url, NULL, smtp_schemes),
	STR("user", mail.user, NULL),
	STR("password_file", mail.password_file, NULL),
	STR("from", mail.from, "\"kapd <kapd@localhost.localdomain>\""),
	STR("ca_file", mail.ca_file, NULL),
	BOOL("tls_verify", mail.tls_verify, "true"),
	DUR("timeout", mail.timeout, 1, 3600, "\"60s\""),
	END,
};

static const struct key feeds_keys[] = {
	STR("directory", feeds.directory, "\"/var/lib/kapd/feeds\""),
	URL("base_url", feeds.base_url, "\"http://localhost/kapd/\"", http_schemes),
	STR("domain", feeds.domain, "\"kapd.localhost\""),
	INT("keep_done_days", feeds.keep_done_days, 0, 3650, "30"),
	BOOL("alarm", feeds.alarm, "false"),
	END,
};

static const struct key replies_keys[] = {
	ENUM("source", replies.source, "\"off\"", source_names),
	URL("url", replies.url, NULL, imap_schemes),
	STR("user", replies.user, NULL),
	STR("password_file", replies.password_file, NULL),
	STR("maildir", replies.maildir, NULL),
	STR("address", replies.address, NULL),
	STR("processed", replies.processed, "\"kapd/processed\""),
	STR("ca_file", replies.ca_file, NULL),
	BOOL("tls_verify", replies.tls_verify, "true"),
	DUR("timeout", replies.timeout, 1, 600, "\"30s\""),
	INT("key_days", replies.key_days, 1, 3650, "60"),
	INT("max_messages", replies.max_messages, 1, 100000, "1000"),
	INT("max_bytes", replies.max_bytes, 1024, 1024 * 1024 * 1024, "104857600"),
	INT("answers_per_hour", replies.answers_per_hour, 0, 1000, "10"),
	END,
};

static const struct key pages_keys[] = {
	STR("directory", pages.directory, "\"/var/lib/kapd/pages\""),
	URL("base_url", pages.base_url, "\"http://localhost/kapd/pages/\"", http_schemes),
	BOOL("confidential", pages.confidential, "true"),
	END,
};

static const struct key top_keys[] = {
	STR("database", database, "\"/var/lib/kapd/kapd.db\""),
	KEY("timezone", K_ZONE, timezone, 0, 0, "\"UTC\""),
	DUR("check_interval", check_interval, 60, 86400, "\"15m\""),
	STR("log_language", log_language, "\"en\""),
	GROUP("reminders", reminders_keys),
	GROUP("annual_update", annual_update_keys),
	GROUP("status_report", status_report_keys),
	GROUP("delivery", delivery_keys),
	GROUP("mail", mail_keys),
	GROUP("feeds", feeds_keys),
	GROUP("replies", replies_keys),
	GROUP("pages", pages_keys),
	END,
};

const struct key *const config_top_keys = top_keys;

/* ---- unknown keys ---- */

static int
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[64];

	if (la >= 64 || lb >= 64)
		return INT_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* A likely meant key for name in keys (group: their group, or NULL), as a dotted path in
 * buf: the closest sibling within two edits, else the same name elsewhere in the tree. */
static const char *
suggest(const struct key *keys, const char *group, const char *name, char *buf, size_t len)
{
	const struct key *best = NULL;
	int bestd = 3;

	for (const struct key *k = keys; k->name != NULL; k++) {
		int d = edit_distance(name, k->name);
		if (d < bestd) {
			best = k;
			bestd = d;
		}
	}
	if (best != NULL) {
		snprintf(buf, len, "%s%s%s", group ? group : "", group ? "." : "", best->name);
		return buf;
	}
	/* No near sibling: the same name elsewhere ("send_time" at the top level). */
	for (const struct key *g = top_keys; g->name != NULL; g++) {
		if (group != NULL && g->type != K_GROUP && strcmp(g->name, name) == 0)
			return g->name;
		if (g->type != K_GROUP || (group != NULL && strcmp(g->name, group) == 0))
			continue;
		for (const struct key *k = g->sub; k->name != NULL; k++) {
			if (strcmp(k->name, name) == 0) {
				snprintf(buf, len, "%s.%s", g->name, k->name);
				return buf;
			}
		}
	}
	return NULL;
}

/* Reports an unknown key by its full dotted path; an unknown group is reported member by
 * member ("reminder.lead_days"), so that each line of a mistyped group is pointed at. */
static void
report_unknown(const config_setting_t *s, const char *path, const char *hint, struct ctx *x)
{
	int n = config_setting_is_group(s) ? config_setting_length(s) : 0;
	char sub[192];

	if (n == 0 || strlen(path) > 128) {
		config_say(x, NULL, s, "unknown key \"%s\"%s%s%s", path,
		    hint ? " (did you mean \"" : "", hint ? hint : "", hint ? "\"?)" : "");
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
		snprintf(sub, sizeof(sub), "%s.%s", path, config_setting_name(m));
		report_unknown(m, sub, hint, x);
	}
}

void
config_read_group(const struct key *keys, const config_setting_t *g, struct ctx *x)
{
	int n = config_setting_length(g);
	char path[192], hint[192];

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);
		const struct key *k = keys;

		while (k->name != NULL && strcmp(k->name, name) != 0)
			k++;
		if (k->name != NULL) {
			config_apply(k, s, x);
			continue;
		}
		snprintf(path, sizeof(path), "%s%s%s", x->group ? x->group : "",
		    x->group ? "." : "", name);
		report_unknown(s, path, suggest(keys, x->group, name, hint, sizeof(hint)), x);
	}
}
