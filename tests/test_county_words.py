"""Another county's words: every page, feed and JSON document says only what its schedule file says.

``tests/data/prairie_county.toml`` is a second county (Central Time, Zoom,
no in-person slot, its own contact, onboarding and joining words in English
and Spanish). Served through every public route in both languages, nothing
of Clackamas's (its name, Teams, its address, phone numbers, emails, LMS or
closure wording) appears anywhere, and nothing offers in-person sessions it
does not have. The documented minimal file renders pages without an empty
section. Clackamas's own words are checked unchanged by the golden files
(``tests/test_feed_golden.py``) and by the page tests.

To check another route, add it to :data:`ROUTES` (``{uid}`` is replaced by
a session's uid); to forbid another word, add it to :data:`CLACKAMAS_WORDS`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask
from icalendar import Calendar
from support import BASE, FROZEN, Node, parse, schedule_app

from hmis_schedule import Schedule, from_toml, load_schedule
from hmis_schedule.addresses import session_page_path
from hmis_schedule.files import warnings

DATA = Path(__file__).parent / "data"
OTHER = load_schedule(DATA / "prairie_county.toml")
"""The second county."""

MOVED = f"first-tuesday-20270105@{OTHER.uid_domain}"
CANCELLED = f"third-monday-20270118@{OTHER.uid_domain}"  # Martin Luther King Jr. Day
SCHEDULED = f"third-monday-20261221@{OTHER.uid_domain}"

ROUTES = (
    "/",
    "/embed",
    "/sessions/{uid}",
    "/sessions/{uid}.ics",
    "/calendar.ics",
    "/calendar/online.ics",
    "/calendar/in-person.ics",
    "/api/sessions.json",
    "/api/sessions.csv",
    "/api/next.json",
    "/feed.atom",
)
"""Every public route that shows the county's words (``{uid}``: each of :data:`UIDS`), asked in each of :data:`LANGS`."""

PAGES = ("/", "/embed", "/sessions/{uid}")
"""The HTML routes among :data:`ROUTES`: they must not offer in-person sessions either."""

UIDS = (SCHEDULED, MOVED, CANCELLED)
LANGS = ("en", "es")

CLACKAMAS_WORDS = (
    "Clackamas",
    "Teams",
    "Kaen",
    "Oregon City",
    "OR 97045",
    "PSB 216",
    "county offices",
    "oficinas del condado",
    "Learning Management System",
    "Sistema de Gestión del Aprendizaje",
    "LMS",
    "videos",
    "certificate",
    "certificado",
    "hmisadmin@",
    "cdgeneral@",
    "503-655",
    "Coordinated Housing Access",
    "HMIS administrator",
    "administrador de HMIS",
    "Housing and Community Development",
    "Monday to Thursday",
    "America/Los_Angeles",
    "Pacific",
    "Pacífico",
)
"""Words only the built-in Clackamas schedule says (its file's words, and what the code used to hard-code)."""

IN_PERSON_WORDS = (
    "In person", "in person", "In-person", "in-person", "Presencial", "presencial", "En persona", "en persona",
)
"""How a page would offer in-person sessions (the feed link, the legend, the "next" heading, a tag)."""


def _urls() -> list[str]:
    urls = []
    for route in ROUTES:
        for uid in UIDS if "{uid}" in route else ("",):
            for lang in LANGS:
                urls.append(route.format(uid=uid) + f"?lang={lang}")
    return urls


@pytest.fixture(scope="module")
def other_app() -> Flask:
    return schedule_app(OTHER)


def _text(body: bytes, content_type: str) -> str:
    """What a reader sees: an iCalendar feed unfolded and unescaped, JSON and HTML as text."""
    text = body.decode()
    if content_type.startswith("text/calendar"):
        text = text.replace("\r\n ", "").replace("\\,", ",").replace("\\;", ";").replace("\\n", "\n")
    return text


@pytest.mark.parametrize("url", _urls())
def test_no_clackamas_word_reaches_another_countys_answers(other_app: Flask, url: str) -> None:
    response = other_app.test_client().get(url)
    assert response.status_code == 200, url
    text = _text(response.data, response.content_type)
    found = [word for word in CLACKAMAS_WORDS if word in text]
    assert found == [], f"{url} says {found}"
    if any(url.startswith(page.format(uid=uid) + "?") for page in PAGES for uid in UIDS):
        offered = [word for word in IN_PERSON_WORDS if word in text]
        assert offered == [], f"{url} offers in-person sessions: {offered}"


