"""The Atom feed (:mod:`hmis_schedule.atom`), read back with a real parser (feedparser) and as XML.

Oracles: feedparser for what a feed reader sees (feed-level fields, each
entry's id, title, link, updated, content); the schedule's own sessions and
the published record for which entries there are and when they changed;
edits made with the library's edit functions for a moved, an added and a
cancelled session. Hypothesis checks the invariants over random schedules
and days: every upcoming session of the window among the first
``MAX_UPCOMING`` appears exactly once, every changed one (up to
``MAX_CHANGES``) too, ids are unique and nothing lies outside the window.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import feedgen.entry
import feedgen.feed
import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from schedule_strategies import schedules
from support import BASE

from hmis_schedule import Modality, Schedule, clackamas, edit, load_schedule
from hmis_schedule.addresses import Addresses
from hmis_schedule.atom import MAX_CHANGES, MAX_UPCOMING, Kind, atom_entries, entry_id, kind_of, render_atom
from hmis_schedule.changes import Change
from hmis_schedule.published import Published, record
from hmis_schedule.text import long_date, session_reason, session_summary
from hmis_schedule.window import feed_window

TODAY = date(2026, 11, 23)
SCHEDULE = clackamas()
ATOM = "{http://www.w3.org/2005/Atom}"
LABOR_DAY = f"first-monday-20260907@{SCHEDULE.uid_domain}"


def parse(body: bytes) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def by_id(parsed: feedparser.FeedParserDict) -> dict[str, feedparser.FeedParserDict]:
    return {e.id: e for e in parsed.entries}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# -- feed-level fields -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "es"])
def test_feed_level_fields_as_a_reader_sees_them(lang: str) -> None:
    body = render_atom(SCHEDULE, TODAY, lang=lang, base_url=BASE)
    feed = parse(body).feed
    assert feed.title == SCHEDULE.name.get(lang)
    assert feed.id.startswith("urn:uuid:")
    links = {link.rel: link for link in feed.links}
    assert links["self"].href == Addresses(BASE).atom(lang)
    assert links["self"].type == "application/atom+xml"
    assert links["alternate"].href == Addresses(BASE).page_in(SCHEDULE, lang)
    assert links["alternate"].href == f"{BASE}/" + ("" if lang == "en" else "?lang=es")
    assert SCHEDULE.contact is not None
    assert feed.author_detail.email == SCHEDULE.contact.hmis_email
    assert feed.author_detail.name == SCHEDULE.contact.department
    assert feed.language == lang
    assert feed.generator == "hmis-schedule"
    assert utc(feed.updated) == SCHEDULE.updated.astimezone(UTC)  # no record: every entry has the schedule's


def test_a_schedule_without_contact_is_authored_by_its_name() -> None:
    schedule = dataclasses.replace(SCHEDULE, contact=None)
    feed = parse(render_atom(schedule, TODAY)).feed
    assert feed.author_detail.name == schedule.name.get("en")
    assert "email" not in feed.author_detail


def test_english_and_spanish_feeds_and_entries_have_different_ids() -> None:
    english, spanish = (parse(render_atom(SCHEDULE, TODAY, lang=lang)) for lang in ("en", "es"))
    assert english.feed.id != spanish.feed.id
    assert not set(by_id(english)) & set(by_id(spanish))


# -- entries -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "es"])
def test_each_entry_has_id_title_link_updated_and_content(lang: str) -> None:
    parsed = parse(render_atom(SCHEDULE, TODAY, lang=lang, base_url=BASE))
    sessions = atom_entries(SCHEDULE, TODAY)
    assert [e.id for e in parsed.entries] == [entry_id(s, lang) for s in sessions]
    for entry, session in zip(parsed.entries, sessions, strict=True):
        assert entry.title.startswith(session_summary(session, SCHEDULE, lang))
        assert entry.title.endswith(long_date(session.day, lang))
        assert [link.href for link in entry.links] == [Addresses(BASE).session_page(session.uid, lang)]
        assert entry.links[0].rel == "alternate"
        assert utc(entry.updated) == SCHEDULE.updated.astimezone(UTC)
        content = entry.content[0]
        assert content.type == "text/html"
        assert long_date(session.day, lang) in content.value
        assert session.full_location in content.value or session.location in content.value
        assert Addresses(BASE).session_page(session.uid, lang) in content.value
        if session.cancelled:
            assert session_reason(session, SCHEDULE, lang) in content.value


def test_the_labor_day_holiday_is_listed_as_cancelled_with_its_reason() -> None:
    entries = by_id(parse(render_atom(SCHEDULE, TODAY, base_url=BASE)))
    labor_day = SCHEDULE.session(LABOR_DAY)
    assert labor_day.day < TODAY, "a change in the feed's past window is still recent"
    entry = entries[entry_id(labor_day, "en")]
    assert entry.title.startswith("Cancelled: ")
    assert "Labor Day - county offices closed" in entry.content[0].value
    assert {t.term for t in entry.tags} == {"online", "cancelled"}


def test_spanish_titles_and_contents_are_in_spanish() -> None:
    entries = by_id(parse(render_atom(SCHEDULE, TODAY, lang="es", base_url=BASE)))
    entry = entries[entry_id(SCHEDULE.session(LABOR_DAY), "es")]
    assert entry.title.startswith("Cancelada: ")
    assert "lunes, 7 de septiembre de 2026" in entry.title
    assert "Día del Trabajo: oficinas del condado cerradas" in entry.content[0].value
    assert "Cuándo:" in entry.content[0].value and "Dónde:" in entry.content[0].value
    assert "When:" not in entry.content[0].value


def test_upcoming_sessions_start_today_and_are_bounded() -> None:
    window = feed_window(SCHEDULE, TODAY)
    ahead = [s for s in SCHEDULE.sessions_between(TODAY, window.end)]
    assert len(ahead) > MAX_UPCOMING, "the built-in schedule has more upcoming sessions than the feed lists"
    listed = {s.uid for s in atom_entries(SCHEDULE, TODAY)}
    assert {s.uid for s in ahead[:MAX_UPCOMING]} <= listed
    past = SCHEDULE.sessions_between(window.start, TODAY)
    assert {s.uid for s in past if kind_of(s) is Kind.SCHEDULED}.isdisjoint(listed)


# -- edits: moved, added, cancelled, with the published record -----------------------------------------


@pytest.fixture
def edited(schedule_file: Path) -> tuple[Schedule, Published, dict[str, str]]:
    """The built-in schedule edited with the library's edit functions, each edit recorded at its own instant."""
    schedule = load_schedule(schedule_file)
    window = feed_window(schedule, TODAY)
    published = record(Published(), schedule, schedule.sessions_between(window.start, window.end), now=schedule.updated)
    steps = [
        ("moved", datetime(2026, 11, 20, 17, tzinfo=UTC), lambda now: edit.move(
            schedule_file, "first-monday", date(2027, 1, 4), to_date=date(2027, 1, 6), now=now)),
        ("added", datetime(2026, 11, 21, 17, tzinfo=UTC), lambda now: edit.add_session(
            schedule_file, "spanish-session", date(2027, 2, 10), start=time(10), end=time(12),
            modality=Modality.ONLINE, notes="=HYPERLINK(\"x\") <script>alert(1)</script>", now=now)),
        ("cancelled", datetime(2026, 11, 22, 17, tzinfo=UTC), lambda now: edit.cancel(
            schedule_file, "third-monday", date(2026, 12, 21), reason="Trainer out", now=now)),
    ]
    uids = {
        "moved": f"first-monday-20270104@{schedule.uid_domain}",
        "added": f"spanish-session-20270210@{schedule.uid_domain}",
        "cancelled": f"third-monday-20261221@{schedule.uid_domain}",
    }
    for _, now, step in steps:
        step(now)
        schedule = load_schedule(schedule_file)
        published = record(published, schedule, schedule.sessions_between(window.start, window.end), now=now)
    return schedule, published, uids


