"""Structured data (:mod:`hmis_schedule.jsonld`): the page's schema.org events, read from the served page.

They parse, match the library's upcoming sessions, and no schedule text can
break out of their script element.
"""

from __future__ import annotations

import dataclasses
import json

from support import Node, parse, schedule_app, upcoming

import hmis_schedule
from hmis_schedule import Text

SCHEDULE = hmis_schedule.clackamas()


def test_structured_data_parses_and_matches_the_upcoming_sessions(page: tuple[str, Node]) -> None:
    lang, doc = page
    (script,) = doc.find("script", type="application/ld+json")
    events = json.loads(script.text())
    expected = upcoming()
    assert [e["@id"].rsplit("#", 1)[1] for e in events] == [s.uid for s in expected]
    for event, session in zip(events, expected, strict=True):
        assert event["@type"] == "EducationEvent"
        assert event["startDate"] == session.start.isoformat()
        assert event["endDate"] == session.end.isoformat()
        assert event["inLanguage"] == lang
        status = "EventCancelled" if session.cancelled else "EventScheduled"
        assert event["eventStatus"] == f"https://schema.org/{status}"
        if session.modality is hmis_schedule.Modality.ONLINE:
            assert event["location"]["@type"] == "VirtualLocation"
        else:
            assert event["location"]["@type"] == "Place"
            assert event["location"]["address"]["@type"] == "PostalAddress"
            assert event["location"]["address"]["postalCode"] == "97045"


def test_structured_data_cannot_break_out_of_its_script() -> None:
    hostile = "Training </script><script>alert(1)</script> <!--"
    schedule = dataclasses.replace(SCHEDULE, title=Text.of(hostile))
    html = schedule_app(schedule).test_client().get("/").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    doc = parse(html)
    (script,) = doc.find("script", type="application/ld+json")
    assert hostile in json.loads(script.text())[0]["name"]
