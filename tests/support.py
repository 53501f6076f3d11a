"""Constants the tests share: the public root they serve under and the frozen "now".

Fixtures built from them (``app``, ``client``, ``frozen_now``, ``schedule_file``)
are in ``conftest.py``.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

BASE = "https://hmis.example.org"
"""The public root the tests' apps and feeds link under (``HMIS_BASE_URL``)."""

ZONE = ZoneInfo("America/Los_Angeles")
"""The built-in schedule's zone."""

FROZEN = datetime(2026, 12, 3, 10, 0, tzinfo=ZONE)
"""The tests' "now": a Thursday morning, after the built-in schedule last changed."""
