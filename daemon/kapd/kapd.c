/* kapd: the daemon that keeps key account plans binding.  A thin loop: a check at start,
 * then one every check_interval, on SIGHUP (after reloading the configuration) and on
 * SIGUSR1; SIGTERM and SIGINT end it after the current step.  The signals stay blocked
 * and are taken with sigtimedwait(), so no handler runs in the middle of a check and the
 * process sleeps until the next check, the next watchdog ping (only when systemd asked
 * for one) or a signal: no other wake-ups.  Under systemd (Type=notify) it tells the
 * service manager READY=1 after the first check, STATUS= after every check, RELOADING=1
 * and READY=1 around a reload and STOPPING=1 at the end (daemon/notify.h). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include "run/check.h"
#include "run/replyrun.h"
#include "conf/config.h"
#include "store/db.h"
#include "store/state.h"
#include "lib/errlist.h"
#include "run/feeds.h"
#include "run/feedsjob.h"
#include "run/pages.h"
#include "io/feedfile.h"
#include "lib/i18n.h"
#include "lib/kdate.h"
#include "lib/log.h"
#include "io/instance.h"
#include "io/notify.h"
#include "io/transport.h"

/* A count with its noun in the operator's log ("1 active plan"), by the plural rule of
 * lang's catalog. */
#define COUNT(lang, buf, n, singular, plural)                                                      \
	i18n_count(lang, (unsigned long)(n), singular, plural, buf, sizeof(buf))

#define DEFAULT_CONFIG KAPD_SYSCONFDIR "/kapd/kapd.conf"

struct options {
	const char *config;
	int once, dry_run, json, check_config;
	time_t now;
	int have_now;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: kapd [-c FILE] [--once] [--dry-run] [--json] [--now TIME] "
	    "[--check-config] [--version]\n\n"
	    "  -c, --config FILE  configuration (default %s if it exists,\n"
	    "                     else the embedded default)\n"
	    "      --once         run one check and exit\n"
	    "      --dry-run      decide, but neither send nor record\n"
	    "      --json         with --dry-run: print pending notifications as JSON lines\n"
	    "      --now TIME     behave as if it were TIME (ISO 8601 with offset)\n"
	    "      --check-config check the configuration and exit (0, or 78 on errors)\n"
	    "  -V, --version      print the version\n",
	    DEFAULT_CONFIG);
}

static int
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "now", required_argument, NULL, 'N' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'o': o->once = 1; break;
		case 'n': o->dry_run = 1; break;
		case 'j': o->json = 1; break;
		case 'C': o->check_config = 1; break;
		case 'N':
			if (kdate_parse_instant(optarg, &o->now) < 0) {
				fprintf(stderr,
				    "kapd: --now: \"%s\" is not an ISO 8601 time with offset "
				    "(e.g. 2026-12-01T08:00:00+01:00)\n",
				    optarg);
				return EX_USAGE;
			}
			o->have_now = 1;
			break;
		case 'V': printf("kapd %s\n", KAPD_VERSION); return -1;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "kapd: unexpected argument \"%s\"\n", argv[optind]);
		return EX_USAGE;
	}
	if (o->json && !o->dry_run) {
		fprintf(stderr, "kapd: --json goes with --dry-run\n");
		return EX_USAGE;
	}
	return 0;
}

/* Loads the configuration and prints every error; returns 0 or EX_CONFIG. */
static int
load_config(const char *path, struct kapd_config *cfg)
{
	struct errlist errs = ERRLIST_INIT;
	size_t i;
	int r;

	if (path == NULL) {
		struct stat st;

		if (stat(DEFAULT_CONFIG, &st) == 0)
			path = DEFAULT_CONFIG;
		else
			return config_defaults(cfg) < 0 ? EX_SOFTWARE : 0;
	}
	r = config_load(path, cfg, &errs);
	for (i = 0; i < errs.n; i++)
		log_msg(LOG_ERR, "%s", errlist_msg(&errs, i, "(out of memory)"));
	errlist_free(&errs);
	return r < 0 ? EX_CONFIG : 0;
}

