"""The HTML routes (:mod:`hmis_schedule.web.pages`) and their templates (:mod:`hmis_schedule.web.templating`).

What the public page and the embed widget show, their links, their structure,
their weight and their translations. The library is the oracle: the next
sessions, the upcoming ones and the month grid must be what
:class:`~hmis_schedule.Schedule` says for the frozen "now"; subscribe links
are checked against the exact URL forms each calendar app documents. Pages
are parsed with the standard library's HTML parser (:func:`support.parse`).
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from babel.dates import format_date, format_skeleton
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from support import BASE, FROZEN, GRID_END, ROOT, Node, parse, schedule_app, upcoming

import hmis_schedule
from hmis_schedule import feed, text
from hmis_schedule.addresses import session_page_path, session_path
from hmis_schedule.web.templating import TEMPLATES, TRANSLATIONS

SCHEDULE = hmis_schedule.clackamas()


def section(doc: Node, heading_id: str) -> Node:
    (found,) = [s for s in doc.iter("section") if s.attrs.get("aria-labelledby") == heading_id]
    return found


def times(node: Node) -> list[str]:
    return [t.attrs["datetime"] or "" for t in node.iter("time")]


# -- what the page shows ---------------------------------------------------------------------------


def test_the_page_shows_the_librarys_next_session(page: tuple[str, Node]) -> None:
    _, doc = page
    nxt = SCHEDULE.next_session(FROZEN)
    assert nxt is not None
    card = section(doc, "next-h").find("div")[0]
    assert times(card)[:2] == [nxt.start.isoformat(), nxt.end.isoformat()]


def test_the_page_shows_the_next_session_of_each_modality(page: tuple[str, Node]) -> None:
    _, doc = page
    (by_modality,) = [u for u in section(doc, "next-h").iter("ul") if u.has_class("by-modality")]
    items = by_modality.find("li")
    for item, modality in zip(items, hmis_schedule.Modality, strict=True):
        nxt = SCHEDULE.next_session(FROZEN, modality=modality)
        assert nxt is not None
        assert times(item) == [nxt.start.isoformat(), nxt.end.isoformat()]


def test_the_upcoming_list_is_the_librarys_sessions_with_cancelled_ones_and_reasons(
    page: tuple[str, Node],
) -> None:
    lang, doc = page
    expected = upcoming()
    assert any(s.cancelled for s in expected)  # MLK Day and Presidents' Day fall in the window
    items = section(doc, "upcoming-h").find("li")
    items = [li for li in items if li.attrs.get("id", "").startswith("s-")]  # type: ignore[union-attr]
    assert [li.attrs["id"] for li in items] == [f"s-{s.uid.split('@')[0]}" for s in expected]
    for item, session in zip(items, expected, strict=True):
        assert times(item)[0] == session.start.isoformat()
        assert item.has_class("cancelled") == session.cancelled
        if session.cancelled:
            assert item.find("s"), "a cancelled session is struck through"
            assert text.session_reason(session, SCHEDULE, lang) in item.text()


def test_the_month_grid_covers_this_month_and_the_next_two(page: tuple[str, Node]) -> None:
    lang, doc = page
    tables = section(doc, "calendar-h").find("table")
    captions = [t.find("caption")[0].text() for t in tables]
    firsts = [date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)]
    assert captions == [format_skeleton("yMMMM", d, locale=lang) for d in firsts]
    for table in tables:
        assert all(th.attrs.get("scope") == "col" for th in table.find("th"))
        assert len(table.find("th")) == 7


def test_every_grid_session_is_coloured_by_modality_and_cancelled_ones_struck_with_the_reason(
    page: tuple[str, Node],
) -> None:
    lang, doc = page
    cells = {}
    for table, first in zip(section(doc, "calendar-h").find("table"), (12, 1, 2), strict=True):
        for td in table.find("td"):
            if td.has_class("out"):
                continue
            day = int(td.find("span")[0].text())
            cells[date(2026 if first == 12 else 2027, first, day)] = td
    sessions = SCHEDULE.sessions_between(date(2026, 12, 1), GRID_END)
    assert len(cells) == 31 + 31 + 28
    for session in sessions:
        (event,) = [e for e in cells[session.day].find("span") if e.has_class("ev")]
        assert event.has_class(session.modality.value)
        assert event.has_class("cancelled") == session.cancelled
        if session.cancelled:
            assert event.find("s")
            assert text.session_reason(session, SCHEDULE, lang) in event.text()
    assert sum(len([e for e in td.find("span") if e.has_class("ev")]) for td in cells.values()) == len(
        sessions
    )
    (today,) = [td for td in cells.values() if td.attrs.get("aria-current") == "date"]
    assert today is cells[FROZEN.date()]


# -- links -----------------------------------------------------------------------------------------


def links(node: Node) -> dict[str, str]:
    return {" ".join(a.text().split()): a.attrs["href"] or "" for a in node.iter("a")}


def main_choices(doc: Node) -> Node:
    """The subscribe choices of the main feed: the first list in the Subscribe disclosure."""
    return next(n for n in section(doc, "subscribe-h").iter("ul") if n.has_class("choices"))


def test_subscribe_links_are_exact() -> None:
    doc = parse(schedule_app().test_client().get("/").get_data(as_text=True))
    found = links(main_choices(doc))
    feed_url = f"{BASE}/calendar.ics"
    webcal = "webcal://hmis.example.org/calendar.ics"
    name = quote(SCHEDULE.name.get("en"), safe="")
    assert found["Add to Google Calendar"] == "https://calendar.google.com/calendar/r?cid=" + quote(
        webcal, safe=""
    )
    assert found["Add to Outlook.com"] == (
        f"https://outlook.live.com/calendar/0/addfromweb?url={quote(feed_url, safe='')}&name={name}"
    )
    assert found["Add to Microsoft 365"] == (
        f"https://outlook.office.com/calendar/0/addfromweb?url={quote(feed_url, safe='')}&name={name}"
    )
    assert found["Add to Apple Calendar"] == webcal
    assert found["Other calendar apps (webcal)"] == webcal
    (field,) = doc.find("input", id="feed-url")
    assert field.attrs["value"] == feed_url
    hrefs = {a.attrs["href"] for a in section(doc, "subscribe-h").iter("a")}
    assert "webcal://hmis.example.org/calendar/online.ics" in hrefs
    assert "webcal://hmis.example.org/calendar/in-person.ics" in hrefs
    assert "webcal://hmis.example.org/calendar.ics?lang=es" in hrefs
    addresses = {n.attrs["id"]: n.attrs["value"] for n in section(doc, "subscribe-h").iter("input")}
    assert addresses == {
        "feed-url": feed_url,
        "feed-url-online": f"{BASE}/calendar/online.ics",
        "feed-url-in-person": f"{BASE}/calendar/in-person.ics",
        "feed-url-other": f"{BASE}/calendar.ics?lang=es",
    }


def test_the_spanish_page_subscribes_to_the_spanish_feed() -> None:
    doc = parse(schedule_app().test_client().get("/?lang=es").get_data(as_text=True))
    found = links(main_choices(doc))
    assert found["Agregar a Calendario de Apple"] == "webcal://hmis.example.org/calendar.ics?lang=es"
    name = quote(SCHEDULE.name.get("es"), safe="")
    assert found["Agregar a Outlook.com"].endswith(f"&name={name}")
    (english,) = doc.find("input", id="feed-url-other")
    assert english.attrs["value"] == f"{BASE}/calendar.ics"  # the English feed, offered too
    assert "webcal://hmis.example.org/calendar.ics" in {a.attrs["href"] for a in section(doc, "subscribe-h").iter("a")}


def test_every_subscribe_link_points_at_a_feed_that_answers(client: FlaskClient) -> None:
    doc = parse(client.get("/").get_data(as_text=True))
    subscribe = section(doc, "subscribe-h")
    addresses = [a.attrs["href"] or "" for a in subscribe.iter("a")] + [
        i.attrs["value"] or "" for i in subscribe.iter("input")
    ]
    checked = 0
    for href in addresses:
        if href.startswith(BASE):
            path = href[len(BASE) :]
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.content_type.startswith("text/calendar")
            checked += 1
    assert checked == 4  # the copy fields of the four feeds


def test_add_to_calendar_links_for_each_upcoming_session(page: tuple[str, Node], client: FlaskClient) -> None:
    lang, doc = page
    items = [
        li for li in section(doc, "upcoming-h").find("li") if (li.attrs.get("id") or "").startswith("s-")
    ]
    for item, session in zip(items, upcoming(), strict=True):
        hrefs = [a.attrs["href"] or "" for a in item.iter("a")]
        # The first link is the session's own page (its date and time).
        assert hrefs[0] == BASE + session_page_path(session.uid, lang)
        hrefs = hrefs[1:]
        if session.cancelled:
            assert hrefs == []
            continue
        ics, google = hrefs
        assert ics == BASE + session_path(session.uid) + ("" if lang == "en" else "?lang=es")
        response = client.get(ics[len(BASE) :])
        assert response.status_code == 200
        assert f"UID:{session.uid}".encode() in response.data
        # the page links the server's short address, which redirects to Google's form
        assert google == BASE + f"/sessions/{session.uid}/google" + ("" if lang == "en" else "?lang=es")
        redirect = client.get(google[len(BASE) :])
        assert redirect.status_code == 302
        target = redirect.headers["Location"]
        prefix = "https://calendar.google.com/calendar/render?action=TEMPLATE&text="
        assert target.startswith(prefix)
        query = parse_qs(urlsplit(target).query)
        utc = "%Y%m%dT%H%M%SZ"
        assert query["dates"] == [
            f"{session.start.astimezone(UTC):{utc}}/{session.end.astimezone(UTC):{utc}}"
        ]
        assert query["text"] == [feed.session_summary(session, SCHEDULE, lang)]
        assert query["location"] == [text.session_location(session, lang)]
        assert "details" in query


def test_the_mailto_link_prefills_subject_and_the_five_facts(page: tuple[str, Node]) -> None:
    lang, doc = page
    onboarding = SCHEDULE.onboarding
    assert onboarding is not None
    mailtos = [a.attrs["href"] or "" for a in section(doc, "start-h").iter("a")]
    (prefilled,) = [m for m in mailtos if "?" in m]
    parts = urlsplit(prefilled)
    assert parts.scheme == "mailto"
    assert parts.path == onboarding.email
    query = parse_qs(parts.query)
    assert query["subject"] == [onboarding.subject.get(lang)]
    lines = query["body"][0].splitlines()
    assert [line.rstrip(": ") for line in lines] == [f.get(lang) for f in onboarding.facts]
    assert len(lines) == 5


def test_how_to_get_started_has_four_steps(page: tuple[str, Node]) -> None:
    _, doc = page
    (steps,) = section(doc, "start-h").find("ol")
    assert len([c for c in steps.children if isinstance(c, Node) and c.tag == "li"]) == 4


def test_contact_office_hours_and_crisis_line(page: tuple[str, Node]) -> None:
    lang, doc = page
    contact = section(doc, "contact-h")
    assert SCHEDULE.contact is not None and SCHEDULE.crisis is not None
    body = contact.text()
    assert SCHEDULE.contact.office_hours.get(lang) in body
    assert SCHEDULE.contact.hmis_email in body
    assert "503-655-8575" in body
    hrefs = [a.attrs["href"] for a in contact.iter("a")]
    assert "tel:503-655-8575" in hrefs
    assert f"tel:{SCHEDULE.contact.phone}" in hrefs


# -- works without JavaScript, loads nothing from elsewhere ----------------------------------------


PAGES = ["/", "/?lang=es", "/embed", "/embed?lang=es", "/nope", "/?lang=xx"]


@pytest.mark.parametrize("url", PAGES)
def test_no_inline_script_or_style_and_nothing_from_elsewhere(client: FlaskClient, url: str) -> None:
    doc = parse(client.get(url).get_data(as_text=True))
    for node in doc.iter():
        assert "style" not in node.attrs, node.tag
        assert not [a for a in node.attrs if a.startswith("on")], node.tag
    assert not doc.iter("style")
    for script in doc.iter("script"):
        if script.attrs.get("type") == "application/ld+json":
            continue
        assert (script.attrs.get("src") or "").startswith("/static/")
        assert not script.text().strip()
    for node in [*doc.iter("link"), *doc.iter("img"), *doc.iter("iframe")]:
        ref = node.attrs.get("href") or node.attrs.get("src") or ""
        if node.attrs.get("rel") == "alternate":
            continue
        assert ref.startswith("/") and not ref.startswith("//"), ref


def test_everything_works_with_javascript_off(client: FlaskClient) -> None:
    doc = parse(client.get("/").get_data(as_text=True))
    buttons = doc.find("button")
    assert len(buttons) == 4  # one per feed: all, online, in person, the other language
    assert all("hidden" in copy.attrs for copy in buttons)  # shown by the script only
    for copy in buttons:
        (field,) = doc.find("input", id=copy.attrs["data-copy"] or "")
        assert "readonly" in field.attrs and field.attrs["value"]
    assert not doc.find("form")


def _weight(client: FlaskClient, url: str) -> int:
    response = client.get(url)
    total = len(response.data)
    doc = parse(response.get_data(as_text=True))
    for node in [*doc.iter("link"), *doc.iter("script")]:
        ref = node.attrs.get("href") or node.attrs.get("src")
        if ref and ref.startswith("/static/") and node.attrs.get("rel") != "alternate":
            with client.get(ref) as asset:
                total += len(asset.get_data())
    return total


@pytest.mark.parametrize(
    ("url", "budget"), [("/", 60), ("/?lang=es", 60), ("/embed", 20), ("/embed?lang=es", 20)]
)
def test_page_weight_budget(client: FlaskClient, url: str, budget: int) -> None:
    assert _weight(client, url) < budget * 1024


def test_static_files_carry_a_content_version(local_client: FlaskClient) -> None:
    html = local_client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/site\.css\?v=[0-9a-f]+)"', html)
    assert css
    assert local_client.get(css[1]).status_code == 200


# -- accessibility structure -----------------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
def test_accessible_structure(client: FlaskClient, url: str) -> None:
    html = client.get(url).get_data(as_text=True)
    doc = parse(html)
    (root,) = doc.find("html")
    assert root.attrs.get("lang") in ("en", "es")
    assert len(doc.find("main")) == 1
    assert len(doc.find("h1")) == 1
    levels = [int(n.tag[1]) for n in doc.iter() if n.tag in ("h1", "h2", "h3", "h4", "h5", "h6")]
    assert levels[0] == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    ids = [n.attrs["id"] for n in doc.iter() if n.attrs.get("id")]
    assert len(ids) == len(set(ids)), "ids are unique"
    for link in doc.iter("a"):
        assert " ".join(link.text().split()), link.attrs
        href = link.attrs.get("href") or ""
        if href.startswith("#"):
            assert href[1:] in ids, href
    for field in doc.iter("input"):
        assert doc.find("label", for_=field.attrs["id"] or ""), field.attrs
    for nav in doc.iter("nav"):
        assert nav.attrs.get("aria-label") or nav.attrs.get("aria-labelledby")
    if url.startswith("/embed"):
        return
    skip = doc.iter("a")[0]
    assert skip.attrs["href"] == "#main"


# -- languages -------------------------------------------------------------------------------------


def test_every_message_of_the_pages_is_translated_into_spanish() -> None:
    extracted = {
        message
        for _, _, message, _, _ in extract_from_dir(
            str(TEMPLATES), method_map=[("**.html", "jinja2")], options_map={"**.html": {}}
        )
    }
    assert extracted
    with (TRANSLATIONS / "es/LC_MESSAGES/web.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(str(m) for m in extracted if m not in translated)
    assert not missing


def test_the_spanish_page_uses_spanish_dates_and_times(client: FlaskClient) -> None:
    html = client.get("/?lang=es").get_data(as_text=True)
    nxt = SCHEDULE.next_session(FROZEN)
    assert nxt is not None
    assert format_date(nxt.start.date(), "full", locale="es") in html
    assert "hora del Pacífico" in html


def test_the_visible_switch_links_to_the_other_language(local_client: FlaskClient) -> None:
    english = local_client.get("/").get_data(as_text=True)
    assert '<a href="?lang=es" hreflang="es" lang="es">Español</a>' in english
    spanish = local_client.get("/?lang=es").get_data(as_text=True)
    assert '<a href="?lang=en" hreflang="en" lang="en">English</a>' in spanish
    assert SCHEDULE.title.get("es") in spanish
    assert "Próxima sesión" in spanish


# -- the embed widget ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_embed_shows_the_next_session_and_a_subscribe_link(client: FlaskClient, lang: str) -> None:
    doc = parse(client.get(f"/embed?lang={lang}").get_data(as_text=True))
    nxt = SCHEDULE.next_session(FROZEN)
    assert nxt is not None
    assert times(doc)[:2] == [nxt.start.isoformat(), nxt.end.isoformat()]
    hrefs = [a.attrs["href"] for a in doc.iter("a")]
    suffix = "" if lang == "en" else "?lang=es"
    assert f"webcal://hmis.example.org/calendar.ics{suffix}" in hrefs
    assert ("?lang=es" if lang == "en" else "?lang=en") in hrefs  # the language switch
    for a in doc.iter("a"):
        if a.attrs.get("target") == "_blank":
            assert "noopener" in (a.attrs.get("rel") or "")


def test_the_embed_example_frames_the_widget() -> None:
    example = (ROOT / "examples/embed.html").read_text(encoding="utf-8")
    doc = parse(example)
    (frame,) = doc.find("iframe")
    assert (frame.attrs.get("src") or "").endswith("/embed")
    assert frame.attrs.get("title")


def test_a_schedule_with_no_future_session_still_renders() -> None:
    past = date(2020, 1, 6)
    only_past = dataclasses.replace(
        SCHEDULE,
        slots=(),
        extras=(
            hmis_schedule.ExtraSession(
                id="once",
                date=past,
                start=datetime(2020, 1, 6, 9).time(),
                end=datetime(2020, 1, 6, 12).time(),
                modality=hmis_schedule.Modality.ONLINE,
                location="Microsoft Teams",
            ),
        ),
        changes=(),
    )
    client = schedule_app(only_past).test_client()
    for url in ("/", "/embed", "/api/next.json"):
        assert client.get(url).status_code == 200
    assert client.get("/api/next.json").json["session"] is None
    assert "No session is planned yet" in client.get("/").get_data(as_text=True)
