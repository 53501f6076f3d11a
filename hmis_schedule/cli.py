"""The command line, ``hmis-schedule``: look up sessions, keep the schedule file, export and serve.

Every command works on the schedule file named by ``--file`` (before or after
the command's name) or by the ``HMIS_SCHEDULE`` environment variable, else on
the built-in Clackamas schedule, which is read-only: the editing commands
(``close``, ``reopen``, ``cancel``, ``uncancel``, ``move``, ``add-session``)
need a file, made with ``hmis-schedule init FILE``. Edits go through
:mod:`hmis_schedule.edit`: checked before they are written, atomic, locked,
comments kept, the previous version kept as ``FILE.bak``.

``private-link`` prints a private feed link (signed with ``HMIS_SECRET_KEY``,
see :mod:`hmis_schedule.private`) and ``revoke`` turns off the links of a
label in the schedule's state file (:mod:`hmis_schedule.state`), which a
running server follows.

Dates are written 2027-03-15 and are inclusive; times are wall-clock times in
the schedule's time zone (09:00, 13:30). Read-only commands print for people
by default and take ``--format json`` for scripts.

The editing commands take ``--dry-run`` (show what subscribers would see
change, write nothing), ``--allow-past`` (change a session that has started or
a day before today) and ``--allow-overlap`` (let a session take place at the
same time as another); they record what they did in the audit log beside the
state file (:mod:`hmis_schedule.audit`) as ``cli:`` and the operating-system
user, as ``private-link`` and ``revoke`` do; ``audit`` shows it. Positional
paths name outputs (``init FILE``, ``export DIR``); ``validate FILE`` and
``list FROM TO`` are accepted beside ``--file`` and ``--from/--to``.

Exit codes: 0 success (also for an edit with nothing to change, and a
preview), 1 a refused edit or an invalid or unreadable file, 2 a usage error
(a missing or malformed argument). A refused edit prints one line on stderr,
"Not changed: what and why. What to do." (:func:`hmis_schedule.edit.refusal`,
with the flag to pass); other errors are one clear message naming the
parameter or field, never a traceback.

>>> from click.testing import CliRunner
>>> result = CliRunner().invoke(cli, ["list", "--from", "2026-09-07", "--to", "2026-09-07"])
>>> result.exit_code, result.output.splitlines()[-1].split()[-3:]
(0, ['cancelled:', 'Labor', 'Day'])
"""

from __future__ import annotations

import getpass
import json
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, NoReturn

import click
from babel.dates import format_time

from . import __version__, audit, clock, values
from . import edit as editing
from .accounts import check_name, check_password
from .addresses import private_path
from .errors import ScheduleError, WindowError
from .facts import LANGUAGES
from .feed import render_feed
from .files import builtin_text, clackamas, load_schedule, warnings
from .i18n import translations
from .private import (
    DEFAULT_DAYS,
    MAX_DAYS,
    SECRET_KEY_ENV,
    TEAMS_URL_ENV,
    issue_recorded,
    load_secrets,
)
from .published import Published
from .record import session_record
from .rules import Modality
from .schedule import Schedule
from .session import Session
from .state import (
    STATE_FILE_ENV,
    add_admin,
    load_state,
    publish,
    published_for,
    remove_admin,
    revoke,
    set_admin_password,
    state_path,
)
from .text import long_date, moved_note, session_location, session_reason, session_summary
from .window import add_months, feed_window

__all__ = ["FILE_ENV", "READ_ONLY", "cli", "gunicorn_argv", "main"]

FILE_ENV = "HMIS_SCHEDULE"
"""The environment variable naming the schedule file."""

READ_ONLY = (
    "the built-in schedule is read-only: run `hmis-schedule init my-schedule.toml` and pass --file"
)
"""What an editing command says when no schedule file is named."""

_DEFAULT_MONTHS = 3


# -- parameter types -------------------------------------------------------------


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """A date written 2027-03-15."""
    if value is None:
        return None
    try:
        return values.day(value, param.name or "")
    except ScheduleError:
        hint = _HINTS.get(param.name or "")  # list's [FROM [TO]] arguments: their metavar is not their name
        raise click.BadParameter(
            f"expected a date such as 2027-03-15, got {value!r}", ctx, param, param_hint=hint
        ) from None


_HINTS = {"first_arg": "'FROM'", "last_arg": "'TO'"}


def _time(ctx: click.Context, param: click.Parameter, value: str | None) -> time | None:
    """A wall-clock time written 09:00 or 13:30 (24-hour)."""
    if value is None:
        return None
    text = value.strip()
    if len(text) == 4 and text[1] == ":":
        text = "0" + text
    try:
        if len(text) == 5:
            return time.fromisoformat(text)
    except ValueError:
        pass
    raise click.BadParameter(f"expected a 24-hour time such as 09:00 or 13:30, got {value!r}", ctx, param)


def _moment(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """A date, or a date and time (in the schedule's zone unless it carries an offset)."""
    if value is None:
        return None
    text = value.strip()
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"expected a date such as 2027-03-15 or a time such as 2027-03-15T12:00, got {value!r}", ctx, param
        ) from None


