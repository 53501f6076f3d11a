"""Shared test set-up: Hypothesis profiles and the fixtures many test modules use.

The ``ci`` profile (chosen when ``CI`` is set) is derandomized and has no
deadline, so CI runs are repeatable and never fail on a slow machine.

Fixtures, as flaskr's tests share theirs: ``clackamas`` (the built-in
schedule), ``frozen_now`` (the tests' "now", :data:`support.FROZEN`),
``schedule_file`` (a copy of the built-in schedule in ``tmp_path``), ``app``
(the web app on the built-in schedule at ``frozen_now``, linking under
:data:`support.BASE`), ``client`` (its test client), ``page`` (its page,
parsed, in each language), ``local_client`` (a client of the same app linking
under the request's own root) and ``env`` (a clean environment for the
command line with private feeds on). Plain helpers are in ``support.py``.
"""

from __future__ import annotations

import os
import zoneinfo
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from support import BASE, FROZEN, JOIN, KEY, Node, local_app, parse

import hmis_schedule
from hmis_schedule import web
from hmis_schedule.files import builtin_text

# The readers that place times by the TZID's name (icalendar, recurring-ical-events, ical) ask zoneinfo,
# which reads the machine's tz database before the tzdata package the library uses (hmis_schedule.zones);
# the two can differ (Africa/Casablanca from 2026-09-20 in 2025b vs 2026f). In test processes zoneinfo
# reads the tzdata package only, so every reader works from the library's release. That the library
# ignores the machine's data is proven in a subprocess (tests/test_zones.py), which this does not touch.
zoneinfo.reset_tzpath(to=())

collect_ignore = ["broken_feed_app.py"]
"""Loaded only by gunicorn in ``test_web_redaction.py``: importing it breaks Spanish feeds in that process on purpose,
so ``--doctest-modules`` must never import it into a test process."""

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=50)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def clackamas() -> hmis_schedule.Schedule:
    """The built-in Clackamas schedule (immutable, so one for the whole run)."""
    return hmis_schedule.clackamas()


@pytest.fixture
def frozen_now() -> datetime:
    """The tests' "now": a Thursday morning in the schedule's zone."""
    return FROZEN


@pytest.fixture
def schedule_file(tmp_path: Path) -> Path:
    """A copy of the built-in schedule file, ``schedule.toml`` in a temporary folder, to edit or follow."""
    path = tmp_path / "schedule.toml"
    path.write_text(builtin_text(), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def app() -> Flask:
    """The web app serving the built-in schedule at :data:`support.FROZEN`, linking under :data:`support.BASE`.

    One for the whole run: its caches make later requests cheap, and nothing a test does changes it.
    """
    return web.create_app(
        {"NOW": lambda: FROZEN, "HMIS_BASE_URL": BASE, "HMIS_SCHEDULE": "", "HMIS_SECRET_KEY": "",
         "HMIS_TEAMS_URL": "", "HMIS_SECRETS_FILE": "", "HMIS_STATE_FILE": ""}
    )  # fmt: skip


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture(scope="module", params=["en", "es"])
def page(request: pytest.FixtureRequest, app: Flask) -> tuple[str, Node]:
    """``app``'s page in each language (``en``, ``es``), parsed: ``(lang, document)``."""
    lang = request.param
    return lang, parse(app.test_client().get(f"/?lang={lang}").get_data(as_text=True))


@pytest.fixture
def local_client() -> FlaskClient:
    """A client of the app on the built-in schedule at ``frozen_now`` linking under ``http://localhost``.

    It reads each response whole (:class:`support.BufferedClient`).
    """
    return local_app().test_client()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A clean environment: the schedule file in tmp_path, the key set, the clock pinned."""
    for name in list(os.environ):
        if name.startswith("HMIS_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(hmis_schedule.clock, "now", lambda zone: FROZEN.astimezone(zone))
    schedule_file = tmp_path / "my-schedule.toml"
    schedule_file.write_text(builtin_text(), encoding="utf-8")
    return {"HMIS_SECRET_KEY": KEY, "HMIS_TEAMS_URL": JOIN, "HMIS_SCHEDULE": str(schedule_file)}



def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests/test_schemathesis.py ``one_process``: under pytest-xdist, Schemathesis runs only the first
    operation of its parametrized test, and the file's last test counts what every operation sent. ``make test``
    runs these in a second, plain pytest run (a module mark does not reach the items Schemathesis makes)."""
    for item in items:
        if item.path.name == "test_schemathesis.py":
            item.add_marker(pytest.mark.one_process)
