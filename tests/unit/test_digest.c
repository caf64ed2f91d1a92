/* What people read (core/digest.c, core/report_text.c, the rule table): subjects that are
 * a headline with counts, never a sentence, within 78 characters, for every rule, one and
 * many items, German and English; one entry per item that states every reason and asks
 * what the recipient's role can do; the status report as an evenly indented document. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/digest.h"
#include "core/rules.h"
#include "lib/i18n.h"
#include "lib/textcheck.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define TODAY 20790 /* Thursday, 3 December 2026 */

static struct mail_item
item(enum rule rule, long days_overdue)
{
	const struct rule_def *d = rules_def(rule);
	struct mail_item it = { .rule = rule,
		.kind = KIND_ACTIVITY,
		.item_key = "a1",
		.title = "Angebot BZ 800 übergeben",
		.plan_key = "kessler-2026",
		.plan_title = "Kessler 2026",
		.owner_name = "Oliver Hughes",
		.due = (kdate_t)(TODAY - days_overdue),
		.stage = "overdue-0",
		.role = d->role };

	if (d->target != TARGET_ITEM) {
		it.kind = KIND_PLAN;
		it.item_key = "kessler-2026";
		it.title = NULL;
		it.owner_name = NULL;
	}
	if (d->target == TARGET_WEEK)
		it.stage = "week-2026-W49";
	return it;
}

static char *
subject(const char *lang, const struct mail_item *items, size_t n)
{
	struct mail_message m = { .to_name = "Anna Weber",
		.to_addr = "anna@x.example",
		.today = TODAY,
		.lang = lang,
		.items = items,
		.n_items = n };
	struct sbuf s = SBUF_INIT;
	char *out = NULL;

	digest_subject(&m, &s);
	assert_int_equal(sbuf_finish(&s, &out, NULL), 0);
	return out;
}

/* A headline, not a sentence: within 78 characters, no sentence end, valid UTF-8. */
static void
assert_headline(const char *subj)
{
	size_t n = strlen(subj);

	if (!text_is_line(subj))
		fail_msg("subject is not one valid line: %s", subj);
	if (text_utf8_len(subj) > DIGEST_SUBJECT_MAX)
		fail_msg("subject longer than %d characters (%zu): %s", DIGEST_SUBJECT_MAX,
		    text_utf8_len(subj), subj);
	if (strstr(subj, ". ") != NULL || strstr(subj, ".:") != NULL ||
	    (n > 0 && subj[n - 1] == '.'))
		fail_msg("subject contains a sentence: %s", subj);
}

static void
test_one_item_subjects_for_every_rule_in_both_languages(void **state)
{
	static const struct {
		enum rule rule;
		long days;
		const char *en, *de;
	} rows[] = {
		{ RULE_UPCOMING, -7, "[Kessler 2026] Due in 7 days: Angebot BZ 800 übergeben",
		    "[Kessler 2026] In 7 Tagen fällig: Angebot BZ 800 übergeben" },
		{ RULE_UPCOMING, -1, "[Kessler 2026] Due in 1 day: Angebot BZ 800 übergeben",
		    "[Kessler 2026] In 1 Tag fällig: Angebot BZ 800 übergeben" },
		{ RULE_DUE, 0, "[Kessler 2026] Due today: Angebot BZ 800 übergeben",
		    "[Kessler 2026] Heute fällig: Angebot BZ 800 übergeben" },
		{ RULE_OVERDUE, 3, "[Kessler 2026] Overdue for 3 days: Angebot BZ 800 übergeben",
		    "[Kessler 2026] Überfällig seit 3 Tagen: Angebot BZ 800 übergeben" },
		{ RULE_OVERDUE, 1, "[Kessler 2026] Overdue for 1 day: Angebot BZ 800 übergeben",
		    "[Kessler 2026] Überfällig seit 1 Tag: Angebot BZ 800 übergeben" },
		{ RULE_ESCALATION, 9,
		    "[Kessler 2026] Escalation, overdue for 9 days: Angebot BZ 800 übergeben",
		    "[Kessler 2026] Eskalation, seit 9 Tagen überfällig: Angebot BZ 800 "
		    "übergeben" },
		{ RULE_SPONSOR, 21,
		    "[Kessler 2026] Escalation, overdue for 21 days: Angebot BZ 800 übergeben",
		    "[Kessler 2026] Eskalation, seit 21 Tagen überfällig: Angebot BZ 800 "
		    "übergeben" },
		{ RULE_REVIEW_UPCOMING, -30, "[Kessler 2026] Annual update due in 30 days",
		    "[Kessler 2026] Jahresaktualisierung in 30 Tagen fällig" },
		{ RULE_REVIEW_DUE, 0, "[Kessler 2026] Annual update due today",
		    "[Kessler 2026] Jahresaktualisierung heute fällig" },
		{ RULE_REVIEW_OVERDUE, 8, "[Kessler 2026] Annual update overdue for 8 days",
		    "[Kessler 2026] Jahresaktualisierung seit 8 Tagen überfällig" },
		{ RULE_REVIEW_ESCALATION, 30,
		    "[Kessler 2026] Escalation, annual update overdue for 30 days",
		    "[Kessler 2026] Eskalation, Jahresaktualisierung seit 30 Tagen überfällig" },
		{ RULE_STATUS_REPORT, 0, "[Kessler 2026] Status report, week 49, 2026",
		    "[Kessler 2026] Statusbericht KW 49/2026" },
	};
	int covered[RULE_COUNT] = { 0 };

	(void)state;
	for (size_t i = 0; i < N_ELEMS(rows); i++) {
		struct mail_item it = item(rows[i].rule, rows[i].days);
		char *en = subject("en", &it, 1), *de = subject("de-DE", &it, 1);

		if (strcmp(en, rows[i].en) != 0 || strcmp(de, rows[i].de) != 0)
			fail_msg("%s, %ld days: expected\n  %s\n  %s\ngot\n  %s\n  %s",
			    rules_rule_name(rows[i].rule), rows[i].days, rows[i].en, rows[i].de, en,
			    de);
		assert_headline(en);
		assert_headline(de);
		covered[rows[i].rule] = 1;
		free(en);
		free(de);
	}
	/* A new rule in the table fails here until its subjects are written down. */
	for (int r = 0; r < RULE_COUNT; r++)
		if (!covered[r])
			fail_msg("no subject test for rule %s", rules_rule_name((enum rule)r));
}