def _modality(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``online`` or ``in_person`` (``in-person`` accepted too)."""
    if value is None:
        return None
    text = value.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return values.modality(text, param.name or "").value
    except ScheduleError as err:
        raise click.BadParameter(f"expected one of {', '.join(err.choices)}, got {value!r}", ctx, param) from None


DATE: dict[str, Any] = {"metavar": "YYYY-MM-DD", "callback": _date}
TIME: dict[str, Any] = {"metavar": "HH:MM", "callback": _time}
MOMENT: dict[str, Any] = {"metavar": "DATE[THH:MM]", "callback": _moment}
MODALITY: dict[str, Any] = {"metavar": "[online|in_person]", "callback": _modality}


# -- the group, and errors at the edge -----------------------------------------------


class _Group(click.Group):
    """Turns library and file-system errors into clear messages and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise
        except editing.EditRefused as err:
            raise _Refusal(editing.refusal(err, _OVERRIDE_HINTS.get(err.override or ""))) from None
        except ScheduleError as err:
            if ctx.invoked_subcommand in _EDITS:
                raise _Refusal(editing.refusal(err)) from None
            _fail(str(err))
        except OSError as err:
            _fail(_os_message(err))


class _Failure(click.ClickException):
    exit_code = 1


class _Refusal(_Failure):
    """An edit that was not made: its message alone ("Not changed: what and why. What to do."), on stderr, exit 1."""

    def show(self, file: Any = None) -> None:
        click.echo(self.format_message(), err=True)


_OVERRIDE_HINTS = {
    "allow_past": "Pass --allow-past to change it anyway.",
    "allow_overlap": "Pass --allow-overlap to make the change anyway.",
}
"""What to do about a refusal a flag overrides, in the command line's words."""


def _fail(message: str) -> NoReturn:
    raise _Failure(message)


def _os_message(err: OSError) -> str:
    where = f"{err.filename}: " if err.filename else ""
    return f"{where}{err.strerror or err}"


def _file_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--file",
        "-f",
        "file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=f"The schedule file (default: ${FILE_ENV}, else the built-in schedule, read-only).",
    )(command)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="hmis-schedule")
@_file_option
@click.pass_context
def cli(ctx: click.Context, file: Path | None) -> None:
    """Publish and keep the HMIS new-user training schedule.

    Look up sessions (next, list), keep the schedule file (init, validate,
    close, reopen, cancel, uncancel, move, add-session), publish it (export,
    serve), hand out private feed links (private-link, revoke), keep the
    admin pages' accounts (admin) and read the audit log of every change
    (audit). Dates are written 2027-03-15 and times 09:00, in the schedule's
    time zone.
    `hmis-schedule COMMAND --help` explains each command.
    """
    ctx.obj = file


def _named_file(ctx: click.Context, file: Path | None) -> Path | None:
    """The file named by --file (the command's, then the group's) or $HMIS_SCHEDULE, if any."""
    if file is not None:
        return file
    root = ctx.find_root()
    if isinstance(root.obj, Path):
        return root.obj
    value = os.environ.get(FILE_ENV, "").strip()
    return Path(value) if value else None


def _schedule(ctx: click.Context, file: Path | None) -> Schedule:
    path = _named_file(ctx, file)
    return clackamas() if path is None else load_schedule(path)


def _editable(ctx: click.Context, file: Path | None) -> Path:
    path = _named_file(ctx, file)
    if path is None:
        raise click.UsageError(READ_ONLY, ctx)
    return path


def _now() -> datetime:
    return clock.now(UTC)


def _actor() -> str:
    """Who runs the command, for the audit log: ``cli:`` and the operating-system user."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment or the password database
        name = f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return f"cli:{name}"[: audit.MAX_ACTOR]


def _edit_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--allow-past, --allow-overlap and --dry-run, for every editing command."""
    command = click.option(
        "--dry-run", is_flag=True,
        help="Show what would change for subscribers, and write nothing.",
    )(command)
    command = click.option(
        "--allow-overlap", is_flag=True,
        help="Make the change even if the session then takes place at the same time as another one.",
    )(command)
    return click.option(
        "--allow-past", is_flag=True,
        help="Make the change even if it changes a session that has started, or a day before today.",
    )(command)


def _edit_kwargs(ctx: click.Context, path: Path, allow_past: bool, allow_overlap: bool, dry_run: bool) -> dict[str, Any]:
    """The options every library edit takes: the rules overridden, a preview, and the audit log's actor and file."""
    return {
        "allow_past": allow_past,
        "allow_overlap": allow_overlap,
        "dry_run": dry_run,
        "actor": _actor(),
        "audit_file": audit.audit_path(_state_file(ctx, path)),
    }


# -- output ----------------------------------------------------------------------


def _print_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _day(day: date) -> str:
    return f"{day:%a} {day.isoformat()}"


def _status(session: Session) -> str:
    """The table's Status: cancelled with its reason, a move, a change's reason and the notes, as they apply."""
    parts = []
    if session.cancelled:
        parts.append(f"cancelled: {session.reason}")
    if session.moved:
        parts.append(f"moved from {_day(session.original_date)}")
    if session.reason and not session.cancelled:
        parts.append(f"changed: {session.reason}")
    if session.notes:
        parts.append(f"notes: {session.notes}")
    return "; ".join(parts)


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]).rstrip()
        for row in rows
    ]


