"""The admin pages (``/admin``): sign-in, private links by form, schedule edits with a preview, the audit log.

Routes only check the form, call the library and render: accounts and
sessions are :mod:`hmis_schedule.accounts` and :mod:`hmis_schedule.state`'s,
links :mod:`hmis_schedule.access`'s, and signing in :mod:`.auth`'s.

**Off unless set up.** :func:`init_app` registers the pages only when the
schedule is a file (the built-in one stays read-only) and a secret key is
set (``HMIS_SECRET_KEY`` or the secrets file); otherwise every ``/admin``
address is an ordinary 404. While no account exists in the state file
(``hmis-schedule admin add NAME``), they answer 404 too; an account added
while the server runs works at once.

**Every request** is checked in this order: no account, 404; a POST without
a valid CSRF token (missing, wrong, another session's, expired), 403 and
nothing done; no signed-in session, the sign-in page (a GET is sent there
with 303) or 403 (a POST). Answers are ``no-store``; the middleware adds
``X-Robots-Tag: noindex``, ``Referrer-Policy: same-origin`` and keeps the
strict CSP and ``frame-ancestors 'none'`` (:mod:`.middleware`).

**Post/Redirect/Get.** A POST that changed something (sign-in, sign-out,
confirm, revoke) answers 303 to a GET page; what it did travels in the admin
session (Flask's signed cookie, :mod:`.auth`) as a one-time result that the
GET page shows and removes (:func:`_keep_result`, :func:`_take_result`), so
a reload or Back shows the page again and writes nothing. Issuing a private
link is the exception: its answer is the page itself (200, ``no-store``),
because the new link is a secret that must not be put in a URL, a cookie or
a log, and the pages keep no server-side store between requests; the form's
one-time ``form_id`` makes a resent form (reload, Back) issue no second link.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, abort, g, render_template, request, session
from flask_wtf.csrf import CSRFError

from hmis_schedule import values
from hmis_schedule.audit import MAX_COUNT as MAX_AUDIT
from hmis_schedule.audit import audit_path
from hmis_schedule.audit import read as read_audit
from hmis_schedule.edit import EditRefused, StaleEditRefused, refusal
from hmis_schedule.errors import ScheduleError
from hmis_schedule.facts import DEFAULT_LANGUAGE
from hmis_schedule.files import load_schedule
from hmis_schedule.invitation import invitation_mailto
from hmis_schedule.private import DEFAULT_DAYS, MAX_DAYS, Grant, check_label, load_secrets
from hmis_schedule.schedule import Schedule
from hmis_schedule.state import load_state, revoke
from hmis_schedule.values import whole_number
from hmis_schedule.window import add_months

from . import auth, errors, params, public, sources
from .admin_edits import EditRequest, FormError, apply, edit_request, session_of
from .settings import Settings
from .templating import gettext as _
from .templating import ngettext

__all__ = ["bp", "init_app"]

log = logging.getLogger("hmis_schedule.server")

bp = Blueprint("admin", __name__, url_prefix="/admin")

_OPEN = frozenset({"admin.sign_in", "admin.sign_in_form"})
"""The endpoints that need no signed-in session."""


def init_app(app: Flask, settings: Settings) -> bool:
    """Register the admin pages on ``app`` when they can be set up; whether they were.

    They need a schedule file (its state file holds the accounts) and a
    secret key (a key derived from it signs the session cookie).
    """
    schedule = settings.given.get("HMIS_SCHEDULE")
    state = sources.state_file(settings)
    try:
        key = load_secrets(settings.given).secret_key
    except ScheduleError:  # sources.init_app reported it already
        key = None
    if not isinstance(schedule, str | os.PathLike) or not str(schedule).strip() or state is None or key is None:
        return False
    auth.init_app(app, settings, key, state)
    app.register_blueprint(bp)
    log.info("admin pages are on at /admin for the accounts in %s", state)
    return True


# -- every request -------------------------------------------------------------------------


@bp.before_request
def _gate() -> Response | None:
    if not len(auth.auth().accounts.admins()):
        abort(404)
    g.lang = _lang()
    if request.method == "POST":
        auth.protect()
    if request.endpoint in _OPEN:
        return None
    g.admin = auth.current_admin()
    if g.admin is None:
        if request.method not in ("GET", "HEAD"):
            abort(403)
        return _redirect("admin.sign_in_form")
    return None


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(CSRFError)
def _csrf_refused(err: CSRFError) -> tuple[str, int]:
    return _refused("csrf")


@bp.errorhandler(403)
def _forbidden(err: Exception) -> tuple[str, int]:
    return _refused("sign-in")


@bp.errorhandler(OSError)
@bp.errorhandler(ScheduleError)
def _not_saved(err: Exception) -> tuple[str, int]:
    """A file the pages write (state file, schedule, audit log) could not be read or written: 503, never a 500."""
    errors.log_failure(f"{request.method} {request.path}", err)
    return _refused("storage", 503)


class _InvalidFile(Exception):
    """The schedule file as it is now is not a valid schedule (an edit by hand): the pages say what is wrong."""

    def __init__(self, err: ScheduleError) -> None:
        super().__init__(str(err))
        self.problems = tuple(str(problem) for problem in err.problems)


@bp.errorhandler(_InvalidFile)
def _invalid_file(err: _InvalidFile) -> tuple[str, int]:
    """The schedule file is not valid now: 503 naming its problems (the signed-in administrator fixes it)."""
    return _refused("invalid", 503, problems=err.problems)


def _refused(kind: str, status: int = 403, *, problems: tuple[str, ...] = ()) -> tuple[str, int]:
    """The refusal page: a form without a valid CSRF token (``csrf``), no signed-in session (``sign-in``), a file
    that could not be written (``storage``), a schedule file that is not valid (``invalid``, with its problems)."""
    if "lang" not in g:
        g.lang = _lang()
    page = render_template("admin/refused.html", lang=g.lang, kind=kind, admin=None, problems=problems)
    return page, status


def _lang() -> str:
    """The page's language: ``?lang=``, else the browser's, else English (a bad ``lang`` is English here)."""
    try:
        return params.negotiated_lang()
    except params.BadParameter:
        return DEFAULT_LANGUAGE


def _pages() -> list[tuple[str, str, str]]:
    """The admin pages in the menu: endpoint, name, what it is for (in the page's language)."""
    return [
        ("admin.home", _("Start"), _("what can be done here")),
        ("admin.sessions", _("Sessions"), _("close a day, cancel, move or change a session, add one; each with a preview")),
        ("admin.links", _("Private links"), _("make a new user's private calendar link, with the email to send; revoke links")),
        ("admin.audit_log", _("Audit log"), _("who changed what, and when")),
    ]  # fmt: skip


@bp.context_processor
def _menu() -> dict[str, Any]:
    pages = _pages()
    return {
        "admin_pages": [(endpoint, name) for endpoint, name, _about in pages],
        "admin_choices": [page for page in pages if page[0] != "admin.home"],
    }


def _redirect(endpoint: str, *, anchor: str = "", **values: Any) -> Response:
    """A 303 to another admin page, at ``anchor`` if given (root-relative: never built from the request's host)."""
    response = Response(status=303)
    response.headers["Location"] = public.link(endpoint, **values) + (f"#{anchor}" if anchor else "")
    return response


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(f"admin/{template}", lang=g.lang, admin=g.get("admin"), **context), status


# -- signing in and out -------------------------------------------------------------------


@bp.get("/sign-in")
def sign_in_form() -> Response | tuple[str, int]:
    """The sign-in form (a signed-in administrator goes to the start page)."""
    if auth.current_admin() is not None:
        return _redirect("admin.home")
    signed_out = request.args.get("signed-out") == "1"
    return _page("sign_in.html", notice=_("You are signed out.") if signed_out else None)


@bp.post("/sign-in")
def sign_in() -> Response | tuple[str, int]:
    """Check the name and password; the same answer whether the name exists or not."""
    name = request.form.get("name", "")
    result = auth.sign_in(name, request.form.get("password", ""))
    if result.account is not None:
        return _redirect("admin.home")
    if result.wait > 0:
        seconds = math.ceil(result.wait)
        text, status = _("Too many failed sign-ins. Wait %(time)s and try again.") % {"time": _duration(seconds)}, 429
    else:
        text, status = _("The name or the password is not right."), 200
    body, code = _page("sign_in.html", status, error=text, name=name[:64])
    response = Response(body, status=code, mimetype="text/html")
    if status == 429:
        response.headers["Retry-After"] = str(math.ceil(result.wait))
    return response


def _duration(seconds: int) -> str:
    """``30 seconds``, ``15 minutes``, in the page's language."""
    if seconds < 60:
        return ngettext("%(num)s second", "%(num)s seconds", seconds) % {"num": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(num)s minute", "%(num)s minutes", minutes) % {"num": minutes}


@bp.post("/sign-out")
def sign_out() -> Response:
    """End this session (a copy of the cookie stops working too)."""
    auth.sign_out()
    return _redirect("admin.sign_in_form", **{"signed-out": "1"})


@bp.get("")
def home() -> tuple[str, int]:
    """The start page: what can be done here."""
    loaded = sources.loaded()
    return _page("home.html", schedule=loaded.schedule, private_on=sources.private_feeds() is not None)


# -- private links --------------------------------------------------------------------------


_LINKS_SHOWN = 200
"""The most recent private links the page lists."""


_FORMS_KEPT = 10
"""The most link forms used recently whose ids the admin session remembers (a resent one makes no new link)."""


def _links_context(**extra: Any) -> dict[str, Any]:
    return {
        "private_on": sources.private_feeds() is not None,
        "form_id": secrets.token_urlsafe(12),
        "default_days": DEFAULT_DAYS,
        "max_days": MAX_DAYS,
        "issued_links": _issued_links(),
        "lms": _lms_name(),
        **extra,
    }


def _lms_name() -> str:
    """The schedule's learning system as its file names it in the page's language (``""`` if it names none)."""
    onboarding = sources.loaded().schedule.onboarding
    return onboarding.lms.get(g.lang) if onboarding is not None else ""


def _issued_links() -> list[dict[str, Any]]:
    """The links issued (newest first, at most :data:`_LINKS_SHOWN`), from the audit log, each with its state now.

    No token is kept anywhere: the log has the label, who issued it, when and until when.
    """
    try:
        entries = read_audit(_audit_file(), count=MAX_AUDIT).entries
        state = load_state(auth.auth().state)
    except (ScheduleError, OSError) as err:
        log.warning("admin pages: the links issued cannot be listed: %s", err)
        return []
    now = sources.settings().now(UTC)
    shown: list[dict[str, Any]] = []
    for entry in entries:
        if entry.action != "private-link" or entry.label is None or entry.expires is None:
            continue
        grant = Grant(label=entry.label, issued=entry.at, expires=entry.expires)
        status = "revoked" if state.is_revoked(grant) else "expired" if entry.expires <= now else "works"
        shown.append({"label": entry.label, "issued": entry.at, "expires": entry.expires, "by": entry.actor,
                      "status": status})  # fmt: skip
        if len(shown) >= _LINKS_SHOWN:
            break
    return shown


def _actor() -> str:
    """This administrator as the audit log names them."""
    return f"admin:{g.admin.name}"


def _audit_file() -> Path:
    """The audit log: beside the state file (:func:`hmis_schedule.audit.audit_path`)."""
    return audit_path(auth.auth().state)


@bp.get("/links")
def links() -> tuple[str, int]:
    """The private-link form (or how to turn private feeds on); after a revoke, once, what it turned off."""
    notice = None
    if _take_result("resent") is not None:
        notice = _("That form had made its link already, shown once and kept nowhere: no other link was made. "
                   "To make one, fill in the form again.")  # fmt: skip
    revoked = _take_result("revoked")
    if revoked is not None:
        notice = _(
            "Every link made for “%(label)s” up to now is turned off. "
            "Calendars that use them stop getting the join link within a few seconds."
        ) % {"label": revoked.get("label", "")}
    return _page("links.html", **_links_context(notice=notice))


@bp.post("/links")
def issue_link() -> Response | tuple[str, int]:
    """Issue a private link for the label given, for the days given; show it with a copy button and an email.

    The answer is the page itself (``no-store``): the link goes in no URL or cookie. A form sent again (its
    ``form_id`` is among the last :data:`_FORMS_KEPT` the session used: a reload, Back) makes no second
    link and is sent to the links page with a notice (303). A form without an id (a page from an older
    version) is not checked.
    """
    feeds = sources.private_feeds()
    if feeds is None:
        return _page("links.html", 409, **_links_context())
    label_text = request.form.get("label", "")
    days_text = request.form.get("days", "").strip()
    errors: dict[str, str] = {}
    try:
        label = check_label(label_text)
    except ScheduleError as err:
        errors["label"] = _("For whom: %(problem)s.") % {"problem": err.message}
    try:
        days = whole_number(int(days_text) if days_text.isdigit() else days_text, "days", minimum=1, maximum=MAX_DAYS)
    except ScheduleError:
        errors["days"] = _("Days: a whole number from 1 to %(most)s.") % {"most": MAX_DAYS}
    if errors:
        return _page("links.html", 400, **_links_context(errors=errors, label=label_text[:200], days=days_text[:10]))
    form_id = request.form.get("form_id", "")
    used = session.get("used_forms")
    used = [str(f) for f in used] if isinstance(used, list) else []
    if form_id in used:  # the form sent again (a reload of the answer, Back): the link was shown once, make no other
        _keep_result({"kind": "resent"})
        return _redirect("admin.links", anchor="issued-links")
    if form_id:
        session["used_forms"] = [*used, form_id[:32]][-_FORMS_KEPT:]
    now = sources.settings().now(UTC)
    token, grant = feeds.issue(label, days=days, now=now, actor=_actor(), audit_file=_audit_file())
    issued = _issued_link(grant.label, token, grant.expires, now)
    return _page("links.html", **_links_context(issued=issued))


@bp.post("/links/revoke")
def revoke_link() -> Response | tuple[str, int]:
    """Turn off every link issued so far for a label (the library's revoke; recorded in the audit log)."""
    label_text = request.form.get("label", "")
    try:
        label = check_label(label_text)
        done = revoke(auth.auth().state, label, now=sources.settings().now(UTC), actor=_actor(), audit_file=_audit_file())
    except ScheduleError as err:
        problem = _("Not revoked: %(problem)s.") % {"problem": err.message}
        return _page("links.html", 400, **_links_context(errors={"label": problem}))
    _keep_result({"kind": "revoked", "label": done.label})
    return _redirect("admin.links", anchor="issued-links")


def _issued_link(label: str, token: str, expires: datetime, now: datetime) -> dict[str, Any]:
    """What the page shows of a link just issued: the link, until when, and the email to send."""
    loaded = sources.loaded()
    link = public.addresses().private(token)
    return {
        "label": label,
        "url": link,
        "expires": expires,
        "mailto": invitation_mailto(loaded.schedule, label=label, link=link, expires=expires, now=now),
    }


# -- sessions: edits with a preview -------------------------------------------------------------

_MONTHS = 3
"""Months of sessions the list shows by default (``?months=`` 1 to 12)."""


def _schedule_file() -> Path:
    """The schedule file the server serves (``HMIS_SCHEDULE``), the one edits change."""
    return Path(str(sources.settings().given["HMIS_SCHEDULE"]))


def _current_schedule() -> Schedule:
    """The schedule as the file says now: read for each admin page, so an edit shows at once.

    Raises :class:`_InvalidFile` if the file is not a valid schedule (the server keeps serving the last good one).
    """
    try:
        return load_schedule(_schedule_file())
    except ScheduleError as err:
        raise _InvalidFile(err) from None


@bp.get("/sessions")
def sessions() -> tuple[str, int]:
    """The sessions of the next months, each with a link to its changes; forms to close a day and add a session."""
    months_text = request.args.get("months", str(_MONTHS))
    months = int(months_text) if months_text.isdigit() and 1 <= int(months_text) <= 12 else _MONTHS
    schedule = _current_schedule()
    today = schedule.today(sources.settings().now(schedule.zone))
    shown = schedule.sessions_between(today, add_months(today, months))
    return _page("sessions.html", schedule=schedule, sessions=shown, months=months, today=today)


@bp.get("/sessions/<slot>/<day>")
def session_actions(slot: str, day: str) -> tuple[str, int]:
    """One session's actions: cancel or uncancel it, close or reopen its day, move or change it."""
    schedule = _current_schedule()
    try:
        found = session_of(schedule, slot, values.day(day, "day"))
    except ScheduleError:
        abort(404)
    closed = any(c.date == found.day for c in schedule.closures)
    # `uncancel` undoes only a `cancel` (a change that cancels); a closure or holiday is undone by `reopen`.
    undoable = any(c.key == (found.slot_id, found.original_date) and c.cancel for c in schedule.changes)
    return _page("session.html", schedule=schedule, session=found, closed=closed, undoable=undoable)


def _edit_error(err: ScheduleError, request_form: dict[str, str] | None, status: int = 400) -> tuple[str, int]:
    """The preview page with the library's refusal and, where there is one, the override to confirm."""
    override = getattr(err, "override", None)
    todo = None
    if override == "allow_past":
        todo = _("To change it anyway, tick “Change the past” below and preview again.")
    elif override == "allow_overlap":
        todo = _("To make the change anyway, tick “Allow both at once” below and preview again.")
    message = err.text() if isinstance(err, FormError) else refusal(err, todo)
    return _page("preview.html", status, refused=message, override=override, form=request_form or {}, schedule=None)


def _preview(edit: EditRequest, *, stale: str | None = None) -> tuple[str, int]:
    """The preview page of ``edit`` on the file as it is now (``stale``: why the last confirm was refused)."""
    schedule = _current_schedule()
    now = sources.settings().now(UTC)
    try:
        outcome = apply(edit, _schedule_file(), schedule, now=now, dry_run=True)
    except ScheduleError as err:
        return _edit_error(err, edit.form(), 409 if isinstance(err, EditRefused) else 400)
    return _page("preview.html", 409 if stale else 200, outcome=outcome, form=edit.form(), schedule=schedule, stale=stale)


@bp.post("/preview")
def preview() -> tuple[str, int]:
    """What subscribers will see change if the edit the form asks for is made; nothing is written."""
    try:
        edit = edit_request(request.form)
    except ScheduleError as err:
        return _edit_error(err, None)
    return _preview(edit)


@bp.post("/confirm")
def confirm() -> Response | tuple[str, int]:
    """Make the edit previewed, on the file version the preview saw; a change in between is refused."""
    try:
        edit = edit_request(request.form)
    except ScheduleError as err:
        return _edit_error(err, None)
    schedule = _current_schedule()
    try:
        outcome = apply(
            edit, _schedule_file(), schedule, now=sources.settings().now(UTC), dry_run=False,
            expect_version=request.form.get("version", ""), actor=_actor(), audit_file=_audit_file(),
        )  # fmt: skip
    except StaleEditRefused as err:
        return _preview(edit, stale=refusal(err))
    except ScheduleError as err:
        return _edit_error(err, edit.form(), 409 if isinstance(err, EditRefused) else 400)
    described = [change.describe(g.lang) for change in outcome.changes]
    shown = _fit(described, _MOST_RESULT)
    _keep_result({"kind": "saved", "changed": outcome.changed, "summary": outcome.summary[:_MOST_SUMMARY],
                  "changes": shown, "more": len(described) - len(shown)})  # fmt: skip
    return _redirect("admin.done")


_MOST_SUMMARY = 600
_MOST_RESULT = 1200
"""The most characters of a confirmed edit's summary and of its changes kept in the session cookie (under 4 KB)."""


def _fit(texts: list[str], most: int) -> list[str]:
    """The first of ``texts`` whose lengths add up to at most ``most`` characters.

    >>> _fit(["abc", "de", "fgh"], 5)
    ['abc', 'de']
    """
    kept: list[str] = []
    for text in texts:
        most -= len(text)
        if most < 0:
            break
        kept.append(text)
    return kept


def _keep_result(result: dict[str, Any]) -> None:
    """Keep what a POST did in the admin session, for the one GET page it redirects to (no secret goes here)."""
    session["result"] = result


def _take_result(kind: str) -> dict[str, Any] | None:
    """What the last POST of ``kind`` did, once: removed from the session as it is read."""
    result = session.get("result")
    if not isinstance(result, dict) or result.get("kind") != kind:
        return None
    session.pop("result", None)
    return result


@bp.get("/done")
def done() -> Response | tuple[str, int]:
    """What the last confirmed edit did (once; a reload, or nothing to show, goes to the sessions)."""
    result = _take_result("saved")
    if result is None:
        return _redirect("admin.sessions")
    return _page("done.html", result=result)


# -- the audit log -------------------------------------------------------------------------------

_PER_PAGE = 50
"""Entries per page of the audit log."""


@bp.get("/audit")
def audit_log() -> tuple[str, int]:
    """The audit log, newest first, 50 entries a page (at most the newest 10,000)."""
    page_text = request.args.get("page", "1")
    page = int(page_text) if page_text.isdigit() and 1 <= int(page_text) <= MAX_AUDIT // _PER_PAGE else 1
    found = read_audit(_audit_file(), count=min(page * _PER_PAGE + 1, MAX_AUDIT))
    entries = found.entries[(page - 1) * _PER_PAGE : page * _PER_PAGE]
    more = len(found.entries) > page * _PER_PAGE
    rows = [
        {
            "entry": entry,
            "changes": [(_session_text(c.get("before")), _session_text(c.get("after"))) for c in entry.changes],
        }
        for entry in entries
    ]
    return _page("audit.html", rows=rows, page=page, more=more, skipped=found.skipped)


def _session_text(data: object) -> str:
    """A session of the audit log's plain data in one line, or ``-`` (absent).

    >>> _session_text({"start": "2027-03-15T09:00:00-07:00", "end": "2027-03-15T12:00:00-07:00",
    ...                "modality": "online", "location": "Microsoft Teams", "room": "", "notes": "",
    ...                "status": "cancelled", "reason": "Closed"})
    '2027-03-15 09:00-12:00, online, Microsoft Teams, cancelled: Closed'
    """
    if not isinstance(data, dict):
        return "-"
    start, end = str(data.get("start", "")), str(data.get("end", ""))
    parts = [f"{start[:10]} {start[11:16]}-{end[11:16]}", str(data.get("modality", "")).replace("_", " ")]
    parts += [str(data[k]) for k in ("location", "room") if data.get(k)]
    if data.get("notes"):
        parts.append(f"notes: {data['notes']}")
    status = str(data.get("status", ""))
    if status == "cancelled":
        parts.append(f"cancelled: {data.get('reason') or ''}".rstrip(": "))
    return ", ".join(parts)
