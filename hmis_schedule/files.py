"""Schedule files: TOML in, TOML out.

:func:`load_schedule` reads a schedule file and :func:`from_toml` reads its
text; both check everything and report every problem at once, each with its
field path (``slots[2].start``), in one :class:`ScheduleError`.
:func:`to_toml` writes a schedule back; reading what it writes gives an equal
schedule. The format is documented in ``docs/schedule-format.md`` and by the
built-in ``clackamas.toml``, which :func:`clackamas` returns.

Dates are TOML dates (``2026-12-07``) or strings of that form; times are TOML
local times (``09:00:00``) or strings (``"09:00"``); ``updated`` is a date and
time with an offset (``2026-11-23T00:00:00Z``).
"""

from __future__ import annotations

import difflib
import functools
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import tomlkit
from icalendar.prop import vDuration

from .changes import Change, ExtraSession
from .closures import Closure, HolidayCalendar
from .errors import Problem, ScheduleError
from .facts import LANGUAGES, Contact, Crisis, Onboarding, Online, Step, Text
from .rules import Modality, Slot, Weekday, check_id
from .schedule import FeedSettings, Schedule, zone_named
from .values import aware_datetime, day, modality, whole_number

__all__ = ["SCHEMA_VERSION", "clackamas", "from_toml", "load_schedule", "to_toml", "warnings"]

SCHEMA_VERSION = 1
"""The version of the schedule file format this library reads and writes."""

T = TypeVar("T")


# -- reading ---------------------------------------------------------------


