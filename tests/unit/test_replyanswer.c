/* Unit tests for the answer to a reply (core/replyanswer) and for reading an HTML-only
 * reply as text (core/htmltext). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/htmltext.h"
#include "core/replyanswer.h"
#include "testutil.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static void
html_becomes_lines_with_quotes_marked(void **state)
{
	static const struct {
		const char *html, *want;
	} cases[] = {
		{ "<div>done A-1<br></div><div>Thanks</div>", "done A-1\nThanks\n" },
		{ "<p>termin&nbsp;A-2&nbsp;15.12.2026</p>", "termin A-2 15.12.2026\n" },
		{ "<html><head><style>p{color:red}</style><title>x</title></head>"
		  "<body>erledigt</body></html>",
		    "erledigt" },
		{ "ok<blockquote>done X<br>date X 2027-01-01</blockquote>",
		    "ok\n> done X\n> date X 2027-01-01\n" },
		{ "Gr&uuml;&szlig;e &amp; &#169; &#x263A; &lt;b&gt;", "Grüße & © ☺ <b>" },
		{ "a<!-- done B -->b", "ab" },
		{ "unclosed <b", "unclosed " },
		{ "&#0; &#xD800; &bogus;", "? ? &bogus;" },
		{ "", "" },
		{ "do\x01ne\x7f A", "done A" },
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		char *out = NULL;
		size_t len = 0;

		assert_int_equal(htmltext(cases[i].html, strlen(cases[i].html), &out, &len), 0);
		assert_int_equal(strlen(out), len);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg(
			    "%s: expected \"%s\", got \"%s\"", cases[i].html, cases[i].want, out);
		assert_int_equal(len, strlen(out));
		free(out);
	}
}

static struct reply_item items[] = {
	{ KIND_ACTIVITY, "A-1", "P1", 0 },
	{ KIND_MILESTONE, "M-1", "P1", 0 },
};

static char *
answer_of(
    const char *lang, const char *text, struct reply_effect *eff, size_t neff, const char *subject)
{
	static struct replycmd_list l;
	struct reply_mail m;
	struct reply_decision d;
	char *out = NULL, err[128];
	size_t len;

	memset(&m, 0, sizeof(m));
	m.items = items;
	m.n_items = 2;
	replycmd_parse(text, strlen(text), &l);
	replyauth_decide(&m, &l, day_of("2026-12-01"), &d);
	assert_int_equal(d.n_act, neff);
	struct replyanswer a = { "kapd <kapd@s.example>", "jo@s.example", lang, subject,
		"abc@client.example", "<kapd-answer-1@s.example>",
		instant_of("2026-12-01T09:30:00+01:00"), &m, &l, &d, eff };
	assert_int_equal(replyanswer_compose(&a, &out, &len, err, sizeof(err)), 0);
	assert_int_equal(strlen(out), len);
	return out;
}

static void
the_answer_is_an_automatic_reply_to_the_message(void **state)
{
	struct reply_effect eff[1] = { { REPLY_CHANGED, "open", "done", "open" } };
	char *m = answer_of(NULL, "done A-1\n", eff, 1, "Overdue: offer");

	(void)state;
	assert_non_null(strstr(m, "\r\nAuto-Submitted: auto-replied\r\n"));
	assert_non_null(strstr(m, "\r\nIn-Reply-To: <abc@client.example>\r\n"));
	assert_non_null(strstr(m, "\r\nReferences: <abc@client.example>\r\n"));
	assert_non_null(strstr(m, "\r\nSubject: Re: Overdue: offer\r\n"));
	assert_non_null(strstr(m, "\r\nTo: <jo@s.example>\r\n"));
	assert_non_null(strstr(m, "\r\nContent-Language: en\r\n"));
	for (const char *p = m; *p != '\0'; p++)
		if (*p == '\n')
			assert_true(p > m && p[-1] == '\r');
	free(m);
}

static void
the_text_says_what_changed_and_what_was_not_understood(void **state)
{
	struct reply_effect eff[2] = { { REPLY_CHANGED, "2026-11-20", "2027-01-15", "open" },
		{ REPLY_UNCHANGED, "", "done", "done" } };
	static struct replycmd_list l;
	struct reply_mail m;
	struct reply_decision d;
	const char *text = "termin A-1 15.01.2027\nerledigt M-1\ndone X-9\ndone A-1 A-2\n";
	char *out = NULL;
	size_t len;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.items = items;
	m.n_items = 2;
	replycmd_parse(text, strlen(text), &l);
	replyauth_decide(&m, &l, day_of("2026-12-01"), &d);
	struct replyanswer a = { "kapd@s.example", "jo@s.example", "de", NULL, NULL,
		"<x@s.example>", 0, &m, &l, &d, eff };
	assert_int_equal(replyanswer_text(&a, &out, &len), 0);
	assert_non_null(strstr(out, "A-1: Termin von 20.11.2026 auf 15.01.2027 verschoben"));
	assert_non_null(strstr(out, "M-1: unverändert, der Punkt ist erledigt"));
	assert_non_null(strstr(out, "X-9: kein Punkt der Mail"));
	assert_non_null(strstr(out, "„done A-1 A-2“"));
	assert_non_null(strstr(out, "erledigt [KEY]"));
	free(out);
}

static void
an_unusable_recipient_gives_no_answer(void **state)
{
	static struct replycmd_list l;
	struct reply_mail m;
	struct reply_decision d;
	char *out = NULL, err[128];
	size_t len;

	(void)state;
	memset(&m, 0, sizeof(m));
	replycmd_parse("", 0, &l);
	replyauth_decide(&m, &l, 0, &d);
	struct replyanswer a = { "kapd@s.example", "jo@s.example\r\nBcc: x@y.example", NULL,
		"Re: x\r\nBcc: y@z.example", NULL, "<x@s.example>", 0, &m, &l, &d, NULL };
	assert_int_equal(replyanswer_compose(&a, &out, &len, err, sizeof(err)), -EINVAL);
	a.to = "jo@s.example";
	assert_int_equal(replyanswer_compose(&a, &out, &len, err, sizeof(err)), 0);
	assert_null(strstr(out, "Bcc"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(html_becomes_lines_with_quotes_marked),
		cmocka_unit_test(the_answer_is_an_automatic_reply_to_the_message),
		cmocka_unit_test(the_text_says_what_changed_and_what_was_not_understood),
		cmocka_unit_test(an_unusable_recipient_gives_no_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
