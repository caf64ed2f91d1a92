/* Display width, fitting text into columns, text tables and number formatting
 * (lib/width.h, lib/table.h, lib/numfmt.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/numfmt.h"
#include "lib/table.h"
#include "lib/width.h"

struct case_w {
	const char *s;
	size_t width;
};

static void
width_counts_columns_not_bytes_or_characters(void **state)
{
	static const struct case_w cases[] = {
		{ "", 0 }, { "Kessler", 7 },
		{ "Müller Büromöbel", 16 },  /* precomposed umlauts: one each */
		{ "Mu\xcc\x88ller", 6 },     /* u + U+0308 COMBINING DIAERESIS */
		{ "İstanbul ışık ğüş", 17 }, /* Turkish dotted/dotless i, ğ, ş */
		{ "I\xcc\x87stanbul", 8 },   /* I + U+0307 COMBINING DOT ABOVE */
		{ "陈立", 4 }, { "佐藤 健", 7 }, { "株式会社サトウ", 14 },
		{ "ＡＢＣ", 6 }, /* fullwidth Latin */
		{ "ｶﾀｶﾅ", 4 },   /* halfwidth katakana */
		{ "😀", 2 },      /* emoji presentation */
		{ "Team 🚀 Nord", 12 },
		{ "a\xe2\x80\x8b"
		  "b",
		    2 },               /* U+200B ZERO WIDTH SPACE */
		{ "\xe2\x80\xa6", 1 }, /* the ellipsis itself */
		{ "한국", 4 },         /* Hangul syllables */
		{ "\xff"
		  "ab",
		    3 },               /* an invalid byte shows as one column */
		{ "\xed\xa0\x80", 3 }, /* an encoded surrogate: three bad bytes */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (width_str(cases[i].s) != cases[i].width)
			fail_msg("width_str(\"%s\") = %zu, expected %zu", cases[i].s,
			    width_str(cases[i].s), cases[i].width);
	assert_int_equal(width_str(NULL), 0);
}

static void
width_char_follows_wcwidth_for_marks_wide_and_controls(void **state)
{
	(void)state;
	assert_int_equal(width_char('A'), 1);
	assert_int_equal(width_char(0x00e9), 1); /* é */
	assert_int_equal(width_char(0x0301), 0); /* combining acute */
	assert_int_equal(width_char(0x20dd), 0); /* enclosing circle (Me) */
	assert_int_equal(width_char(0x00ad), 1); /* soft hyphen shows */
	assert_int_equal(width_char(0x1160), 0); /* Hangul medial vowel filler */
	assert_int_equal(width_char(0x4e00), 2);
	assert_int_equal(width_char(0x3000), 2); /* ideographic space */
	assert_int_equal(width_char(0xff01), 2); /* fullwidth ! */
	assert_int_equal(width_char(0x1f600), 2);
	assert_int_equal(width_char(0x2a6d6), 2); /* CJK extension B */
	assert_int_equal(width_char(0x2fffd), 2); /* plane 2, unassigned: still wide */
	assert_int_equal(width_char(0xfe0f), 0);  /* variation selector 16 */
	assert_int_equal(width_char(0x0007), 0);
	assert_int_equal(width_char(0x0085), 0);
}

struct case_fit {
	const char *s;
	size_t cols;
	enum width_align align;
	const char *out;
};