def _clock(moment: datetime, lang: str) -> str:
    return format_time(moment, format="short", tzinfo=moment.tzinfo, locale=lang)


# -- read-only commands ---------------------------------------------------------------


@cli.command("next")
@click.option("--modality", **MODALITY, help="Only online or only in-person sessions.")
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True, help="Language of the answer.")
@click.option("--after", **MOMENT, help="Look after this date or time (default: now), in the schedule's zone.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_file_option
@click.pass_context
def next_command(
    ctx: click.Context, modality: str | None, lang: str, after: date | None, fmt: str, file: Path | None
) -> None:
    """Show the next session that takes place (cancelled ones are skipped).

    \b
    Examples:
      hmis-schedule next
      hmis-schedule next --modality in_person --lang es
      hmis-schedule next --after 2027-01-01 --format json
    """
    schedule = _schedule(ctx, file)
    if isinstance(after, datetime) and after.utcoffset() is None:
        after = after.replace(tzinfo=schedule.zone)
    session = schedule.next_session(after, modality=modality)
    if fmt == "json":
        published = _recorded(ctx, file, schedule)
        _print_json(None if session is None else session_record(session, schedule, lang=lang, published=published))
        return
    if session is None:
        click.echo(translations(lang, "cli").gettext("No session is planned in the next ten years."))
        return
    click.echo(session_summary(session, schedule, lang))
    click.echo(
        f"{long_date(session.day, lang)}, {_clock(session.start, lang)} - {_clock(session.end, lang)}"
        f" ({schedule.timezone})"
    )
    click.echo(session_location(session, lang))
    for line in (session_reason(session, schedule, lang), moved_note(session, lang), session.notes):
        if line:
            click.echo(line)


@cli.command("list")
@click.argument("first_arg", metavar="[FROM", required=False, callback=_date)
@click.argument("last_arg", metavar="[TO]]", required=False, callback=_date)
@click.option("--from", "first", **DATE, help="First date (inclusive; default: today).")
@click.option("--to", "last", **DATE, help=f"Last date (inclusive; default: {_DEFAULT_MONTHS} months after --from).")
@click.option("--modality", **MODALITY, help="Only online or only in-person sessions.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "ics"]), default="table", show_default=True,
    help="A table for people, JSON for scripts, or an iCalendar file.",
)
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True, help="Language of JSON summaries and the iCalendar file.")
@_file_option
@click.pass_context
def list_command(
    ctx: click.Context, first_arg: date | None, last_arg: date | None, first: date | None, last: date | None,
    modality: str | None, fmt: str, lang: str, file: Path | None,
) -> None:
    """List the sessions from FROM to TO (inclusive), cancelled ones included with their reason.

    The dates can be given as FROM TO or as --from and --to. Times are shown
    in the schedule's time zone.

    \b
    Examples:
      hmis-schedule list
      hmis-schedule list 2027-01-01 2027-03-31
      hmis-schedule list --from 2027-01-01 --to 2027-03-31 --modality in_person
      hmis-schedule list --format json > sessions.json
      hmis-schedule list --format ics > sessions.ics
    """
    first = _once(ctx, first_arg, first, "FROM", "--from")
    last = _once(ctx, last_arg, last, "TO", "--to")
    schedule = _schedule(ctx, file)
    today = schedule.today()
    first = first or today
    last = last or add_months(first, _DEFAULT_MONTHS) - timedelta(days=1)
    if last < first:
        raise click.BadParameter(f"{last} is before --from {first}", ctx, param_hint="'--to'")
    try:
        window = feed_window(schedule, today, first, last + timedelta(days=1))
    except WindowError as err:
        hint = "'--to'" if err.field == "end" else "'--from'"
        raise click.BadParameter(err.message, ctx, param_hint=hint) from None
    published = _recorded(ctx, file, schedule) if fmt != "table" else None
    if fmt == "ics":
        click.echo(render_feed(schedule, window, lang=lang, filter=modality or "all", published=published), nl=False)
        return
    sessions = schedule.sessions_between(window.start, window.end, modality=modality)
    if fmt == "json":
        _print_json(
            {
                "schedule": schedule.id,
                "timezone": schedule.timezone,
                "from": first.isoformat(),
                "to": last.isoformat(),
                "sessions": [session_record(s, schedule, lang=lang, published=published) for s in sessions],
            }
        )
        return
    click.echo(f"{schedule.name}: {first} to {last} (times in {schedule.timezone})")
    if not sessions:
        click.echo("No sessions in these dates.")
        return
    rows = [("Date", "Time", "Session", "How", "Where", "Status")]
    rows += [
        (
            _day(s.day),
            f"{s.start:%H:%M}-{s.end:%H:%M}",
            s.slot_id,
            "online" if s.modality is Modality.ONLINE else "in person",
            s.full_location,
            _status(s),
        )
        for s in sessions
    ]
    click.echo()
    for line in _table(rows):
        click.echo(line)


def _once(ctx: click.Context, argument: Any, option: Any, name: str, flag: str) -> Any:
    """A value given as the argument ``name`` or the option ``flag``: either, not both with different values."""
    if argument is not None and option is not None and argument != option:
        raise click.UsageError(f"give {name} or {flag}, not both", ctx)
    return argument if argument is not None else option


