/* kapctl import-csv, export-csv: the action list as a spreadsheet (SPEC §10).  The sheet
 * is applied to the plan's kapd-plan/1 document (core/actionlist), which is then imported
 * as a JSON import is: one transaction, every check, unchanged rows untouched. */
#include "kapctl/kapctl.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "core/actionlist.h"
#include "core/csv.h"
#include "lib/i18n.h"
#include "store/db.h"
#include "store/itemkeys.h"
#include "store/planio.h"

#define SHEET_MAX (64L * 1024 * 1024)
#define IGNORE_MAX 16

struct keyctx {
	sqlite3 *db;
	const char *plan;
};

static int
read_all(const char *path, char **out, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t n = 0, cap = 0, got;
	int r = 0;

	if (f == NULL)
		return -errno;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((long)cap > SHEET_MAX * 2 || (nb = realloc(buf, cap + 1)) == NULL) {
				r = (long)cap > SHEET_MAX * 2 ? -EFBIG : -ENOMEM;
				break;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0 && (long)n <= SHEET_MAX);
	if (r == 0 && ferror(f))
		r = -EIO;
	if (r == 0 && (long)n > SHEET_MAX)
		r = -EFBIG;
	if (f != stdin)
		fclose(f);
	if (r < 0) {
		free(buf);
		return r;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int
key_elsewhere(void *ctx, const char *kind, const char *key)
{
	struct keyctx *k = ctx;

	return itemkeys_elsewhere(k->db, k->plan, kind, key);
}

static int
print_errors(const struct ctl *c, const char *file, struct errlist *errs, int dry)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		fprintf(stderr, "%s\n", errlist_msg(errs, i, tr(c, "(out of memory)")));
	return ctl_errors_end(c, "import-csv", file, errs->n,
	    dry ? N_("the sheet is not valid") : N_("nothing was changed"));
}

static void
print_summary(const struct ctl *c, const char *file, const struct csv_table *t,
    const struct al_summary *s, int dry)
{
	char n[64];

	printf(tr(c, "%s: %s, %s-separated, %s\n"), file, tr(c, csv_encoding_name(t->encoding)),
	    tr(c, csv_delim_name(t->delim)),
	    COUNT(c, n, t->n ? t->n - 1 : 0, "%lu row", "%lu rows"));
	fputs(s->lines, stdout);
	printf(tr(c, "%s%zu created, %zu updated, %zu unchanged\n"),
	    dry ? tr(c, "dry run, nothing changed: ") : "", s->created, s->updated, s->unchanged);
}

/* Applies the sheet inside one write transaction: the plan is read, changed and written
 * back without another writer in between. */
static int
import_sheet(struct ctl *c, const char *plan, const char *file, const struct csv_table *t,
    struct al_options *opt, int dry)
{
	struct keyctx kc = { c->db, plan };
	struct errlist errs = ERRLIST_INIT;
	struct al_summary sum = { 0 };
	char err[512];
	json_t *doc = NULL;
	int r;

	opt->key_elsewhere = key_elsewhere;
	opt->ctx = &kc;
	if (db_begin(c->db, err, sizeof(err)) < 0)
		return ctl_fail(EX_TEMPFAIL, "import-csv", "%s", err);
	r = planio_export(c->db, plan, &doc, err, sizeof(err));
	if (r < 0) {
		r = ctl_fail(r == -ENOENT ? EX_DATAERR : ctl_exit_code(r), "import-csv", "%s", err);
		goto out;
	}
	r = actionlist_apply(doc, plan, t, file, opt, &sum, &errs);
	if (r == 0)
		r = planio_import(c->db, doc, PLANIO_IN_TRANSACTION, NULL, &errs);
	if (r < 0) {
		r = errs.n ? print_errors(c, file, &errs, dry)
		           : ctl_fail(ctl_exit_code(r), "import-csv", "%s", strerror(-r));
		goto out;
	}
	if (!dry && db_commit(c->db, err, sizeof(err)) < 0) {
		r = ctl_fail(EX_IOERR, "import-csv", "%s", err);
		goto out;
	}
	print_summary(c, file, t, &sum, dry);
out:
	if (dry || r != 0)
		db_rollback(c->db);
	json_decref(doc);
	al_summary_free(&sum);
	errlist_free(&errs);
	return r;
}

int
cmd_import_csv(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "ignore-column", required_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ignore[IGNORE_MAX + 1] = { NULL };
	struct al_options opt = { 0 };
	struct csv_table t = CSV_TABLE_INIT;
	struct errlist errs = ERRLIST_INIT;
	int o, done = -1, dry = 0, r, ni = 0;
	char *buf = NULL;
	size_t len = 0;

	while ((o = getopt_long(argc, argv, "hn", opts, NULL)) != -1) {
		if (ctl_common_opt(c, argv[0], o, &done) && done >= 0)
			return done;
		dry |= o == 'n';
		if (o == 'I' && ni == IGNORE_MAX)
			return ctl_fail(EX_USAGE, "import-csv", tr(c, "at most %d --ignore-column"),
			    IGNORE_MAX);
		if (o == 'I')
			ignore[ni++] = optarg;
	}
	if (optind + 2 != argc)
		return ctl_fail(EX_USAGE, "import-csv",
		    tr(c,
		        "usage: kapctl import-csv PLAN FILE|- [--dry-run] [--ignore-column NAME]"));
	if ((r = ctl_db(c, 0)) != 0)
		return r;
	if ((r = read_all(argv[optind + 1], &buf, &len)) < 0)
		return ctl_fail(r == -EFBIG ? EX_DATAERR : EX_NOINPUT, "import-csv",
		    tr(c, "cannot read %s: %s"), argv[optind + 1],
		    r == -EFBIG ? tr(c, "larger than 64 MiB") : strerror(-r));
	r = csv_read(buf, len, argv[optind + 1], &t, &errs);
	free(buf);
	if (r < 0) {
		r = errs.n ? print_errors(c, argv[optind + 1], &errs, dry)
		           : ctl_fail(EX_OSERR, "import-csv", "%s", strerror(-r));
		goto out;
	}
	opt.ignore = ignore;
	opt.today = ctl_today(c, NULL);
	r = import_sheet(c, argv[optind], argv[optind + 1], &t, &opt, dry);
out:
	csv_table_free(&t);
	errlist_free(&errs);
	return r;
}

/* Writes beside the target and renames, mode 0600 (plans are confidential). */
static int
write_file(const char *path, const char *data, size_t len)
{
	char *tmp = NULL;
	int fd, r = 0;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkstemp(tmp);
	if (fd < 0) {
		r = -errno;
		free(tmp);
		return r;
	}
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) < 0)
		r = -EIO;
	if (close(fd) < 0 && r == 0)
		r = -EIO;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	free(tmp);
	return r;
}