static void
fit_pads_by_display_width_and_cuts_with_an_ellipsis(void **state)
{
	static const struct case_fit cases[] = {
		{ "Weber", 8, WIDTH_LEFT, "Weber   " },
		{ "Weber", 8, WIDTH_RIGHT, "   Weber" },
		{ "Müller", 8, WIDTH_LEFT, "Müller  " },
		{ "陈立", 6, WIDTH_LEFT, "陈立  " },
		{ "佐藤 健", 8, WIDTH_LEFT, "佐藤 健 " },
		{ "佐藤 健", 6, WIDTH_LEFT, "佐藤 …" },
		{ "Yılmaz Gıda", 11, WIDTH_LEFT, "Yılmaz Gıda" },
		{ "Angebot übergeben", 10, WIDTH_LEFT, "Angebot ü…" },
		/* a wide character that would straddle the cut is left out; a blank fills up */
		{ "株式会社サトウ", 6, WIDTH_LEFT, "株式… " },
		{ "株式会社サトウ", 5, WIDTH_LEFT, "株式…" },
		{ "😀😀😀", 4, WIDTH_LEFT, "😀… " },
		/* a combining mark stays with its letter */
		{ "Jose\xcc\x81 Garcia", 5, WIDTH_LEFT, "Jose\xcc\x81…" },
		{ "abc", 1, WIDTH_LEFT, "\xe2\x80\xa6" },
		{ "abc", 0, WIDTH_LEFT, "" },
		{ NULL, 3, WIDTH_LEFT, "   " },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sbuf b = SBUF_INIT;

		sbuf_puts(&b, "");
		width_fit(&b, cases[i].s, cases[i].cols, cases[i].align);
		if (strcmp(b.s, cases[i].out) != 0)
			fail_msg("width_fit(\"%s\", %zu) = \"%s\", expected \"%s\"",
			    cases[i].s ? cases[i].s : "(null)", cases[i].cols, b.s, cases[i].out);
		if (width_str(b.s) != cases[i].cols)
			fail_msg("width_fit(\"%s\", %zu) takes %zu columns",
			    cases[i].s ? cases[i].s : "(null)", cases[i].cols, width_str(b.s));
		sbuf_free(&b);
	}
}

/* The display column at which needle starts in line. */
static size_t
column_of(const char *line, const char *needle)
{
	const char *p = strstr(line, needle);

	if (p == NULL)
		fail_msg("\"%s\" not in \"%s\"", needle, line);
	return width_strn(line, (size_t)(p - line));
}

static void
table_columns_line_up_by_display_width(void **state)
{
	static const char *const rows[][3] = {
		{ "kessler-2026", "Müller Büromöbel", "offen" },
		{ "chen-2026", "陈立", "überfällig" },
		{ "sato-2026", "佐藤 健", "heute" },
		{ "yilmaz-2026", "İlkay Yılmaz 🚀", "in 3 Tagen" },
		{ "combining",
		    "Jose\xcc\x81 Garci\xcc\x81"
		    "a",
		    "-" },
	};
	struct table *t = table_new(3);
	struct sbuf out = SBUF_INIT;
	char *line, *nl;
	size_t i, n = 0, name_col = 0, state_col = 0;

	(void)state;
	assert_non_null(t);
	table_column(t, 0, "PLAN", 0, WIDTH_LEFT);
	table_column(t, 1, "KAM", 0, WIDTH_LEFT);
	table_column(t, 2, "STATE", 0, WIDTH_LEFT);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(table_row(t, rows[i]), 0);
	assert_int_equal(table_rows(t), 5);
	table_render(t, "  ", &out);
	assert_false(out.failed);
	for (line = out.s; (nl = strchr(line, '\n')) != NULL; line = nl + 1, n++) {
		*nl = '\0';
		if (n == 0) {
			name_col = column_of(line, "KAM");
			state_col = column_of(line, "STATE");
			assert_int_equal(column_of(line, "PLAN"), 2);
			continue;
		}
		assert_int_equal(column_of(line, rows[n - 1][1]), name_col);
		assert_int_equal(column_of(line, rows[n - 1][2]), state_col);
		assert_true(line[strlen(line) - 1] != ' '); /* the last column is not padded */
	}
	assert_int_equal(n, 6);
	/* the widest KAM cell, "Müller Büromöbel", takes 16 columns (18 bytes), then two
	 * blanks; "İlkay Yılmaz 🚀" takes 15 (21 bytes) */
	assert_int_equal(state_col - name_col, 18);
	sbuf_free(&out);
	table_free(t);
}

static void
table_cuts_a_column_at_its_maximum(void **state)
{
	static const char *const row[2] = { "a-very-long-generated-key-0123456789", "x" };
	struct table *t = table_new(2);
	struct sbuf out = SBUF_INIT;

	(void)state;
	table_column(t, 0, NULL, 12, WIDTH_LEFT);
	table_column(t, 1, NULL, 0, WIDTH_LEFT);
	assert_int_equal(table_row(t, row), 0);
	table_render(t, "", &out);
	assert_string_equal(out.s, "a-very-long\xe2\x80\xa6  x\n");
	sbuf_free(&out);
	table_free(t);
	assert_null(table_new(0));
	assert_null(table_new(TABLE_MAX_COLS + 1));
	table_free(NULL);
}