@cli.command()
@click.argument("path", metavar="[FILE]", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an existing file (the old one is kept as FILE.bak).")
@_file_option
@click.pass_context
def init(ctx: click.Context, path: Path | None, force: bool, file: Path | None) -> None:
    """Write the built-in schedule, comments included, to FILE for you to edit.

    FILE can be given as an argument or as --file (or $HMIS_SCHEDULE).

    \b
    Example:
      hmis-schedule init my-schedule.toml
      export HMIS_SCHEDULE=my-schedule.toml
    """
    path = _once(ctx, path, file, "FILE", "--file") or _named_file(ctx, None)
    if path is None:
        raise click.UsageError("name the file to write: hmis-schedule init my-schedule.toml", ctx)
    if path.exists() and not force:
        _fail(f"{path} exists already: pass --force to replace it (the old file is kept as {path.name}.bak)")
    editing.write_new(path, builtin_text(), overwrite=force)
    click.echo(f"Wrote the built-in schedule to {path}.")
    click.echo(
        f"Edit it with the hmis-schedule commands (close, cancel, move, ...) and --file {path}, or by hand;\n"
        f"check it with `hmis-schedule validate --file {path}`; serve it with `hmis-schedule serve --file {path}`."
    )


@cli.command()
@click.argument("path", metavar="[FILE]", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_file_option
@click.pass_context
def validate(ctx: click.Context, path: Path | None, fmt: str, file: Path | None) -> None:
    """Check a schedule file and report every problem with its field path.

    FILE defaults to --file or $HMIS_SCHEDULE. Exits with 1 if the file has problems.
    What a valid file leaves out that people will miss (no contact, no
    onboarding steps, no word on how online links arrive) is a warning on
    stderr (under "warnings" in JSON); the exit status stays 0.

    \b
    Example:
      hmis-schedule validate my-schedule.toml
    """
    target = _once(ctx, path, file, "FILE", "--file") or _named_file(ctx, None)
    if target is None:
        raise click.UsageError("name the file to check: hmis-schedule validate my-schedule.toml", ctx)
    try:
        schedule = load_schedule(target)
    except ScheduleError as err:
        if fmt == "json":
            problems = [{"field": p.field, "message": p.message} for p in err.problems]
            _print_json({"file": str(target), "valid": False, "problems": problems, "warnings": []})
            ctx.exit(1)
        raise
    advice = [{"field": w.field, "message": w.message} for w in warnings(schedule)]
    if fmt == "json":
        _print_json({"file": str(target), "valid": True, "problems": [], "warnings": advice})
        return
    for item in advice:
        click.echo(f"warning: {item['field']}: {item['message']}", err=True)
    counts = (
        (len(schedule.slots), "slot"),
        (len(schedule.closures), "closure"),
        (len(schedule.changes), "change"),
        (len(schedule.extras), "extra session"),
    )
    click.echo(f"{target} is valid: " + ", ".join(f"{n} {what}{'' if n == 1 else 's'}" for n, what in counts) + ".")


# -- editing commands ------------------------------------------------------------------


def _report(ctx: click.Context, outcome: editing.Outcome) -> None:
    click.echo(f"Preview: {outcome.summary}" if outcome.dry_run else outcome.summary)
    for note in outcome.notes:
        click.echo(f"  {note}")
    if outcome.changes:
        click.echo("Subscribers would see:" if outcome.dry_run else "Subscribers will see:")
        for change in outcome.changes:
            click.echo(f"  - {change.describe()}")
    if outcome.dry_run:
        what = "Run the command again without --dry-run to save it." if outcome.changed else ""
        click.echo(f"Nothing was written (--dry-run). {what}".rstrip())
        return
    if outcome.changed:
        click.echo(f"Saved {outcome.path} (the previous version is {outcome.path.name}.bak).")
    else:
        click.echo(f"{outcome.path} was not changed.")
    _publish(ctx, outcome.path, outcome.schedule)


def _recorded(ctx: click.Context, file: Path | None, schedule: Schedule) -> Published | None:
    """What publishing ``schedule`` now would record, from its state file, which is only read (look-ups write nothing).

    ``None`` without a state file, or if it cannot be read (the look-up then shows the computed values).
    """
    if not os.environ.get(STATE_FILE_ENV, "").strip() and _named_file(ctx, file) is None:
        return None
    try:
        on_file = load_state(_state_file(ctx, file)).published
    except (ScheduleError, OSError):
        return None
    return published_for(schedule, on_file, now=_now())


def _publish(ctx: click.Context, file: Path | None, schedule: Schedule) -> Published | None:
    """Record what the feeds of ``schedule`` publish in its state file; warn (never fail) if it cannot be saved.

    The built-in schedule without $HMIS_STATE_FILE has no state file: ``None``.
    """
    if not os.environ.get(STATE_FILE_ENV, "").strip() and _named_file(ctx, file) is None:
        return None
    target = _state_file(ctx, file)
    done = publish(target, schedule, now=_now())
    if done.error:
        click.echo(
            f"Warning: {done.error}.\n"
            "  The schedule itself is as shown above. Until the state file can be written, calendars may "
            "not take every change: make it (and its folder) writable and run the command again.",
            err=True,
        )
    return done.published


@cli.command()
@click.argument("day", metavar="DATE", callback=_date)
@click.option("--reason", required=True, help="Why, as subscribers will read it.")
@_edit_options
@_file_option
@click.pass_context
def close(
    ctx: click.Context, day: date, reason: str, allow_past: bool, allow_overlap: bool, dry_run: bool,
    file: Path | None,
) -> None:
    """Close the office on DATE: every session that day shows as cancelled with the reason.

    Closing a date that is closed already updates its reason.

    \b
    Examples:
      hmis-schedule close 2027-03-15 --reason "County floating holiday" --dry-run   # only show what changes
      hmis-schedule close 2027-03-15 --reason "County floating holiday" --file my-schedule.toml
    """
    path = _editable(ctx, file)
    options = _edit_kwargs(ctx, path, allow_past, allow_overlap, dry_run)
    _report(ctx, editing.close(path, day, reason=reason, now=_now(), **options))


@cli.command()
@click.argument("day", metavar="DATE", callback=_date)
@_edit_options
@_file_option
@click.pass_context
def reopen(
    ctx: click.Context, day: date, allow_past: bool, allow_overlap: bool, dry_run: bool, file: Path | None
) -> None:
    """Open the office again on DATE: remove its closure, or work on its public holiday.

    \b
    Example:
      hmis-schedule reopen 2027-03-15 --file my-schedule.toml
    """
    path = _editable(ctx, file)
    options = _edit_kwargs(ctx, path, allow_past, allow_overlap, dry_run)
    _report(ctx, editing.reopen(path, day, now=_now(), **options))


@cli.command()
@click.argument("slot")
@click.argument("day", metavar="DATE", callback=_date)
@click.option("--reason", required=True, help="Why, as subscribers will read it.")
@_edit_options
@_file_option
@click.pass_context
def cancel(
    ctx: click.Context, slot: str, day: date, reason: str, allow_past: bool, allow_overlap: bool, dry_run: bool,
    file: Path | None,
) -> None:
    """Cancel one session: SLOT (e.g. second-monday) on DATE. It stays in calendars, marked cancelled.

    \b
    Example:
      hmis-schedule cancel second-monday 2027-01-11 --reason "Trainer out" --file my-schedule.toml
    """
    path = _editable(ctx, file)
    options = _edit_kwargs(ctx, path, allow_past, allow_overlap, dry_run)
    _report(ctx, editing.cancel(path, slot, day, reason=reason, now=_now(), **options))


@cli.command()
@click.argument("slot")
@click.argument("day", metavar="DATE", callback=_date)
@_edit_options
@_file_option
@click.pass_context
def uncancel(
    ctx: click.Context, slot: str, day: date, allow_past: bool, allow_overlap: bool, dry_run: bool,
    file: Path | None,
) -> None:
    """Undo `cancel`: SLOT on DATE takes place as planned again.

    \b
    Example:
      hmis-schedule uncancel second-monday 2027-01-11 --file my-schedule.toml
    """
    path = _editable(ctx, file)
    options = _edit_kwargs(ctx, path, allow_past, allow_overlap, dry_run)
    _report(ctx, editing.uncancel(path, slot, day, now=_now(), **options))


@cli.command()
@click.argument("slot")
@click.argument("day", metavar="DATE", callback=_date)
@click.option("--to-date", **DATE, help="The new date.")
@click.option("--start", **TIME, help="The new start time.")
@click.option("--end", **TIME, help="The new end time.")
@click.option("--location", help="The new address (in person) or platform (online).")
@click.option("--room", help="The new room.")
@click.option("--modality", **MODALITY, help="Online or in person.")
@click.option("--notes", help="A note for attendees.")
@_edit_options
@_file_option
@click.pass_context
def move(
    ctx: click.Context, slot: str, day: date, to_date: date | None, start: time | None, end: time | None,
    location: str | None, room: str | None, modality: str | None, notes: str | None, allow_past: bool,
    allow_overlap: bool, dry_run: bool, file: Path | None,
) -> None:
    """Move one session, SLOT on DATE, to another date, time or place.

    DATE is the session's planned date (or the date it was moved to). Moving
    it again updates the same change. Give at least one of the options.

    \b
    Examples:
      hmis-schedule move second-monday 2027-02-08 --to-date 2027-02-09 --room "PSB 301" --file my-schedule.toml
      hmis-schedule move first-monday 2027-03-01 --start 10:00 --end 13:00 --file my-schedule.toml
    """
    if all(v is None for v in (to_date, start, end, location, room, modality, notes)):
        raise click.UsageError(
            "say what to change: --to-date, --start, --end, --location, --room, --modality or --notes", ctx
        )
    path = _editable(ctx, file)
    _report(
        ctx,
        editing.move(
            path, slot, day, to_date=to_date, start=start, end=end, location=location, room=room,
            modality=modality, notes=notes, now=_now(), **_edit_kwargs(ctx, path, allow_past, allow_overlap, dry_run),
        )
    )


@cli.command("add-session")
@click.argument("session_id", metavar="ID")
@click.argument("day", metavar="DATE", callback=_date)
@click.option("--start", **TIME, required=True, help="Start time.")
@click.option("--end", **TIME, required=True, help="End time.")
@click.option("--modality", **MODALITY, required=True, help="Online or in person.")
@click.option("--location", default="", help="The address (required in person) or platform (online).")
@click.option("--room", default="", help="The room.")
@click.option("--notes", default="", help="A note for attendees.")
@_edit_options
@_file_option
@click.pass_context
def add_session(
    ctx: click.Context, session_id: str, day: date, start: time, end: time, modality: str, location: str,
    room: str, notes: str, allow_past: bool, allow_overlap: bool, dry_run: bool, file: Path | None,
) -> None:
    """Add a session outside the monthly pattern, named ID (lowercase letters, digits, hyphens).

    \b
    Example:
      hmis-schedule add-session spanish-2027-01 2027-01-20 --start 09:00 --end 12:00 \\
          --modality online --location "Microsoft Teams" --notes "En español" --file my-schedule.toml
    """
    path = _editable(ctx, file)
    _report(
        ctx,
        editing.add_session(
            path, session_id, day, start=start, end=end, modality=modality,
            location=location, room=room, notes=notes, now=_now(),
            **_edit_kwargs(ctx, path, allow_past, allow_overlap, dry_run),
        )
    )


_EDITS = frozenset({"close", "reopen", "cancel", "uncancel", "move", "add-session", "revoke"})
"""The commands that change a file: their errors read "Not changed: ..." (:func:`hmis_schedule.edit.refusal`)."""


# -- publishing ----------------------------------------------------------------------


def _base_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """An absolute http(s) address without query, trailing slash removed (or empty)."""
    text = value.strip()
    if not text:
        return ""
    scheme, _, rest = text.partition("://")
    host = rest.split("/", 1)[0]
    if scheme not in ("http", "https") or not host or any(c in text for c in "?# "):
        raise click.BadParameter(
            f"expected an address such as https://hmis-training.example.org, got {value!r}", ctx, param
        )
    return text.rstrip("/")


@cli.command()
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--base-url", default="", callback=_base_url,
    help="The public address the folder will be served at, e.g. https://hmis-training.example.org.",
)
@_file_option
@click.pass_context
def export(ctx: click.Context, folder: Path, base_url: str, file: Path | None) -> None:
    """Write the calendar feeds, one calendar per session, sessions.json, sessions.csv and feed.atom to DIR.

    DIR is created if missing; files that did not change are left as they are.

    \b
    Example:
      hmis-schedule export site --base-url https://hmis-training.example.org
    """
    from .export import write_site  # imported when used: the server does not need it

    schedule = _schedule(ctx, file)
    published = _publish(ctx, file, schedule)
    done = write_site(schedule, folder, today=schedule.today(), base_url=base_url, published=published)
    click.echo(
        f"Wrote {_count(len(done.written), 'file')}, {len(done.unchanged)} unchanged, in {folder} "
        "(feeds, one calendar per session, sessions.json and sessions.csv, feed.atom)."
    )


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


GUNICORN_CONFIG = "python:hmis_schedule.web.gunicorn_config"
"""Gunicorn's settings, from the installed package (no private-feed token in its logs)."""
WSGI_APP = "hmis_schedule.web:app_from_environment()"
"""The app gunicorn serves: built from the environment by the installed package."""


def gunicorn_argv(*, host: str, port: int, workers: int) -> list[str]:
    """The command that serves the installed package's app with gunicorn and its settings, from any folder.

    >>> gunicorn_argv(host="127.0.0.1", port=8000, workers=2)[2:]  # doctest: +NORMALIZE_WHITESPACE
    ['gunicorn', '--config', 'python:hmis_schedule.web.gunicorn_config', '--bind', '127.0.0.1:8000',
     '--workers', '2', 'hmis_schedule.web:app_from_environment()']
    """
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return [
        sys.executable, "-m", "gunicorn", "--config", GUNICORN_CONFIG, "--bind", bind,
        "--workers", str(workers), WSGI_APP,
    ]


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="Gunicorn worker processes.")
@_file_option
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, file: Path | None) -> None:
    """Serve the schedule's pages and calendar feeds with gunicorn.

    The schedule file is checked first; the server reads it from $HMIS_SCHEDULE.

    \b
    Example:
      hmis-schedule serve --file my-schedule.toml --port 8000
    """
    path = _named_file(ctx, file)
    env = dict(os.environ)
    load_secrets(env)  # a bad key, join URL or secrets file stops here, before gunicorn starts
    if path is None:
        env.pop(FILE_ENV, None)
    else:
        load_schedule(path)
        env[FILE_ENV] = str(path.resolve())
    argv = gunicorn_argv(host=host, port=port, workers=workers)
    click.echo(f"Serving {path or 'the built-in schedule'} at http://{host}:{port}/ (Ctrl+C stops).", err=True)
    sys.stdout.flush()
    os.execvpe(argv[0], argv, env)


