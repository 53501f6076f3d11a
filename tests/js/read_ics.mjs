// Read iCalendar feeds with Mozilla's ical.js (the engine of Thunderbird) and
// print their events as JSON, for the Python tests (tests/feed_readers.py).
//
// Input: one JSON object per line on stdin, {"ics": "<calendar text>"}.
// Output: one JSON line per input line, in order:
//   {"events": [{"uid", "start", "end", "status", "summary", "location",
//                "description", "sequence"}, ...]}   start/end in UTC, ISO 8601
//   or {"error": "<message>"} when ical.js cannot read the calendar.
// The process answers each line as soon as it is read, so one process serves a
// whole test run; it exits at the end of its input.
//
// Times are placed with the calendar's own VTIMEZONE: ical.js has no time zone
// database of its own, and every VTIMEZONE in the file is registered with its
// TimezoneService (cleared before each calendar), so the offsets come from the
// file, never from the TZID's name.
//
// Also: `node read_ics.mjs FILE.ics ...` prints {"FILE.ics": {"events": ...}, ...}.

import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import ICAL from "ical.js";

function utc(time) {
  return new Date(time.toUnixTime() * 1000).toISOString().replace(".000Z", "Z");
}

function text(component, name) {
  const value = component.getFirstPropertyValue(name);
  return value === null ? null : String(value);
}

export function readCalendar(ics) {
  ICAL.TimezoneService.reset();
  const root = new ICAL.Component(ICAL.parse(ics));
  for (const vtimezone of root.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(vtimezone);
  }
  return root.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    return {
      uid: event.uid,
      start: utc(event.startDate),
      end: utc(event.endDate),
      status: text(vevent, "status"),
      summary: event.summary,
      location: event.location,
      description: event.description,
      sequence: event.sequence,
    };
  });
}

function answer(ics) {
  try {
    return { events: readCalendar(ics) };
  } catch (error) {
    return { error: String(error && error.stack ? error.stack : error) };
  }
}

const files = process.argv.slice(2);
if (files.length > 0) {
  const result = {};
  for (const file of files) {
    result[file] = answer(readFileSync(file, "utf8"));
  }
  process.stdout.write(JSON.stringify(result) + "\n");
} else {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    let reply;
    try {
      reply = answer(JSON.parse(line).ics);
    } catch (error) {
      reply = { error: `bad request line: ${error}` };
    }
    process.stdout.write(JSON.stringify(reply) + "\n");
  }
}