static int
parse_delim(const char *s, char *out)
{
	if (strcmp(s, ";") == 0 || strcmp(s, ",") == 0 || strcmp(s, "\t") == 0)
		*out = s[0];
	else if (strcmp(s, "tab") == 0)
		*out = '\t';
	else
		return -EINVAL;
	return 0;
}

/* The sheet's language: --lang, else the plan's language when it is German. */
static const char *
sheet_lang(json_t *doc, const char *plan, const char *lang)
{
	size_t i, j;
	json_t *acc, *p;

	if (lang != NULL)
		return lang;
	json_array_foreach(json_object_get(doc, "accounts"), i, acc) json_array_foreach(
	    json_object_get(acc, "plans"), j,
	    p) if (strcmp(json_string_value(json_object_get(p, "key")) ?: "", plan) == 0 &&
	    json_is_string(json_object_get(p,
	        "language"))) return i18n_lang(json_string_value(json_object_get(p, "language")));
	return I18N_SOURCE_LANG;
}

int
cmd_export_csv(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "output", required_argument, NULL, 'o' },
		{ "lang", required_argument, NULL, 'l' },
		{ "delimiter", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *outpath = NULL, *lang = NULL, *dopt = NULL;
	char err[512], delim = 0, *text = NULL;
	int o, done = -1, r;
	json_t *doc = NULL;
	size_t len;

	while ((o = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		if (ctl_common_opt(c, argv[0], o, &done) && done >= 0)
			return done;
		if (o == 'o')
			outpath = optarg;
		else if (o == 'l')
			lang = optarg;
		else if (o == 'd')
			dopt = optarg;
	}
	if (optind + 1 != argc)
		return ctl_fail(EX_USAGE, "export-csv",
		    tr(c,
		        "usage: kapctl export-csv PLAN [-o FILE] [--lang de|en] [--delimiter "
		        "';'|','|tab]"));
	if (lang != NULL && strcmp(lang, "de") != 0 && strcmp(lang, "en") != 0)
		return ctl_fail(EX_USAGE, "export-csv", tr(c, "--lang: de or en"));
	if (dopt != NULL && parse_delim(dopt, &delim) < 0)
		return ctl_fail(EX_USAGE, "export-csv", tr(c, "--delimiter: ';', ',' or tab"));
	if ((r = ctl_db(c, 0)) != 0)
		return r;
	r = planio_export(c->db, argv[optind], &doc, err, sizeof(err));
	if (r < 0)
		return ctl_fail(
		    r == -ENOENT ? EX_DATAERR : ctl_exit_code(r), "export-csv", "%s", err);
	lang = sheet_lang(doc, argv[optind], lang);
	if (delim == 0)
		/* TRANSLATORS: the field separator spreadsheets of your language expect in a
		 * CSV file (German Excel: ";"); one character. */
		delim = *i18n_ptr(lang, "csv delimiter", ",");
	r = actionlist_export(doc, argv[optind], lang, delim, &text, &len);
	json_decref(doc);
	if (r < 0)
		return ctl_fail(ctl_exit_code(r), "export-csv", "%s", strerror(-r));
	if (outpath == NULL)
		r = fwrite(text, 1, len, stdout) == len ? 0 : -EIO;
	else
		r = write_file(outpath, text, len);
	free(text);
	if (r < 0)
		return ctl_fail(EX_CANTCREAT, "export-csv", tr(c, "cannot write %s: %s"),
		    outpath ? outpath : tr(c, "the output"), strerror(-r));
	return EX_OK;
}
