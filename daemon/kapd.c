/* kapd: the daemon that keeps key account plans binding.  A thin loop: a check at start,
 * then one every check_interval, on SIGHUP (after reloading the configuration) and on
 * SIGUSR1; SIGTERM and SIGINT end it after the current step.  The signals stay blocked
 * and are taken with sigtimedwait(), so no handler runs in the middle of a check and the
 * process sleeps until the next check or a signal: no periodic wake-ups. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include "check.h"
#include "config.h"
#include "db.h"
#include "errlist.h"
#include "kdate.h"
#include "log.h"
#include "transport.h"

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
	fprintf(f, "usage: kapd [-c FILE] [--once] [--dry-run] [--json] [--now TIME] "
	    "[--check-config] [--version]\n\n"
	    "  -c, --config FILE  configuration (default %s if it exists,\n"
	    "                     else the embedded default)\n"
	    "      --once         run one check and exit\n"
	    "      --dry-run      decide, but neither send nor record\n"
	    "      --json         with --dry-run: print pending notifications as JSON lines\n"
	    "      --now TIME     behave as if it were TIME (ISO 8601 with offset)\n"
	    "      --check-config check the configuration and exit (0, or 78 on errors)\n"
	    "  -V, --version      print the version\n", DEFAULT_CONFIG);
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
				fprintf(stderr, "kapd: --now: \"%s\" is not an ISO 8601 time with offset "
				    "(e.g. 2026-12-01T08:00:00+01:00)\n", optarg);
				return EX_USAGE;
			}
			o->have_now = 1;
			break;
		case 'V':
			printf("kapd %s\n", KAPD_VERSION);
			return -1;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return EX_USAGE;
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
		log_msg(LOG_ERR, "%s", errs.msg[i] ? errs.msg[i] : "(out of memory)");
	errlist_free(&errs);
	return r < 0 ? EX_CONFIG : 0;
}

struct kapd {
	struct options opt;
	struct kapd_config cfg;
	sqlite3 *db;
	struct transport *tp;
	time_t skew;    /* --now minus the clock at start: time travel keeps running */
};

static time_t
kapd_now(const struct kapd *k)
{
	return time(NULL) + k->skew;
}

static void
log_problems(struct errlist *problems)
{
	size_t i;

	for (i = 0; i < problems->n; i++)
		log_msg(LOG_WARNING, "%s", problems->msg[i] ? problems->msg[i] : "(out of memory)");
}

/* Facts for kapctl status and monitors; losing one is harmless. */
static void
remember(struct kapd *k, const char *key, time_t t)
{
	sqlite3_stmt *st = NULL;
	char err[256];

	if (db_prepare(k->db, "INSERT INTO daemon_state (key, value) VALUES (?1, ?2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", &st, err, sizeof(err)) < 0)
		return;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)t);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

/* One check; 0, or a sysexits code when the check itself could not run. */
static int
run_check(struct kapd *k)
{
	struct errlist problems = ERRLIST_INIT;
	struct check_options o = { kapd_now(k), k->opt.dry_run, k->opt.json, stdout };
	struct check_stats st;
	char err[512];
	int r;

	if (!k->opt.dry_run && k->tp == NULL &&
	    (r = transport_open(&k->cfg, NULL, &k->tp, err, sizeof(err))) < 0) {
		log_msg(LOG_ERR, "mail transport: %s; nothing is sent until this is fixed", err);
		return EX_UNAVAILABLE;
	}
	r = check_run(k->db, &k->cfg, k->tp, &o, &st, &problems, err, sizeof(err));
	log_problems(&problems);
	errlist_free(&problems);
	fflush(stdout);
	if (r < 0) {
		log_msg(LOG_ERR, "check failed: %s; trying again at the next check", err);
		return r == -EBUSY ? EX_TEMPFAIL : EX_SOFTWARE;
	}
	if (!k->opt.dry_run)
		remember(k, "last_check", o.now);
	log_msg(LOG_INFO, "check: %zu active plans, %zu open items in the window, %zu "
	    "notifications pending, %zu due now; %zu mails sent (%zu notifications), %zu "
	    "deferred, %zu failed, %zu resent", st.plans, st.items, st.pending, st.due_now,
	    st.mails, st.notified, st.deferred, st.failed, st.retried);
	return 0;
}

/* SIGHUP: a new configuration replaces the old only when it is valid. */
static void
reload(struct kapd *k)
{
	struct errlist errs = ERRLIST_INIT;
	struct kapd_config fresh;
	size_t i;

	if (k->opt.config == NULL) {
		log_msg(LOG_NOTICE, "SIGHUP: no configuration file to reload (embedded default)");
		return;
	}
	memset(&fresh, 0, sizeof(fresh));
	if (config_load(k->opt.config, &fresh, &errs) < 0) {
		for (i = 0; i < errs.n; i++)
			log_msg(LOG_ERR, "%s", errs.msg[i] ? errs.msg[i] : "(out of memory)");
		log_msg(LOG_ERR, "SIGHUP: %s is invalid; the previous configuration stays in force",
		    k->opt.config);
		errlist_free(&errs);
		return;
	}
	if (strcmp(fresh.database, k->cfg.database) != 0)
		log_msg(LOG_WARNING, "SIGHUP: a new database path takes effect at restart only");
	free(fresh.database);
	fresh.database = k->cfg.database;
	k->cfg.database = NULL;
	config_free(&k->cfg);
	k->cfg = fresh;
	transport_close(k->tp);
	k->tp = NULL;
	log_msg(LOG_NOTICE, "configuration %s reloaded", k->opt.config);
}

static int
loop(struct kapd *k)
{
	struct timespec timeout;
	siginfo_t info;
	sigset_t set;
	time_t next;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	run_check(k);
	next = time(NULL) + k->cfg.check_interval;
	for (;;) {
		timeout.tv_sec = next > time(NULL) ? next - time(NULL) : 0;
		timeout.tv_nsec = 0;
		sig = sigtimedwait(&set, &info, &timeout);
		if (sig < 0 && errno == EINTR)
			continue;
		if (sig == SIGTERM || sig == SIGINT) {
			log_msg(LOG_NOTICE, "%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			return 0;
		}
		if (sig == SIGHUP)
			reload(k);
		if (sig == SIGUSR1)
			log_msg(LOG_INFO, "SIGUSR1: checking now");
		run_check(k);
		if (sig < 0 || sig == SIGHUP)
			next = time(NULL) + k->cfg.check_interval;
	}
}

int
main(int argc, char **argv)
{
	struct kapd k;
	char err[512];
	int r;

	log_init("kapd");
	memset(&k, 0, sizeof(k));
	r = parse_options(argc, argv, &k.opt);
	if (r != 0)
		return r < 0 ? EX_OK : r;
	r = load_config(k.opt.config, &k.cfg);
	if (k.opt.check_config) {
		if (r == 0)
			printf("configuration OK\n");
		goto out;
	}
	if (r != 0)
		goto out;
	if (k.opt.have_now)
		k.skew = k.opt.now - time(NULL);
	r = db_open(k.cfg.database, DB_OPEN_MIGRATE | (k.opt.dry_run ? 0 : DB_OPEN_CREATE), &k.db,
	    err, sizeof(err));
	if (r < 0) {
		log_msg(LOG_ERR, "%s", err);
		r = r == -EPROTO ? EX_DATAERR : EX_UNAVAILABLE;
		goto out;
	}
	if (k.opt.once || k.opt.dry_run)
		r = run_check(&k);
	else
		r = loop(&k);
out:
	transport_close(k.tp);
	db_close(k.db);
	config_free(&k.cfg);
	return r;
}
