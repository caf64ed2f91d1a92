/* Catalogs (lib/i18n.c, lib/plural.c): plural rules evaluated from the catalog's
 * Plural-Forms header with ngettext semantics, and a third language (Polish, three plural
 * forms) that exists only as tests/unit/data/pl.po: compiled here by msgfmt, added at run
 * time, and used without any code knowing its name. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/i18n.h"
#include "lib/plural.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const char polish[] = "n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2";

static void
test_plural_expressions_of_real_catalogs_pick_the_right_form(void **state)
{
	static const struct {
		const char *expr;
		unsigned long n, want;
	} rows[] = {
		{ "(n != 1)", 0, 1 },
		{ "(n != 1)", 1, 0 },
		{ "(n != 1)", 2, 1 },
		{ "n>1", 0, 0 },
		{ "n>1", 1, 0 },
		{ "n>1", 2, 1 }, /* French */
		{ "0", 7, 0 },   /* Japanese */
		{ polish, 1, 0 },
		{ polish, 2, 1 },
		{ polish, 4, 1 },
		{ polish, 5, 2 },
		{ polish, 12, 2 },
		{ polish, 22, 1 },
		{ polish, 25, 2 },
		{ polish, 112, 2 },
		{ polish, 0, 2 },
		/* Arabic: six forms. */
		{ "n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5",
		    0, 0 },
		{ "n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5",
		    103, 3 },
		{ "n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5",
		    111, 4 },
		{ "n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5",
		    100, 5 },
		{ "!(n == 1)", 1, 0 },
		{ "2 * 3 + 1 - n / 2", 4, 5 },
		{ "n <= 3 && n >= 3", 3, 1 },
	};
	unsigned long v;

	(void)state;
	for (size_t i = 0; i < N_ELEMS(rows); i++) {
		v = 99;
		if (plural_eval(rows[i].expr, rows[i].n, &v) != 0 || v != rows[i].want)
			fail_msg("plural=%s for n=%lu: expected %lu, got %lu", rows[i].expr,
			    rows[i].n, rows[i].want, v);
	}
}

static void
test_bad_plural_expressions_are_refused(void **state)
{
	static const char *const bad[] = { "", "n +", "(n", "n ? 1", "n / 0", "n % (n - n)", "x",
		"n ==", "1 2" };
	unsigned long v = 42;

	(void)state;
	for (size_t i = 0; i < N_ELEMS(bad); i++)
		if (plural_eval(bad[i], 3, &v) != -EINVAL)
			fail_msg("expected \"%s\" to be refused", bad[i]);
	assert_int_equal(v, 42);
}

static void
test_plural_form_reads_the_header_and_falls_back_to_n_not_1(void **state)
{
	const char *h = "Content-Type: text/plain; charset=UTF-8\n"
	                "Plural-Forms: nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && "
	                "(n%100<10 || n%100>=20) ? 1 : 2);\n";

	(void)state;
	assert_int_equal(plural_form(h, 1), 0);
	assert_int_equal(plural_form(h, 3), 1);
	assert_int_equal(plural_form(h, 11), 2);
	/* No header, no Plural-Forms, a form beyond nplurals: the source rule. */
	assert_int_equal(plural_form(NULL, 1), 0);
	assert_int_equal(plural_form("Language: de\n", 2), 1);
	assert_int_equal(plural_form("Plural-Forms: nplurals=2; plural=n+5;\n", 1), 0);
	assert_int_equal(plural_form("Plural-Forms: nplurals=2; plural=n+5;\n", 4), 1);
}

/* German: the shipped catalog's header says n != 1. */
static void
test_german_plurals_come_from_its_catalog(void **state)
{
	(void)state;
	assert_string_equal(i18n_ntr("de", "Overdue for %ld day", "Overdue for %ld days", 1),
	    "Überfällig seit %ld Tag");
	assert_string_equal(i18n_ntr("de", "Overdue for %ld day", "Overdue for %ld days", 0),
	    "Überfällig seit %ld Tagen");
	assert_string_equal(i18n_ntr("en", "Overdue for %ld day", "Overdue for %ld days", 1),
	    "Overdue for %ld day");
	assert_string_equal(i18n_ntr("en", "Overdue for %ld day", "Overdue for %ld days", 2),
	    "Overdue for %ld days");
}

/* msgfmt compiles the test catalog into memory that lives as long as the test program. */
static unsigned char *
compile_po(const char *po, size_t *size)
{
	char cmd[512], path[] = "/tmp/kapd-test-mo-XXXXXX";
	unsigned char *buf;
	FILE *f;
	int fd = mkstemp(path);
	long n;

	assert_true(fd >= 0);
	snprintf(cmd, sizeof(cmd), "msgfmt --check -o %s %s", path, po);
	if (system(cmd) != 0)
		fail_msg("`%s` failed", cmd);
	/* msgfmt may replace the file rather than write into it: open it again by name. */
	close(fd);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 28);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	unlink(path);
	*size = (size_t)n;
	return buf;
}

static unsigned char *polish_mo;

static int
load_polish(void **state)
{
	size_t size;

	(void)state;
	polish_mo = compile_po("tests/unit/data/pl.po", &size);
	return i18n_add_catalog("pl", polish_mo, size);
}

static int
unload_polish(void **state)
{
	(void)state;
	free(polish_mo);
	return 0;
}

static void
test_a_third_language_is_one_po_file(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(i18n_lang("pl-PL"), "pl");
	assert_string_equal(i18n_lang("fr"), I18N_SOURCE_LANG);
	assert_string_equal(i18n_tr("pl", "Milestone"), "Kamień milowy");
	/* Three forms, picked by the catalog's own rule. */
	assert_string_equal(i18n_ntr("pl", "%lu overdue", "%lu overdue", 1), "%lu zaległy");
	assert_string_equal(i18n_ntr("pl", "%lu overdue", "%lu overdue", 3), "%lu zaległe");
	assert_string_equal(i18n_ntr("pl", "%lu overdue", "%lu overdue", 5), "%lu zaległych");
	assert_string_equal(i18n_ntr("pl", "%lu overdue", "%lu overdue", 22), "%lu zaległe");
	assert_string_equal(i18n_ntr("pl", "%lu overdue", "%lu overdue", 112), "%lu zaległych");
	/* Untranslated texts of the new language fall back to English, with English rules. */
	assert_string_equal(
	    i18n_ntr("pl", "Due in %ld day", "Due in %ld days", 1), "Due in %ld day");
	/* Its date pattern and month names are its own. */
	assert_string_equal(i18n_short_date("pl", 20788, buf, sizeof(buf)), "1 gru 2026");
	assert_string_equal(i18n_short_date("en", 20788, buf, sizeof(buf)), "1 Dec 2026");
	assert_string_equal(i18n_short_date("de", 20788, buf, sizeof(buf)), "01.12.2026");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plural_expressions_of_real_catalogs_pick_the_right_form),
		cmocka_unit_test(test_bad_plural_expressions_are_refused),
		cmocka_unit_test(test_plural_form_reads_the_header_and_falls_back_to_n_not_1),
		cmocka_unit_test(test_german_plurals_come_from_its_catalog),
		cmocka_unit_test(test_a_third_language_is_one_po_file),
	};

	return cmocka_run_group_tests(tests, load_polish, unload_polish);
}
