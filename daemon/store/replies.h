/* replies: the SQL of replies (SPEC §8): reply keys of sent mails, the record of each
 * incoming message, the changes replies make and the answers they get.
 *
 * Exactly once: a message is handled in one IMMEDIATE transaction that inserts its reply
 * row (UNIQUE message id and key), applies its changes and stores its answer; a second
 * attempt with the same message finds the row and changes nothing. */
#ifndef KAPD_STORE_REPLIES_H
#define KAPD_STORE_REPLIES_H

#include <sqlite3.h>
#include <stddef.h>
#include <time.h>

#include "core/replyauth.h"

/* The reply key of a delivery: the stored one, or a new one (128 bits from getrandom)
 * valid until expires.  key holds REPLY_KEY_LEN + 1 bytes.  Commits on its own. */
int replies_key(
    sqlite3 *db, int64_t delivery_id, time_t expires, char *key, char *err, size_t errlen);
/* The keyed mail of key: -ENOENT when the key is unknown.  Free with replies_mail_free. */
int replies_mail(sqlite3 *db, const char *key, struct reply_mail *m, char *err, size_t errlen);
void replies_mail_free(struct reply_mail *m);
/* 1 when a message with this id and key ("" none) was handled already, 0 when not. */
int replies_seen(sqlite3 *db, const char *message_id, const char *key, char *err, size_t errlen);

/* One incoming message's record. */
struct reply_record {
	const char *message_id;
	const char *key;     /* "" when it named none */
	int64_t delivery_id; /* 0 when the key is unknown */
	const char *sender;  /* may be NULL */
	time_t now;
	const char *outcome;  /* "applied", "unchanged", "refused", "automatic", "unreadable" */
	const char *reason;   /* may be NULL */
	const char *commands; /* may be NULL */
};

/* Inside a transaction (db_begin): inserts the record; -EEXIST when the message was
 * handled already (the caller rolls back). */
int replies_insert(
    sqlite3 *db, const struct reply_record *rec, int64_t *id, char *err, size_t errlen);
/* Inside the same transaction: applies the actions on the mail's items and records each
 * change for reply id; eff[i] says what act[i] did. */
int replies_apply(sqlite3 *db, int64_t id, const struct reply_mail *m,
    const struct reply_action *act, size_t n, time_t now, struct reply_effect *eff, char *err,
    size_t errlen);
/* Inside the same transaction: the outcome after applying and the answer to send
 * (answer NULL: none; state "none", "pending" or "limited"). */
int replies_finish(sqlite3 *db, int64_t id, const char *outcome, const char *answer, size_t len,
    const char *state, char *err, size_t errlen);
/* Answers sent (or waiting) to sender since the given time: for the rate limit. */
int replies_answers_since(
    sqlite3 *db, const char *sender, time_t since, int *count, char *err, size_t errlen);

/* An answer taken out for sending. */
struct reply_answer {
	int64_t id;
	char *sender;
	char token[40]; /* unique: its file name in the file transport */
	char *answer;
	size_t len;
};

/* Takes up to max pending answers (oldest first) out for sending, in one transaction
 * that already marks them sent: an answer is sent at most once (SPEC §8, RFC 3834: never
 * two answers to one message); a crash before the transport took it loses it instead.
 * *out (free with replies_answers_free) holds *n answers. */
int replies_claim(
    sqlite3 *db, size_t max, struct reply_answer **out, size_t *n, char *err, size_t errlen);
void replies_answers_free(struct reply_answer *a, size_t n);
/* After sending, one transaction: the answers in retry[] wait again (a temporary
 * failure), those in failed[] are failed; the bytes of every sent or failed answer go. */
int replies_settle(sqlite3 *db, const int64_t *retry, size_t n_retry, const int64_t *failed,
    size_t n_failed, char *err, size_t errlen);

/* Where the IMAP source stopped ("UIDVALIDITY:UID"), into buf ("" when never). */
int replies_cursor(sqlite3 *db, char *buf, size_t len, char *err, size_t errlen);
int replies_set_cursor(sqlite3 *db, const char *cursor, char *err, size_t errlen);

/* One line of kapctl replies. */
struct reply_row {
	int64_t id;
	const char *message_id, *key_prefix, *sender, *outcome, *reason, *commands, *answer;
	time_t received_at;
	int changes;
};

/* Calls fn for the most recent replies (at most limit), newest first. */
int replies_list(sqlite3 *db, int limit, int (*fn)(void *ctx, const struct reply_row *r), void *ctx,
    char *err, size_t errlen);

#endif