def test_moved_added_and_cancelled_sessions_with_their_dates(
    edited: tuple[Schedule, Published, dict[str, str]],
) -> None:
    schedule, published, uids = edited
    parsed = parse(render_atom(schedule, TODAY, base_url=BASE, published=published))
    entries = by_id(parsed)
    titles = {kind: entries[entry_id(schedule.session(uid), "en")].title for kind, uid in uids.items()}
    assert titles["moved"].startswith("Moved: ")
    assert titles["moved"].endswith("Wednesday, January 6, 2027")
    assert titles["added"].startswith("Added: ")
    assert titles["cancelled"].startswith("Cancelled: ")
    moved = entries[entry_id(schedule.session(uids["moved"]), "en")]
    assert "Moved from Monday, January 4, 2027." in moved.content[0].value
    for kind, uid in uids.items():
        entry = entries[entry_id(schedule.session(uid), "en")]
        assert utc(entry.updated) == published.entries[uid].since, kind
    # latest change first, and the feed's updated is the latest of all
    assert [e.id for e in parsed.entries[:3]] == [
        entry_id(schedule.session(uids[k]), "en") for k in ("cancelled", "added", "moved")
    ]
    assert utc(parsed.feed.updated) == max(published.entries[uid].since for uid in uids.values())
    spanish = by_id(parse(render_atom(schedule, TODAY, lang="es", published=published)))
    assert spanish[entry_id(schedule.session(uids["moved"]), "es")].title.startswith("Trasladada: ")
    assert spanish[entry_id(schedule.session(uids["added"]), "es")].title.startswith("Añadida: ")