static void
test_many_item_subjects_count_entries_by_urgency(void **state)
{
	struct mail_item it[5] = { item(RULE_OVERDUE, 3), item(RULE_OVERDUE, 5), item(RULE_DUE, 0),
		item(RULE_UPCOMING, -7), item(RULE_STATUS_REPORT, 0) };
	char *s;

	(void)state;
	it[1].item_key = "a2";
	it[2].item_key = "a3";
	it[3].item_key = "a4";
	s = subject("de", it, 3);
	assert_string_equal(s, "Kessler 2026: 2 überfällig, 1 heute fällig");
	free(s);
	s = subject("en", it, 5);
	assert_string_equal(s,
	    "Kessler 2026: 2 overdue, 1 due today, 1 status report, "
	    "1 coming up");
	assert_headline(s);
	free(s);
	/* Two plans: no plan's title. */
	it[2].plan_key = "beta-2026";
	it[2].plan_title = "Beta 2026";
	s = subject("en", it, 4);
	assert_string_equal(s, "Key account plans: 2 overdue, 1 due today, 1 coming up");
	free(s);
}

/* An item's owner reminder and its escalation are one entry, so one count. */
static void
test_subject_counts_an_item_once_whatever_its_notifications(void **state)
{
	struct mail_item it[2] = { item(RULE_OVERDUE, 9), item(RULE_ESCALATION, 9) };
	char *s;

	(void)state;
	it[0].unowned = 1;
	it[0].role = ROLE_KAM;
	s = subject("en", it, 2);
	assert_string_equal(s,
	    "[Kessler 2026] Escalation, overdue for 9 days: "
	    "Angebot BZ 800 übergeben");
	free(s);
}

static void
test_long_titles_are_cut_within_78_characters(void **state)
{
	struct mail_item it[2] = { item(RULE_REVIEW_ESCALATION, 45), item(RULE_OVERDUE, 12) };
	const char *langs[] = { "en", "de" };
	char *s;

	(void)state;
	it[0].plan_title =
	    "Key-Account-Plan Kessler Antriebstechnik GmbH & Co. KG Schweinfurt 2026";
	it[1].plan_title = it[0].plan_title;
	it[1].title = "Angebot für die Bearbeitungszentren BZ 800 mit Ersatzteilpaket, "
	              "Schulung und Wartungsvertrag übergeben (陈立, 佐藤 健)";
	for (size_t l = 0; l < N_ELEMS(langs); l++) {
		for (size_t i = 0; i < 2; i++) {
			s = subject(langs[l], &it[i], 1);
			assert_headline(s);
			if (strstr(s, "…") == NULL)
				fail_msg("expected a cut title with \"…\": %s", s);
			/* The headline survives the cut. */
			if (strstr(s,
			        i == 0 ? (l ? "Jahresaktualisierung seit 45 Tagen"
			                    : "annual update overdue for 45 days")
			               : (l ? "Überfällig seit 12 Tagen"
			                    : "Overdue for 12 days")) == NULL)
				fail_msg("headline lost in: %s", s);
			free(s);
		}
		s = subject(langs[l], it, 2);
		assert_headline(s);
		free(s);
	}
}