/* --check-config reads the secret files as a check would (issue 10, D7). */
static int
check_secrets(const struct kapd_config *cfg)
{
	struct errlist errs = ERRLIST_INIT;
	size_t i;
	int r;

	r = config_check_secrets(cfg, &errs);
	for (i = 0; i < errs.n; i++)
		log_msg(LOG_ERR, "%s", errlist_msg(&errs, i, "(out of memory)"));
	errlist_free(&errs);
	return r < 0 ? EX_CONFIG : 0;
}

struct kapd {
	int lock_fd; /* holds the single-instance lock (io/instance.h) */
	struct options opt;
	struct kapd_config cfg;
	sqlite3 *db;
	struct transport *tp;
	time_t skew; /* --now minus the clock at start: time travel keeps running */
	struct notify notify;
	struct transport_hooks hooks; /* keep the watchdog fed during network waits */
	uint64_t next_check;          /* CLOCK_MONOTONIC usec of the next scheduled check */
	time_t next_check_at;         /* the same as (--now shifted) wall-clock time */
	char last_result[160];        /* the last check in a few words, for STATUS= */
};

/* The language of the log and of STATUS=: log_language (kapd.conf(5)), English unless the
 * operator chose another, since the journal is searched and quoted.  Lines written before
 * the configuration is read, and texts quoted from the modules (SQLite's, libcurl's, the
 * configuration check's), stay English. */
static const char *
log_lang(const struct kapd *k)
{
	return i18n_lang(k->cfg.log_language);
}

static const char *__attribute__((format_arg(2))) tr(const struct kapd *k, const char *msgid)
{
	return i18n_tr(log_lang(k), msgid);
}

/* One check (--once, --dry-run) happens at exactly --now; a running daemon's clock goes
 * on from it. */
static time_t
kapd_now(const struct kapd *k)
{
	if (k->opt.have_now && (k->opt.once || k->opt.dry_run))
		return k->opt.now;
	return time(NULL) + k->skew;
}

/* Logs the problems a step reported, and frees them. */
static void
log_problems(const struct kapd *k, struct errlist *problems)
{
	size_t i;

	for (i = 0; i < problems->n; i++)
		log_msg(LOG_WARNING, "%s", errlist_msg(problems, i, tr(k, "(out of memory)")));
	errlist_free(problems);
}

/* The plan pages (SPEC §9), like the feeds: a failure is logged, the previous files
 * stay and the next check tries again. */
static void
publish_pages(struct kapd *k, time_t now)
{
	struct errlist problems = ERRLIST_INIT;
	struct pages_stats st;
	const char *lang = log_lang(k);
	char err[512], a[64], b[64];

	if (pages_publish(k->db, &k->cfg, now, &st, &problems, err, sizeof(err)) < 0)
		log_msg(LOG_ERR,
		    tr(k, "pages: %s; the previous pages stay, trying again at the next check"),
		    err);
	else
		log_msg(st.written || st.removed || st.failed ? LOG_INFO : LOG_DEBUG,
		    tr(k, "pages: %s; %s written, %zu unchanged, %zu removed, %zu failed"),
		    COUNT(lang, a, st.pages, "%lu page", "%lu pages"),
		    COUNT(lang, b, st.written, "%lu file", "%lu files"), st.same, st.removed,
		    st.failed);
	log_problems(k, &problems);
}

/* The calendar feeds (SPEC §5) and the plan pages: written after every check that is not
 * a dry run.  A failure is logged and the previous files stay; the next check tries
 * again. */
