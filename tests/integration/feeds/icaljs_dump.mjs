// Parses .ics files with ical.js (Mozilla's iCalendar parser, from the npm registry) and
// prints what it read as one JSON document: for each file its calendar name and its
// events (uid, summary, description, start and end dates, sequence, status, categories).
// Used by tests/integration/test_feeds.py as an independent reader of kapd's feeds.
//
//   node icaljs_dump.mjs FILE.ics...
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

// NAME (RFC 7986) and X-WR-CALNAME hold TEXT, which ical.js 2.2 does not know of: tell it,
// so that it decodes their escapes (\\ \, \; \n) as it does for SUMMARY.
ICAL.design.icalendar.property["name"] = ICAL.design.icalendar.property.summary;
ICAL.design.icalendar.property["x-wr-calname"] = ICAL.design.icalendar.property.summary;

const out = {};
for (const path of process.argv.slice(2)) {
  const text = readFileSync(path, "utf8");
  const cal = new ICAL.Component(ICAL.parse(text));
  if (cal.name !== "vcalendar") throw new Error(`${path}: not a VCALENDAR but ${cal.name}`);
  const events = cal.getAllSubcomponents("vevent").map((vevent) => {
    const ev = new ICAL.Event(vevent);
    const start = vevent.getFirstPropertyValue("dtstart");
    const end = vevent.getFirstPropertyValue("dtend");
    return {
      uid: ev.uid,
      summary: ev.summary,
      description: ev.description,
      start: start.toString(),
      start_is_date: start.isDate,
      end: end === null ? null : end.toString(),
      end_is_date: end === null ? null : end.isDate,
      sequence: ev.sequence,
      status: vevent.getFirstPropertyValue("status"),
      categories: vevent.getAllProperties("categories").flatMap((p) => p.getValues()),
      dtstamp: vevent.getFirstPropertyValue("dtstamp").toString(),
      alarms: vevent.getAllSubcomponents("valarm").length,
    };
  });
  out[path] = {
    name: cal.getFirstPropertyValue("x-wr-calname"),
    rfc7986_name: cal.getFirstPropertyValue("name"),
    refresh: String(cal.getFirstPropertyValue("refresh-interval")),
    events,
  };
}
process.stdout.write(JSON.stringify(out));