class _Reader:
    """Collects problems while reading nested tables, each with its field path."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, err: ScheduleError, prefix: str = "") -> None:
        self.problems.extend(err.within(prefix).problems)

    def attempt(self, prefix: str, build: Callable[[], T]) -> T | None:
        try:
            return build()
        except ScheduleError as err:
            self.fail(err, prefix)
            return None

    def table(self, value: object, where: str, known: Sequence[str]) -> Mapping[str, Any] | None:
        """``value`` if it is a table, noting each key not in ``known`` as a problem."""
        if not isinstance(value, Mapping):
            self.problems.append(Problem(where, f"expected a table, got {_show(value)}"))
            return None
        for key in value:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.problems.append(
                    Problem(
                        _path(where, str(key)),
                        f"unknown key{hint}; expected one of {', '.join(repr(k) for k in known)}",
                    )
                )
        return value



def _path(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _field(data: Mapping[str, Any], key: str, convert: Callable[[object], T], default: Any = ...) -> T:
    if key not in data:
        if default is ...:
            raise ScheduleError("is required", field=key)
        return default  # type: ignore[no-any-return]
    try:
        return convert(data[key])
    except ScheduleError as err:
        raise err.within(key) from None


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ScheduleError(f"expected text in quotes, got {_show(value)}")
    return value


def _int(value: object) -> int:
    return whole_number(value, "")


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ScheduleError(f"expected true or false, got {_show(value)}")
    return value


def _date(value: object) -> date:
    return day(value, "")


def _time(value: object) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str) and len(value) in (5, 8):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise ScheduleError(f"expected a time of day such as 09:00 or 13:30, got {_show(value)}")


def _id(value: object) -> str:
    return check_id(_str(value), field="")


def _timezone(value: object) -> str:
    name = _str(value)
    try:
        zone_named(name)
    except ScheduleError as err:
        raise ScheduleError(err.message) from None
    return name


def _datetime(value: object) -> datetime:
    return aware_datetime(value, "")


def _duration(value: object) -> timedelta:
    if isinstance(value, str):
        try:
            parsed = vDuration.from_ical(value)  # type: ignore[no-untyped-call]
        except ValueError:
            parsed = None
        if isinstance(parsed, timedelta):
            return parsed
    raise ScheduleError(f"expected an ISO 8601 duration such as 'PT6H', got {_show(value)}")


def _text(value: object) -> Text:
    if isinstance(value, Mapping):
        for lang, item in value.items():
            if lang not in LANGUAGES:
                raise ScheduleError(f"unknown language {lang!r}", field=str(lang), choices=LANGUAGES)
            if not isinstance(item, str):
                raise ScheduleError(f"expected text in quotes, got {_show(item)}", field=str(lang))
        return Text.of(dict(value))
    return Text.of(_str(value))


def _modality(value: object) -> Modality:
    return modality(value, "")


def _enum(kind: type[Weekday]) -> Callable[[object], Any]:
    def convert(value: object) -> Any:
        try:
            return kind(str(value))
        except ValueError:
            raise ScheduleError(
                f"unknown value {_show(value)}", choices=[m.value for m in kind]
            ) from None

    return convert


def _list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise ScheduleError(f"expected a list ([[...]] tables), got {_show(value)}")
    return value


_TOP = (
    "schema", "id", "name", "title", "description", "timezone", "updated", "uid_domain", "url",
    "holidays", "feed", "contact", "crisis", "onboarding", "online", "slots", "closures", "changes",
    "extra_sessions",
)
_SLOT = ("id", "ordinal", "weekday", "start", "end", "modality", "location", "room", "notes")
_EXTRA = ("id", "date", "start", "end", "modality", "location", "room", "notes", "sequence")
_CHANGE = (
    "slot", "date", "cancel", "reason", "to_date", "start", "end", "modality", "location",
    "room", "notes", "sequence",
)
_CLOSURE = ("date", "reason", "sequence")
_HOLIDAYS = ("country", "subdivision", "observed", "exclude", "closed")
_FEED = ("refresh_interval", "past_days", "future_months", "max_years")
_CONTACT = ("hmis_email", "hmis_title", "department", "phone", "email", "address", "office_hours")
_CRISIS = ("name", "phone", "url")
_ONBOARDING = ("email", "email_step", "subject", "facts", "lms", "lms_url", "steps", "feed_text")
_STEP = ("title", "text")
_ONLINE = ("platform", "join", "feed_text")


def _slot(data: Mapping[str, Any]) -> Slot:
    return Slot(
        id=_field(data, "id", _str),
        ordinal=_field(data, "ordinal", _int),
        weekday=_field(data, "weekday", _enum(Weekday)),
        start=_field(data, "start", _time),
        end=_field(data, "end", _time),
        modality=_field(data, "modality", _modality),
        location=_field(data, "location", _str, ""),
        room=_field(data, "room", _str, ""),
        notes=_field(data, "notes", _str, ""),
    )


def _extra(data: Mapping[str, Any]) -> ExtraSession:
    return ExtraSession(
        id=_field(data, "id", _str),
        date=_field(data, "date", _date),
        start=_field(data, "start", _time),
        end=_field(data, "end", _time),
        modality=_field(data, "modality", _modality),
        location=_field(data, "location", _str, ""),
        room=_field(data, "room", _str, ""),
        notes=_field(data, "notes", _str, ""),
        sequence=_field(data, "sequence", _int, 0),
    )


def _change(data: Mapping[str, Any]) -> Change:
    return Change(
        slot=_field(data, "slot", _str),
        date=_field(data, "date", _date),
        cancel=_field(data, "cancel", _bool, False),
        reason=_field(data, "reason", _str, ""),
        to_date=_field(data, "to_date", _date, None),
        start=_field(data, "start", _time, None),
        end=_field(data, "end", _time, None),
        modality=_field(data, "modality", _modality, None),
        location=_field(data, "location", _str, None),
        room=_field(data, "room", _str, None),
        notes=_field(data, "notes", _str, None),
        sequence=_field(data, "sequence", _int, 1),
    )


def _closure(data: Mapping[str, Any]) -> Closure:
    return Closure(
        date=_field(data, "date", _date),
        reason=_field(data, "reason", _str),
        sequence=_field(data, "sequence", _int, 1),
    )


def _holidays(data: Mapping[str, Any]) -> HolidayCalendar:
    subdivision = _field(data, "subdivision", _str, None)
    return HolidayCalendar(
        country=_field(data, "country", _str),
        subdivision=subdivision or None,
        observed=_field(data, "observed", _bool, True),
        exclude=tuple(_field(data, "exclude", lambda v: [_date(x) for x in _list(v)], [])),
        closed=_field(data, "closed", _text, Text.of("")),
    )


def _feed(data: Mapping[str, Any]) -> FeedSettings:
    defaults = FeedSettings()
    return FeedSettings(
        refresh_interval=_field(data, "refresh_interval", _duration, defaults.refresh_interval),
        past_days=_field(data, "past_days", _int, defaults.past_days),
        future_months=_field(data, "future_months", _int, defaults.future_months),
        max_years=_field(data, "max_years", _int, defaults.max_years),
    )


def _contact(data: Mapping[str, Any]) -> Contact:
    return Contact(
        hmis_email=_field(data, "hmis_email", _str),
        hmis_title=_field(data, "hmis_title", _text, Text.of("")),
        department=_field(data, "department", _text, Text.of("")),
        phone=_field(data, "phone", _str, ""),
        email=_field(data, "email", _str, ""),
        address=_field(data, "address", _str, ""),
        office_hours=_field(data, "office_hours", _text, Text.of("")),
    )


def _crisis(data: Mapping[str, Any]) -> Crisis:
    return Crisis(
        name=_field(data, "name", _text),
        phone=_field(data, "phone", _str),
        url=_field(data, "url", _str, ""),
    )


def _texts(value: object) -> tuple[Text, ...]:
    items = _list(value)
    return tuple(_field({f"[{i}]": item for i, item in enumerate(items)}, f"[{i}]", _text) for i in range(len(items)))


def _step(value: object) -> Step:
    reader = _Reader()
    data = reader.table(value, "", _STEP)
    if data is None or reader.problems:
        raise ScheduleError("", problems=reader.problems)
    return Step(title=_field(data, "title", _text), text=_field(data, "text", _text, Text.of("")))


def _steps(value: object) -> tuple[Step, ...]:
    items = _list(value)
    return tuple(_field({f"[{i}]": item for i, item in enumerate(items)}, f"[{i}]", _step) for i in range(len(items)))


def _onboarding(data: Mapping[str, Any]) -> Onboarding:
    return Onboarding(
        email=_field(data, "email", _str, ""),
        email_step=_field(data, "email_step", _text, Text.of("")),
        facts=_field(data, "facts", _texts, ()),
        lms=_field(data, "lms", _text, Text.of("")),
        lms_url=_field(data, "lms_url", _str, ""),
        subject=_field(data, "subject", _text, Text.of("HMIS new user training")),
        steps=_field(data, "steps", _steps, ()),
        feed_text=_field(data, "feed_text", _text, Text.of("")),
    )


def _online(data: Mapping[str, Any]) -> Online:
    return Online(
        platform=_field(data, "platform", _text, Text.of("")),
        join=_field(data, "join", _text, Text.of("")),
        feed_text=_field(data, "feed_text", _text, Text.of("")),
    )


_SECTIONS: dict[str, tuple[Sequence[str], Callable[[Mapping[str, Any]], Any]]] = {
    "holidays": (_HOLIDAYS, _holidays),
    "feed": (_FEED, _feed),
    "contact": (_CONTACT, _contact),
    "crisis": (_CRISIS, _crisis),
    "onboarding": (_ONBOARDING, _onboarding),
    "online": (_ONLINE, _online),
}
_ARRAYS: dict[str, tuple[Sequence[str], Callable[[Mapping[str, Any]], Any]]] = {
    "slots": (_SLOT, _slot),
    "closures": (_CLOSURE, _closure),
    "changes": (_CHANGE, _change),
    "extra_sessions": (_EXTRA, _extra),
}


def from_data(data: Mapping[str, Any], *, source: str = "<schedule>") -> Schedule:
    """Build a schedule from parsed TOML data (a mapping), checking everything.

    Raises
    ------
    ScheduleError
        Naming ``source`` and every problem with its field path.
    """
    reader = _Reader()
    top = reader.table(data, "", _TOP) or {}
    schema = reader.attempt("", lambda: _field(top, "schema", _int, SCHEMA_VERSION))
    if schema is not None and schema != SCHEMA_VERSION:
        reader.problems.append(
            Problem("schema", f"this version reads schema {SCHEMA_VERSION}, the file says {schema}")
        )
    sections: dict[str, Any] = {}
    for name, (known, build) in _SECTIONS.items():
        if name in top:
            table = reader.table(top[name], name, known)
            if table is not None:
                sections[name] = reader.attempt(name, functools.partial(build, table))
    arrays: dict[str, list[Any]] = {}
    for name, (known, build) in _ARRAYS.items():
        items = reader.attempt(name, functools.partial(_list, top.get(name, [])))
        built = []
        for i, item in enumerate(items or []):
            where = f"{name}[{i}]"
            table = reader.table(item, where, known)
            if table is not None:
                built.append(reader.attempt(where, functools.partial(build, table)))
        arrays[name] = built

    scalars: dict[str, Any] = {}
    for key, convert, default in (
        ("id", _id, ...),
        ("name", _text, ...),
        ("title", _text, ...),
        ("description", _text, Text.of("")),
        ("timezone", _timezone, ...),
        ("updated", _datetime, ...),
        ("uid_domain", _str, ...),
        ("url", _str, ""),
    ):
        scalars[key] = reader.attempt("", functools.partial(_field, top, key, convert, default))
    if reader.problems:
        raise ScheduleError("", source=source, problems=reader.problems)
    try:
        return Schedule(
            **scalars,
            slots=tuple(arrays["slots"]),
            closures=tuple(arrays["closures"]),
            changes=tuple(arrays["changes"]),
            extras=tuple(arrays["extra_sessions"]),
            holidays=sections.get("holidays"),
            feed=sections.get("feed") or FeedSettings(),
            contact=sections.get("contact"),
            crisis=sections.get("crisis"),
            onboarding=sections.get("onboarding"),
            online=sections.get("online"),
        )
    except ScheduleError as err:
        raise err.within("", source) from None


def warnings(schedule: Schedule) -> tuple[Problem, ...]:
    """What a valid schedule leaves out that people will miss, each with its field path.

    Not errors: the page and feeds simply leave out what the file does not
    give (``hmis-schedule validate`` prints these as warnings and exits 0).

    >>> import dataclasses
    >>> [str(w) for w in warnings(dataclasses.replace(clackamas(), contact=None))]
    ['contact: not given: the page has no Contact section and feeds carry no ORGANIZER (add at least hmis_email)']
    """
    found: list[Problem] = []
    if schedule.contact is None:
        found.append(Problem(
            "contact",
            "not given: the page has no Contact section and feeds carry no ORGANIZER (add at least hmis_email)",
        ))  # fmt: skip
    onboarding = schedule.onboarding
    if onboarding is None or not (onboarding.email or onboarding.steps):
        found.append(Problem(
            "onboarding",
            "no email or steps: the page has no \"How to get started\" (add email, facts and steps)",
        ))  # fmt: skip
    has_online = any(s.modality is Modality.ONLINE for s in schedule.slots) or any(
        e.modality is Modality.ONLINE for e in schedule.extras
    )
    if has_online and (schedule.online is None or not schedule.online.join):
        found.append(Problem("online.join", "not given: the pages do not say how the link of an online session arrives"))
    return tuple(found)


def from_toml(text: str, *, source: str = "<string>") -> Schedule:
    """Read a schedule from TOML text.

    Parameters
    ----------
    text:
        The TOML document.
    source:
        What to call it in error messages (usually the file name).

    Raises
    ------
    ScheduleError
        For a TOML syntax error or anything wrong in the schedule, naming
        ``source`` and the field paths.

    >>> from_toml('id = "x"', source="demo.toml")
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: demo.toml: 5 problems:
      - name: is required
      - title: is required
      - timezone: is required
      - updated: is required
      - uid_domain: is required
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScheduleError(f"not valid TOML: {err}", source=source) from None
    return from_data(data, source=source)


