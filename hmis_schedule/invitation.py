"""The email that hands a new user their private link: subject and body, as a ``mailto:`` link.

The admin pages offer it as "Write the email" beside a link just issued: the
administrator's own mail program opens with the link, the next online
session and the onboarding reminder (``[onboarding]`` ``feed_text``, as in
the feeds) filled in, addressed to the label when
the label is an email address. Nothing is sent by the server.

>>> from datetime import UTC, datetime
>>> from hmis_schedule import clackamas
>>> now = datetime(2026, 12, 3, 18, tzinfo=UTC)
>>> subject, body = invitation(clackamas(), link="https://example.org/private/t/calendar.ics",
...                            expires=datetime(2027, 12, 3, tzinfo=UTC), now=now)
>>> subject
'Your private calendar link: HMIS new user training'
>>> [line for line in body.splitlines() if line.startswith("The next online")]
['The next online session: Monday, December 7, 2026, 9:00 AM to 12:00 PM (America/Los_Angeles), in Microsoft Teams.']
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote

from babel.dates import format_time

from .schedule import Schedule
from .text import long_date, session_location

__all__ = ["invitation", "invitation_mailto"]

_EMAIL = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+")


def _clock(moment: datetime) -> str:
    return format_time(moment, "short", tzinfo=moment.tzinfo, locale="en").replace("\u202f", " ")


def invitation(schedule: Schedule, *, link: str, expires: datetime, now: datetime) -> tuple[str, str]:
    """The email's subject and body (lines joined by CRLF-free ``\\n``) for a private ``link`` issued at ``now``."""
    onboarding = schedule.onboarding
    subject_name = onboarding.subject.get("en") if onboarding is not None else schedule.name.get("en")
    lines = [
        "Hello,",
        "",
        f"Here is your private calendar link for {schedule.name.get('en')}. Add it to your calendar app "
        "(where it says \"Subscribe\" or \"From URL\"): its online sessions carry the link to join.",
        "",
        link,
        "",
    ]
    session = schedule.next_session(now, modality="online")
    if session is not None:
        lines.append(
            f"The next online session: {long_date(session.day)}, {_clock(session.start)} to {_clock(session.end)} "
            f"({schedule.timezone}), in {session_location(session)}."
        )
    if onboarding is not None and onboarding.feed_text:  # what comes first, in the file's words (as the feeds say)
        lines.append(onboarding.with_lms(onboarding.feed_text, "en"))
    lines += [
        f"The link is yours alone: please do not share it. It works until {long_date(expires.date())}.",
        "",
    ]
    if schedule.contact is not None:
        lines.append(f"Questions: {schedule.contact.hmis_email}")
    return f"Your private calendar link: {subject_name}", "\n".join(lines)


def invitation_mailto(schedule: Schedule, *, label: str, link: str, expires: datetime, now: datetime) -> str:
    """A ``mailto:`` link with :func:`invitation`'s subject and body, to ``label`` if it is an email address.

    >>> from datetime import UTC, datetime
    >>> from hmis_schedule import clackamas
    >>> when = datetime(2026, 12, 3, tzinfo=UTC)
    >>> invitation_mailto(clackamas(), label="bob@agency.example.org", link="https://x.org/p", expires=when,
    ...                   now=when)[:59]
    'mailto:bob@agency.example.org?subject=Your%20private%20cale'
    >>> invitation_mailto(clackamas(), label="Bob", link="https://x.org/p", expires=when, now=when)[:16]
    'mailto:?subject='
    """
    subject, body = invitation(schedule, link=link, expires=expires, now=now)
    to = label.strip() if _EMAIL.fullmatch(label.strip()) else ""
    crlf = body.replace("\n", "\r\n")  # RFC 6068: line breaks in a body are CRLF
    return f"mailto:{quote(to, safe='@')}?subject={quote(subject, safe='')}&body={quote(crlf, safe='')}"
