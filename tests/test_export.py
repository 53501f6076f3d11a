"""Static export: the files a static host serves, written whole, matching the server's URLs."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from feed_readers import expected, read_icalendar
from support import BASE

from hmis_schedule import Schedule, ScheduleError
from hmis_schedule.addresses import FEED_FILES, FeedFilter, feed_path, session_path
from hmis_schedule.export import export
from hmis_schedule.feed import render_feed, render_session
from hmis_schedule.record import session_record
from hmis_schedule.window import feed_window

TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, clackamas: Schedule) -> tuple[Path, list[Path]]:
    folder = tmp_path_factory.mktemp("site")
    return folder, export(clackamas, folder, today=TODAY, base_url=BASE)


def test_export_writes_every_feed_each_session_and_the_json(
    exported: tuple[Path, list[Path]], clackamas: Schedule
) -> None:
    folder, paths = exported
    window = feed_window(clackamas, TODAY)
    first, end = window.start, window.end
    sessions = clackamas.sessions_between(first, end)
    names = sorted(str(p.relative_to(folder)) for p in paths)
    feeds = [f"{prefix}{name}" for prefix in ("", "es/") for name in FEED_FILES.values()]
    singles = [prefix + session_path(s.uid).lstrip("/") for prefix in ("", "es/") for s in sessions]
    records = ["sessions.json", "es/sessions.json", "sessions.csv", "es/sessions.csv"]
    assert names == sorted([*feeds, *singles, *records, "feed.atom", "es/feed.atom"])
    on_disk = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert on_disk == names, "nothing else (no temporary file) is left behind"


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("filter", list(FeedFilter))
def test_each_exported_feed_is_the_servers_feed(
    exported: tuple[Path, list[Path]], clackamas: Schedule, lang: str, filter: FeedFilter
) -> None:
    folder, _ = exported
    path = folder / ("" if lang == "en" else "es") / FEED_FILES[filter]
    assert path.read_bytes() == render_feed(
        clackamas, feed_window(clackamas, TODAY), lang=lang, filter=filter, base_url=BASE
    )
    # the file sits at the server's path for that feed
    assert FEED_FILES[filter] == feed_path(filter).lstrip("/")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_each_session_file_is_its_one_event_calendar(
    exported: tuple[Path, list[Path]], clackamas: Schedule, lang: str
) -> None:
    folder, _ = exported
    window = feed_window(clackamas, TODAY)
    first, end = window.start, window.end
    for session in clackamas.sessions_between(first, end):
        path = folder / ("" if lang == "en" else "es") / session_path(session.uid).lstrip("/")
        assert path.read_bytes() == render_session(clackamas, session.uid, lang=lang, base_url=BASE)
        assert {r.key for r in read_icalendar(path.read_bytes())} == expected([session])


@pytest.mark.parametrize("lang", ["en", "es"])
def test_sessions_json_lists_the_sessions_with_links_to_their_files(
    exported: tuple[Path, list[Path]], clackamas: Schedule, lang: str
) -> None:
    folder, _ = exported
    document = json.loads((folder / ("sessions.json" if lang == "en" else "es/sessions.json")).read_text("utf-8"))
    window = feed_window(clackamas, TODAY)
    first, end = window.start, window.end
    sessions = clackamas.sessions_between(first, end)
    assert document["window"] == {"start": first.isoformat(), "end": end.isoformat()}
    records = [session_record(s, clackamas, base_url=BASE, lang=lang, static=True) for s in sessions]
    assert document["sessions"] == records
    for record, session in zip(document["sessions"], sessions, strict=True):
        assert datetime.fromisoformat(record["start"]) == session.start
        assert datetime.fromisoformat(record["end"]) == session.end
        assert record["ics_url"].startswith(f"{BASE}/")
        linked = (folder / record["ics_url"].removeprefix(f"{BASE}/")).read_bytes()
        # the link leads to the session's calendar in the document's language
        assert linked == render_session(clackamas, session.uid, lang=lang, base_url=BASE)


def test_a_record_says_why_a_session_is_cancelled(clackamas: Schedule) -> None:
    (labor_day,) = clackamas.sessions_between(date(2026, 9, 7), date(2026, 9, 8))
    record = session_record(labor_day, clackamas, lang="es")
    assert record["status"] == "cancelled"
    assert record["reason"] == "Día del Trabajo: oficinas del condado cerradas"
    assert str(record["summary"]).startswith("Cancelada: ")
    assert record["ics_url"] == f"/sessions/{labor_day.uid}.ics?lang=es"
    assert set(record) >= {"uid", "slot", "start", "end", "modality", "location", "room", "status", "reason",
                           "sequence", "summary", "ics_url"}


def test_export_again_leaves_unchanged_files_alone(tmp_path: Path, clackamas: Schedule) -> None:
    export(clackamas, tmp_path, today=TODAY)
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in tmp_path.rglob("*.ics")}
    export(clackamas, tmp_path, today=TODAY)
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in tmp_path.rglob("*.ics")} == before


def test_files_are_readable_by_a_web_server(tmp_path: Path, clackamas: Schedule) -> None:
    for path in export(clackamas, tmp_path, today=TODAY):
        assert path.stat().st_mode & 0o444 == 0o444


def test_export_into_a_file_is_refused(tmp_path: Path, clackamas: Schedule) -> None:
    target = tmp_path / "site"
    target.write_text("not a folder")
    with pytest.raises(ScheduleError) as err:
        export(clackamas, target, today=TODAY)
    assert err.value.field == "directory"


def test_a_uid_that_is_not_a_plain_file_name_is_refused(tmp_path: Path, clackamas: Schedule) -> None:
    with pytest.raises(ScheduleError) as refused:  # a Schedule refuses such a uid_domain itself
        dataclasses.replace(clackamas, uid_domain="example.org/../../outside")
    assert refused.value.field == "uid_domain"
    schedule = dataclasses.replace(clackamas)  # the export checks again, for a schedule built around the checks
    object.__setattr__(schedule, "uid_domain", "example.org/../../outside")
    with pytest.raises(ScheduleError) as err:
        export(schedule, tmp_path / "site", today=TODAY)
    assert err.value.field == "uid"
    assert not (tmp_path / "outside").exists()