def test_notes_are_escaped_html_in_the_content(edited: tuple[Schedule, Published, dict[str, str]]) -> None:
    schedule, published, uids = edited
    root = ET.fromstring(render_atom(schedule, TODAY, published=published))
    added = entry_id(schedule.session(uids["added"]), "en")
    entry = next(e for e in root.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}id") == added)
    html = entry.findtext(f"{ATOM}content") or ""
    assert "<script>" not in html
    assert "Notes: =HYPERLINK(&quot;x&quot;) &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_changed_session_without_a_move_says_changed() -> None:
    change = Change(slot="first-monday", date=date(2026, 12, 7), room="Room 3", reason="Other room")
    schedule = dataclasses.replace(SCHEDULE, changes=(*SCHEDULE.changes, change))
    session = schedule.session(f"first-monday-20261207@{schedule.uid_domain}")
    assert kind_of(session) is Kind.CHANGED
    entry = by_id(parse(render_atom(schedule, TODAY)))[entry_id(session, "en")]
    assert entry.title.startswith("Changed: ")
    assert "Changed: Other room." in entry.content[0].value


# -- determinism -------------------------------------------------------------------------------------


class _DatetimeType(type):
    def __instancecheck__(cls, value: object) -> bool:
        return isinstance(value, datetime)


class _OtherClock(metaclass=_DatetimeType):
    """feedgen's ``datetime`` with another clock: ``now()`` is in 1999."""

    @staticmethod
    def now(tz: object = None) -> datetime:
        return datetime(1999, 1, 1, tzinfo=UTC)


def test_byte_identical_and_never_from_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    first = render_atom(SCHEDULE, TODAY, lang="es", base_url=BASE)
    # feedgen stamps "now" by default: a different clock must change nothing
    monkeypatch.setattr(feedgen.feed, "datetime", _OtherClock)
    monkeypatch.setattr(feedgen.entry, "datetime", _OtherClock)
    assert render_atom(SCHEDULE, TODAY, lang="es", base_url=BASE) == first
    assert b"1999" not in first


def test_static_layout_links_to_the_exported_files() -> None:
    parsed = parse(render_atom(SCHEDULE, TODAY, base_url=BASE, static=True, lang="es"))
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links["self"] == f"{BASE}/es/feed.atom"
    assert "alternate" not in links, "the export has no page (the schedule has no url of its own)"
    for entry, session in zip(parsed.entries, atom_entries(SCHEDULE, TODAY), strict=True):
        assert entry.link == Addresses(BASE, static=True).session(session.uid, "es")


# -- properties --------------------------------------------------------------------------------------


@settings(max_examples=40)
@given(schedule=schedules(), today=st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)))
def test_every_upcoming_and_changed_session_appears_once(schedule: Schedule, today: date) -> None:
    window = feed_window(schedule, today)
    sessions = schedule.sessions_between(window.start, window.end)
    parsed = parse(render_atom(schedule, today))
    ids = [e.id for e in parsed.entries]
    assert len(ids) == len(set(ids)), "ids are unique"
    upcoming = [s for s in sessions if s.day >= today][:MAX_UPCOMING]
    changed = [s for s in sessions if kind_of(s) is not Kind.SCHEDULED]
    for session in upcoming:
        assert ids.count(entry_id(session, "en")) == 1
    if len(changed) <= MAX_CHANGES:
        for session in changed:
            assert ids.count(entry_id(session, "en")) == 1
    allowed = {entry_id(s, "en") for s in (*upcoming, *changed)}
    assert set(ids) <= allowed, "nothing outside the window, no past session that did not change"
    assert len(ids) <= MAX_UPCOMING + MAX_CHANGES


@settings(max_examples=15)
@given(today=st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)), days=st.integers(0, 400))
def test_the_feed_depends_only_on_its_inputs(today: date, days: int) -> None:
    later = today + timedelta(days=days)
    assert render_atom(SCHEDULE, today) == render_atom(SCHEDULE, today)
    if days and SCHEDULE.sessions_between(today, later):
        # a session passing out of "upcoming" changes the feed: today is an input, not the clock
        ahead = [s for s in SCHEDULE.sessions_between(today, feed_window(SCHEDULE, today).end)]
        if ahead and kind_of(ahead[0]) is Kind.SCHEDULED and ahead[0].day < later:
            assert render_atom(SCHEDULE, later) != render_atom(SCHEDULE, today)