# -- private feed links -------------------------------------------------------------------


@cli.command("private-link")
@click.option("--label", required=True, help="Whom the link is for (a name or email address); `revoke` takes it.")
@click.option(
    "--expires", "days", type=click.IntRange(1, MAX_DAYS), default=DEFAULT_DAYS, show_default=True,
    metavar="DAYS", help="Days the link works.",
)
@click.option(
    "--base-url", default="", envvar="HMIS_BASE_URL", show_envvar=True, callback=_base_url,
    help="The server's public address, e.g. https://hmis-training.example.org.",
)
@click.option("--online", is_flag=True, help="Only online sessions (online.ics) instead of every session.")
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True, help="Language of the feed.")
@_file_option
@click.pass_context
def private_link(
    ctx: click.Context, label: str, days: int, base_url: str, online: bool, lang: str, file: Path | None
) -> None:
    """Print a private feed link whose online sessions carry the Teams join link.

    Send it to a new user once their LMS certificate arrives. The link is
    signed with HMIS_SECRET_KEY (the server's key: set the same one here),
    holds the label and the time it was made, and stops working after DAYS
    days or when the label is revoked. Only the link is printed on standard
    output, so scripts can capture it. The audit log beside the schedule's
    state file records who issued it, the label and the expiry (never the link).

    \b
    Examples:
      hmis-schedule private-link --label "alice@agency.example.org" --base-url https://hmis-training.example.org
      hmis-schedule private-link --label "Agency X - Alice" --expires 90 --online --lang es
    """
    if not base_url:
        raise click.UsageError(
            "give the server's public address: --base-url https://hmis-training.example.org "
            "(or set HMIS_BASE_URL)",
            ctx,
        )
    secrets = load_secrets(os.environ)
    if secrets.secret_key is None:
        _fail(
            f"private links need the server's secret key: set {SECRET_KEY_ENV} (or secret_key in the file "
            "named by HMIS_SECRETS_FILE) to the value the server has"
        )
    now = _now()
    log = _audit_file(ctx, file)
    if log is None:
        raise click.UsageError(
            f"name the schedule file (--file or ${FILE_ENV}) or set {STATE_FILE_ENV}: the audit log beside "
            "its state file records every private link issued",
            ctx,
        )
    token, _grant = issue_recorded(secrets.secret_key, label, days=days, now=now, actor=_actor(), audit_file=log)
    click.echo(base_url + private_path(token, "online" if online else "all", lang))
    until = now + timedelta(days=days)
    click.echo(
        f"Private feed for {label.strip()!r}, works until {until:%Y-%m-%d %H:%M} UTC ({days} days).\n"
        f"Turn it off with: hmis-schedule revoke {shlex.quote(label.strip())}",
        err=True,
    )
    if secrets.teams_url is None:
        click.echo(
            f"Note: {TEAMS_URL_ENV} is not set here; the server serves private feeds only when it has it.",
            err=True,
        )


