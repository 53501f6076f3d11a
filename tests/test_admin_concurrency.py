"""An admin-page edit and ten command-line edits at the same moment: all land, the file stays valid, all are audited.

Eleven writers close eleven different days of one schedule file: ten
``hmis-schedule close`` processes and one administrator confirming a
preview in the admin pages (the app in this process, in a thread). Each
process imports everything first and then waits for one shared instant, so
the writes meet at the file's lock.

The administrator's confirm carries the file version its preview saw. If a
command-line edit lands first, the confirm is refused as stale and the page
shows a new preview with the new version; the administrator (this test)
confirms that one, as a person would. So the test also shows that no edit
is lost to the preview's check: each of the eleven lands exactly once.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from admin_support import Site, cheap_hashes, post

from hmis_schedule.audit import audit_path, read
from hmis_schedule.files import load_schedule

__all__ = ["cheap_hashes"]

_VERSION = re.compile(r'name="version" value="([0-9a-f]{64})"')
_WAIT_AND_RUN = (
    "import sys, time\n"
    "from hmis_schedule.cli import main\n"
    "time.sleep(max(0.0, float(sys.argv[1]) - time.time()))\n"
    "main(sys.argv[2:])\n"
)


@pytest.mark.slow
def test_an_admin_edit_and_ten_command_line_edits_all_land(tmp_path: Path) -> None:
    site = Site(tmp_path)
    client = site.signed_in()
    days = [date(2027, 2, 1) + timedelta(days=7 * n) for n in range(11)]
    admin_day, cli_days = days[0], days[1:]
    fields = {"action": "close", "day": admin_day.isoformat(), "reason": "Closed by the admin page"}
    preview = post(client, "/admin/preview", fields, form="/admin/sessions")
    found = _VERSION.search(preview.get_data(as_text=True))
    assert preview.status_code == 200 and found

    start = time.time() + 3.0  # every process has imported everything by then
    env = {"PATH": "/usr/bin:/bin", "HMIS_SCHEDULE": str(site.schedule), "PYTHONPATH": str(Path.cwd())}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _WAIT_AND_RUN, repr(start), "close", day.isoformat(),
             "--reason", f"Closed from the command line {n}"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for n, day in enumerate(cli_days)
    ]
    outcome: dict[str, object] = {}

    def confirm() -> None:
        time.sleep(max(0.0, start - time.time()))
        version, tries = found.group(1), 0
        while True:
            tries += 1
            done = post(client, "/admin/confirm", {**fields, "version": version}, form="/admin/sessions")
            if done.status_code == 303 or tries > 20:  # saved: answered by a redirect to the result
                outcome.update(status=done.status_code, tries=tries)
                return
            again = _VERSION.search(done.get_data(as_text=True))  # stale: the page's new preview
            assert done.status_code == 409 and again, done.get_data(as_text=True)
            version = again.group(1)

    admin = threading.Thread(target=confirm)
    admin.start()
    results = [(*p.communicate(timeout=120), p.returncode) for p in processes]
    admin.join(timeout=120)
    for out, err, code in results:
        assert code == 0, err
        assert "Closed" in out
    assert outcome["status"] == 303, outcome

    schedule = load_schedule(site.schedule)  # valid: it parses and checks
    closed = {c.date: c.reason for c in schedule.closures}
    assert all(day in closed for day in days)
    assert closed[admin_day] == "Closed by the admin page"
    entries = [e for e in read(audit_path(site.state), count=100).entries if e.action == "close"]
    assert len(entries) == 11
    assert sorted(e.actor.split(":")[0] for e in entries) == ["admin"] + ["cli"] * 10
    assert sum(e.actor == "admin:alice" for e in entries) == 1
