/* ical_lazy: libical (and the ICU libraries it links) is loaded (dlopen) the first time the
 * feed writer calls it, not at program start: mapping and relocating them costs about
 * 3 ms of CPU at every kapd and kapctl start, and only a check that writes a changed feed
 * needs them (README "Fast start").  core/ics.c stays as it is: these are the libical
 * functions it calls, with libical's own prototypes, each resolving its real function
 * once.  Without libical the constructors return NULL (the feed writer reports "out of
 * memory" and the previous files stay), the setters do nothing.  A libical function not
 * listed here fails the link (libical is not linked): add it here. */
#include <libical/ical.h>

#include <stddef.h>

#include "lib/lazylib.h"

static struct lazylib lib = { "libical.so.3", NULL, 0 };

#define FORWARD(ret, name, params, args, fail) LAZY_FORWARD(lib, ret, name, params, args, fail)
#define FORWARD_VOID(name, params, args) LAZY_FORWARD_VOID(lib, name, params, args)
#define NEW_PROP(name, type) FORWARD(icalproperty *, icalproperty_new_##name, (type v), (v), NULL)
#define SET_PROP(name, type)                                                                       \
	FORWARD_VOID(icalproperty_set_##name, (icalproperty * p, type v), (p, v))
#define NEW_AND_SET(name, type) NEW_PROP(name, type) SET_PROP(name, type)

static const struct icaltimetype no_time;
static const struct icaldurationtype no_duration;

FORWARD(icalcomponent *, icalcomponent_new_vevent, (void), (), NULL)
FORWARD(icalcomponent *, icalcomponent_new_valarm, (void), (), NULL)
FORWARD_VOID(icalcomponent_add_property, (icalcomponent * c, icalproperty *p), (c, p))
FORWARD_VOID(icalcomponent_free, (icalcomponent * c), (c))
FORWARD(char *, icalcomponent_as_ical_string_r, (icalcomponent * c), (c), NULL)
FORWARD(char *, icalproperty_as_ical_string_r, (icalproperty * p), (p), NULL)
FORWARD(struct icaltimetype, icaltime_null_date, (void), (), no_time)
FORWARD(struct icaltimetype, icaltime_null_time, (void), (), no_time)
FORWARD(struct icaltimetype, icaltime_from_timet_with_zone,
    (const time_t t, const int is_date, const icaltimezone *zone), (t, is_date, zone), no_time)
FORWARD(icaltimezone *, icaltimezone_get_utc_timezone, (void), (), NULL)
FORWARD(struct icaldurationtype, icaldurationtype_from_int, (int t), (t), no_duration)

/* The properties the feed writer only creates (uid and summary: only the reference
 * writer of tests/unit/test_feeds.c; the writer escapes and folds texts itself), then
 * those it creates and updates. */
NEW_PROP(action, enum icalproperty_action)
NEW_PROP(description, const char *)
NEW_PROP(summary, const char *)
NEW_PROP(transp, enum icalproperty_transp)
NEW_PROP(trigger, struct icaltriggertype)
NEW_PROP(uid, const char *)

NEW_AND_SET(categories, const char *)
NEW_AND_SET(dtend, struct icaltimetype)
NEW_AND_SET(dtstamp, struct icaltimetype)
NEW_AND_SET(dtstart, struct icaltimetype)
NEW_AND_SET(lastmodified, struct icaltimetype)
NEW_AND_SET(sequence, int)
NEW_AND_SET(status, enum icalproperty_status)
