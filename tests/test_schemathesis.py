"""Schemathesis against ``/openapi.json``: generated requests, valid and invalid, to every documented route.

Schemathesis reads the app's own OpenAPI description and sends requests
generated from it (examples, coverage scenarios and Hypothesis fuzzing, in
both modes: data that fits the description and data that does not) to the
WSGI app in process, with "now" frozen. Every response must pass its checks:

- no 5xx (``not_a_server_error``);
- a documented status code, content type and headers for that route;
- JSON bodies valid against the route's schema;
- data that does not fit the description is refused with a 4xx;
- data that fits it is accepted, with one documented exception that OpenAPI
  cannot express: the ``from``/``to`` window rules between parameters (``to``
  not before ``from``, at most five years, each bound against the default of
  the other). There a 400 is accepted only when the library's own
  :func:`hmis_schedule.feed.feed_window` refuses the same window, and the
  error names ``from`` or ``to``.

With ``CI`` set the run makes at least 1,000 requests (checked by the last
test of this file); locally it makes fewer (``HMIS_FUZZ_EXAMPLES`` sets the
number of fuzzed examples per route).
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import date, timedelta

import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from support import FROZEN

import hmis_schedule
from hmis_schedule import web
from hmis_schedule.openapi import openapi_spec
from hmis_schedule.window import feed_window

SCHEDULE = hmis_schedule.clackamas()
EXAMPLES = int(os.environ.get("HMIS_FUZZ_EXAMPLES") or (150 if os.environ.get("CI") else 30))
MINIMUM_IN_CI = 1_000
WINDOW = ("from", "to")

APP = web.create_app({"NOW": lambda: FROZEN, "HMIS_BASE_URL": ""})
schema = schemathesis.openapi.from_wsgi("/openapi.json", APP)
schema.config.generation.update(max_examples=EXAMPLES)

SENT: Counter[str] = Counter()
"""Requests sent per operation (label such as ``GET /calendar.ics``)."""
# every documented operation but the one serving the description, which Schemathesis leaves out
OPERATIONS = {
    f"{method.upper()} {path}"
    for path, item in openapi_spec(feed=SCHEDULE.feed)["paths"].items()
    for method in item
    if path != "/openapi.json"
}


def _day(value: object) -> date | None:
    return None if value is None else date.fromisoformat(str(value))


def _window_refused_by_library(query: dict[str, object]) -> bool:
    """Whether the library refuses the inclusive ``from``/``to`` window of ``query`` for the frozen today."""
    first, last = _day(query.get("from")), _day(query.get("to"))
    if first is not None and last is not None and last < first:
        return True
    end = None if last is None else last + timedelta(days=1)
    try:
        feed_window(SCHEDULE, FROZEN.date(), first, end)
    except hmis_schedule.WindowError:
        return True
    return False


@schema.parametrize()
def test_every_generated_request_gets_a_response_that_matches_the_spec(case: schemathesis.Case) -> None:
    SENT[case.operation.label] += 1
    query = dict(case.query or {})
    has_window = any(name in query for name in WINDOW)
    response = case.call_and_validate(excluded_checks=[positive_data_acceptance] if has_window else None)
    assert response.status_code < 500
    meta = case.meta
    if has_window and meta is not None and meta.generation.mode == GenerationMode.POSITIVE:
        if response.status_code == 400:
            # schema-valid values, refused only for the rules between from, to and today
            body = response.json()["error"] if case.path.startswith("/api/") else None
            named = body["parameter"] if body else response.text.splitlines()[1].split(":")[0]
            assert named in WINDOW, response.text
            assert _window_refused_by_library(query), f"{query} refused: {response.text}"
        else:
            assert response.status_code in (200, 304), response.text
            assert not _window_refused_by_library(query), f"{query} accepted: {response.status_code}"


def test_the_generated_requests_reach_every_route_and_number_enough() -> None:
    if set(SENT) != OPERATIONS and not os.environ.get("CI"):
        pytest.skip("counts the requests of the Schemathesis test above: run the whole file")
    assert set(SENT) == OPERATIONS
    total = sum(SENT.values())
    print(f"Schemathesis sent {total} requests: {dict(SENT)}")
    if os.environ.get("CI"):
        assert total >= MINIMUM_IN_CI, SENT
