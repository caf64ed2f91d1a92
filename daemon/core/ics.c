#include "core/ics.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "lib/i18n.h"
#include "lib/utf8.h"

/* ---------------------------------------------------------------------------------- */
/* The words a feed adds itself, in the feed owner's language, from the catalogs like
 * every other text (lib/i18n.h); everything else a feed shows is data. */

static const char *const category[3] = { N_("Milestone"), N_("Activity"), N_("Annual update") };

const char *
ics_lang(const char *tag)
{
	return i18n_lang(tag);
}

/* "1 Dec 2026", "01.12.2026": the catalog's short date. */
static void
add_date(const char *lang, kdate_t day, struct sbuf *out)
{
	char buf[64];

	sbuf_puts(out, i18n_short_date(lang, day, buf, sizeof(buf)));
}

/* ---------------------------------------------------------------------------------- */
/* UTF-8 and TEXT values */

void
ics_clean(const char *s, int oneline, struct sbuf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, len, run;
	uint32_t c;

	if (s == NULL)
		return;
	n = strlen(s);
	while (n > 0) {
		/* Runs of printable characters are copied whole. */
		for (run = 0; run < n; run += len) {
			len = p[run] >= 0x20 && p[run] < 0x7f ? 1
			    : p[run] >= 0x80                  ? utf8_decode(p + run, n - run, &c)
			                                      : 0;
			if (len == 0 || (len == 2 && c <= 0x9f))
				break;
		}
		sbuf_add(out, (const char *)p, run);
		p += run;
		n -= run;
		if (n == 0)
			break;
		len = utf8_decode(p, n, &c);
		if (len == 0) {
			sbuf_add(out, "\xef\xbf\xbd", 3); /* U+FFFD */
			len = 1;
		} else if (c == '\r' || c == '\n') {
			if (c == '\r' && n > 1 && p[1] == '\n')
				len = 2;
			sbuf_add(out, oneline ? " " : "\n", 1);
		} else if (c == '\t') {
			sbuf_add(out, oneline ? " " : "\t", 1);
		} /* else a control character: dropped */
		p += len;
		n -= len;
	}
}

void
ics_escape(const char *s, struct sbuf *out)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		if (*s != '\\' && *s != ';' && *s != ',' && *s != '\n')
			continue;
		sbuf_add(out, run, (size_t)(s - run));
		sbuf_add(out, "\\", 1);
		sbuf_add(out, *s == '\n' ? "n" : s, 1);
		run = s + 1;
	}
	sbuf_add(out, run, (size_t)(s - run));
}

/* 1 when line[i] is a character escaped by a backslash (an odd run of backslashes
 * ends just before it). */
static int
escaped(const unsigned char *line, size_t i)
{
	size_t n = 0;

	while (i > n && line[i - n - 1] == '\\')
		n++;
	return n % 2;
}

