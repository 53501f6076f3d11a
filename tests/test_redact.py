"""Log redaction (:mod:`hmis_schedule.redact`): a private link's token never reaches a log line or a traceback.

Gunicorn's logs, redacted the same way, are checked in ``test_web_sources.py``
(a real gunicorn) and ``test_web_gunicorn_config.py``.
"""

from __future__ import annotations

import logging

import pytest
from support import TOKEN

from hmis_schedule.redact import RedactFilter, guard, redact


@pytest.mark.parametrize(
    "line",
    [
        f'127.0.0.1 - - "GET /private/{TOKEN}/calendar.ics?lang=es HTTP/1.1" 200 1234 "-" "Outlook"',
        f"Error handling request /private/{TOKEN}/online.ics",
        f"GET /PRIVATE%2f{TOKEN}%2Fcalendar.ics",
        f'"https://hmis.example.org/private/{TOKEN}/calendar.ics"',
    ],
)
def test_redact_takes_the_token_out_of_a_log_line(line: str) -> None:
    clean = redact(line)
    assert TOKEN not in clean and TOKEN.split(".")[0] not in clean
    assert "[redacted]" in clean


def test_a_guarded_logger_redacts_messages_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("hmis_schedule.test_redact")
    guard(logger)
    with caplog.at_level(logging.INFO, logger="hmis_schedule.test_redact"):
        logger.info("GET %s", f"/private/{TOKEN}/calendar.ics")
        try:
            raise ValueError(f"/private/{TOKEN}/x")
        except ValueError:
            logger.exception("failed")
    assert TOKEN not in caplog.text and caplog.text.count("[redacted]") >= 2
    assert any(isinstance(f, RedactFilter) for f in logger.filters)