def _audit_file(ctx: click.Context, file: Path | None) -> Path | None:
    """The audit log, beside the state file; ``None`` for the built-in schedule without $HMIS_STATE_FILE."""
    if not os.environ.get(STATE_FILE_ENV, "").strip() and _named_file(ctx, file) is None:
        return None
    return audit.audit_path(_state_file(ctx, file))


def _state_file(ctx: click.Context, file: Path | None) -> Path:
    value = os.environ.get(STATE_FILE_ENV, "").strip()
    if value:
        return Path(value)
    path = _named_file(ctx, file)
    if path is None:
        raise click.UsageError(
            f"name the schedule file (--file or ${FILE_ENV}): revoked links are kept beside it; "
            f"or set {STATE_FILE_ENV}",
            ctx,
        )
    return state_path(path)


@cli.command("revoke")
@click.argument("label")
@_file_option
@click.pass_context
def revoke_command(ctx: click.Context, label: str, file: Path | None) -> None:
    """Turn off every private link made for LABEL so far.

    LABEL is the --label given to private-link (upper and lower case are the
    same). The revocation is written to the schedule's state file
    (my-schedule.state.toml beside my-schedule.toml, or $HMIS_STATE_FILE); a
    running server follows it and refuses those links on every request that
    starts 2 seconds after this command returns.
    A link made for the same label afterwards works.

    \b
    Example:
      hmis-schedule revoke "alice@agency.example.org" --file my-schedule.toml
    """
    target = _state_file(ctx, file)
    done = revoke(target, label, now=_now(), actor=_actor(), audit_file=audit.audit_path(target))
    click.echo(
        f"Revoked every private link labelled {done.label!r} made up to "
        f"{done.at:%Y-%m-%d %H:%M:%S} UTC (saved in {target})."
    )