/* Checks the whole line: valid UTF-8, no control character but HTAB. */
static int
valid_line(const unsigned char *p, size_t len)
{
	size_t i = 0, n;
	uint32_t c;

	while (i < len) {
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			i++;
			continue;
		}
		n = utf8_decode(p + i, len - i, &c);
		if (n == 0 || (c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
		i += n;
	}
	return 1;
}

int
ics_fold(const char *line, size_t len, struct sbuf *out)
{
	const unsigned char *p = (const unsigned char *)line;
	size_t seg = 0, cut, limit = ICS_LINE_MAX;

	if (len == 0 || !valid_line(p, len))
		return -EINVAL;
	while (len - seg > limit) {
		/* RFC 5545 §3.1: fold with CRLF and a space (which counts on the new line),
		 * never inside a UTF-8 character, and here never inside an escape either. */
		cut = seg + limit;
		while (cut > seg + 1 && ((p[cut] & 0xc0) == 0x80 || escaped(p, cut)))
			cut--;
		sbuf_add(out, line + seg, cut - seg);
		sbuf_add(out, "\r\n ", 3);
		seg = cut;
		limit = ICS_LINE_MAX - 1;
	}
	sbuf_add(out, line + seg, len - seg);
	sbuf_add(out, "\r\n", 2);
	return 0;
}

/* Folds "NAME:" followed by the escaped value. */
static int
text_line(const char *name, const char *value, struct sbuf *tmp, struct sbuf *out)
{
	tmp->len = 0;
	sbuf_puts(tmp, name);
	sbuf_add(tmp, ":", 1);
	ics_escape(value, tmp);
	if (tmp->failed)
		return -ENOMEM;
	return ics_fold(tmp->s, tmp->len, out);
}

/* ---------------------------------------------------------------------------------- */
/* What an event says */

void
ics_plan_calendar_name(const char *lang, const char *plan_title, struct sbuf *out)
{
	(void)lang; /* a plan's title names it in every language */
	ics_clean(plan_title, 1, out);
}

void
ics_person_calendar_name(const char *lang, const char *person, struct sbuf *out)
{
	struct sbuf name = SBUF_INIT;

	ics_clean(person, 1, &name);
	/* TRANSLATORS: the calendar name of a person's feed; %s is the person's name. */
	sbuf_printf(out, i18n_tr(lang, "Key account actions: %s"), name.s != NULL ? name.s : "");
	sbuf_free(&name);
}

void
ics_uid(const struct ics_event *ev, const char *domain, struct sbuf *out)
{
	static const char *const kinds[] = { "milestone-", "activity-", "review-" };

	sbuf_puts(out, kinds[ev->kind]);
	ics_clean(ev->key, 1, out);
	sbuf_add(out, "@", 1);
	ics_clean(domain, 1, out);
}

/* "Done: ", "Annual update: ": a word and the separator of a summary's prefix. */
static void
prefix(struct sbuf *out, const char *word)
{
	sbuf_puts(out, word);
	sbuf_add(out, ": ", 2);
}

void
ics_summary(const char *lang, const struct ics_event *ev, int customer, struct sbuf *out)
{
	if (ev->state == ICS_DONE)
		prefix(out, i18n_tr(lang, "Done"));
	else if (ev->state == ICS_CANCELLED)
		prefix(out, i18n_tr(lang, "Cancelled"));
	if (ev->kind == ICS_REVIEW) {
		prefix(out, i18n_tr(lang, "Annual update"));
	} else if (customer && ev->customer != NULL && ev->customer[0] != '\0') {
		ics_clean(ev->customer, 1, out);
		sbuf_add(out, ": ", 2);
	}
	ics_clean(ev->title, 1, out);
}

static void
label(const char *name, struct sbuf *out)
{
	sbuf_puts(out, name);
	sbuf_add(out, ": ", 2);
}

void
ics_description(const char *lang, const struct ics_event *ev, struct sbuf *out)
{
	char date[64];

	label(i18n_tr(lang, "Owner"), out);
	if (ev->owner != NULL && ev->owner[0] != '\0')
		ics_clean(ev->owner, 1, out);
	else
		sbuf_puts(out, i18n_tr(lang, "not assigned"));
	sbuf_add(out, "\n", 1);
	label(i18n_tr(lang, "Plan"), out);
	ics_clean(ev->plan, 1, out);
	sbuf_add(out, "\n", 1);
	label(i18n_tr(lang, "State"), out);
	if (ev->state == ICS_OPEN)
		sbuf_puts(out, i18n_tr(lang, "open"));
	else if (ev->state == ICS_CANCELLED)
		sbuf_puts(out, i18n_tr(lang, "cancelled"));
	else if (!ev->has_done_on)
		sbuf_puts(out, i18n_tr(lang, "done"));
	else
		sbuf_printf(out, i18n_tr(lang, "done on %s"),
		    i18n_short_date(lang, ev->done_on, date, sizeof(date)));
	sbuf_add(out, "\n", 1);
	label(i18n_tr(lang, "Deadline"), out);
	add_date(lang, ev->due, out);
	sbuf_add(out, "\n", 1);
	label(i18n_tr(lang, "Key"), out);
	ics_clean(ev->key, 1, out);
}

int
ics_begin(const struct ics_calendar *cal, struct sbuf *out)
{
	struct sbuf tmp = SBUF_INIT, name = SBUF_INIT;
	int r;

	ics_clean(cal->name, 1, &name);
	sbuf_puts(out,
	    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
	    "PRODID:-//kapd//kapd calendar feed//EN\r\nCALSCALE:GREGORIAN\r\n");
	/* RFC 7986 NAME and REFRESH-INTERVAL, and the X- forms older clients read.  libical
	 * 3.0.16 does not escape commas in X- values (fixed in 3.0.17), so these lines are
	 * written and escaped here. */
	r = text_line("NAME", name.failed ? "" : name.s ? name.s : "", &tmp, out);
	if (r == 0)
		r = text_line("X-WR-CALNAME", name.s ? name.s : "", &tmp, out);
	if (r == 0 && cal->tz != NULL && cal->tz[0] != '\0') {
		name.len = 0;
		ics_clean(cal->tz, 1, &name);
		r = text_line("X-WR-TIMEZONE", name.s, &tmp, out);
	}
	sbuf_puts(out, "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\nX-PUBLISHED-TTL:PT1H\r\n");
	if (r == 0 && (tmp.failed || name.failed || out->failed))
		r = -ENOMEM;
	sbuf_free(&tmp);
	sbuf_free(&name);
	return r;
}

void
ics_end(struct sbuf *out)
{
	sbuf_puts(out, "END:VCALENDAR\r\n");
}

/* ---------------------------------------------------------------------------------- */
/* Events with libical */

/* The properties of an event, in the order they are written. */
enum slot {
	S_DTSTAMP,
	S_DTSTART,
	S_DTEND,
	S_CATEGORIES,
	S_STATUS,
	S_SEQUENCE,
	S_MODIFIED,
	S_TRANSP,
	S_N
};

/* The line libical wrote for a property the last time, and the value it was for: many
 * events of a feed share a status, a category, a sequence number or a time of change,
 * and serializing is most of a feed's cost. */
struct cache {
	int valid;
	int64_t key;
	struct sbuf line;
};

#define DAY_CACHE 256 /* deadlines cached per property, by day number modulo this */

struct ics_writer {
	const struct ics_calendar *cal;
	icalcomponent *ev; /* owns the properties */
	icalproperty *prop[S_N];
	struct cache cache[S_N];
	struct cache days[2][DAY_CACHE];    /* DTSTART, DTEND */
	struct sbuf alarm_head, alarm_tail; /* the VALARM as libical writes it, around its text */
	struct sbuf alarm_line;             /* this event's alarm text */
	struct sbuf a, b;                   /* scratch: texts, libical's output unfolded */
};

static struct icaltimetype
ical_day(kdate_t day)
{
	struct icaltimetype t = icaltime_null_date();
	int y, m, d;

	kdate_to_ymd(day, &y, &m, &d);
	t.year = y;
	t.month = m;
	t.day = d;
	t.is_date = 1;
	return t;
}

static struct icaltimetype
ical_utc(time_t t)
{
	return icaltime_from_timet_with_zone(t, 0, icaltimezone_get_utc_timezone());
}

static icalproperty *
add(icalcomponent *c, icalproperty *p, int *ok)
{
	if (p == NULL)
		*ok = 0;
	else
		icalcomponent_add_property(c, p);
	return p;
}

/* libical folds lines by its own rules, which in 3.0.16 can leave lines longer than 75
 * octets next to multi-byte characters: unfold what it wrote (CRLF followed by a space
 * or tab, RFC 5545 §3.1) and fold again here. */
static int
refold(const char *s, struct sbuf *line, struct sbuf *out)
{
	const char *p = s, *nl;
	int r = 0;

	line->len = 0;
	while (r == 0 && *p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if ((*p == ' ' || *p == '\t') && line->len > 0)
			p++; /* a continuation */
		else if (line->len > 0) {
			r = ics_fold(line->s, line->len, out);
			line->len = 0;
		}
		sbuf_add(line, p, (size_t)(nl - p - (nl > p && nl[-1] == '\r')));
		p = *nl != '\0' ? nl + 1 : nl;
	}
	if (r == 0 && line->len > 0)
		r = ics_fold(line->s, line->len, out);
	if (r == 0 && (line->failed || out->failed))
		r = -ENOMEM;
	return r;
}

/* Serializes a property (or a component) with libical and appends it, refolded. */
static int
serialize(struct ics_writer *w, icalproperty *p, icalcomponent *c, struct sbuf *out)
{
	char *s = p != NULL ? icalproperty_as_ical_string_r(p) : icalcomponent_as_ical_string_r(c);
	int r;

	if (s == NULL)
		return -ENOMEM;
	r = refold(s, &w->b, out);
	free(s);
	return r;
}

/* The VALARM, serialized once by libical with a placeholder text and cut around that
 * text's line: every open event repeats it with its own DESCRIPTION. */
static int
alarm_parts(struct ics_writer *w)
{
	static const char placeholder[] = "DESCRIPTION:-\r\n";
	icalcomponent *alarm = icalcomponent_new_valarm();
	struct icaltriggertype trig;
	struct sbuf all = SBUF_INIT;
	const char *at;
	int ok = 1, r = -ENOMEM;

	if (alarm == NULL)
		return -ENOMEM;
	/* All-day events start at local midnight: -PT15H is 09:00 the day before. */
	memset(&trig, 0, sizeof(trig));
	trig.time = icaltime_null_time();
	trig.duration = icaldurationtype_from_int(-15 * 3600);
	add(alarm, icalproperty_new_action(ICAL_ACTION_DISPLAY), &ok);
	add(alarm, icalproperty_new_trigger(trig), &ok);
	add(alarm, icalproperty_new_description("-"), &ok);
	if (ok && serialize(w, NULL, alarm, &all) == 0 && !all.failed &&
	    (at = strstr(all.s, placeholder)) != NULL) {
		sbuf_add(&w->alarm_head, all.s, (size_t)(at - all.s));
		sbuf_puts(&w->alarm_tail, at + strlen(placeholder));
		r = w->alarm_head.failed || w->alarm_tail.failed ? -ENOMEM : 0;
	}
	sbuf_free(&all);
	icalcomponent_free(alarm);
	return r;
}

struct ics_writer *
ics_writer_new(const struct ics_calendar *cal)
{
	struct ics_writer *w = calloc(1, sizeof(*w));
	int ok = 1;

	if (w == NULL)
		return NULL;
	w->cal = cal;
	w->ev = icalcomponent_new_vevent();
	if (w->ev == NULL) {
		ics_writer_free(w);
		return NULL;
	}
	/* The properties with few values are made once with placeholder values, set and
	 * serialized when a value is not cached.  UID, SUMMARY and DESCRIPTION are TEXT
	 * values, escaped and folded here (text_line). */
	w->prop[S_DTSTAMP] = add(w->ev, icalproperty_new_dtstamp(ical_utc(0)), &ok);
	w->prop[S_DTSTART] = add(w->ev, icalproperty_new_dtstart(ical_day(0)), &ok);
	w->prop[S_DTEND] = add(w->ev, icalproperty_new_dtend(ical_day(1)), &ok);
	w->prop[S_CATEGORIES] = add(w->ev, icalproperty_new_categories("-"), &ok);
	w->prop[S_STATUS] = add(w->ev, icalproperty_new_status(ICAL_STATUS_CONFIRMED), &ok);
	w->prop[S_SEQUENCE] = add(w->ev, icalproperty_new_sequence(0), &ok);
	w->prop[S_MODIFIED] = add(w->ev, icalproperty_new_lastmodified(ical_utc(0)), &ok);
	/* Deadlines are not appointments: they never show the owner as busy. */
	w->prop[S_TRANSP] = add(w->ev, icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT), &ok);
	if (!ok || (cal->alarm && alarm_parts(w) < 0)) {
		ics_writer_free(w);
		return NULL;
	}
	return w;
}

