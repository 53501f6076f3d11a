"""Shared test set-up: Hypothesis profiles and the built-in schedule as a fixture.

The ``ci`` profile (chosen when ``CI`` is set) is derandomized and has no
deadline, so CI runs are repeatable and never fail on a slow machine.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

import hmis_schedule

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
