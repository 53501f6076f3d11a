"""Problems found by the acceptance review of the admin pages and the county pages (issues 10 and 13).

Each test failed before its fix. The browser tests use Debian's Chromium through
Playwright like ``test_browser_admin.py`` (skipped locally when it is missing,
failed under ``CI``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from admin_support import CHEAP, PASSWORD, Site, post
from click.testing import CliRunner
from support import FROZEN
from test_browser import CHROMIUM, CHROMIUM_ARGS, LiveServer, _require

from hmis_schedule import accounts, clackamas, cli, edit, load_schedule
from hmis_schedule.facts import Onboarding
from hmis_schedule.invitation import invitation

try:
    from playwright.sync_api import Browser, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None  # type: ignore[assignment]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "HASHER", CHEAP)
        yield Site(tmp_path_factory.mktemp("review-browser"), HMIS_BASE_URL="")


@pytest.fixture(scope="module")
def server(site: Site) -> Iterator[LiveServer]:
    live = LiveServer(site.app)
    yield live
    live.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    _require(sync_playwright is not None, "Playwright for Python is not installed (pip install -e '.[test]')")
    _require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_the_add_forms_name_pattern_is_a_valid_expression_and_checks_the_name(
    browser: Browser, server: LiveServer
) -> None:
    """Chromium compiles ``pattern`` with the ``v`` flag, where ``[a-z0-9-]`` is invalid: the check was skipped."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    try:
        page.goto(server.origin + "/admin/sign-in")
        page.fill("#name", "alice")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(server.origin + "/admin")
        page.goto(server.origin + "/admin/sessions")
        name = page.locator("#add-id")
        name.fill("Make Up!")
        assert name.evaluate("el => el.validity.patternMismatch") is True
        name.fill("make-up-2027-01")
        assert name.evaluate("el => el.validity.patternMismatch") is False
        assert [line for line in console if "pattern" in line.lower()] == []
    finally:
        context.close()


def _action_forms(body: str) -> set[str]:
    """The edit actions the page's forms offer (the hidden ``action`` fields)."""
    return set(re.findall(r'name="action" value="([a-z-]+)"', body))


def test_a_session_cancelled_by_a_holiday_offers_reopen_not_an_uncancel_that_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Uncancel only undoes ``cancel``; offered on a holiday it was refused with a command-line instruction."""
    monkeypatch.setattr(accounts, "HASHER", CHEAP)
    site = Site(tmp_path)
    client = site.signed_in()
    holiday = client.get("/admin/sessions/third-monday/2027-01-18")  # Martin Luther King Jr. Day
    assert holiday.status_code == 200
    assert "Martin Luther King Jr. Day" in holiday.get_data(as_text=True)
    assert "reopen" in _action_forms(holiday.get_data(as_text=True))
    assert "uncancel" not in _action_forms(holiday.get_data(as_text=True))
    # reopening is then the only choice: it is not worded as the second of two ("Or open ...")
    assert "Open the office again on" in holiday.get_data(as_text=True)
    assert "Or open the office again" not in holiday.get_data(as_text=True)

    saved = post(client, "/admin/preview", {"action": "cancel", "slot": "second-monday", "day": "2027-01-11",
                                            "reason": "Trainer out"}, form="/admin/sessions")  # fmt: skip
    assert saved.status_code == 200
    version = re.search(r'name="version" value="([^"]+)"', saved.get_data(as_text=True))
    assert version is not None
    confirmed = post(client, "/admin/confirm", {"action": "cancel", "slot": "second-monday", "day": "2027-01-11",
                                                "reason": "Trainer out", "version": version.group(1)},
                     form="/admin/sessions")  # fmt: skip
    assert (confirmed.status_code, confirmed.location) == (303, "/admin/done"), confirmed.get_data(as_text=True)
    cancelled = client.get("/admin/sessions/second-monday/2027-01-11").get_data(as_text=True)
    assert "uncancel" in _action_forms(cancelled)


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"start": "12:00", "end": "10:00"}, "Not changed: End: must be after the start (12:00)."),
        ({"start": "10:00", "end": "10:00"}, "Not changed: End: must be after the start (10:00)."),
        ({"modality": "in_person", "location": ""}, "Not changed: Address or platform: an in-person session needs the street address."),
    ],
)  # fmt: skip
def test_the_add_form_names_its_own_field_not_the_files_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fields: dict[str, str], said: str
) -> None:
    """The administrator read the server's file path and ``extra_sessions[0].end``, a TOML path, for a form mistake."""
    monkeypatch.setattr(accounts, "HASHER", CHEAP)
    site = Site(tmp_path)
    client = site.signed_in()
    before = site.schedule.read_bytes()
    form = {"action": "add-session", "slot": "make-up", "day": "2027-01-05", "start": "10:00", "end": "12:00",
            "modality": "online", "location": "Microsoft Teams", "room": "", "notes": "", **fields}  # fmt: skip
    answer = post(client, "/admin/preview", form, form="/admin/sessions")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert said.replace("'", "&#39;") in body
    assert str(tmp_path) not in body and "extra_sessions" not in body
    assert site.schedule.read_bytes() == before


