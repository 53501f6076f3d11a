"""Served under a path prefix, every link and asset of every page carries it (:mod:`hmis_schedule.web.public`).

Four ways a deployment puts the app under ``/hmis``, as the README documents
them: ``HMIS_BASE_URL=https://example.org/hmis``; the WSGI server's
``SCRIPT_NAME``; a WSGI mount (Werkzeug's ``DispatcherMiddleware``); and a
proxy's ``X-Forwarded-Prefix`` believed with ``HMIS_TRUST_PROXY`` and
``HMIS_TRUST_PROXY_PREFIX``. For each, every ``href`` and ``src`` of ``/``,
``/?lang=es``, ``/embed``, ``/embed?lang=es`` and the error page is resolved
against the page's own address as a browser does (``urljoin``): a link to
the app's own host must be under ``/hmis/``, and so must the feed address
carried inside a calendar service's link (Google's ``cid``, Outlook's
``url``). Every same-host link then answers through the same deployment
(no 404 from a link that lost its prefix).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from support import FROZEN, Node, parse
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client
from werkzeug.wrappers import Response

from hmis_schedule import web

PREFIX = "/hmis"
PAGES = ["/", "/?lang=es", "/embed", "/embed?lang=es", "/no-such-page"]
OTHER_SITES = {
    "calendar.google.com",
    "outlook.live.com",
    "outlook.office.com",
    "www.google.com",
    "maps.google.com",
}
"""Hosts of calendar and map services a page links to; the feed address inside their links is checked."""


class Deployment:
    """An app under ``/hmis`` one way: how to GET a path through it, and the origin its links use."""

    def __init__(self, name: str, get: Callable[[str], Any], origin: str) -> None:
        self.name = name
        self.get = get
        self.origin = origin
        """The scheme and host the pages' own absolute links use."""

    def page_url(self, path: str) -> str:
        return self.origin + PREFIX + path


def app(**config: str) -> Any:
    return web.create_app({"NOW": lambda: FROZEN, "HMIS_BASE_URL": "", **config})


def base_url() -> Deployment:
    client = app(HMIS_BASE_URL="https://example.org/hmis").test_client()
    return Deployment("HMIS_BASE_URL", lambda path: client.get(path), "https://example.org")


def script_name() -> Deployment:
    client = app().test_client()
    # the test client sets SCRIPT_NAME from base_url's path, as a WSGI server mounted at /hmis does
    return Deployment(
        "SCRIPT_NAME", lambda path: client.get(path, base_url="http://localhost/hmis/"), "http://localhost"
    )


def mounted() -> Deployment:
    site = DispatcherMiddleware(Response("the county's own site"), {PREFIX: app()})
    client = Client(site)

    def get(path: str) -> Any:
        return client.get(PREFIX + path)

    return Deployment("DispatcherMiddleware", get, "http://localhost")


def forwarded() -> Deployment:
    client = app(HMIS_TRUST_PROXY="1", HMIS_TRUST_PROXY_PREFIX="1").test_client()
    headers = {"X-Forwarded-Prefix": PREFIX, "X-Forwarded-Host": "example.org", "X-Forwarded-Proto": "https"}
    return Deployment(
        "X-Forwarded-Prefix", lambda path: client.get(path, headers=headers), "https://example.org"
    )


DEPLOYMENTS = [base_url, script_name, mounted, forwarded]


@pytest.fixture(params=DEPLOYMENTS, ids=lambda make: make.__name__)
def deployment(request: pytest.FixtureRequest) -> Iterator[Deployment]:
    yield request.param()


def references(doc: Node) -> list[str]:
    """Every ``href`` and ``src`` in the page, and every URL in its JSON-LD."""
    found = [v for n in doc.iter() for a in ("href", "src") if (v := n.attrs.get(a)) is not None]
    for script in doc.iter("script"):
        if script.attrs.get("type") == "application/ld+json":
            found += urls_in(json.loads(script.text()))
    return found


