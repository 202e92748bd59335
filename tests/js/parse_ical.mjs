// Parses an iCalendar file with ical.js (an independent RFC 5545 parser) and prints its calendar
// properties and events as JSON, for the garbage calendar's feed test.
// Usage: node parse_ical.mjs FILE
import { readFileSync } from 'node:fs';
import ICAL from 'ical.js';

const text = readFileSync(process.argv[2], 'utf8');
const calendar = new ICAL.Component(ICAL.parse(text));
const events = calendar.getAllSubcomponents('vevent').map((v) => {
  const e = new ICAL.Event(v);
  return {
    uid: e.uid,
    summary: e.summary,
    start: e.startDate.toString(),
    end: e.endDate.toString(),
    all_day: e.startDate.isDate,
    dtstamp: v.getFirstPropertyValue('dtstamp')?.toString() ?? null,
  };
});
console.log(JSON.stringify({
  version: calendar.getFirstPropertyValue('version'),
  prodid: calendar.getFirstPropertyValue('prodid'),
  name: calendar.getFirstPropertyValue('x-wr-calname'),
  events,
}));