def test_a_schedule_file_broken_by_hand_is_named_on_the_admin_pages_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """It was a 503 "Not saved" page for a mere GET, with the reason only in the server's log, as a traceback."""
    monkeypatch.setattr(accounts, "HASHER", CHEAP)
    site = Site(tmp_path)
    client = site.signed_in()
    good = site.schedule.read_text(encoding="utf-8")
    site.schedule.write_text(good.replace('start = "09:00"', 'start = "9 o\'clock"', 1), encoding="utf-8")
    for path in ("/admin/sessions", "/admin/sessions/second-monday/2027-01-11"):
        answer = client.get(path)
        body = answer.get_data(as_text=True)
        assert answer.status_code == 503
        assert "The schedule file is not valid" in body and "Not saved" not in body
        assert "slots[0].start" in body and "9 o&#39;clock" in body
        assert "hmis-schedule validate" in body
    site.schedule.write_text(good + "\nbogus = [\n", encoding="utf-8")
    answer = post(client, "/admin/preview", {"action": "close", "day": "2027-03-15", "reason": "x"}, form="/admin")
    assert answer.status_code == 503 and "not valid TOML" in answer.get_data(as_text=True)
    assert "Traceback" not in caplog.text
    spanish = client.get("/admin/sessions?lang=es").get_data(as_text=True)
    assert "El archivo del horario no es válido" in spanish


def _hidden(body: str) -> dict[str, str]:
    """The confirm form's hidden fields (without its CSRF token, which :func:`post` adds)."""
    confirm = body.split('action="/admin/confirm"', 1)[1].split("</form>", 1)[0]
    found = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', confirm))
    found.pop("csrf_token", None)
    return found


@pytest.mark.parametrize(("field", "before"), [("notes", "Bring your ID"), ("room", "PSB 216")])
def test_emptying_a_field_of_the_change_form_removes_the_value_as_move_with_an_empty_option_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str, before: str
) -> None:
    """The form holds the current values; emptying notes or room was read as "unchanged", so nothing could clear them."""
    monkeypatch.setattr(accounts, "HASHER", CHEAP)
    site = Site(tmp_path)
    day = date(2027, 1, 11)
    edit.move(site.schedule, "second-monday", day, notes="Bring your ID", now=FROZEN)
    client = site.signed_in()
    page = client.get("/admin/sessions/second-monday/2027-01-11").get_data(as_text=True)
    assert f'value="{before}"' in page  # the form shows it
    form = {"action": "move", "slot": "second-monday", "day": "2027-01-11", "to_date": "2027-01-11",
            "start": "13:00", "end": "16:00", "modality": "in_person",
            "location": "2051 Kaen Road, Oregon City, OR 97045", "room": "PSB 216", "notes": "Bring your ID",
            field: ""}  # fmt: skip
    preview = post(client, "/admin/preview", form, form="/admin/sessions/second-monday/2027-01-11")
    assert preview.status_code == 200, preview.get_data(as_text=True)
    assert f"{field} removed" in preview.get_data(as_text=True)
    confirmed = post(client, "/admin/confirm", _hidden(preview.get_data(as_text=True)), form="/admin/sessions")
    assert (confirmed.status_code, confirmed.location) == (303, "/admin/done"), confirmed.get_data(as_text=True)
    session = next(s for s in load_schedule(site.schedule).sessions_between(day, day + timedelta(days=1)) if s.slot_id == "second-monday")
    assert getattr(session, field) == ""


def test_the_command_lines_help_names_every_command_in_its_summary() -> None:
    """``hmis-schedule --help`` said what each group of commands is for, but left out ``admin`` and ``audit``."""
    summary = cli.cli.help or ""
    named = set(re.findall(r"[a-z][a-z-]+", summary.split("Dates are")[0]))
    assert set(cli.cli.commands) <= named, sorted(set(cli.cli.commands) - named)
    shown = CliRunner().invoke(cli.cli, ["--help"])
    assert shown.exit_code == 0 and "audit" in shown.output.split("Options:")[0]


