/* libFuzzer target for the plan page (daemon/core/page.h): page_escape, the HTML text
 * encoder, and page_compose, which puts plan text into HTML and SVG.
 *
 * The input is the text of every field of a small plan (titles, names, needs, SWOT...);
 * its first byte picks the language and the audience.  Invariants:
 *   - page_escape's output holds no <, >, " or ' and every & starts one of the five
 *     entities it writes; it drops C0 controls but tab and newline, and keeps every
 *     other byte in order (so UTF-8 passes unchanged);
 *   - the composed page has exactly as many "<" as the same page composed from a text
 *     without any markup character: no input byte ever opens a tag. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/page.h"
#include "lib/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_page: %s\n", what);                                  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void
check_escape(const char *in)
{
	static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
	struct sbuf b = SBUF_INIT;
	size_t i, k, j = 0;

	page_escape(&b, in);
	sbuf_add(&b, "", 0);
	CHECK(!b.failed, "out of memory");
	for (i = 0; b.s[i] != '\0'; i++) {
		CHECK(strchr("<>\"'", b.s[i]) == NULL, "markup character in escaped text");
		while ((unsigned char)in[j] < 0x20 && in[j] != '\t' && in[j] != '\n')
			j++;
		if (b.s[i] == '&') {
			for (k = 0; k < 5 && strncmp(b.s + i, ents[k], strlen(ents[k])) != 0; k++)
				;
			CHECK(k < 5, "& that starts no entity");
			CHECK(in[j] == "&<>\"'"[k], "entity for another character");
			i += strlen(ents[k]) - 1;
			j++;
			continue;
		}
		CHECK(in[j] == b.s[i], "a byte changed or moved");
		j++;
	}
	while (in[j] != '\0' && (unsigned char)in[j] < 0x20 && in[j] != '\t' && in[j] != '\n')
		j++;
	CHECK(in[j] == '\0', "a byte was dropped");
	sbuf_free(&b);
}

static char *
compose(const char *t, int lang, int confidential)
{
	struct page_contact contact = { t, t, t, t, "champion", "neutral", t };
	const char *needs[] = { t };
	struct page_competitor comp = { t, t, t, t };
	struct page_history hist = { t, "EUR", 1234.5, 0, 1, 0 };
	struct page_goal goal = { "mid", "region", t, t, t, 20000 };
	struct page_swot swot = { "threat", t };
	struct page_member member = { t, "kam", t };
	struct page_project project = { "p", t, "open", 20000, PAGE_NO_DATE };
	struct page_complaint complaint = { 20400, t, "open" };
	struct page_item ms = { "m", t, t, 20450, PAGE_NO_DATE, PAGE_OPEN, -1 };
	struct page_item acts[2] = { { "a", t, NULL, 20420, PAGE_NO_DATE, PAGE_OPEN, 0 },
		{ "b", t, t, 20500, 20490, PAGE_DONE, -1 } };
	struct page_move move = { "activity", "a", t, 20400, 20420, 20430 };
	struct page_change change = { CHANGE_OWNER, "Activity", t, PAGE_NO_DATE, PAGE_NO_DATE, t, t,
		2 };
	struct page_section sec = { "Goals", 20000 };
	struct page_plan p = { 0 };
	struct page_options o = { 20440, 7, 180, confidential };
	struct sbuf b = SBUF_INIT;

	p.lang = lang ? "de" : "en";
	p.key = "k";
	p.title = p.kam = p.sponsor = p.account.name = p.account.positioning = t;
	p.state = "active";
	p.last_review = 20100;
	p.next_review = 20465;
	p.contacts = &contact;
	p.n_contacts = 1;
	p.needs = needs;
	p.n_needs = 1;
	p.competitors = &comp;
	p.n_competitors = 1;
	p.history = &hist;
	p.n_history = 1;
	p.goals = &goal;
	p.n_goals = 1;
	p.swot = &swot;
	p.n_swot = 1;
	p.team = &member;
	p.n_team = 1;
	p.projects = &project;
	p.n_projects = 1;
	p.complaints = &complaint;
	p.n_complaints = 1;
	p.milestones = &ms;
	p.n_milestones = 1;
	p.activities = acts;
	p.n_activities = 2;
	p.moves = &move;
	p.n_moves = 1;
	p.since = lang ? 20300 : PAGE_NO_DATE;
	p.changes = &change;
	p.n_changes = 1;
	p.sections = &sec;
	p.n_sections = 1;
	page_compose(&p, &o, &b);
	sbuf_add(&b, "", 0);
	CHECK(!b.failed, "out of memory");
	return b.s;
}

static size_t
count_lt(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '<';
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *page, *plain;
	int flags;

	/* An empty text leaves optional facts out: a page of another shape. */
	if (size < 2 || size > 4096 || data[1] == '\0')
		return 0;
	flags = data[0];
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	check_escape(text);
	page = compose(text, flags & 1, (flags >> 1) & 1);
	plain = compose("x", flags & 1, (flags >> 1) & 1);
	CHECK(count_lt(page) == count_lt(plain), "input text opened a tag");
	free(page);
	free(plain);
	free(text);
	return 0;
}
