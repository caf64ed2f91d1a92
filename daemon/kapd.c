/* kapd: the daemon that keeps key account plans binding.
 *
 * This version parses its options and configuration and opens (and migrates) the
 * database; the controlling engine, mail and feeds arrive in later versions (see
 * README.md, "Status"). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "errlist.h"
#include "kdate.h"
#include "log.h"

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

int
main(int argc, char **argv)
{
	struct options o = { 0 };
	struct kapd_config cfg;
	sqlite3 *db = NULL;
	char err[512];
	int r;

	log_init("kapd");
	memset(&cfg, 0, sizeof(cfg));
	r = parse_options(argc, argv, &o);
	if (r != 0)
		return r < 0 ? EX_OK : r;
	r = load_config(o.config, &cfg);
	if (o.check_config) {
		if (r == 0)
			printf("configuration OK\n");
		goto out;
	}
	if (r != 0)
		goto out;
	r = db_open(cfg.database, DB_OPEN_CREATE | DB_OPEN_MIGRATE, &db, err, sizeof(err));
	if (r < 0) {
		log_msg(LOG_ERR, "%s", err);
		r = r == -EPROTO ? EX_DATAERR : EX_UNAVAILABLE;
		goto out;
	}
	log_msg(LOG_NOTICE, "database %s ready (schema version %d)", cfg.database, db_version(db));
	log_msg(LOG_ERR, "the controlling engine is not part of this version yet; "
	    "nothing to control, exiting");
	r = EX_UNAVAILABLE;
out:
	db_close(db);
	config_free(&cfg);
	return r;
}