@pytest.mark.parametrize("lang", LANGS)
def test_the_page_says_the_countys_own_words_in_each_language(other_app: Flask, lang: str) -> None:
    html = other_app.test_client().get(f"/?lang={lang}").get_data(as_text=True)
    assert OTHER.contact is not None and OTHER.onboarding is not None and OTHER.online is not None
    for text in (
        OTHER.contact.department,
        OTHER.contact.hmis_title,
        OTHER.contact.office_hours,
        OTHER.onboarding.email_step,
        *OTHER.onboarding.facts,
        *(step.title for step in OTHER.onboarding.steps),
        OTHER.online.join,
    ):
        assert _escaped(text.get(lang)) in html, text.get(lang)
    assert OTHER.onboarding.lms_url in html  # {lms} became a link
    legend = {"en": "Online (Zoom)", "es": "En línea (Zoom)"}[lang]
    assert legend in html
    holiday = {"en": "no class, the Prairie office is closed", "es": "no hay clase, la oficina de Prairie está cerrada"}
    assert _escaped(holiday[lang]) in html
    assert "Moved to Thursday this month." in html and "Bring your agency" in html


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("'", "&#39;").replace('"', "&#34;")


@pytest.mark.parametrize("lang", LANGS)
def test_the_feeds_carry_the_countys_words_and_link_each_session_page(other_app: Flask, lang: str) -> None:
    client = other_app.test_client()
    calendar = Calendar.from_ical(client.get(f"/calendar.ics?lang={lang}").data)
    assert calendar.events
    assert OTHER.onboarding is not None and OTHER.online is not None
    for event in calendar.events:
        description = str(event["DESCRIPTION"])
        assert OTHER.onboarding.with_lms(OTHER.onboarding.feed_text, lang) in description
        assert OTHER.online.feed_text.get(lang) in description
        assert str(event["URL"]) == BASE + session_page_path(str(event["UID"]), lang)
        assert client.get(str(event["URL"]).removeprefix(BASE)).status_code == 200
    # no in-person session, so the in-person feed is an empty calendar
    assert Calendar.from_ical(client.get(f"/calendar/in-person.ics?lang={lang}").data).events == []


def test_the_json_says_the_countys_closure_words(other_app: Flask) -> None:
    records = json.loads(other_app.test_client().get("/api/sessions.json?lang=es").data)["sessions"]
    (mlk,) = [r for r in records if r["uid"] == CANCELLED]
    assert mlk["reason"] == "Día de Martin Luther King Jr.: no hay clase, la oficina de Prairie está cerrada"
    (moved,) = [r for r in records if r["uid"] == MOVED]
    assert moved["moved"] is True and moved["notes"] == "Moved to Thursday this month."


# -- what a file leaves out, the page leaves out ------------------------------------------------

DOC = Path(__file__).parent.parent / "docs" / "schedule-format.md"


def _minimal() -> Schedule:
    text = DOC.read_text(encoding="utf-8")
    return from_toml(text.split("```toml\n", 1)[1].split("```", 1)[0], source="docs/schedule-format.md")


def empty_parts(doc: Node) -> list[str]:
    """What a page shows empty: a heading with nothing after it, an empty list, "with:" at the end of an item."""
    found = []
    for tag in ("ul", "ol"):
        for node in doc.iter(tag):
            if not node.find("li"):
                found.append(f"empty <{tag} class={node.attrs.get('class')!r}>")
    for node in doc.iter("section"):
        headings = {h.text() for h in node.iter("h2")} | {h.text() for h in node.iter("h3")}
        rest = node.text()
        for heading in headings:
            rest = rest.replace(heading, "")
        if not rest.strip():
            found.append(f"empty section {node.attrs.get('aria-labelledby')!r}")
    for node in doc.iter("li"):
        if node.find("h3") and not node.text().replace(node.find("h3")[0].text(), "").strip():
            found.append(f"a heading alone: {node.text()!r}")
        if re.search(r"(with|con):\s*$", node.text()):
            found.append(f"'with:' followed by nothing: {node.text()!r}")
    text = doc.text()
    for words in ("None planned", "Ninguna programada"):
        if words in text:
            found.append(words)
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_the_minimal_documented_file_renders_pages_without_an_empty_section(lang: str) -> None:
    minimal = _minimal()
    assert minimal.contact is None and minimal.onboarding is None and minimal.online is None
    client = schedule_app(minimal).test_client()
    session = minimal.next_session(FROZEN)
    assert session is not None
    for path in ("/", "/embed", f"/sessions/{session.uid}"):
        response = client.get(f"{path}?lang={lang}")
        assert response.status_code == 200, path
        doc = parse(response.get_data(as_text=True))
        assert empty_parts(doc) == [], path
        text = doc.text()
        assert not any(word in text for word in IN_PERSON_WORDS), path  # only an online slot
        assert "contact-h" not in response.get_data(as_text=True)  # no [contact], no [crisis]
        assert "start-h" not in response.get_data(as_text=True)  # no onboarding
        # so nothing promises steps the page does not have (the embed's link to the page included)
        assert not any(words in text for words in ("how to get started", "cómo empezar")), path
    # and the county's page has no empty part either
    for path in ("/", "/embed", f"/sessions/{MOVED}"):
        doc = parse(schedule_app(OTHER).test_client().get(f"{path}?lang={lang}").get_data(as_text=True))
        assert empty_parts(doc) == [], path