@cli.command("audit")
@click.option(
    "--count", type=click.IntRange(1, audit.MAX_COUNT), default=20, show_default=True,
    help="How many entries to show, newest first.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_file_option
@click.pass_context
def audit_command(ctx: click.Context, count: int, fmt: str, file: Path | None) -> None:
    """Show the audit log: who changed the schedule or issued or revoked a private link, when, and what.

    The log is my-schedule.audit.jsonl beside the schedule's state file (one
    JSON object per line); the newest entries are shown first.

    \b
    Examples:
      hmis-schedule audit --file my-schedule.toml
      hmis-schedule audit --count 100 --format json
    """
    log = _audit_file(ctx, file)
    if log is None:
        raise click.UsageError(f"name the schedule file (--file or ${FILE_ENV}) or set {STATE_FILE_ENV}", ctx)
    found = audit.read(log, count=count)
    for why in found.skipped:
        click.echo(f"Warning: {why}", err=True)
    if fmt == "json":
        _print_json({"file": str(log), "entries": audit.entries_as_data(found.entries)})
        return
    if not found.entries:
        click.echo(f"{log}: nothing recorded yet.")
        return
    for entry in found.entries:
        click.echo(f"{entry.at:%Y-%m-%d %H:%M:%S} UTC  {entry.actor}  {entry.action}: {entry.summary}")


# -- administrators of the admin pages ---------------------------------------------------------


@cli.group("admin")
def admin_group() -> None:
    """Keep the accounts of the admin pages (/admin): add, passwd, remove, list.

    Accounts live in the schedule's state file (my-schedule.state.toml beside
    my-schedule.toml, or $HMIS_STATE_FILE), never in the schedule file, with
    an argon2id hash of the password. The server reads them at each sign-in,
    so no restart is needed. The admin pages also need HMIS_SECRET_KEY.

    Passwords are never taken as arguments: each command asks twice, without
    echo. For scripts, --password-stdin reads it from the first line of
    standard input instead.
    """


def _password_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--password-stdin", is_flag=True,
        help="Read the password from the first line of standard input (for scripts) instead of asking twice.",
    )(command)  # fmt: skip


