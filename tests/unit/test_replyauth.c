/* Unit tests for replyauth: who may change what by reply (SPEC §8) and where the key is. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/replyauth.h"
#include "testutil.h"

#define KEY "0123456789abcdef0123456789abcdef"

static struct reply_item two_items[] = {
	{ KIND_ACTIVITY, "A-1", "P1", 0 },
	{ KIND_MILESTONE, "M-1", "P1", 0 },
	{ KIND_PLAN, "P1", "P1", 0 },
};

static struct reply_mail
mail_of(struct reply_item *items, size_t n)
{
	struct reply_mail m;

	memset(&m, 0, sizeof(m));
	snprintf(m.email, sizeof(m.email), "jo@example.com");
	m.expires = 1000;
	m.items = items;
	m.n_items = n;
	return m;
}

static void
only_the_recipient_within_the_key_validity_is_accepted(void **state)
{
	struct reply_mail m = mail_of(two_items, 3);

	(void)state;
	assert_int_equal(replyauth_check(&m, "jo@example.com", 1000), REPLY_ACCEPTED);
	assert_int_equal(replyauth_check(&m, "JO@Example.COM", 10), REPLY_ACCEPTED);
	assert_int_equal(replyauth_check(&m, "jo@example.com", 1001), REPLY_EXPIRED);
	assert_int_equal(replyauth_check(&m, "eve@example.com", 10), REPLY_WRONG_SENDER);
	assert_int_equal(replyauth_check(&m, "jo@example.com.evil", 10), REPLY_WRONG_SENDER);
	assert_int_equal(replyauth_check(&m, NULL, 10), REPLY_WRONG_SENDER);
}

static void
commands_act_only_on_items_of_the_mail(void **state)
{
	static const struct {
		const char *text;
		size_t n_items;
		int kam;
		enum reply_cmd_outcome want;
		size_t item;
	} cases[] = {
		{ "done A-1", 3, 0, REPLY_CMD_OK, 0 },
		{ "done a-1", 3, 0, REPLY_CMD_OK, 0 },
		{ "termin M-1 15.12.2026", 3, 0, REPLY_CMD_OK, 1 },
		{ "done X-9", 3, 0, REPLY_CMD_NOT_IN_MAIL, 0 },
		{ "done P1", 3, 0, REPLY_CMD_NOT_IN_MAIL, 0 }, /* a plan is not an item */
		{ "done", 3, 0, REPLY_CMD_WHICH_ITEM, 0 },
		{ "done", 1, 0, REPLY_CMD_OK, 0 },
		{ "date 2027-01-01", 1, 0, REPLY_CMD_OK, 0 },
		{ "reviewed", 3, 0, REPLY_CMD_KAM_ONLY, 0 },
		{ "reviewed", 3, 1, REPLY_CMD_OK, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct reply_item items[3];
		struct reply_mail m;
		static struct replycmd_list l;
		struct reply_decision d;

		memcpy(items, two_items, sizeof(items));
		for (size_t j = 0; j < 3; j++)
			items[j].kam = cases[i].kam;
		m = mail_of(items, cases[i].n_items);
		replycmd_parse(cases[i].text, strlen(cases[i].text), &l);
		assert_int_equal(l.n, 1);
		replyauth_decide(&m, &l, day_of("2026-12-01"), &d);
		if (d.outcome[0] != cases[i].want)
			fail_msg("\"%s\" with %zu items: expected outcome %d, got %d",
			    cases[i].text, cases[i].n_items, cases[i].want, d.outcome[0]);
		assert_int_equal(d.n_act, cases[i].want == REPLY_CMD_OK);
		if (d.n_act == 1)
			assert_int_equal(d.act[0].item, cases[i].item);
	}
}

static void
done_is_dated_today_and_date_carries_the_new_deadline(void **state)
{
	struct reply_mail m = mail_of(two_items, 3);
	static struct replycmd_list l;
	struct reply_decision d;
	const char *text = "done A-1\ndate M-1 2027-02-01\n";

	(void)state;
	replycmd_parse(text, strlen(text), &l);
	replyauth_decide(&m, &l, day_of("2026-12-01"), &d);
	assert_int_equal(d.n_act, 2);
	assert_int_equal(d.act[0].date, day_of("2026-12-01"));
	assert_int_equal(d.act[1].date, day_of("2027-02-01"));
}

static void
keys_are_found_in_the_address_and_in_message_ids(void **state)
{
	char key[REPLY_KEY_LEN + 1];

	(void)state;
	assert_int_equal(
	    replyauth_key_from_address("kap+{key}@example.com", "kap+" KEY "@example.com", key), 0);
	assert_string_equal(key, KEY);
	assert_int_equal(replyauth_key_from_address("kap+{key}@example.com",
	                     "KAP+0123456789ABCDEF0123456789ABCDEF@EXAMPLE.COM", key),
	    0);
	assert_string_equal(key, KEY);
	assert_int_equal(
	    replyauth_key_from_address("kap+{key}@example.com", "kap+" KEY "@example.org", key),
	    -ENOENT);
	assert_int_equal(
	    replyauth_key_from_address("kap+{key}@example.com", "kap+0123@example.com", key),
	    -ENOENT);
	assert_int_equal(
	    replyauth_key_from_address("kap+{key}@example.com", "kap+" KEY "x@example.com", key),
	    -ENOENT);
	assert_int_equal(
	    replyauth_key_from_ids("<abc@x> <kapd-1f2e." KEY "@supplier.example>", key), 0);
	assert_string_equal(key, KEY);
	assert_int_equal(replyauth_key_from_ids("<kapd-reply." KEY "@s.example>", key), 0);
	assert_int_equal(replyauth_key_from_ids("<kapd-x@y> <other." KEY "@z>", key), -ENOENT);
	assert_int_equal(replyauth_key_from_ids("<kapd-", key), -ENOENT);
	assert_int_equal(replyauth_key_from_ids(NULL, key), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(only_the_recipient_within_the_key_validity_is_accepted),
		cmocka_unit_test(commands_act_only_on_items_of_the_mail),
		cmocka_unit_test(done_is_dated_today_and_date_carries_the_new_deadline),
		cmocka_unit_test(keys_are_found_in_the_address_and_in_message_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
