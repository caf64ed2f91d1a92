/* Unit tests for replycmd: the quote stripper on reply layouts as Outlook, Thunderbird,
 * Apple Mail and Gmail write them (German and English, written for these tests after the
 * clients' real output), and the command grammar of SPEC §8. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/replycmd.h"
#include "testutil.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* The commands as one string: "done A-1; date A-2 2026-12-15; reviewed; bad[...]". */
static void
describe(const struct replycmd_list *l, char *buf, size_t len)
{
	size_t o = 0;
	char d[KDATE_STRLEN];

	buf[0] = '\0';
	for (size_t i = 0; i < l->n && o < len; i++) {
		const struct replycmd *c = &l->cmd[i];

		o += (size_t)snprintf(buf + o, len - o, "%s%s%s%s%s%s", i ? "; " : "",
		    replycmd_verb_name(c->verb), c->key[0] ? " " : "", c->key,
		    c->verb == REPLYCMD_DATE ? " " : "",
		    c->verb == REPLYCMD_DATE ? kdate_format(c->date, d) : "");
	}
	for (size_t i = 0; i < l->n_bad && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%sbad[%s]", o ? "; " : "", l->bad[i]);
}

/* What a reply's text yields after stripping and parsing. */
static void
read_reply(const char *text, char *buf, size_t len)
{
	static struct replycmd_list l;

	replycmd_parse(text, replycmd_strip(text, strlen(text)), &l);
	describe(&l, buf, len);
}

static const struct {
	const char *name, *text, *want;
} layouts[] = {
	{ "Outlook (German) with underscores and a Von: block",
	    "erledigt A-17\r\n\r\nMit freundlichen Grüßen\r\nJörg Maier\r\n\r\n"
	    "________________________________\r\n"
	    "Von: kapd <kapd@example.com>\r\nGesendet: Montag, 30. November 2026 08:00\r\n"
	    "An: Maier, Jörg <joerg.maier@example.com>\r\nBetreff: Überfällig: Angebot\r\n\r\n"
	    "done A-99\r\nerledigt A-99\r\n",
	    "done A-17" },
	{ "Outlook (English), header block without underscores",
	    "date A-3 2026-12-15\r\n\r\nThanks, Pat\r\n\r\n"
	    "From: kapd <kapd@example.com>\r\nSent: Monday, November 30, 2026 8:00 AM\r\n"
	    "To: Pat Lee <pat@example.com>\r\nSubject: Overdue: offer\r\n\r\ndone A-3\r\n",
	    "date A-3 2026-12-15" },
	{ "older Outlook: -----Original Message-----",
	    "Done A-5.\r\n\r\n-----Original Message-----\r\nFrom: kapd\r\ndate A-5 2027-01-01\r\n",
	    "done A-5" },
	{ "older Outlook German: -----Ursprüngliche Nachricht-----",
	    "Termin A-5 15.12.2026\r\n-----Ursprüngliche Nachricht-----\r\nVon: kapd\r\n"
	    "erledigt A-5\r\n",
	    "date A-5 2026-12-15" },
	{ "Thunderbird English: attribution and > quotes",
	    "done\n\nOn 11/30/26 08:00, kapd wrote:\n> Overdue: A-1 offer\n> done A-9\n", "done" },
	{ "Thunderbird German: Am ... schrieb ...:",
	    "erledigt\n\nAm 30.11.26 um 08:00 schrieb kapd:\n> erledigt A-9\n", "done" },
	{ "Apple Mail English",
	    "date 20.1.2027\n\nSent from my iPhone\n\n"
	    "On 30. Nov 2026, at 08:00, kapd <kapd@example.com> wrote:\n\n> done A-9\n",
	    "date 2027-01-20" },
	{ "Apple Mail German",
	    "Aktualisiert\n\nVon meinem iPhone gesendet\n\n"
	    "Am 30.11.2026 um 08:00 schrieb kapd <kapd@example.com>:\n\n> termin A-1 01.01.2027\n",
	    "reviewed" },
	{ "Gmail English, attribution wrapped over two lines",
	    "done A-2\r\ndone A-3\r\n\r\nOn Mon, 30 Nov 2026 at 08:00, kapd <\r\n"
	    "kapd@example.com> wrote:\r\n\r\n> Overdue\r\n",
	    "done A-2; done A-3" },
	{ "Gmail German, attribution wrapped",
	    "ERLEDIGT a-2\r\n\r\nAm Mo., 30. Nov. 2026 um 08:00 Uhr schrieb kapd <\r\n"
	    "kapd@example.com>:\r\n\r\n> Überfällig\r\n",
	    "done a-2" },
	{ "signature separator", "termin A-1 2026-12-24\n-- \nJörg Maier\ndone A-1\n",
	    "date A-1 2026-12-24" },
	{ "signature separator without its space", "done A-1\n--\nJörg\nerledigt A-8\n",
	    "done A-1" },
	{ "bold Outlook header block from HTML",
	    "erledigt A-4\n\n*Von:* kapd <kapd@example.com>\n*Gesendet:* Montag\n\nerledigt A-5\n",
	    "done A-4" },
	{ "no-break spaces from HTML",
	    "\xc2\xa0"
	    "done\xc2\xa0"
	    "A-1\xc2\xa0"
	    "\n",
	    "done A-1" },
	{ "greeting and thanks around commands are ignored",
	    "Hallo,\n\nerledigt A-1\ntermin A-2 31.12.2026\n\nDanke!\n",
	    "done A-1; date A-2 2026-12-31" },
	{ "a sentence starting with On is not an attribution",
	    "On Monday I finished it.\ndone A-1\nOn it.\n", "done A-1" },
	{ "From: in the text without a header block is kept", "From: now on it is done\ndone A-1\n",
	    "done A-1" },
	{ "not understood: bad date, too many words",
	    "date A-1 31.02.2027\ndone A-1 A-2\nreviewed now\n",
	    "bad[date A-1 31.02.2027]; bad[done A-1 A-2]; bad[reviewed now]" },
	{ "empty reply", "", "" },
	{ "only a quote", "> done A-1\n", "" },
};

static void
reply_layouts_yield_the_commands_above_the_original(void **state)
{
	char got[512];

	(void)state;
	for (size_t i = 0; i < N_ELEMS(layouts); i++) {
		read_reply(layouts[i].text, got, sizeof(got));
		if (strcmp(got, layouts[i].want) != 0)
			fail_msg("%s: expected \"%s\", got \"%s\"", layouts[i].name,
			    layouts[i].want, got);
	}
}

static void
dates_iso_and_german_only_real_days(void **state)
{
	static const struct {
		const char *s;
		const char *want; /* NULL: rejected */
	} cases[] = {
		{ "2026-12-15", "2026-12-15" },
		{ "15.12.2026", "2026-12-15" },
		{ "1.2.2027", "2027-02-01" },
		{ "29.02.2028", "2028-02-29" },
		{ "29.02.2027", NULL },
		{ "2026-2-15", NULL },
		{ "15.12.26", NULL },
		{ "2026/12/15", NULL },
		{ "", NULL },
		{ "15..2026", NULL },
		{ "32.01.2027", NULL },
		{ "2026-12-15x", NULL },
		{ "12345.1.2026", NULL },
		{ "0620-12-15", NULL },
		{ "1.1.1899", NULL },
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		kdate_t d = 0;
		char buf[KDATE_STRLEN];
		int r = replycmd_parse_date(cases[i].s, strlen(cases[i].s), &d);

		if (cases[i].want == NULL && r == 0)
			fail_msg("\"%s\" should be rejected", cases[i].s);
		if (cases[i].want != NULL &&
		    (r != 0 || strcmp(kdate_format(d, buf), cases[i].want) != 0))
			fail_msg("\"%s\" should read as %s", cases[i].s, cases[i].want);
	}
}

static void
every_verb_has_a_german_and_an_english_word(void **state)
{
	size_t n;
	const struct replycmd_word *w = replycmd_words(&n);
	unsigned seen[2] = { 0, 0 };

	(void)state;
	for (size_t i = 0; i < n; i++)
		seen[strcmp(w[i].lang, "de") == 0] |= 1u << w[i].verb;
	assert_int_equal(seen[0], 7);
	assert_int_equal(seen[1], 7);
}

static void
more_commands_than_kept_are_counted(void **state)
{
	static struct replycmd_list l;
	char text[REPLYCMD_MAX * 12 + 64] = "";
	size_t o = 0;

	(void)state;
	for (int i = 0; i < REPLYCMD_MAX + 3; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "done K%d\n", i);
	replycmd_parse(text, strlen(text), &l);
	assert_int_equal(l.n, REPLYCMD_MAX);
	assert_int_equal(l.n_dropped, 3);
	assert_string_equal(l.cmd[0].key, "K0");
	assert_int_equal(l.cmd[1].line, 2);
}

static void
bad_lines_are_made_safe_to_quote(void **state)
{
	static struct replycmd_list l;
	const char text[] = "done A\x01"
	                    "B \xff\xfe x\n";

	(void)state;
	replycmd_parse(text, sizeof(text) - 1, &l);
	assert_int_equal(l.n_bad, 1);
	assert_string_equal(l.bad[0], "done A B ?? x");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reply_layouts_yield_the_commands_above_the_original),
		cmocka_unit_test(dates_iso_and_german_only_real_days),
		cmocka_unit_test(every_verb_has_a_german_and_an_english_word),
		cmocka_unit_test(more_commands_than_kept_are_counted),
		cmocka_unit_test(bad_lines_are_made_safe_to_quote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