static void
publish_feeds(struct kapd *k, time_t now, struct feedsjob *job)
{
	struct errlist problems = ERRLIST_INIT;
	struct feeds_stats st;
	const char *lang = log_lang(k);
	char err[512], a[64], b[64], c[64];
	int r;

	if (job != NULL)
		r = feedsjob_finish(job, &st, &problems, err, sizeof(err));
	else
		r = feeds_publish(k->db, &k->cfg, now, &st, &problems, err, sizeof(err));
	if (r < 0)
		log_msg(LOG_ERR,
		    tr(k,
		        "feeds: %s; the previous feed files stay, trying again at the next check"),
		    err);
	else
		log_msg(st.written || st.removed || st.failed ? LOG_INFO : LOG_DEBUG,
		    tr(k, "feeds: %s, %s (%zu changed); %s written, %zu removed, %zu failed"),
		    COUNT(lang, a, st.feeds, "%lu feed", "%lu feeds"),
		    COUNT(lang, b, st.events, "%lu event", "%lu events"), st.changed,
		    COUNT(lang, c, st.written, "%lu file", "%lu files"), st.removed, st.failed);
	log_problems(k, &problems);
	publish_pages(k, now);
}

/* Replies (SPEC §8), after the check's mails so a slow mailbox never delays them.  Each
 * message's outcome is logged (never its reply key). */
static void
read_replies(struct kapd *k, time_t now)
{
	struct errlist notes = ERRLIST_INIT;
	struct replyrun_stats st;
	char err[512];
	size_t i;

	if (k->cfg.replies.source == REPLY_OFF)
		return;
	if (replyrun(k->db, &k->cfg, k->tp, &k->hooks, now, &st, &notes, err, sizeof(err)) < 0)
		log_msg(LOG_ERR, tr(k, "replies: %s; trying again at the next check"), err);
	for (i = 0; i < notes.n; i++)
		log_msg(LOG_NOTICE, "%s", errlist_msg(&notes, i, tr(k, "(out of memory)")));
	errlist_free(&notes);
	log_msg(st.fetched || st.unreadable ? LOG_INFO : LOG_DEBUG,
	    tr(k,
	        "replies: %zu read, %zu applied, %zu unchanged, %zu refused, %zu automatic, %zu "
	        "unreadable, %zu handled before, %zu answers sent, %zu left for the next check"),
	    st.fetched, st.applied, st.unchanged, st.refused, st.automatic, st.unreadable,
	    st.replayed, st.answered, st.waiting);
}

/* Temporary feed files a crash left behind; at start only, before any write. */
static void
clean_feeds(struct kapd *k)
{
	const char *lang = log_lang(k);
	size_t n = 0;
	char err[512], a[64];

	if (feedfile_clean_stale(&feedfile_ics, k->cfg.feeds.directory, &n, err, sizeof(err)) < 0)
		log_msg(LOG_WARNING, tr(k, "feeds: %s"), err);
	if (n > 0)
		log_msg(LOG_NOTICE, tr(k, "feeds: removed %s left by an earlier run"),
		    COUNT(lang, a, n, "%lu temporary file", "%lu temporary files"));
	n = 0;
	if (pages_clean_stale(k->cfg.pages.directory, &n, err, sizeof(err)) < 0)
		log_msg(LOG_WARNING, tr(k, "pages: %s"), err);
	if (n > 0)
		log_msg(LOG_NOTICE, tr(k, "pages: removed %s left by an earlier run"),
		    COUNT(lang, a, n, "%lu temporary file", "%lu temporary files"));
}

/* Opens the mail transport when it is not open: 0, or -1 after logging why (the feeds
 * are published all the same: the calendars do not depend on mail). */
static int
open_transport(struct kapd *k, time_t now)
{
	char err[512];

	if (k->opt.dry_run || k->tp != NULL)
		return 0;
	if (transport_open(&k->cfg, &k->hooks, &k->tp, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR,
		    tr(k, "mail transport: %s; nothing is sent, trying again at the next check"),
		    err);
		snprintf(k->last_result, sizeof(k->last_result), "%s",
		    tr(k, "last check failed: mail transport unavailable"));
		publish_feeds(k, now, NULL);
		return -1;
	}
	if (k->cfg.mail.transport == MAIL_SMTP && !k->cfg.mail.tls_verify)
		log_msg(LOG_WARNING, "%s",
		    tr(k,
		        "mail.tls_verify is false: the SMTP server's certificate and host name "
		        "are not verified"));
	return 0;
}

