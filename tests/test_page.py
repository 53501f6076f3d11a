"""The page's view model: words and links for what the overview shows, in the page's language."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from support import BASE

from hmis_schedule import Schedule, clackamas
from hmis_schedule.addresses import Addresses
from hmis_schedule.overview import overview
from hmis_schedule.page import page_model
from hmis_schedule.text import session_reason, session_summary

NOW = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_upcoming_session_has_its_words_and_links(lang: str) -> None:
    schedule = clackamas()
    view = overview(schedule, NOW)
    model = page_model(schedule, view, lang, Addresses(BASE))
    assert view.upcoming
    for session in view.upcoming:
        assert model.summaries[session.uid] == session_summary(session, schedule, lang)
        assert model.ics[session.uid] == Addresses(BASE).session(session.uid, lang)
        assert (session.uid in model.google) is (not session.cancelled)
        if session.cancelled:
            assert model.reasons[session.uid] == session_reason(session, schedule, lang)
    assert [event["@id"].split("#")[1] for event in model.structured] == [s.uid for s in view.upcoming]


def test_the_feeds_are_offered_in_the_page_language_and_the_other() -> None:
    schedule = clackamas()
    model = page_model(schedule, overview(schedule, NOW), "es", Addresses(BASE))
    assert model.feeds["other_lang"] == "en"
    assert model.context()["feeds"] is model.feeds


def test_without_onboarding_there_is_no_email_link(clackamas: Schedule) -> None:
    bare = dataclasses.replace(clackamas, onboarding=None)
    assert page_model(bare, overview(bare, NOW), "en", Addresses(BASE)).mailto == ""
    assert page_model(clackamas, overview(clackamas, NOW), "en", Addresses(BASE)).mailto.startswith("mailto:")