static char *
body(const char *lang, const struct mail_item *items, size_t n, char **html)
{
	struct mail_message m = { .to_name = "Anna Weber",
		.to_addr = "anna@x.example",
		.today = TODAY,
		.lang = lang,
		.items = items,
		.n_items = n };
	struct sbuf t = SBUF_INIT, h = SBUF_INIT;
	char *out = NULL;

	digest_bodies(&m, &t, &h);
	assert_int_equal(sbuf_finish(&t, &out, NULL), 0);
	assert_int_equal(sbuf_finish(&h, html, NULL), 0);
	return out;
}

static size_t
count(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static void
expect(const char *text, const char *needle, size_t times)
{
	if (count(text, needle) != times)
		fail_msg("expected \"%s\" %zu time(s), found %zu in:\n%s", needle, times,
		    count(text, needle), text);
}

/* The KAM receives an unowned item's reminder and its escalation: one entry with both
 * reasons, asking to assign an owner. */
static void
test_one_entry_per_item_states_every_reason(void **state)
{
	struct mail_item it[2] = { item(RULE_OVERDUE, 9), item(RULE_ESCALATION, 9) };
	char *html, *t;

	(void)state;
	it[0].unowned = 1;
	it[0].role = ROLE_KAM;
	it[0].owner_name = it[1].owner_name = NULL;
	t = body("en", it, 2, &html);
	expect(t, "[a1]", 1);
	expect(t,
	    "Overdue for 9 days; escalated to you as key account manager; no owner can "
	    "be reached by email, so it comes to you as key account manager.",
	    1);
	expect(t, "Please assign an owner or take care of it yourself.", 1);
	expect(html, "[a1]", 1);
	free(t);
	free(html);
	t = body("de", it, 2, &html);
	expect(t, "[a1]", 1);
	expect(t, "Überfällig seit 9 Tagen; an Sie als Key Account Manager eskaliert; ", 1);
	expect(t, "Bitte legen Sie eine verantwortliche Person fest", 1);
	free(t);
	free(html);
}

/* The sponsor gets the escalation of the KAM's own item and the sponsor's: one entry,
 * told as sponsor, never addressed as the KAM. */
static void
test_a_sponsor_is_never_addressed_as_key_account_manager(void **state)
{
	struct mail_item it[3] = { item(RULE_ESCALATION, 22), item(RULE_SPONSOR, 22),
		item(RULE_REVIEW_ESCALATION, 31) };
	char *html, *t;

	(void)state;
	it[0].role = ROLE_SPONSOR;
	it[0].owner_name = it[1].owner_name = "Anna Weber";
	t = body("en", it, 3, &html);
	expect(t, "[a1]", 1);
	expect(t, "Overdue for 22 days; escalated to you as sponsor.", 1);
	expect(t, "Overdue for 31 days; escalated to you as sponsor.", 1);
	expect(t, "as key account manager", 0);
	expect(t, "Please follow up", 0);
	expect(t, "please back the key account manager", 2);
	free(t);
	free(html);
	t = body("de", it, 3, &html);
	expect(t, "als Key Account Manager", 0);
	expect(t, "an Sie als Sponsor eskaliert", 2);
	expect(t, "Bitte unterstützen Sie den Key Account Manager", 2);
	free(t);
	free(html);
}

static void
test_the_kam_is_asked_to_follow_up_and_the_owner_to_act(void **state)
{
	struct mail_item kam = item(RULE_ESCALATION, 9), owner = item(RULE_OVERDUE, 4);
	char *html, *t;

	(void)state;
	t = body("en", &kam, 1, &html);
	expect(t, "Overdue for 9 days; escalated to you as key account manager.", 1);
	expect(t, "Please follow up with Oliver Hughes.", 1);
	free(t);
	free(html);
	t = body("de", &kam, 1, &html);
	expect(t, "Bitte klären Sie mit Oliver Hughes, wie es weitergeht.", 1);
	free(t);
	free(html);
	t = body("en", &owner, 1, &html);
	expect(t, "Overdue for 4 days.", 1);
	expect(t, "Please complete it, or agree on a new deadline within the key account team.", 1);
	expect(t, "escalated", 0);
	/* The owner may be the KAM: no request sends them to "your key account manager". */
	expect(t, "your key account manager", 0);
	free(t);
	free(html);
	t = body("de", &owner, 1, &html);
	expect(t,
	    "Bitte erledigen Sie dies oder stimmen Sie im Key-Account-Team einen neuen "
	    "Termin ab.",
	    1);
	expect(t, "Ihrem Key Account Manager", 0);
	free(t);
	free(html);
}

/* English starts the sentence after the greeting with a capital, in a new paragraph;
 * German continues in lower case; one plan is one plan. */
static void
test_greeting_and_first_sentence_follow_each_language(void **state)
{
	struct mail_item it = item(RULE_DUE, 0);
	char *html, *t;

	(void)state;
	t = body("en", &it, 1, &html);
	expect(t,
	    "Hello Anna Weber,\r\n\r\nHere is what needs your attention in your key "
	    "account plan.\r\n",
	    1);
	free(t);
	free(html);
	t = body("de", &it, 1, &html);
	expect(t, "Guten Tag Anna Weber,\r\n\r\nin Ihrem Key-Account-Plan ", 1);
	expect(t, "dieser Pläne", 0);
	free(t);
	free(html);
}

static struct report_item overdue_items[] = {
	{ .kind = "activity",
	    .key = "a1",
	    .title = "Angebot",
	    .owner = "Oliver Hughes",
	    .due = TODAY - 9 },
	{ .kind = "milestone", .key = "m1", .title = "Muster", .owner = NULL, .due = TODAY - 2 },
};
static struct report_item ms[] = {
	{ .kind = "milestone", .key = "m1", .title = "Muster", .due = TODAY - 2, .total = 0 },
	{ .kind = "milestone",
	    .key = "m2",
	    .title = "Vertrag",
	    .due = TODAY + 9,
	    .done = 1,
	    .total = 3,
	    .at_risk = 1 },
};

static struct report_change changes[] = {
	{ .kind = "activity",
	    .key = "a1",
	    .title = "Angebot",
	    .field = "due",
	    .from = "2026-12-01",
	    .to = "2026-12-05",
	    .times = 2,
	    .days = 4 },
	{ .kind = "milestone",
	    .key = "m1",
	    .title = "Muster",
	    .field = "owner",
	    .from = "Anna Weber",
	    .to = "Oliver Hughes",
	    .times = 1 },
	{ .kind = "activity",
	    .key = "a2",
	    .title = "Besuch",
	    .field = "owner",
	    .from = NULL,
	    .to = "Oliver Hughes",
	    .times = 1 },
	{ .kind = "activity",
	    .key = "a3",
	    .title = "Bericht",
	    .field = "due",
	    .from = "2026-12-02",
	    .to = "2026-12-01",
	    .times = 1,
	    .days = -1 },
};

static void
check_report_layout(const char *t)
{
	const char *line = t, *end;

	expect(t, "\r\n\r\n\r\n", 0);
	for (; (end = strstr(line, "\r\n")) != NULL; line = end + 2) {
		size_t ind = strspn(line, " ");

		if (ind % 2 != 0)
			fail_msg(
			    "odd indentation (%zu) in line: %.*s", ind, (int)(end - line), line);
	}
}

static void
test_status_report_is_an_evenly_indented_document(void **state)
{
	struct report r = { .since = TODAY - 7,
		.today = TODAY,
		.overdue = overdue_items,
		.n_overdue = 2,
		.milestones = ms,
		.n_milestones = 2,
		.has_review = 1,
		.next_review = TODAY + 40,
		.changes = changes,
		.n_changes = 4 };
	struct mail_item it = item(RULE_STATUS_REPORT, 0);
	char *html, *t;

	(void)state;
	it.report = &r;
	t = body("de", &it, 1, &html);
	check_report_layout(t);
	expect(t, "Statusbericht KW 49/2026", 1);
	expect(t, "week-2026-W49", 0);
	expect(t, "0 von 0", 0);
	expect(t, "keine Aktivitäten zugeordnet", 1);
	expect(t, "1 von 3 zugeordneten Aktivitäten erledigt", 1);
	expect(t, "Es wurden keine Aktivitäten oder Meilensteine erledigt.", 1);
	expect(t,
	    "    Oliver Hughes:\r\n    * Aktivität: Angebot [a1]\r\n"
	    "      Termin: 24.11.2026; Status: seit 9 Tagen überfällig\r\n",
	    1);
	expect(t, "    nicht zugewiesen:\r\n", 1);
	/* Moved deadlines and owner changes since the last report. */
	expect(t, "Geändert seit 26.11.2026", 1);
	expect(t,
	    "    * Aktivität: Angebot [a1]\r\n      Änderung: Termin 01.12.2026 → "
	    "05.12.2026, +4 Tage, 2-mal verschoben\r\n",
	    1);
	expect(t, "Termin 02.12.2026 → 01.12.2026, -1 Tag, 1-mal verschoben", 1);
	expect(t, "Änderung: Verantwortlich Anna Weber → Oliver Hughes", 1);
	expect(t, "Änderung: Verantwortlich nicht zugewiesen → Oliver Hughes", 1);
	expect(t, " von ", 1); /* "Erledigt am … von <owner>" is gone */
	/* HTML for mail clients: inline styles, tables, nothing fetched from elsewhere. */
	expect(html, "<style", 0);
	expect(html, "src=", 0);
	expect(html, "<link", 0);
	expect(html, "http", 0);
	if (count(html, "<table") < 2 || count(html, "<table") != count(html, "</table>"))
		fail_msg("expected balanced tables in the report's HTML:\n%s", html);
	free(t);
	free(html);
	t = body("en", &it, 1, &html);
	check_report_layout(t);
	expect(t, "Status report, week 49, 2026", 1);
	expect(t, "no linked activities", 1);
	expect(t, "No activities or milestones were completed.", 1);
	expect(t, "Change: Deadline 1 Dec 2026 → 5 Dec 2026, +4 days, moved 2 times", 1);
	expect(t, "Change: Deadline 2 Dec 2026 → 1 Dec 2026, -1 day, moved 1 time", 1);
	free(t);
	free(html);
}

/* The rule table: names the ledger accepts, headlines with one count or none. */
static void
test_rule_table_rows_are_complete(void **state)
{
	(void)state;
	for (int r = 0; r < RULE_COUNT; r++) {
		const struct rule_def *d = rules_def((enum rule)r);

		assert_non_null(d);
		assert_non_null(d->name);
		if (strspn(d->name, "abcdefghijklmnopqrstuvwxyz-") != strlen(d->name) ||
		    strlen(d->name) > 32)
			fail_msg("rule name %s does not fit the ledger's column", d->name);
		assert_int_equal(rules_by_name(d->name), r);
		assert_non_null(d->headline);
		if (d->headline_pl != NULL &&
		    (count(d->headline, "%") != 1 || count(d->headline, "%ld") != 1 ||
		        count(d->headline_pl, "%") != 1 || count(d->headline_pl, "%ld") != 1))
			fail_msg("rule %s: a plural headline takes exactly one %%ld", d->name);
		if (d->headline_pl == NULL && strchr(d->headline, '%') != NULL)
			fail_msg("rule %s: a headline without plural takes no argument", d->name);
		if ((d->stage == STAGE_ONCE) != (d->after > 0))
			fail_msg("rule %s: once-only rules, and only they, name their threshold",
			    d->name);
		assert_true(d->urgency < URGENCY_COUNT);
	}
	assert_int_equal(rules_by_name("no-such-rule"), -1);
	assert_int_equal(rules_role(RULE_OVERDUE, 1, 0), ROLE_KAM);
	assert_int_equal(rules_role(RULE_ESCALATION, 0, 1), ROLE_SPONSOR);
	assert_int_equal(rules_role(RULE_ESCALATION, 0, 0), ROLE_KAM);
	assert_int_equal(rules_role(RULE_DUE, 0, 0), ROLE_OWNER);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_item_subjects_for_every_rule_in_both_languages),
		cmocka_unit_test(test_many_item_subjects_count_entries_by_urgency),
		cmocka_unit_test(test_subject_counts_an_item_once_whatever_its_notifications),
		cmocka_unit_test(test_long_titles_are_cut_within_78_characters),
		cmocka_unit_test(test_one_entry_per_item_states_every_reason),
		cmocka_unit_test(test_a_sponsor_is_never_addressed_as_key_account_manager),
		cmocka_unit_test(test_the_kam_is_asked_to_follow_up_and_the_owner_to_act),
		cmocka_unit_test(test_greeting_and_first_sentence_follow_each_language),
		cmocka_unit_test(test_status_report_is_an_evenly_indented_document),
		cmocka_unit_test(test_rule_table_rows_are_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
