"""The tz data is one known version: every zone comes from the pinned ``tzdata`` package, whose release every feed and ``/healthz`` name.

``zoneinfo.ZoneInfo(name)`` would read the system's tz database first (issue
12, finding 4: Africa/Casablanca differs between Debian's data and ``tzdata``
from 2026-09-20 on). The decisive test runs the library in a subprocess whose
``PYTHONTZPATH`` points at a fake system database where America/Los_Angeles
holds Tokyo's rules: ``zoneinfo`` then says +09:00, the library still -07:00.
"""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from importlib import metadata, resources
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import tzdata  # type: ignore[import-untyped]
from flask.testing import FlaskClient

import hmis_schedule
from hmis_schedule import ScheduleError
from hmis_schedule.feed import render_feed, render_session
from hmis_schedule.window import feed_window
from hmis_schedule.zones import tzdata_version, zone_named, zone_names

ROOT = Path(__file__).resolve().parent.parent

_IN_A_FAKE_SYSTEM = """
import json, zoneinfo
from datetime import date, datetime, UTC
import hmis_schedule
from hmis_schedule.feed import render_feed
from hmis_schedule.window import feed_window
from hmis_schedule.zones import zone_named

july = datetime(2026, 7, 1, 19, tzinfo=UTC)
schedule = hmis_schedule.clackamas()
session = schedule.next_session(date(2026, 7, 1))
feed = render_feed(schedule, feed_window(schedule, date(2026, 7, 1), date(2026, 7, 1), date(2026, 8, 1)))
print(json.dumps({
    "tzpath": list(zoneinfo.TZPATH),
    "system": july.astimezone(zoneinfo.ZoneInfo("America/Los_Angeles")).utcoffset().total_seconds(),
    "library": july.astimezone(zone_named("America/Los_Angeles")).utcoffset().total_seconds(),
    "session": session.start.utcoffset().total_seconds(),
    "daylight": "TZOFFSETTO:-0700" in feed.decode(),
    "tokyo": "+0900" in feed.decode(),
}))
"""


def test_the_library_reads_tzdata_not_the_system_database(tmp_path: Path) -> None:
    fake = tmp_path / "zoneinfo"
    (fake / "America").mkdir(parents=True)
    tokyo = resources.files("tzdata.zoneinfo").joinpath("Asia/Tokyo").read_bytes()
    (fake / "America" / "Los_Angeles").write_bytes(tokyo)
    done = subprocess.run(
        [sys.executable, "-c", _IN_A_FAKE_SYSTEM],
        env={"PYTHONTZPATH": str(fake), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["tzpath"] == [str(fake)]  # the host's search path is left as it was
    assert seen["system"] == 9 * 3600  # zoneinfo does read the fake system data
    assert seen["library"] == seen["session"] == -7 * 3600
    assert seen["daylight"] and not seen["tokyo"]


def test_every_zone_has_the_offsets_of_its_tzdata_file() -> None:
    instants = [datetime(year, month, 15, tzinfo=UTC) for year in (1995, 2026, 2027, 2040) for month in (1, 4, 7, 10)]
    for name in sorted(zone_names()):
        with resources.files("tzdata.zoneinfo").joinpath(name).open("rb") as data:
            packaged = ZoneInfo.from_file(data, key=name)
        assert [t.astimezone(zone_named(name)).utcoffset() for t in instants] == [
            t.astimezone(packaged).utcoffset() for t in instants
        ], name


def test_casablanca_after_september_2026_is_what_tzdata_says() -> None:
    with resources.files("tzdata.zoneinfo").joinpath("Africa/Casablanca").open("rb") as data:
        packaged = ZoneInfo.from_file(data)
    days = [datetime(2026, 9, 1, 12, tzinfo=UTC) + timedelta(days=d) for d in range(0, 4 * 365, 5)]
    zone = zone_named("Africa/Casablanca")
    assert [d.astimezone(zone).utcoffset() for d in days] == [d.astimezone(packaged).utcoffset() for d in days]


def test_equal_names_give_one_zone_that_pickles_and_copies_by_name() -> None:
    zone = zone_named("America/Los_Angeles")
    assert zone is zone_named("America/Los_Angeles") is hmis_schedule.clackamas().zone
    assert (zone.key, str(zone)) == ("America/Los_Angeles", "America/Los_Angeles")
    assert pickle.loads(pickle.dumps(zone)) is zone and copy.deepcopy(zone) is zone
    moment = datetime(2026, 3, 8, 9, tzinfo=zone)
    assert copy.deepcopy(moment).tzinfo is zone and pickle.loads(pickle.dumps(moment)) == moment


@pytest.mark.parametrize("name", ["localtime", "America/Los_Angeles ", "../etc/passwd", "", 7, "posix/UTC"])
def test_a_name_tzdata_does_not_list_is_refused_on_timezone(name: object) -> None:
    with pytest.raises(ScheduleError) as err:
        zone_named(name)
    assert err.value.problems[0].field == "timezone"


def test_the_version_named_is_the_installed_tzdata_package() -> None:
    version = tzdata_version()
    assert version == tzdata.IANA_VERSION
    year, release = metadata.version("tzdata").split(".")[:2]
    assert version == f"{year}{chr(ord('a') + int(release) - 1)}"


def test_every_feed_names_the_tzdata_release(clackamas: hmis_schedule.Schedule) -> None:
    line = f"X-HMIS-TZDATA:{tzdata_version()}\r\n".encode()
    feed = render_feed(clackamas, feed_window(clackamas, date(2026, 11, 23)))
    session = render_session(clackamas, f"second-monday-20261214@{clackamas.uid_domain}")
    assert feed.count(line) == session.count(line) == 1


def test_healthz_names_the_tzdata_release(client: FlaskClient) -> None:
    health = client.get("/healthz").get_json()
    assert health["tzdata"] == tzdata_version() and health["version"]
