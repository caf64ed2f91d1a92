/* ics: the iCalendar text of kapd's calendar feeds (RFC 5545, RFC 7986).  Each event is
 * built with libical, serialized on its own and refolded here; the calendar's own lines
 * (VCALENDAR header and footer) are written here.  Every line that leaves this module has
 * been checked: at most 75 octets, folded only between whole UTF-8 characters and never
 * inside an escape, valid UTF-8 without control characters other than HTAB, CRLF ends.
 * An event holds what a calendar needs and nothing else: title, owner, state, plan,
 * deadline (SPEC §5: no revenue, margin, complaint or contact text can get in).
 * Pure: no I/O, no clock, no database. */
#ifndef KAPD_ICS_H
#define KAPD_ICS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/kdate.h"
#include "lib/sbuf.h"

#define ICS_LINE_MAX 75 /* octets per physical line without CRLF (RFC 5545 §3.1) */

enum ics_kind { ICS_MILESTONE = 0, ICS_ACTIVITY, ICS_REVIEW };
enum ics_state { ICS_OPEN = 0, ICS_DONE, ICS_CANCELLED };

struct ics_event {
	enum ics_kind kind;
	const char *key;      /* the item's key; the plan's key for its annual update */
	const char *title;    /* the item's title; the plan's title for its annual update */
	const char *owner;    /* the owner's name (the KAM's for the annual update), or NULL */
	const char *plan;     /* the plan's title */
	const char *customer; /* the account's name, or NULL */
	kdate_t due;          /* DTSTART; DTEND is the next day (exclusive, RFC 5545 §3.6.1) */
	enum ics_state state;
	int has_done_on;
	kdate_t done_on; /* when state is ICS_DONE and has_done_on */
	long sequence;   /* SEQUENCE, >= 0 */
	time_t changed;  /* DTSTAMP and LAST-MODIFIED */
};

struct ics_calendar {
	const char *lang;    /* of the words the feed adds itself: a catalog language */
	const char *name;    /* NAME and X-WR-CALNAME */
	const char *tz;      /* X-WR-TIMEZONE, or NULL */
	const char *domain;  /* right-hand side of the UIDs */
	int alarm;           /* a VALARM on open events (the day before, 09:00) */
	int customer_titles; /* a person's feed: "Customer: title" (it spans plans) */
};

/* The catalog language of a BCP 47 tag (i18n_lang): "de" for "de-AT", the source
 * language without a catalog. */
const char *ics_lang(const char *tag);
/* Appends s made safe for a TEXT value: invalid UTF-8 becomes U+FFFD, CR LF and lone CR
 * become LF, other C0 controls, DEL and C1 controls are dropped; with oneline, LF and
 * HTAB become spaces.  NULL appends nothing. */
void ics_clean(const char *s, int oneline, struct sbuf *out);
/* Appends a cleaned string as a TEXT value: \ ; , escaped, LF as \n (RFC 5545 §3.3.11). */
void ics_escape(const char *s, struct sbuf *out);
/* Appends one logical content line (without line end) folded into physical lines of at
 * most ICS_LINE_MAX octets, each ended by CRLF; continuation lines start with a space.
 * -EINVAL (nothing appended) when the line holds invalid UTF-8, a control character
 * other than HTAB, or is empty. */
int ics_fold(const char *line, size_t len, struct sbuf *out);
/* A feed's calendar name: the plan's title, or "Key account actions: NAME" for a
 * person (in lang), appended to out. */
void ics_plan_calendar_name(const char *lang, const char *plan_title, struct sbuf *out);
void ics_person_calendar_name(const char *lang, const char *person, struct sbuf *out);
/* "activity-KEY@DOMAIN", "milestone-KEY@DOMAIN", "review-PLANKEY@DOMAIN": stable for the
 * item's life, the same in every feed (keys never change, see sql/001_plan.sql). */
void ics_uid(const struct ics_event *ev, const char *domain, struct sbuf *out);
/* SUMMARY and DESCRIPTION texts (before escaping), in lang.  With customer, an item's
 * SUMMARY names its customer first ("Kessler: Angebot übergeben"); the annual update's
 * names its plan already. */
void ics_summary(const char *lang, const struct ics_event *ev, int customer, struct sbuf *out);
void ics_description(const char *lang, const struct ics_event *ev, struct sbuf *out);
/* The calendar's lines up to its first event, and its last line. */
int ics_begin(const struct ics_calendar *cal, struct sbuf *out);
void ics_end(struct sbuf *out);

/* An event builder: one libical VEVENT whose properties are set and serialized (with
 * icalproperty_as_ical_string_r) for every event of a feed, so a feed of any size costs
 * the memory of one event; a property line equal to one libical wrote before (same
 * status, category, sequence, time, deadline) is taken from a small cache. */
struct ics_writer;
/* NULL when out of memory.  cal must outlive the writer. */
struct ics_writer *ics_writer_new(const struct ics_calendar *cal);
/* Appends the folded VEVENT of ev to out: 0, -ENOMEM, or -EINVAL when libical's output
 * fails the line checks (then nothing is appended). */
int ics_writer_event(struct ics_writer *w, const struct ics_event *ev, struct sbuf *out);
void ics_writer_free(struct ics_writer *w);

/* 64-bit FNV-1a, for change detection (not for secrets). */
#define ICS_HASH_INIT UINT64_C(0xcbf29ce484222325)
uint64_t ics_hash(uint64_t h, const void *p, size_t n);
uint64_t ics_hash_str(uint64_t h, const char *s);
/* A digest of everything an event shows, except its SEQUENCE and DTSTAMP and the
 * feed's language: equal digests, equal events. */
uint64_t ics_event_digest(const struct ics_event *ev);

#endif
