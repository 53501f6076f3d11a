"""Schedule files: the broken-file corpus, file-level errors, and the TOML round trip.

Each file in ``tests/data/broken/`` is a valid schedule with one thing wrong;
its header says which field the error must name (``# expect-field:``) and
what the message must say (``# expect-message:``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from schedule_strategies import full_schedules

import hmis_schedule
from hmis_schedule import Schedule, ScheduleError, from_toml, load_schedule, to_toml

BROKEN = Path(__file__).parent / "data" / "broken"
CORPUS = sorted(BROKEN.glob("*.toml"))
EXAMPLE = Path(__file__).parent.parent / "examples" / "another-county.toml"


def expectation(path: Path) -> tuple[str, str]:
    """The field path and message fragment a broken file's header promises."""
    header: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# expect-"):
            key, _, value = line[2:].partition(":")
            header[key] = value

    return header["expect-field"].strip(), header["expect-message"].strip()


def test_the_corpus_has_at_least_twenty_files_each_with_an_expectation() -> None:
    assert len(CORPUS) >= 20
    for path in CORPUS:
        _, message = expectation(path)
        assert message, path


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_a_broken_file_names_the_file_the_field_and_the_problem(path: Path) -> None:
    field, message = expectation(path)
    with pytest.raises(ScheduleError) as caught:
        load_schedule(path)
    err = caught.value
    assert issubclass(type(err), ValueError)
    assert err.source == str(path)
    assert str(err).startswith(f"{path}: ")
    assert [p.field for p in err.problems] == [field]  # exactly the one problem the file has
    assert err.field == field
    assert message in str(err)
    if field:
        assert f"{field}: " in str(err)


def test_a_file_with_several_problems_reports_all_of_them() -> None:
    text = (BROKEN / "unknown_top_level_key.toml").read_text(encoding="utf-8")
    text = text.replace('"America/Denver"', '"America/Denvr"')
    text = text.replace("ordinal = -1", "ordinal = 6")
    text = text.replace('start = "09:00"', 'start = "9am"', 1)
    text = text.replace('country = "US"', 'country = "United States"')
    text += '\n[[closures]]\ndate = "2026-13-01"\nreason = "Staff day"\n'
    with pytest.raises(ScheduleError) as caught:
        from_toml(text, source="several.toml")
    fields = [p.field for p in caught.value.problems]
    assert sorted(fields) == sorted(
        ["colour", "timezone", "slots[2].ordinal", "slots[0].start", "holidays.country", "closures[0].date"]
    )
    message = str(caught.value)
    assert message.startswith("several.toml: 6 problems:")
    assert all(f"  - {field}: " in message for field in fields)


def test_problems_between_items_are_all_reported_too() -> None:
    text = (BROKEN / "duplicate_slot_ids.toml").read_text(encoding="utf-8")
    overlap = (BROKEN / "slots_overlap_last_and_fourth.toml").read_text(encoding="utf-8")
    text += overlap[overlap.rindex("[[slots]]"):]
    text += '\n[[closures]]\ndate = 2027-03-15\nreason = "a"\n\n[[closures]]\ndate = 2027-03-15\nreason = "b"\n'
    text += '\n[[changes]]\nslot = "nobody"\ndate = 2027-01-05\nroom = "B"\n'
    with pytest.raises(ScheduleError) as caught:
        from_toml(text, source="between.toml")
    assert [p.field for p in caught.value.problems] == [
        "slots[1].id", "slots[3]", "closures[1].date", "changes[0].slot",
    ]


def test_a_missing_file_a_folder_and_non_utf8_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('name = "Capacitación"\n'.encode("latin-1"))
    for path, text in ((missing, "no such file"), (tmp_path, "is a folder"), (latin1, "is not UTF-8")):
        with pytest.raises(ScheduleError) as caught:
            load_schedule(path)
        assert caught.value.source == str(path)
        assert str(caught.value) == f"{path}: {caught.value.message}"
        assert text in str(caught.value)


def test_from_toml_names_its_source() -> None:
    with pytest.raises(ScheduleError, match=r"^<string>: not valid TOML"):
        from_toml("= broken")
    with pytest.raises(ScheduleError, match=r"^mine\.toml: "):
        from_toml("[[slots]]\n", source="mine.toml")


def test_the_built_in_schedule_round_trips(clackamas: Schedule, tmp_path: Path) -> None:
    text = to_toml(clackamas)
    assert from_toml(text) == clackamas
    path = tmp_path / "copy.toml"
    path.write_text(text, encoding="utf-8")
    assert load_schedule(path) == clackamas
    assert to_toml(load_schedule(path)) == text  # writing is deterministic
    assert load_schedule(hmis_schedule.files.__file__.replace("files.py", "data/clackamas.toml")) == clackamas


def test_the_example_county_loads() -> None:
    schedule = load_schedule(EXAMPLE)
    assert from_toml(to_toml(schedule)) == schedule


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(schedule=full_schedules())
def test_a_schedule_written_to_toml_reads_back_equal(schedule: Schedule) -> None:
    text = to_toml(schedule)
    again = from_toml(text, source="round-trip.toml")
    assert again == schedule
    assert to_toml(again) == text
    assert again.version == schedule.version


DOC = Path(__file__).parent.parent / "docs" / "schedule-format.md"


def test_the_documented_minimal_file_loads() -> None:
    text = DOC.read_text(encoding="utf-8")
    minimal = text.split("```toml\n", 1)[1].split("```", 1)[0]
    schedule = from_toml(minimal, source="docs/schedule-format.md")
    assert [s.id for s in schedule.slots] == ["first-monday"]


def test_the_format_doc_documents_every_key_the_reader_knows() -> None:
    from hmis_schedule import files

    text = DOC.read_text(encoding="utf-8")
    known = {
        "": files._TOP, "holidays": files._HOLIDAYS, "feed": files._FEED, "contact": files._CONTACT,
        "crisis": files._CRISIS, "onboarding": files._ONBOARDING, "slots": files._SLOT,
        "closures": files._CLOSURE, "changes": files._CHANGE, "extra_sessions": files._EXTRA,
    }
    for section, keys in known.items():
        body = text
        if section:
            heading = f"## `[{section}]`" if section in files._SECTIONS else f"## `[[{section}]]`"
            body = text.split(heading)[1].split("\n## ")[0]
        for key in keys:
            assert f"| `{key}` |" in body, (section, key)


@pytest.mark.parametrize("fold", [0, 1])
def test_an_updated_stamp_in_a_repeated_or_skipped_hour_reads_back_equal(clackamas: Schedule, fold: int) -> None:
    """Found by the round-trip property: 01:30 on the night clocks go back happens twice."""
    import dataclasses
    from datetime import datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/Los_Angeles")
    for stamp in (datetime(2026, 11, 1, 1, 30, fold=fold, tzinfo=zone), datetime(2027, 3, 14, 2, 30, tzinfo=zone)):
        schedule = dataclasses.replace(clackamas, updated=stamp)
        assert schedule.updated.utcoffset() == stamp.utcoffset()  # the same instant
        assert from_toml(to_toml(schedule)) == schedule