void
ics_writer_free(struct ics_writer *w)
{
	int i;

	if (w == NULL)
		return;
	if (w->ev != NULL)
		icalcomponent_free(w->ev);
	for (i = 0; i < S_N; i++)
		sbuf_free(&w->cache[i].line);
	for (i = 0; i < DAY_CACHE; i++) {
		sbuf_free(&w->days[0][i].line);
		sbuf_free(&w->days[1][i].line);
	}
	sbuf_free(&w->alarm_head);
	sbuf_free(&w->alarm_tail);
	sbuf_free(&w->alarm_line);
	sbuf_free(&w->a);
	sbuf_free(&w->b);
	free(w);
}

/* Where slot's line for key is cached, if anywhere. */
static struct cache *
cache_of(struct ics_writer *w, enum slot slot, int64_t key)
{
	if (slot == S_DTSTART || slot == S_DTEND)
		return &w->days[slot == S_DTEND][(uint64_t)key % DAY_CACHE];
	return &w->cache[slot];
}

/* 1 when slot's line for key is cached: then it was appended to out. */
static int
cached(struct ics_writer *w, enum slot slot, int64_t key, struct sbuf *out)
{
	struct cache *c = cache_of(w, slot, key);

	if (!c->valid || c->key != key)
		return 0;
	sbuf_add(out, c->line.s, c->line.len);
	return 1;
}

