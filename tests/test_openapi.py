"""The OpenAPI description (:mod:`hmis_schedule.openapi`): valid OpenAPI 3.1, describing the schedule's window.

That the app answers as described is in ``test_web_api.py``;
``test_schemathesis.py`` calls every described operation.
"""

from __future__ import annotations

import dataclasses

from openapi_spec_validator import validate
from support import BASE, FROZEN, SPEC

import hmis_schedule
from hmis_schedule import FeedSettings, web
from hmis_schedule.openapi import openapi_spec

SCHEDULE = hmis_schedule.clackamas()


def test_the_spec_is_valid_openapi_3_1() -> None:
    assert SPEC["openapi"].startswith("3.1")
    validate(SPEC)


def test_the_spec_describes_the_window_of_the_schedules_feed_settings() -> None:
    schedule = dataclasses.replace(SCHEDULE, feed=FeedSettings(past_days=30, future_months=6, max_years=2))
    app = web.create_app({"NOW": lambda: FROZEN, "HMIS_BASE_URL": BASE, "HMIS_SCHEDULE": schedule})
    served = app.test_client().get("/openapi.json").json
    assert served == openapi_spec(BASE, feed=schedule.feed)
    parameters = {p["name"]: p.get("description", "") for p in served["paths"]["/api/sessions.json"]["get"]["parameters"]}
    assert "default 30 days before today" in parameters["from"]
    assert "default 6 months after today" in parameters["to"] and "at most 2 years" in parameters["to"]