def _new_password(from_stdin: bool) -> str:
    """The new password: the first line of standard input, or asked twice on the terminal (never echoed)."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise click.UsageError("--password-stdin: standard input is empty; give the password on its first line")
        return line.rstrip("\r\n")
    answer: str = click.prompt(
        "Password (at least 12 characters)", hide_input=True, confirmation_prompt="Repeat the password",
        value_proc=_checked_password,
    )  # fmt: skip
    return answer


def _checked_password(value: str) -> str:
    """The password typed, if long enough; otherwise click says why and asks again."""
    try:
        return check_password(value)
    except ScheduleError as err:
        raise click.UsageError(err.message) from None


@admin_group.command("add", short_help="Add the administrator NAME, asking for the password twice.")
@click.argument("name")
@_password_option
@_file_option
@click.pass_context
def admin_add(ctx: click.Context, name: str, password_stdin: bool, file: Path | None) -> None:
    """Add the administrator NAME (letters, digits and . _ - @), asking for the password twice.

    \b
    Examples:
      hmis-schedule admin add alice --file my-schedule.toml
      printf '%s\\n' "$PASSWORD" | hmis-schedule admin add alice --password-stdin
    """
    target = _state_file(ctx, file)
    check_name(name)  # before asking for a password
    account = add_admin(
        target, name, _new_password(password_stdin), now=_now(), actor=_actor(), audit_file=audit.audit_path(target)
    )
    click.echo(f"Added the administrator {account.name!r} (saved in {target}).")
    click.echo("They sign in at /admin once the server has HMIS_SECRET_KEY.")


@admin_group.command("passwd")
@click.argument("name")
@_password_option
@_file_option
@click.pass_context
def admin_passwd(ctx: click.Context, name: str, password_stdin: bool, file: Path | None) -> None:
    """Give the administrator NAME a new password; every browser signed in as NAME is signed out.

    \b
    Example:
      hmis-schedule admin passwd alice --file my-schedule.toml
    """
    target = _state_file(ctx, file)
    load_state(target).admins.named(name)  # no such account: say so before asking for a password
    account = set_admin_password(
        target, name, _new_password(password_stdin), now=_now(), actor=_actor(), audit_file=audit.audit_path(target)
    )
    click.echo(f"Changed the password of {account.name!r}; every session of the account is signed out.")


@admin_group.command("remove")
@click.argument("name")
@_file_option
@click.pass_context
def admin_remove(ctx: click.Context, name: str, file: Path | None) -> None:
    """Remove the administrator NAME; every browser signed in as NAME is signed out.

    \b
    Example:
      hmis-schedule admin remove alice --file my-schedule.toml
    """
    target = _state_file(ctx, file)
    account = remove_admin(target, name, now=_now(), actor=_actor(), audit_file=audit.audit_path(target))
    left = len(load_state(target).admins)
    click.echo(f"Removed the administrator {account.name!r}; {left} account{'' if left == 1 else 's'} left.")
    if not left:
        click.echo("The admin pages are off until an account is added (hmis-schedule admin add NAME).")


@admin_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_file_option
@click.pass_context
def admin_list(ctx: click.Context, fmt: str, file: Path | None) -> None:
    """List the administrators: names, when each was added and how many sessions are signed in (never a hash).

    \b
    Example:
      hmis-schedule admin list --file my-schedule.toml
    """
    target = _state_file(ctx, file)
    accounts = list(load_state(target).admins)
    now = _now()
    rows = [(a.name, a.added.astimezone(UTC), sum(1 for s in a.sessions if s.live(now))) for a in accounts]
    if fmt == "json":
        _print_json([{"name": n, "added": added.isoformat(), "sessions": live} for n, added, live in rows])
        return
    if not rows:
        click.echo(f"No administrators in {target}: add one with `hmis-schedule admin add NAME`.")
        return
    lines = _table(
        [("Name", "Added (UTC)", "Signed in"), *((n, f"{added:%Y-%m-%d %H:%M}", str(live)) for n, added, live in rows)]
    )
    for line in lines:
        click.echo(line)


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``hmis-schedule`` (the console script) with ``argv`` (default: the command line)."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="hmis-schedule")
    except BrokenPipeError:  # `hmis-schedule list | head`: the reader left; stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