/* Serializes slot's property (its value just set for key), appends it and caches it. */
static int
store(struct ics_writer *w, enum slot slot, int64_t key, struct sbuf *out)
{
	struct cache *c = cache_of(w, slot, key);
	int r;

	c->valid = 0;
	c->line.len = 0;
	r = serialize(w, w->prop[slot], NULL, &c->line);
	if (r < 0)
		return r;
	if (c->line.failed)
		return -ENOMEM;
	c->valid = 1;
	c->key = key;
	sbuf_add(out, c->line.s, c->line.len);
	return 0;
}

/* A TEXT property: the value in w->a, escaped as libical 3.0.16 escapes TEXT (backslash,
 * semicolon, comma, newline: the texts are cleaned before, ics_clean) and folded.  Not
 * through libical: serializing three texts per event that way was a seventh of a first
 * check (profiled); tests/unit/test_feeds.c holds the lines equal to libical's. */
static int
text(struct ics_writer *w, const char *name, struct sbuf *out)
{
	if (w->a.failed)
		return -ENOMEM;
	return text_line(name, w->a.s != NULL ? w->a.s : "", &w->b, out);
}

static char *
put_num(char *p, int v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + n;
}

/* "DTSTART;VALUE=DATE:20261231", "DTSTAMP:20261201T080000Z": the lines libical writes for
 * a date and a UTC time (tests/unit/test_feeds.c compares), written here when the year
 * has four digits (1 then), else 0.  Events rarely share a deadline or a time of change,
 * and serializing these four lines with libical was a sixteenth of a first check. */