def decode_text(raw: bytes, source: str) -> str:
    """``raw`` as UTF-8 text, or a :class:`ScheduleError` on ``source`` saying where it is not.

    >>> decode_text("Oregón".encode(), "s.toml")
    'Oregón'
    >>> decode_text(b"Oreg\\xf3n", "s.toml")
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: s.toml: is not UTF-8 text (invalid continuation byte at byte 4)
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ScheduleError(f"is not UTF-8 text ({err.reason} at byte {err.start})", source=source) from None


def read_text(path: str | os.PathLike[str], *, kind: str) -> str | None:
    """The UTF-8 text of the file at ``path``, or ``None`` if there is no such file.

    Every other way a read fails is a :class:`ScheduleError` whose source is the
    file, in words an administrator can act on. ``kind`` names the file in them
    ("schedule file", "state file").

    >>> read_text("/no/such/file.toml", kind="schedule file") is None
    True
    >>> read_text("/", kind="schedule file")
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: /: is a folder, not a schedule file
    """
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ScheduleError(f"is a folder, not a {kind}", source=name) from None
    except OSError as err:
        raise ScheduleError(f"cannot be read: {err.strerror}", source=name) from None
    return decode_text(raw, name)


def load_schedule(path: str | Path) -> Schedule:
    """Read and check the schedule file at ``path``.

    Raises
    ------
    ScheduleError
        If the file cannot be read, is not UTF-8 TOML, or describes an invalid
        schedule. The message names the file and every field path.
    """
    name = str(path)
    text = read_text(path, kind="schedule file")
    if text is None:
        raise ScheduleError("no such file", source=name)
    return from_toml(text, source=name)


@functools.cache
def clackamas() -> Schedule:
    """The built-in schedule: Clackamas County's HMIS new user training.

    >>> s = clackamas()
    >>> s.timezone, [slot.id for slot in s.slots]
    ('America/Los_Angeles', ['first-monday', 'second-monday', 'third-monday', 'fourth-monday', 'fifth-monday'])
    """
    text = resources.files(__package__).joinpath("data/clackamas.toml").read_text(encoding="utf-8")
    return from_toml(text, source="clackamas.toml (built in)")


def builtin_text() -> str:
    """The text of the built-in schedule file, comments included."""
    return resources.files(__package__).joinpath("data/clackamas.toml").read_text(encoding="utf-8")


# -- writing ---------------------------------------------------------------


def _text_value(text: Text) -> Any:
    value = text.to_data()
    if isinstance(value, dict):
        table = tomlkit.inline_table()
        table.update(value)
        return table
    return value


def _inline(data: Mapping[str, Any]) -> Any:
    table = tomlkit.inline_table()
    table.update(data)
    return table


def _array(items: Iterable[Any]) -> Any:
    array = tomlkit.array()
    array.extend(items)
    return array.multiline(True)


def _drop_defaults(data: dict[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in defaults or defaults[k] != v}


def to_data(schedule: Schedule) -> dict[str, Any]:
    """The schedule as plain TOML-ready data (what :func:`from_data` reads)."""
    data: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "id": schedule.id,
        "name": _text_value(schedule.name),
        "title": _text_value(schedule.title),
        "description": _text_value(schedule.description),
        "timezone": schedule.timezone,
        "updated": schedule.updated,
        "uid_domain": schedule.uid_domain,
        "url": schedule.url,
    }
    if schedule.holidays is not None:
        h = schedule.holidays
        data["holidays"] = _drop_defaults(
            {
                "country": h.country, "subdivision": h.subdivision or "", "observed": h.observed,
                "exclude": list(h.exclude), "closed": _text_value(h.closed),
            },
            {"subdivision": "", "observed": True, "exclude": [], "closed": ""},
        )
    f = schedule.feed
    data["feed"] = {
        "refresh_interval": vDuration(f.refresh_interval).to_ical().decode(),  # type: ignore[no-untyped-call]
        "past_days": f.past_days,
        "future_months": f.future_months,
        "max_years": f.max_years,
    }
    if schedule.contact is not None:
        c = schedule.contact
        data["contact"] = _drop_defaults(
            {
                "hmis_email": c.hmis_email, "hmis_title": _text_value(c.hmis_title),
                "department": _text_value(c.department), "phone": c.phone,
                "email": c.email, "address": c.address, "office_hours": _text_value(c.office_hours),
            },
            {"hmis_title": ""},
        )
    if schedule.crisis is not None:
        data["crisis"] = {
            "name": _text_value(schedule.crisis.name), "phone": schedule.crisis.phone, "url": schedule.crisis.url,
        }
    if schedule.onboarding is not None:
        o = schedule.onboarding
        data["onboarding"] = _drop_defaults(
            {
                "email": o.email,
                "email_step": _text_value(o.email_step),
                "subject": _text_value(o.subject),
                "facts": _array(_text_value(fact) for fact in o.facts),
                "lms": _text_value(o.lms),
                "lms_url": o.lms_url,
                "steps": _array(
                    _inline(_drop_defaults({"title": _text_value(s.title), "text": _text_value(s.text)}, {"text": ""}))
                    for s in o.steps
                ),
                "feed_text": _text_value(o.feed_text),
            },
            {"email": "", "email_step": "", "facts": [], "lms": "", "lms_url": "", "steps": [], "feed_text": ""},
        )
    if schedule.online is not None:
        w = schedule.online
        data["online"] = _drop_defaults(
            {"platform": _text_value(w.platform), "join": _text_value(w.join), "feed_text": _text_value(w.feed_text)},
            {"platform": "", "join": "", "feed_text": ""},
        )
    data["slots"] = [
        _drop_defaults(
            {
                "id": s.id, "ordinal": s.ordinal, "weekday": s.weekday.value, "start": s.start,
                "end": s.end, "modality": s.modality.value, "location": s.location,
                "room": s.room, "notes": s.notes,
            },
            {"location": "", "room": "", "notes": ""},
        )
        for s in schedule.slots
    ]
    data["closures"] = [
        _drop_defaults({"date": c.date, "reason": c.reason, "sequence": c.sequence}, {"sequence": 1})
        for c in schedule.closures
    ]
    data["changes"] = [change_data(c) for c in schedule.changes]
    data["extra_sessions"] = [
        _drop_defaults(
            {
                "id": e.id, "date": e.date, "start": e.start, "end": e.end,
                "modality": e.modality.value, "location": e.location, "room": e.room,
                "notes": e.notes, "sequence": e.sequence,
            },
            {"location": "", "room": "", "notes": "", "sequence": 0},
        )
        for e in schedule.extras
    ]
    return {k: v for k, v in data.items() if v != []}


def change_data(change: Change) -> dict[str, Any]:
    """One change as TOML-ready data, leaving out fields it does not set."""
    data: dict[str, Any] = {"slot": change.slot, "date": change.date}
    if change.cancel:
        data["cancel"] = True
    if change.reason:
        data["reason"] = change.reason
    for name in change.edited_fields:
        value = getattr(change, name)
        data[name] = value.value if isinstance(value, Modality) else value
    data["sequence"] = change.sequence
    return data


def to_toml(schedule: Schedule) -> str:
    """Write ``schedule`` as a TOML schedule file; :func:`from_toml` reads it back equal.

    >>> s = clackamas()
    >>> from_toml(to_toml(s)) == s
    True
    """
    document = tomlkit.document()
    for key, value in to_data(schedule).items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            array = tomlkit.aot()
            for item in value:
                array.append(_table_item(item))
            document.add(key, array)
        elif isinstance(value, dict) and not isinstance(value, tomlkit.items.InlineTable):
            document.add(key, _table_item(value))
        else:
            document.add(key, value)
    return tomlkit.dumps(document)


def _table_item(data: Mapping[str, Any]) -> Any:
    table = tomlkit.table()
    for key, value in data.items():
        table.add(key, value)
    return table
