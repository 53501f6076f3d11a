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
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Flask, Response, abort, g, render_template, request
from flask_wtf.csrf import CSRFError

from hmis_schedule.errors import ScheduleError
from hmis_schedule.invitation import invitation_mailto
from hmis_schedule.private import DEFAULT_DAYS, MAX_DAYS, check_label, load_secrets
from hmis_schedule.values import whole_number

from . import auth, public, sources
from .settings import Settings

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
    if not isinstance(schedule, str) or not schedule.strip() or state is None or key is None:
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
    g.lang = "en"
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
    g.lang = "en"
    return render_template(
        "admin/refused.html", lang="en",
        title="This form cannot be used",
        message="It was not sent from this site's current page, or it is too old. Nothing was changed. "
        "Go back, reload the page and try again.",
    ), 403  # fmt: skip


@bp.errorhandler(403)
def _forbidden(err: Exception) -> tuple[str, int]:
    g.lang = "en"
    return render_template(
        "admin/refused.html", lang="en",
        title="Sign in first",
        message="Nothing was changed: this needs a signed-in administrator. Sign in and try again.",
    ), 403  # fmt: skip


_PAGES = (
    ("admin.home", "Start", "what can be done here"),
    ("admin.links", "Private links", "make a new user's private calendar link, with the email to send"),
)
"""The admin pages in the menu: endpoint, name, what it is for."""


@bp.context_processor
def _menu() -> dict[str, Any]:
    return {
        "admin_pages": [(endpoint, name) for endpoint, name, _ in _PAGES],
        "admin_choices": [page for page in _PAGES if page[0] != "admin.home"],
    }


def _redirect(endpoint: str, **values: Any) -> Response:
    """A 303 to another admin page (root-relative: never built from the request's host)."""
    response = Response(status=303)
    response.headers["Location"] = public.link(endpoint, **values)
    return response


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(f"admin/{template}", lang="en", admin=g.get("admin"), **context), status


# -- signing in and out -------------------------------------------------------------------


@bp.get("/sign-in")
def sign_in_form() -> Response | tuple[str, int]:
    """The sign-in form (a signed-in administrator goes to the start page)."""
    if auth.current_admin() is not None:
        return _redirect("admin.home")
    signed_out = request.args.get("signed-out") == "1"
    return _page("sign_in.html", notice="You are signed out." if signed_out else None)


@bp.post("/sign-in")
def sign_in() -> Response | tuple[str, int]:
    """Check the name and password; the same answer whether the name exists or not."""
    name = request.form.get("name", "")
    result = auth.sign_in(name, request.form.get("password", ""))
    if result.account is not None:
        return _redirect("admin.home")
    if result.wait > 0:
        seconds = math.ceil(result.wait)
        text, status = f"Too many failed sign-ins. Wait {_duration(seconds)} and try again.", 429
    else:
        text, status = "The name or the password is not right.", 200
    body, code = _page("sign_in.html", status, error=text, name=name[:64])
    response = Response(body, status=code, mimetype="text/html")
    if status == 429:
        response.headers["Retry-After"] = str(math.ceil(result.wait))
    return response


def _duration(seconds: int) -> str:
    """``30 seconds``, ``15 minutes``.

    >>> _duration(1), _duration(75), _duration(900)
    ('1 second', '2 minutes', '15 minutes')
    """
    if seconds < 60:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


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


def _links_context(**extra: Any) -> dict[str, Any]:
    return {
        "private_on": sources.private_feeds() is not None,
        "default_days": DEFAULT_DAYS,
        "max_days": MAX_DAYS,
        **extra,
    }


@bp.get("/links")
def links() -> tuple[str, int]:
    """The private-link form (or how to turn private feeds on)."""
    return _page("links.html", **_links_context())


@bp.post("/links")
def issue_link() -> tuple[str, int]:
    """Issue a private link for the label given, for the days given; show it with a copy button and an email."""
    feeds = sources.private_feeds()
    if feeds is None:
        return _page("links.html", 409, **_links_context())
    label_text = request.form.get("label", "")
    days_text = request.form.get("days", "").strip()
    errors: dict[str, str] = {}
    try:
        label = check_label(label_text)
    except ScheduleError as err:
        errors["label"] = f"Label: {err.message}."
    try:
        days = whole_number(int(days_text) if days_text.isdigit() else days_text, "days", minimum=1, maximum=MAX_DAYS)
    except ScheduleError:
        errors["days"] = f"Days: a whole number from 1 to {MAX_DAYS}."
    if errors:
        return _page("links.html", 400, **_links_context(errors=errors, label=label_text[:200], days=days_text[:10]))
    now = sources.settings().now(UTC)
    token = feeds.issue(label, days=days, now=now)
    issued = _issued_link(label, token, days, now)
    return _page("links.html", **_links_context(issued=issued))


def _issued_link(label: str, token: str, days: int, now: datetime) -> dict[str, Any]:
    """What the page shows of a link just issued: the link, until when, and the email to send."""
    loaded = sources.loaded()
    link = public.addresses().private(token)
    expires = now + timedelta(days=days)
    return {
        "label": label,
        "url": link,
        "expires": expires,
        "mailto": invitation_mailto(loaded.schedule, label=label, link=link, expires=expires, now=now),
    }