def urls_in(data: object) -> list[str]:
    if isinstance(data, dict):
        return [u for v in data.values() for u in urls_in(v)]
    if isinstance(data, list):
        return [u for v in data for u in urls_in(v)]
    if isinstance(data, str) and data.startswith(("http://", "https://")):
        return [data]
    return []


def own_links(href: str, page_url: str, host: str) -> list[str]:
    """The addresses on the app's own host that ``href`` (resolved against ``page_url``) points at or carries."""
    if href.startswith(("mailto:", "tel:", "#")):  # another app, or a place in the page itself
        return []
    url = urljoin(page_url, href)
    parts = urlsplit(url)
    if parts.hostname == host:
        return [url]
    if parts.scheme == "webcal":
        return [url] if parts.hostname == host else []
    if parts.hostname in OTHER_SITES:
        query = parse_qs(parts.query)
        carried = [v for key in ("cid", "url") for v in query.get(key, [])]
        return [u for c in carried for u in own_links(c, page_url, host)]
    return []


def test_every_link_and_asset_of_every_page_carries_the_prefix(deployment: Deployment) -> None:
    host = urlsplit(deployment.origin).hostname or ""
    checked = 0
    for path in PAGES:
        response = deployment.get(path)
        assert response.status_code == (404 if path == "/no-such-page" else 200), (deployment.name, path)
        page_url = deployment.page_url(path)
        doc = parse(response.get_data(as_text=True))
        for href in references(doc):
            for url in own_links(href, page_url, host):
                target = urlsplit(url).path
                assert target == PREFIX or target.startswith(PREFIX + "/"), (deployment.name, path, href)
                checked += 1
    assert checked > 40  # stylesheet, icon, script, feeds, sessions, API, embed, language switch...


def test_every_own_link_answers_through_the_same_deployment(deployment: Deployment) -> None:
    host = urlsplit(deployment.origin).hostname or ""
    seen: set[str] = set()
    for path in ["/", "/embed", "/no-such-page"]:
        doc = parse(deployment.get(path).get_data(as_text=True))
        for href in references(doc):
            for url in own_links(href, deployment.page_url(path), host):
                parts = urlsplit(url)
                local = parts.path.removeprefix(PREFIX) or "/"
                seen.add(local + (f"?{parts.query}" if parts.query else ""))
    assert {"/", "/embed", "/calendar.ics", "/api/sessions.json", "/openapi.json"} <= {
        s.split("?")[0] for s in seen
    }
    assert any(s.startswith("/static/site.css") for s in seen)
    assert any(s.split("?")[0].endswith("/google") for s in seen)  # the sessions' Google Calendar redirects
    for local in sorted(seen):
        with deployment.get(local) as answer:  # a static file is streamed: close it
            if local.split("?")[0].endswith("/google"):  # a session's redirect to Google Calendar
                assert answer.status_code == 302, (deployment.name, local)
                target = urlsplit(answer.headers["Location"])
                assert target.hostname == "calendar.google.com"
                # the description it carries ends with the session's own page, under the prefix
                details = parse_qs(target.query)["details"][0]
                session_page = deployment.origin + PREFIX + local.split("?")[0].removesuffix("/google")
                assert details.splitlines()[-1] == session_page, (deployment.name, details)
                continue
            assert answer.status_code == 200, (deployment.name, local)


def test_the_stylesheet_and_script_are_root_relative_under_the_prefix(deployment: Deployment) -> None:
    """The page's own assets come from the page's own origin (its CSP allows ``'self'`` only)."""
    doc = parse(deployment.get("/").get_data(as_text=True))
    sheets = [n.attrs["href"] or "" for n in doc.iter("link") if n.attrs.get("rel") == "stylesheet"]
    scripts = [n.attrs["src"] or "" for n in doc.iter("script") if n.attrs.get("src")]
    assert sheets and scripts
    for ref in sheets + scripts:
        assert ref.startswith(PREFIX + "/static/"), (deployment.name, ref)
