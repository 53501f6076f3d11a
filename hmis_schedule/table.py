"""Sessions as CSV, for spreadsheets: one row per session record, one column per field.

The rows are the JSON records of :func:`hmis_schedule.record.session_record`
(the API's and the export's ``sessions.json``), flattened in the order of
:data:`COLUMNS`, which is the record's own order. Values are written as
text: strings as they are, whole numbers in decimal, ``moved`` as ``true``
or ``false`` (as in the JSON), an absent value as an empty cell
(:func:`cell`).

Spreadsheet-safe: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return would be read by Excel, LibreOffice or Google Sheets as
a formula (CSV or formula injection, OWASP), so it gets a leading apostrophe
(``'=HYPERLINK(...)``), which spreadsheets show as text. Only the schedule's
free text can start so (notes, reasons, places); dates, times and numbers
never do. Written with Python's :mod:`csv` module (RFC 4180: quoted where
needed, CRLF line ends), in UTF-8 with a byte-order mark so Excel reads the
accents of the Spanish file.

>>> from hmis_schedule import clackamas
>>> from hmis_schedule.record import session_record
>>> s = clackamas()
>>> body = to_csv([session_record(s.session(f"first-monday-20260907@{s.uid_domain}"), s)])
>>> body.decode("utf-8-sig").splitlines()[0].split(",")[:4]
['uid', 'slot', 'date', 'start']
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping

__all__ = ["COLUMNS", "FORMULA_STARTS", "cell", "to_csv"]

COLUMNS = (
    "uid",
    "slot",
    "date",
    "start",
    "end",
    "modality",
    "location",
    "room",
    "status",
    "reason",
    "sequence",
    "summary",
    "notes",
    "original_date",
    "moved",
    "ics_url",
)
"""The columns, in order: the fields of a session record (``tests/test_table.py`` keeps them equal)."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet read a cell as a formula; such a cell gets a leading ``'``."""


def cell(value: object) -> str:
    """One value as a CSV cell: text, spreadsheet-safe.

    >>> cell(True), cell(3), cell(None), cell("=1+1"), cell("-5 people"), cell("PSB 216")
    ('true', '3', '', "'=1+1", "'-5 people", 'PSB 216')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def to_csv(records: Iterable[Mapping[str, object]]) -> bytes:
    """The records as CSV bytes: a header row of :data:`COLUMNS`, then one row per record.

    Parameters
    ----------
    records:
        Session records (:func:`~hmis_schedule.record.session_record`); a
        field missing from a record is an empty cell, a field not in
        :data:`COLUMNS` is left out.

    Returns
    -------
    UTF-8 with a byte-order mark, CRLF line ends; the same records give the same bytes.

    >>> to_csv([])
    b'\\xef\\xbb\\xbfuid,slot,date,start,end,modality,location,room,status,reason,sequence,summary,notes,original_date,moved,ics_url\\r\\n'
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for record in records:
        writer.writerow([cell(record.get(name)) for name in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")