/* One check; 0, or a sysexits code when the check itself could not run. */
static int
run_check(struct kapd *k)
{
	struct errlist problems = ERRLIST_INIT;
	struct check_options o = { kapd_now(k), k->opt.dry_run, k->opt.json, stdout };
	struct check_stats st;
	struct feedsjob *job = NULL;
	const char *lang = log_lang(k);
	char err[512], a[64], b[64], c[64], d[64], e[64];
	int r;

	if (open_transport(k, o.now) < 0)
		return EX_UNAVAILABLE;
	/* The feeds are written beside the mails (run/feedsjob.h). */
	if (!k->opt.dry_run)
		job = feedsjob_start(k->db, &k->cfg, o.now, FEEDSJOB_MIN_DIRTY);
	r = check_run(k->db, &k->cfg, k->tp, &o, &st, &problems, err, sizeof(err));
	if (!k->opt.dry_run)
		publish_feeds(k, o.now, job);
	if (!k->opt.dry_run)
		read_replies(k, o.now);
	log_problems(k, &problems);
	fflush(stdout);
	if (r < 0) {
		log_msg(LOG_ERR, tr(k, "check failed: %s; trying again at the next check"), err);
		snprintf(k->last_result, sizeof(k->last_result), "%s",
		    r == -EBUSY ? tr(k, "last check failed: database busy")
		                : tr(k, "last check failed: database error"));
		return r == -EBUSY ? EX_TEMPFAIL : EX_SOFTWARE;
	}
	snprintf(k->last_result, sizeof(k->last_result),
	    tr(k, "last check: %s sent, %zu deferred, %zu failed"),
	    COUNT(lang, a, st.mails, "%lu mail", "%lu mails"), st.deferred, st.failed);
	if (!k->opt.dry_run)
		state_remember(k->db, "last_check", o.now);
	log_msg(LOG_INFO,
	    tr(k,
	        "check: %s, %s in the window, %s pending, %zu due now; %s sent (%s), %zu deferred, "
	        "%zu failed, %zu resent"),
	    COUNT(lang, b, st.plans, "%lu active plan", "%lu active plans"),
	    COUNT(lang, c, st.items, "%lu open item", "%lu open items"),
	    COUNT(lang, d, st.pending, "%lu notification", "%lu notifications"), st.due_now,
	    COUNT(lang, a, st.mails, "%lu mail", "%lu mails"),
	    COUNT(lang, e, st.notified, "%lu notification", "%lu notifications"), st.deferred,
	    st.failed, st.retried);
	return 0;
}

/* SIGHUP: a new configuration replaces the old only when it is valid.  0, or -1 when the
 * old one stays. */
static int
reload(struct kapd *k)
{
	struct errlist errs = ERRLIST_INIT;
	struct kapd_config fresh;
	size_t i;

	if (k->opt.config == NULL) {
		log_msg(LOG_NOTICE, "%s",
		    tr(k, "SIGHUP: no configuration file to reload (embedded default)"));
		return 0;
	}
	memset(&fresh, 0, sizeof(fresh));
	if (config_load(k->opt.config, &fresh, &errs) < 0) {
		for (i = 0; i < errs.n; i++)
			log_msg(LOG_ERR, "%s", errlist_msg(&errs, i, tr(k, "(out of memory)")));
		log_msg(LOG_ERR,
		    tr(k, "SIGHUP: %s is invalid; the previous configuration stays in force"),
		    k->opt.config);
		errlist_free(&errs);
		return -1;
	}
	if (strcmp(fresh.database, k->cfg.database) != 0)
		log_msg(LOG_WARNING, "%s",
		    tr(k, "SIGHUP: a new database path takes effect at restart only"));
	free(fresh.database);
	fresh.database = k->cfg.database;
	k->cfg.database = NULL;
	config_free(&k->cfg);
	k->cfg = fresh;
	transport_close(k->tp);
	k->tp = NULL;
	log_msg(LOG_NOTICE, tr(k, "configuration %s reloaded"), k->opt.config);
	return 0;
}