def test_empty_parts_finds_what_it_looks_for() -> None:
    """The checker itself: each kind of emptiness it reports is found in a page that has it."""
    html = (
        '<section aria-labelledby="a"><h2 id="a">Contact</h2></section>'
        "<ul></ul><ol><li><h3>Next in-person session</h3></li><li>Email us with:</li></ol><p>None planned yet.</p>"
    )
    assert len(empty_parts(parse(html))) == 5


def test_validate_warns_of_what_the_minimal_file_leaves_out() -> None:
    found = {w.field for w in warnings(_minimal())}
    assert found == {"contact", "onboarding", "online.join"}
    assert warnings(OTHER) == ()


def test_the_word_lists_find_clackamas_in_its_own_answers() -> None:
    """The oracle can fail: served the built-in schedule, the same routes say Clackamas's words."""
    from hmis_schedule import clackamas

    built_in = clackamas()
    client = schedule_app(built_in).test_client()
    uid = f"second-monday-20261214@{built_in.uid_domain}"
    for route in ROUTES:
        for lang in LANGS:
            response = client.get(route.format(uid=uid) + f"?lang={lang}")
            text = _text(response.data, response.content_type)
            assert any(word in text for word in CLACKAMAS_WORDS), route
            if route in PAGES:
                assert any(word in text for word in IN_PERSON_WORDS), route


CLACKAMAS_PAGE = {
    "en": (
        "Microsoft Teams (the link is emailed to you after the LMS steps)",
        "Online (Microsoft Teams)",
        "Email the HMIS administrator (hmisadmin@clackamas.us) with:",
        "Complete the videos and quiz in the county's Learning Management System (LMS).",
        "Email your completion certificate to the HMIS administrator. The Microsoft Teams link is sent to you "
        "after this step.",
        "Attend the next available session. No invitation is needed.",
        "HMIS administrator: hmisadmin@clackamas.us",
        "Clackamas County Housing and Community Development",
    ),
    "es": (
        "Microsoft Teams (el enlace se le envía por correo después de los pasos del LMS)",
        "En línea (Microsoft Teams)",
        "Envíe un correo al administrador de HMIS (hmisadmin@clackamas.us) con:",
        "Complete los videos y la prueba en el Sistema de Gestión del Aprendizaje (LMS) del condado.",
        "Envíe su certificado de finalización al administrador de HMIS. El enlace de Microsoft Teams se le envía "
        "después de este paso.",
        "Administrador de HMIS: hmisadmin@clackamas.us",
    ),
}
"""Sentences Clackamas's page said when they were in the code; its file says them now."""


@pytest.mark.parametrize("lang", LANGS)
def test_clackamas_page_says_what_it_said_when_its_words_were_in_the_code(lang: str) -> None:
    doc = parse(schedule_app().test_client().get(f"/?lang={lang}").get_data(as_text=True))
    text = " ".join(doc.text().split())
    for sentence in CLACKAMAS_PAGE[lang]:
        assert sentence in text, sentence


@pytest.mark.parametrize("lang", LANGS)
def test_a_schedule_of_one_kind_of_session_shows_its_next_session_once(other_app: Flask, lang: str) -> None:
    """Only online sessions: "Next session" says it all, no "Next online session" repeats it."""
    html = other_app.test_client().get(f"/?lang={lang}").get_data(as_text=True)
    nxt = OTHER.next_session(FROZEN)
    assert nxt is not None
    assert html.count(f'datetime="{nxt.start.isoformat()}"') == 2  # the next-session card and the upcoming list
    assert "Next online session" not in html and "Próxima sesión en línea" not in html