static void
table_aligns_numbers_right_and_keeps_cells_on_one_line(void **state)
{
	static const char *const a[2] = { "Umsatz", "4.200.000 EUR" };
	static const char *const b[2] = { "Marge\nneu", "\xe2\x80\x93" };
	struct table *t = table_new(2);
	struct sbuf out = SBUF_INIT;

	(void)state;
	table_column(t, 0, "WHAT", 0, WIDTH_LEFT);
	table_column(t, 1, "EUR", 0, WIDTH_RIGHT);
	assert_int_equal(table_row(t, a), 0);
	assert_int_equal(table_row(t, b), 0);
	table_render(t, "", &out);
	assert_string_equal(out.s,
	    "WHAT                 EUR\n"
	    "Umsatz     4.200.000 EUR\n"
	    "Marge neu              \xe2\x80\x93\n");
	sbuf_free(&out);
	table_free(t);
}

struct case_money {
	const char *lang;
	int missing;
	double v;
	const char *cur, *out;
};

static void
money_is_grouped_by_language_and_a_missing_value_is_a_dash(void **state)
{
	static const struct case_money cases[] = {
		{ "de", 0, 38000000, "EUR", "38.000.000 EUR" },
		{ "en", 0, 38000000, "EUR", "38,000,000 EUR" },
		{ "de-AT", 0, 980000, "EUR", "980.000 EUR" },
		{ "en-GB", 0, 1234.5, "GBP", "1,234.50 GBP" },
		{ "de", 0, 1234.5, "EUR", "1.234,50 EUR" },
		{ "de-CH", 0, 1234567, "CHF",
		    "1\xe2\x80\x99"
		    "234\xe2\x80\x99"
		    "567 CHF" },
		{ "fr", 0, 25000, "EUR",
		    "25\xe2\x80\xaf"
		    "000 EUR" },
		{ "ja", 0, 1000000, "JPY", "1,000,000 JPY" },
		{ "xx", 0, 1000, "EUR", "1,000 EUR" }, /* unknown: as English */
		{ NULL, 0, 999, "USD", "999 USD" },
		{ "de", 0, 0, "EUR", "0 EUR" }, /* zero is a value, not missing */
		{ "de", 0, -4200.75, "EUR", "-4.200,75 EUR" },
		{ "de", 0, 0.004, "EUR", "0 EUR" },
		{ "en", 0, 123, NULL, "123" },
		{ "de", 1, 0, "EUR", "\xe2\x80\x93" },
		{ "de", 0, 1e300, "EUR", "\xe2\x80\x93" },
	};
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		numfmt_money(cases[i].lang, cases[i].missing ? NULL : &cases[i].v, cases[i].cur,
		    buf, sizeof(buf));
		if (strcmp(buf, cases[i].out) != 0)
			fail_msg("numfmt_money(%s, %g) = \"%s\", expected \"%s\"",
			    cases[i].lang ? cases[i].lang : "NULL", cases[i].v, buf, cases[i].out);
	}
}

static void
integers_are_grouped_by_language(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(numfmt_int("de", 1000, buf, sizeof(buf)), "1.000");
	assert_string_equal(numfmt_int("en", 1000, buf, sizeof(buf)), "1,000");
	assert_string_equal(numfmt_int("en", 999, buf, sizeof(buf)), "999");
	assert_string_equal(numfmt_int("de", -1234567, buf, sizeof(buf)), "-1.234.567");
	assert_string_equal(
	    numfmt_int("en", INT64_MIN, buf, sizeof(buf)), "-9,223,372,036,854,775,808");
	assert_string_equal(numfmt_int("en", 1234567, buf, 6), "1,234"); /* cut, terminated */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(width_counts_columns_not_bytes_or_characters),
		cmocka_unit_test(width_char_follows_wcwidth_for_marks_wide_and_controls),
		cmocka_unit_test(fit_pads_by_display_width_and_cuts_with_an_ellipsis),
		cmocka_unit_test(table_columns_line_up_by_display_width),
		cmocka_unit_test(table_cuts_a_column_at_its_maximum),
		cmocka_unit_test(table_aligns_numbers_right_and_keeps_cells_on_one_line),
		cmocka_unit_test(money_is_grouped_by_language_and_a_missing_value_is_a_dash),
		cmocka_unit_test(integers_are_grouped_by_language),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