static int
direct_time(enum slot slot, int64_t t, struct sbuf *out)
{
	static const char *const names[] = { [S_DTSTAMP] = "DTSTAMP:",
		[S_DTSTART] = "DTSTART;VALUE=DATE:",
		[S_DTEND] = "DTEND;VALUE=DATE:",
		[S_MODIFIED] = "LAST-MODIFIED:" };
	int is_date = slot == S_DTSTART || slot == S_DTEND, y, m, d, sec = 0;
	kdate_t day = (kdate_t)t;
	char buf[48], *p;

	if (!is_date) {
		day = (kdate_t)(t / 86400 - (t % 86400 < 0));
		sec = (int)(t - (int64_t)day * 86400);
	}
	kdate_to_ymd(day, &y, &m, &d);
	if (y < 1 || y > 9999)
		return 0;
	p = stpcpy(buf, names[slot]);
	p = put_num(p, y, 4);
	p = put_num(p, m, 2);
	p = put_num(p, d, 2);
	if (!is_date) {
		*p++ = 'T';
		p = put_num(p, sec / 3600, 2);
		p = put_num(p, sec / 60 % 60, 2);
		p = put_num(p, sec % 60, 2);
		*p++ = 'Z';
	}
	*p++ = '\r';
	*p++ = '\n';
	sbuf_add(out, buf, (size_t)(p - buf));
	return 1;
}

static int
times(struct ics_writer *w, const struct ics_event *ev, enum slot slot, struct sbuf *out)
{
	struct icaltimetype t;

	if (direct_time(slot,
	        slot == S_DTSTART     ? ev->due
	            : slot == S_DTEND ? ev->due + 1
	                              : (int64_t)ev->changed,
	        out))
		return 0;
	if (cached(w, slot,
	        slot == S_DTSTART     ? ev->due
	            : slot == S_DTEND ? ev->due + 1
	                              : (int64_t)ev->changed,
	        out))
		return 0;
	switch (slot) {
	case S_DTSTART:
		icalproperty_set_dtstart(w->prop[slot], ical_day(ev->due));
		return store(w, slot, ev->due, out);
	case S_DTEND:
		icalproperty_set_dtend(w->prop[slot], ical_day(ev->due + 1));
		return store(w, slot, ev->due + 1, out);
	case S_DTSTAMP:
		t = ical_utc(ev->changed);
		icalproperty_set_dtstamp(w->prop[slot], t);
		return store(w, slot, (int64_t)ev->changed, out);
	default:
		t = ical_utc(ev->changed);
		icalproperty_set_lastmodified(w->prop[slot], t);
		return store(w, slot, (int64_t)ev->changed, out);
	}
}