/* STATUS=: one line for `systemctl status` (sd_notify(3)). */
static void
send_status(struct kapd *k, const char *extra)
{
	char when[64] = "?", a[64], line[320];
	long long queued = state_queue_depth(k->db);
	struct tm tm;

	if (localtime_r(&k->next_check_at, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", &tm);
	if (queued < 0) /* the database could not say */
		snprintf(a, sizeof(a), "%s", tr(k, "? mails"));
	else
		COUNT(log_lang(k), a, queued, "%lu mail", "%lu mails");
	snprintf(
	    line, sizeof(line), tr(k, "next check %s; %s queued; %s"), when, a, k->last_result);
	notify_send(&k->notify, "%sSTATUS=%s", extra, line);
}

/* After a check: when the next one is due, for the loop, kapctl status and STATUS=. */
static void
schedule(struct kapd *k)
{
	k->next_check = notify_now() + (uint64_t)k->cfg.check_interval * 1000000u;
	k->next_check_at = kapd_now(k) + k->cfg.check_interval;
	state_remember(k->db, "next_check", k->next_check_at);
}

/* The transport calls this at least once a second while it waits on the network, so a
 * slow SMTP server does not look like a hung daemon.  It pings as soon as the next tick,
 * up to a second away, might come too late (never more than twice per interval). */
static void
kapd_tick(void *ctx)
{
	struct kapd *k = ctx;
	uint64_t slack = notify_watchdog_interval(&k->notify) / 2;

	notify_watchdog(&k->notify, slack < 1000000u ? slack : 1000000u);
}

/* How long to sleep: until the next check or the next watchdog ping, whichever is
 * first; rounded up to the millisecond so a wake-up is never early. */
static struct timespec
sleep_time(const struct kapd *k)
{
	uint64_t now = notify_now(), until = k->next_check, ping = notify_watchdog_due(&k->notify);
	struct timespec ts = { 0, 0 };

	if (ping < until)
		until = ping;
	if (until > now) {
		uint64_t ms = (until - now + 999) / 1000;
		ts.tv_sec = (time_t)(ms / 1000);
		ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	}
	return ts;
}

/* SIGHUP: RELOADING=1 (with the time, as systemd's Type=notify-reload wants it), the
 * reload, READY=1 again whether or not the new file was valid, then a check. */
static void
reload_and_check(struct kapd *k)
{
	int bad;

	notify_send(&k->notify, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=%s",
	    (unsigned long long)notify_now(), tr(k, "reloading the configuration"));
	bad = reload(k) < 0;
	notify_send(&k->notify, "READY=1\nSTATUS=%s",
	    bad ? tr(k, "the new configuration is invalid; the previous one stays in force")
	        : tr(k, "configuration reloaded; checking"));
	run_check(k);
	schedule(k);
	send_status(k, "");
}

/* The systemd side of the loop; a malformed environment only costs the notifications. */
static void
start_notify(struct kapd *k)
{
	char err[256];

	if (notify_open(&k->notify, err, sizeof(err)) < 0)
		log_msg(LOG_WARNING, tr(k, "systemd notification: %s; ignored"), err);
	k->hooks.tick = kapd_tick;
	k->hooks.ctx = k;
	if (notify_watchdog_interval(&k->notify) > 0)
		log_msg(LOG_INFO, tr(k, "systemd watchdog: a ping every %llu ms"),
		    (unsigned long long)notify_watchdog_interval(&k->notify) / 1000);
}

static int
loop(struct kapd *k)
{
	struct timespec timeout;
	siginfo_t info;
	sigset_t set;
	int sig, e;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	run_check(k);
	schedule(k);
	send_status(k, "READY=1\n"); /* configuration, database and the first check done */
	for (;;) {
		timeout = sleep_time(k);
		sig = sigtimedwait(&set, &info, &timeout);
		e = errno;
		notify_watchdog(&k->notify, 1000);
		if (sig < 0 && e != EAGAIN)
			continue;
		if (sig < 0 && notify_now() < k->next_check)
			continue; /* woken up for the watchdog only */
		if (sig == SIGTERM || sig == SIGINT) {
			log_msg(LOG_NOTICE, tr(k, "%s: stopping"),
			    sig == SIGTERM ? "SIGTERM" : "SIGINT");
			notify_send(&k->notify, "STOPPING=1\nSTATUS=%s", tr(k, "stopping"));
			state_forget(k->db, "next_check");
			return 0;
		}
		if (sig == SIGHUP) {
			reload_and_check(k);
			continue;
		}
		if (sig == SIGUSR1)
			log_msg(LOG_INFO, "%s", tr(k, "SIGUSR1: checking now"));
		run_check(k);
		if (sig < 0)
			schedule(k);
		send_status(k, "");
	}
}

/* One kapd per database (issue 10, D9): a second one exits with EX_TEMPFAIL, naming the
 * holder.  A dry run writes nothing and takes no lock. */
static int
take_lock(struct kapd *k)
{
	char err[PATH_MAX + 256];
	pid_t holder;
	int fd;

	fd = instance_lock(k->cfg.database, &holder, err, sizeof(err));
	if (fd >= 0) {
		k->lock_fd = fd;
		return 0;
	}
	log_msg(LOG_ERR, tr(k, "%s; kapd exits without checking"), err);
	if (fd == -EREMOTE)
		return EX_CONFIG;
	return fd == -EBUSY ? EX_TEMPFAIL : EX_CANTCREAT;
}

int
main(int argc, char **argv)
{
	struct kapd k;
	char err[512];
	int r;

	log_init("kapd");
	memset(&k, 0, sizeof(k));
	k.notify.fd = -1;
	k.lock_fd = -1;
	r = parse_options(argc, argv, &k.opt);
	if (r != 0)
		return r < 0 ? EX_OK : r;
	if (!k.opt.once && !k.opt.dry_run && !k.opt.check_config)
		start_notify(&k);
	r = load_config(k.opt.config, &k.cfg);
	if (k.opt.check_config) {
		if (r == 0)
			r = check_secrets(&k.cfg);
		if (r == 0)
			printf("configuration OK\n");
		goto out;
	}
	if (r != 0) {
		log_msg(LOG_ERR, "%s",
		    tr(&k, "the configuration is invalid; kapd exits without checking"));
		goto out;
	}
	if (k.opt.have_now)
		k.skew = k.opt.now - time(NULL);
	if (!k.opt.dry_run && (r = take_lock(&k)) != 0)
		goto out;
	r = db_open(k.cfg.database, DB_OPEN_MIGRATE | (k.opt.dry_run ? 0 : DB_OPEN_CREATE), &k.db,
	    err, sizeof(err));
	if (r < 0) {
		log_msg(LOG_ERR, tr(&k, "%s; kapd exits without checking"), err);
		r = r == -EPROTO ? EX_DATAERR : EX_UNAVAILABLE;
		goto out;
	}
	if (!k.opt.dry_run)
		clean_feeds(&k);
	if (k.opt.once || k.opt.dry_run)
		r = run_check(&k);
	else
		r = loop(&k);
out:
	transport_close(k.tp);
	db_close(k.db);
	instance_unlock(k.lock_fd);
	config_free(&k.cfg);
	notify_close(&k.notify);
	return r;
}
