"""Reads an Atom feed (with feedparser) or an iCalendar file (with
icalendar) from stdin and prints what the parser understood as JSON, so the
Rust tests can check our documents against real, widely used parsers.

Usage: parse_feeds.py atom|ics < document
"""

import datetime
import json
import sys


def atom(data):
    import feedparser

    parsed = feedparser.parse(data)
    return {
        "bozo": bool(parsed.bozo),
        "bozo_exception": str(parsed.get("bozo_exception", "")),
        "version": parsed.version,
        "feed": {
            "id": parsed.feed.get("id"),
            "title": parsed.feed.get("title"),
            "updated": parsed.feed.get("updated"),
            "links": [dict(l) for l in parsed.feed.get("links", [])],
        },
        "entries": [
            {
                "id": e.get("id"),
                "title": e.get("title"),
                "updated": e.get("updated"),
                "published": e.get("published"),
                "author": e.get("author"),
                "summary": e.get("summary"),
                "content": [c.get("value") for c in e.get("content", [])],
                "links": [dict(l) for l in e.get("links", [])],
            }
            for e in parsed.entries
        ],
    }


def when(value):
    if value is None:
        return None
    dt = value.dt
    kind = "datetime" if isinstance(dt, datetime.datetime) else "date"
    return {"kind": kind, "value": dt.isoformat()}


def ics(data):
    import icalendar

    cal = icalendar.Calendar.from_ical(data)
    events = []
    for component in cal.walk("VEVENT"):
        categories = component.get("CATEGORIES")
        if categories is not None and not isinstance(categories, list):
            categories = [categories]
        events.append(
            {
                "uid": str(component.get("UID")),
                "summary": str(component.get("SUMMARY")),
                "description": str(component.get("DESCRIPTION")),
                "url": str(component.get("URL")),
                "status": str(component.get("STATUS")),
                "sequence": int(component.get("SEQUENCE", 0)),
                "dtstart": when(component.get("DTSTART")),
                "dtstamp": when(component.get("DTSTAMP")),
                "categories": [str(c) for cat in (categories or []) for c in cat.cats],
            }
        )
    return {
        "version": str(cal.get("VERSION")),
        "prodid": str(cal.get("PRODID")),
        "name": str(cal.get("X-WR-CALNAME")),
        "events": events,
    }


if __name__ == "__main__":
    data = sys.stdin.buffer.read()
    print(json.dumps({"atom": atom, "ics": ics}[sys.argv[1]](data)))
