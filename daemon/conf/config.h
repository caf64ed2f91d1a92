/* config: kapd.conf (libconfig syntax) parsed into a typed, validated struct.  Every key
 * has a type, a range and a default; every problem is reported as "file:line: what is
 * wrong", all at once; cross-field rules are checked after the keys. */
#ifndef KAPD_CONFIG_H
#define KAPD_CONFIG_H

#include <stddef.h>

#include "lib/errlist.h"
#include "lib/kdate.h"

#define CONFIG_MAX_LEAD 8

enum notify_mode {
	NOTIFY_DIGEST = 0,
	NOTIFY_IMMEDIATE,
	NOTIFY_ESCALATIONS_ONLY,
	NOTIFY_NONE,
};

enum mail_transport {
	MAIL_FILE = 0, /* one .eml per message into mail.directory (development, demo) */
	MAIL_SMTP,
};

enum reply_source {
	REPLY_OFF = 0, /* replies are not read (the default) */
	REPLY_IMAP,    /* an IMAP mailbox through libcurl */
	REPLY_MAILDIR, /* a local maildir (new/ -> cur/) */
};

struct kapd_config {
	char *path;         /* the file it came from; NULL for the embedded default */
	char *database;     /* SQLite file */
	char *timezone;     /* IANA zone used when neither person nor plan has one */
	int check_interval; /* seconds between checks */
	char *log_language; /* language tag of the log and STATUS= lines ("en") */
	struct {
		int lead_days[CONFIG_MAX_LEAD]; /* strictly decreasing, > 0 */
		int n_lead;
		int overdue_every_days;
		int escalate_after_days;
		int sponsor_after_days;
	} reminders;
	struct {
		int lead_days[CONFIG_MAX_LEAD];
		int n_lead;
		int overdue_every_days;
		int escalate_after_days;
	} annual_update;
	struct {
		int weekday; /* ISO 1 = Monday .. 7 = Sunday */
		int stale_after_days;
	} status_report;
	struct {
		enum notify_mode mode; /* default for people without a preference */
		int send_time;         /* minutes after local midnight */
		int window_end;        /* minutes after local midnight, > send_time */
		unsigned send_days;    /* bit (1u << iso_weekday) set for each send day */
		kdate_t *holidays;     /* sorted ascending, no duplicates */
		size_t n_holidays;
		int retry_first;   /* seconds before the first retry of a temporary failure */
		int retry_max;     /* the longest wait between two attempts (doubling stops) */
		int give_up_after; /* seconds after the first attempt */
	} delivery;
	struct {
		enum mail_transport transport;
		char *directory; /* file transport */
		char *url;       /* smtp:// or smtps:// */
		char *user;
		char *password_file;
		char *from; /* "Name <addr>" or "addr" */
		char *ca_file;
		int tls_verify; /* 1 unless explicitly turned off */
		int timeout;    /* seconds */
	} mail;
	struct {
		char *directory;
		char *base_url;
		char *domain; /* right-hand side of calendar UIDs */
		int keep_done_days;
		int alarm;
	} feeds;
	struct { /* SPEC §8: the team answers a reminder by mail */
		enum reply_source source;
		char *url; /* imaps:// or imap:// (STARTTLS required) with the mailbox */
		char *user;
		char *password_file;
		char *maildir;
		char *address;   /* Reply-To, with {key} for the mail's reply key */
		char *processed; /* IMAP mailbox handled messages move to */
		char *ca_file;
		int tls_verify;
		int timeout;          /* seconds, one IMAP exchange */
		int key_days;         /* how long a reply key is valid */
		int max_messages;     /* per check; the rest waits for the next one */
		int max_bytes;        /* per check */
		int answers_per_hour; /* per sender: the rate limit of answers */
	} replies;
	struct {
		char *directory; /* one TOKEN.html per active plan (SPEC §9) */
		char *base_url;
		int confidential; /* 0: no revenues, margins, complaints, contact notes */
	} pages;
};

/* Fills c with the embedded default (a file mail transport, nothing to configure). */
int config_defaults(struct kapd_config *c);
/* Reads and validates path.  On success fills c (free it with config_free) and returns 0;
 * otherwise appends every problem to errs as "path:line: message" (or "path: message"
 * when there is no line), leaves c untouched and returns -EINVAL (-ENOMEM, -ENOENT for a
 * missing file: then errs says so too). */
int config_load(const char *path, struct kapd_config *c, struct errlist *errs);
/* Frees what c owns; accepts NULL. */
void config_free(struct kapd_config *c);
/* Reads the SMTP password: from $CREDENTIALS_DIRECTORY/smtp-password when systemd passed
 * one, else from mail.password_file, which must not be readable by group or others.
 * *out is NULL when no password is configured.  0 or negative errno with err filled. */
int config_read_password(const struct kapd_config *c, char **out, char *err, size_t errlen);

/* Reads the IMAP password of replies: $CREDENTIALS_DIRECTORY/imap-password, else
 * replies.password_file (mode checked like the SMTP one).  *out NULL when none. */
/* Reads every secret the configuration needs (SMTP password with mail.transport "smtp",
 * IMAP password with replies.source "imap") exactly as the daemon does, then forgets
 * them; each problem is appended to errs.  0 or the first negative errno. */
struct errlist;
int config_check_secrets(const struct kapd_config *c, struct errlist *errs);
/* Wipes and frees a secret (NULL is fine). */
void config_secret_free(char *secret);
int config_read_imap_password(const struct kapd_config *c, char **out, char *err, size_t errlen);
/* replies.address with {key} replaced by key into buf: 0, or -ENOSPC / -EINVAL. */
int config_reply_address(const struct kapd_config *c, const char *key, char *buf, size_t len);

#endif
