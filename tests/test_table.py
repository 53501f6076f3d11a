"""Sessions as CSV (:mod:`hmis_schedule.table`): the columns, the cells, and csv round trips."""

from __future__ import annotations

import csv
import io
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

import hmis_schedule
from hmis_schedule.record import session_record
from hmis_schedule.table import COLUMNS, FORMULA_STARTS, cell, to_csv

SCHEDULE = hmis_schedule.clackamas()


def test_the_columns_are_the_session_records_fields_in_their_order() -> None:
    for session in SCHEDULE.sessions_between(date(2026, 8, 1), date(2027, 8, 1)):
        assert tuple(session_record(session, SCHEDULE)) == COLUMNS


@given(st.text())
def test_no_cell_starts_like_a_formula_and_only_those_change(text: str) -> None:
    written = cell(text)
    assert not written.startswith(FORMULA_STARTS)
    assert written == ("'" + text if text.startswith(FORMULA_STARTS) else text)


@given(st.lists(st.fixed_dictionaries({name: st.one_of(st.text(), st.integers(0, 99), st.booleans()) for name in COLUMNS}), max_size=5))
def test_any_records_read_back_cell_for_cell(records: list[dict[str, object]]) -> None:
    body = to_csv(records)
    assert body == to_csv(records)
    read = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert read == [{name: cell(r[name]) for name in COLUMNS} for r in records]
