/* kapctl init, migrate, import, export. */
#include "kapctl/kapctl.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "store/db.h"
#include "lib/errlist.h"
#include "store/planio.h"

int
cmd_init(struct ctl *c, int argc, char **argv)
{
	int r = ctl_plain_opts(c, argc, argv), before;
	char err[512];
	sqlite3 *db = NULL;

	if (r >= 0)
		return r;
	if (optind != argc)
		return ctl_fail(EX_USAGE, "init", tr(c, "takes no arguments"));
	r = db_open(c->db_path, DB_OPEN_CREATE | DB_OPEN_ANY_OLDER, &db, err, sizeof(err));
	if (r < 0)
		return ctl_fail(ctl_exit_code(r), "init", "%s", err);
	before = db_version(db);
	r = db_migrate(db, NULL, err, sizeof(err));
	if (r < 0) {
		db_close(db);
		return ctl_fail(ctl_exit_code(r), "init", "%s", err);
	}
	if (before == 0)
		printf(tr(c, "initialized %s (schema version %d)\n"), c->db_path, db_version(db));
	else
		printf(tr(c, "%s was already initialized (schema version %d, now %d)\n"),
		    c->db_path, before, db_version(db));
	db_close(db);
	return EX_OK;
}

int
cmd_migrate(struct ctl *c, int argc, char **argv)
{
	int r = ctl_plain_opts(c, argc, argv), applied = 0;
	char err[512], n[64];
	sqlite3 *db = NULL;

	if (r >= 0)
		return r;
	if (optind != argc)
		return ctl_fail(EX_USAGE, "migrate", tr(c, "takes no arguments"));
	r = db_open(c->db_path, DB_OPEN_ANY_OLDER, &db, err, sizeof(err));
	if (r == 0)
		r = db_migrate(db, &applied, err, sizeof(err));
	if (r < 0) {
		db_close(db);
		return ctl_fail(ctl_exit_code(r), "migrate", "%s", err);
	}
	printf(tr(c, "%s: applied %s, schema version %d\n"), c->db_path,
	    COUNT(c, n, applied, "%lu migration", "%lu migrations"), db_version(db));
	db_close(db);
	return EX_OK;
}

static json_t *
load_document(const struct ctl *c, const char *file)
{
	json_error_t jerr;
	json_t *doc;
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");

	if (f == NULL) {
		ctl_fail(EX_NOINPUT, "import", tr(c, "cannot open %s: %s"), file, strerror(errno));
		return NULL;
	}
	doc = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	if (f != stdin)
		fclose(f);
	if (doc == NULL)
		ctl_fail(EX_DATAERR, "import", tr(c, "%s:%d:%d: not valid JSON: %s"), file,
		    jerr.line, jerr.column, jerr.text);
	return doc;
}

static int
report(const struct ctl *c, const char *file, struct errlist *errs, int dry)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		fprintf(stderr, "%s: %s\n", file, errlist_msg(errs, i, tr(c, "(out of memory)")));
	return ctl_errors_end(c, "import", file, errs->n,
	    dry ? N_("the document is not valid") : N_("nothing was imported"));
}

int
cmd_import(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct errlist errs = ERRLIST_INIT;
	struct planio_stats st;
	char n[64];
	int o, done = -1, dry = 0, r;
	json_t *doc;

	while ((o = getopt_long(argc, argv, "+hn", opts, NULL)) != -1) {
		if (ctl_common_opt(c, argv[0], o, &done) && done >= 0)
			return done;
		dry |= o == 'n';
	}
	if (optind + 1 != argc)
		return ctl_fail(
		    EX_USAGE, "import", tr(c, "expects one FILE (or - for standard input)"));
	if ((r = ctl_db(c, 0)) != 0)
		return r;
	if (strcmp(argv[optind], "-") != 0 && access(argv[optind], R_OK) < 0)
		return ctl_fail(EX_NOINPUT, "import", tr(c, "cannot read %s: %s"), argv[optind],
		    strerror(errno));
	doc = load_document(c, argv[optind]);
	if (doc == NULL)
		return EX_DATAERR;
	r = planio_import(c->db, doc, dry ? PLANIO_DRY_RUN : 0, &st, &errs);
	json_decref(doc);
	if (r < 0 && errs.n > 0)
		r = report(c, argv[optind], &errs, dry);
	else if (r < 0)
		r = ctl_fail(ctl_exit_code(r), "import", "%s: %s", argv[optind], strerror(-r));
	else if (dry)
		printf(tr(c,
		           "%s: valid; an import would write %s (%d created, %d updated, %d "
		           "unchanged)\n"),
		    argv[optind], COUNT(c, n, st.objects, "%lu object", "%lu objects"), st.created,
		    st.updated, st.unchanged);
	else
		printf(tr(c, "imported %s: %s (%d created, %d updated, %d unchanged)\n"),
		    argv[optind], COUNT(c, n, st.objects, "%lu object", "%lu objects"), st.created,
		    st.updated, st.unchanged);
	errlist_free(&errs);
	return r;
}

/* Writes to a temporary file beside the target and renames it, so an interrupted export
 * never leaves half a document under the real name. */
static int
write_atomic(json_t *doc, const char *file)
{
	char *tmp = NULL;
	FILE *f = NULL;
	int fd = -1, r = -EIO;

	/* mkstemp() replaces the six trailing characters of the template. */
	if (asprintf(&tmp, "%s.%06d", file, 0) < 0)
		return -ENOMEM;
	memset(tmp + strlen(tmp) - 6, 'X', 6);
	fd = mkstemp(tmp);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
		goto out;
	fd = -1;
	if (json_dumpf(doc, f, JSON_INDENT(2)) == 0 && fputc('\n', f) != EOF && fflush(f) == 0 &&
	    fsync(fileno(f)) == 0)
		r = 0;
	if (fclose(f) != 0)
		r = -EIO;
	f = NULL;
	if (r == 0 && rename(tmp, file) < 0)
		r = -errno;
out:
	if (r < 0 && tmp != NULL)
		unlink(tmp);
	if (fd >= 0)
		close(fd);
	free(tmp);
	return r;
}

int
cmd_export(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *plan = NULL;
	int o, done = -1, r;
	char err[512];
	json_t *doc = NULL;

	while ((o = getopt_long(argc, argv, "+ho:", opts, NULL)) != -1) {
		if (ctl_common_opt(c, argv[0], o, &done) && done >= 0)
			return done;
		if (o == 'o')
			out = optarg;
	}
	if (argc - optind > 1)
		return ctl_fail(EX_USAGE, "export", tr(c, "expects at most one PLAN"));
	plan = optind < argc ? argv[optind] : NULL;
	if ((r = ctl_db(c, 0)) != 0)
		return r;
	r = planio_export(c->db, plan, &doc, err, sizeof(err));
	if (r < 0)
		return ctl_fail(r == -ENOENT ? EX_DATAERR : ctl_exit_code(r), "export", "%s", err);
	if (out == NULL)
		return ctl_print_json(doc) < 0 ? EX_IOERR : EX_OK;
	r = write_atomic(doc, out);
	json_decref(doc);
	if (r < 0)
		return ctl_fail(
		    EX_CANTCREAT, "export", tr(c, "cannot write %s: %s"), out, strerror(-r));
	return EX_OK;
}