/* CATEGORIES, STATUS, SEQUENCE, TRANSP: few values, mostly cached. */
static int
enums(struct ics_writer *w, const struct ics_event *ev, struct sbuf *out)
{
	enum icalproperty_status status =
	    ev->state == ICS_CANCELLED ? ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED;
	int seq = ev->sequence < 0 ? 0 : ev->sequence > 0x7fffffff ? 0x7fffffff : (int)ev->sequence;
	int r = 0;

	if (!cached(w, S_CATEGORIES, ev->kind, out)) {
		icalproperty_set_categories(
		    w->prop[S_CATEGORIES], i18n_tr(w->cal->lang, category[ev->kind]));
		r = store(w, S_CATEGORIES, ev->kind, out);
	}
	if (r == 0 && !cached(w, S_STATUS, status, out)) {
		icalproperty_set_status(w->prop[S_STATUS], status);
		r = store(w, S_STATUS, status, out);
	}
	if (r == 0 && !cached(w, S_SEQUENCE, seq, out)) {
		icalproperty_set_sequence(w->prop[S_SEQUENCE], seq);
		r = store(w, S_SEQUENCE, seq, out);
	}
	return r;
}

static int
event(struct ics_writer *w, const struct ics_event *ev, struct sbuf *out)
{
	const char *lang = w->cal->lang;
	int r;

	sbuf_puts(out, "BEGIN:VEVENT\r\n");
	w->a.len = 0;
	ics_uid(ev, w->cal->domain, &w->a);
	r = text(w, "UID", out);
	if (r == 0)
		r = times(w, ev, S_DTSTAMP, out);
	if (r == 0)
		r = times(w, ev, S_DTSTART, out);
	if (r == 0)
		r = times(w, ev, S_DTEND, out);
	w->a.len = 0;
	ics_summary(lang, ev, w->cal->customer_titles, &w->a);
	if (r == 0)
		r = text(w, "SUMMARY", out);
	w->alarm_line.len = 0;
	if (r == 0 && w->cal->alarm && ev->state == ICS_OPEN) /* the alarm says the summary */
		r = text(w, "DESCRIPTION", &w->alarm_line);
	if (r == 0 && w->alarm_line.failed)
		r = -ENOMEM;
	w->a.len = 0;
	ics_description(lang, ev, &w->a);
	if (r == 0)
		r = text(w, "DESCRIPTION", out);
	if (r == 0)
		r = enums(w, ev, out);
	if (r == 0)
		r = times(w, ev, S_MODIFIED, out);
	if (r == 0 && !cached(w, S_TRANSP, 0, out))
		r = store(w, S_TRANSP, 0, out);
	if (r == 0 && w->alarm_line.len > 0) {
		sbuf_add(out, w->alarm_head.s, w->alarm_head.len);
		sbuf_add(out, w->alarm_line.s, w->alarm_line.len);
		sbuf_add(out, w->alarm_tail.s, w->alarm_tail.len);
	}
	sbuf_puts(out, "END:VEVENT\r\n");
	return r;
}

int
ics_writer_event(struct ics_writer *w, const struct ics_event *ev, struct sbuf *out)
{
	size_t start = out->len;
	int r;

	r = event(w, ev, out);
	if (r == 0 && out->failed)
		r = -ENOMEM;
	if (r < 0) {
		out->len = start;
		if (out->s != NULL)
			out->s[start] = '\0';
	}
	return r;
}

/* ---------------------------------------------------------------------------------- */
/* Change detection */

uint64_t
ics_hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t w;
	size_t i;

	/* FNV-1a over 8-byte words, then the tail bytes: a feed hashes every byte it writes. */
	for (; n >= 8; b += 8, n -= 8) {
		memcpy(&w, b, 8);
		h ^= w;
		h *= UINT64_C(0x100000001b3);
		h ^= h >> 29;
	}
	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

uint64_t
ics_hash_str(uint64_t h, const char *s)
{
	/* The terminating NUL separates fields: ("ab", "c") and ("a", "bc") differ. */
	return s != NULL ? ics_hash(h, s, strlen(s) + 1) : ics_hash(h, "\xff", 1);
}

uint64_t
ics_event_digest(const struct ics_event *ev)
{
	int32_t n[5];
	uint64_t h = ICS_HASH_INIT;

	n[0] = (int32_t)ev->kind;
	n[1] = (int32_t)ev->state;
	n[2] = ev->due;
	n[3] = ev->has_done_on;
	n[4] = ev->has_done_on ? ev->done_on : 0;
	h = ics_hash(h, n, sizeof(n));
	h = ics_hash_str(h, ev->key);
	h = ics_hash_str(h, ev->title);
	h = ics_hash_str(h, ev->owner);
	h = ics_hash_str(h, ev->customer);
	return ics_hash_str(h, ev->plan);
}
