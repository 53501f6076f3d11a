"""The static export's Atom feed and CSV (``feed.atom``, ``sessions.csv``, in English and under ``es/``).

Oracles: the library's renderers (:func:`hmis_schedule.atom.render_atom` in
the static layout, :func:`hmis_schedule.table.to_csv` of the exported JSON's
records), feedparser and :class:`csv.DictReader`. The one writer leaves a
file whose bytes did not change untouched, so a second export changes no
file: same inode, same modification time (what a static host's validators
come from).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import feedparser
import pytest
from support import BASE

from hmis_schedule import Schedule
from hmis_schedule.atom import atom_entries, render_atom
from hmis_schedule.export import export
from hmis_schedule.table import COLUMNS, cell, to_csv

TODAY = date(2026, 11, 23)
NEW = ["feed.atom", "es/feed.atom", "sessions.csv", "es/sessions.csv"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, clackamas: Schedule) -> Path:
    folder = tmp_path_factory.mktemp("site")
    export(clackamas, folder, today=TODAY, base_url=BASE)
    return folder


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_exported_atom_feed_links_to_the_exported_files(site: Path, clackamas: Schedule, lang: str) -> None:
    prefix = "" if lang == "en" else "es/"
    body = (site / f"{prefix}feed.atom").read_bytes()
    assert body == render_atom(clackamas, TODAY, lang=lang, base_url=BASE, static=True)
    parsed = feedparser.parse(body)
    assert not parsed.bozo
    assert {link.rel: link.href for link in parsed.feed.links}["self"] == f"{BASE}/{prefix}feed.atom"
    assert len(parsed.entries) == len(atom_entries(clackamas, TODAY))
    for entry in parsed.entries:
        path = entry.link.removeprefix(BASE + "/")
        assert (site / path).is_file(), f"{entry.link} is a file of the export"


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_exported_csv_holds_the_exported_json_records(site: Path, lang: str) -> None:
    prefix = "" if lang == "en" else "es/"
    records = json.loads((site / f"{prefix}sessions.json").read_text("utf-8"))["sessions"]
    body = (site / f"{prefix}sessions.csv").read_bytes()
    assert body == to_csv(records)
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows == [{name: cell(r[name]) for name in COLUMNS} for r in records]
    assert all((site / row["ics_url"].removeprefix(BASE + "/")).is_file() for row in rows)


def test_a_second_export_leaves_every_file_as_it_was(tmp_path: Path, clackamas: Schedule) -> None:
    paths = export(clackamas, tmp_path, today=TODAY, base_url=BASE)
    names = {str(p.relative_to(tmp_path)) for p in paths}
    assert set(NEW) <= names
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in paths}
    again = export(clackamas, tmp_path, today=TODAY, base_url=BASE)
    assert again == paths
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in again} == before


def test_a_new_day_replaces_the_atom_feed_whole(tmp_path: Path, clackamas: Schedule) -> None:
    export(clackamas, tmp_path, today=TODAY)
    atom = tmp_path / "feed.atom"
    inode = atom.stat().st_ino
    export(clackamas, tmp_path, today=date(2026, 12, 15))  # two sessions have passed: fewer upcoming entries
    assert atom.read_bytes() == render_atom(clackamas, date(2026, 12, 15), static=True)
    assert atom.stat().st_ino != inode, "replaced by a rename, never written in place"