def test_the_admin_session_pages_heading_is_spanish_in_spanish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The heading read "lunes, 11 de enero de 2027, 13:00 to 16:00": the template's "to" was not translated."""
    monkeypatch.setattr(accounts, "HASHER", CHEAP)
    client = Site(tmp_path).signed_in()
    heading = re.compile(r"<h1>([^<]*)</h1>")
    spanish = heading.search(client.get("/admin/sessions/second-monday/2027-01-11?lang=es").get_data(as_text=True))
    english = heading.search(client.get("/admin/sessions/second-monday/2027-01-11?lang=en").get_data(as_text=True))
    assert spanish is not None and english is not None
    assert spanish.group(1) == "lunes, 11 de enero de 2027, de 13:00 a 16:00"
    assert english.group(1).replace("\u202f", " ") == "Monday, January 11, 2027, 1:00 PM to 4:00 PM"  # Babel: 1:00\u202fPM


@pytest.mark.parametrize("group", [[], ["admin"]])
def test_no_commands_one_line_help_is_cut_inside_a_parenthesis(group: list[str]) -> None:
    """``hmis-schedule admin --help`` listed "add  Add the administrator NAME (letters, digits and ." (cut at a dot)."""
    shown = CliRunner().invoke(cli.cli, [*group, "--help"], terminal_width=100)
    assert shown.exit_code == 0
    commands = shown.output.split("Commands:", 1)[1].strip().splitlines()
    for line in commands:
        assert line.count("(") == line.count(")") or line.endswith("..."), line
        assert not re.search(r"\s\.$", line), line


def test_the_invitation_email_reminds_in_the_schedules_own_words() -> None:
    """The "Write the email" body said "watch the videos and pass the quiz" for every county (Clackamas's steps),
    and "in , if" for a file without an LMS; it now carries the file's ``[onboarding]`` ``feed_text``, or nothing."""
    prairie = load_schedule(Path(__file__).parent / "data" / "prairie_county.toml")
    expires = FROZEN + timedelta(days=30)
    _, body = invitation(prairie, link="https://x.example.org/p", expires=expires, now=FROZEN)
    assert "videos" not in body and "quiz" not in body
    assert "First finish the privacy module in PrairieLearn." in body.splitlines()
    _, builtin = invitation(clackamas(), link="https://x.example.org/p", expires=expires, now=FROZEN)
    assert "Before the session: watch the videos and pass the quiz in the county's Learning Management System (LMS)" in builtin
    bare = replace(prairie, onboarding=Onboarding(email="help@example.org"))
    _, without = invitation(bare, link="https://x.example.org/p", expires=expires, now=FROZEN)
    assert " in , " not in without and "Reminder" not in without


def test_a_change_form_sent_unchanged_says_so_without_naming_one_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refusal is about the whole form; it was labelled "Date:" as if the date were wrong."""
    monkeypatch.setattr(accounts, "HASHER", CHEAP)
    site = Site(tmp_path)
    client = site.signed_in()
    page = client.get("/admin/sessions/second-monday/2027-01-11").get_data(as_text=True)
    move = page.split('name="action" value="move"', 1)[1].split("</form>", 1)[0]
    values = dict(re.findall(r'name="(to_date|start|end|location|room|notes)" type="\w+"[^>]*value="([^"]*)"', move))
    values["modality"] = "in_person"
    before = site.schedule.read_bytes()
    answer = post(client, "/admin/preview", {"action": "move", "slot": "second-monday", "day": "2027-01-11", **values},
                  form="/admin/sessions/second-monday/2027-01-11")  # fmt: skip
    body = answer.get_data(as_text=True)
    assert answer.status_code == 400, body
    assert "Change at least one of them" in body
    assert "Date: the fields" not in body
    assert site.schedule.read_bytes() == before


def test_the_links_page_names_the_schedules_own_learning_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """It said "the LMS" for every county; the file's own name for it is used (none named: no mention)."""
    monkeypatch.setattr(accounts, "HASHER", CHEAP)
    site = Site(tmp_path)
    body = site.signed_in().get("/admin/links").get_data(as_text=True)
    assert "who has finished the county&#39;s Learning Management System (LMS)." in body
