"""Public addresses: one place for paths, ``?lang=`` on the server and ``es/`` in the static export."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import BASE

from hmis_schedule import LANGUAGES, ScheduleError, clackamas
from hmis_schedule.addresses import (
    FEED_FILES,
    FEED_PATHS,
    Addresses,
    FeedFilter,
    feed_filter,
    page_url,
    private_path,
    session_file,
    session_path,
)

uids = st.from_regex(r"[a-z][a-z0-9-]{0,20}-20[0-9]{6}@[a-z]{1,10}\.org", fullmatch=True)


@pytest.mark.parametrize("kind", list(FeedFilter))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_server_feed_addresses_put_the_language_in_the_query(kind: FeedFilter, lang: str) -> None:
    address = Addresses(BASE).feed(kind, lang)
    assert address.startswith(BASE + FEED_PATHS[kind])
    assert address.endswith("" if lang == "en" else "?lang=es")


@pytest.mark.parametrize("kind", list(FeedFilter))
def test_static_feed_addresses_are_the_export_files_under_a_language_folder(kind: FeedFilter) -> None:
    site = Addresses(BASE, static=True)
    assert site.feed(kind, "en") == f"{BASE}/{FEED_FILES[kind]}"
    assert site.feed(kind, "es") == f"{BASE}/es/{FEED_FILES[kind]}"


@given(uids, st.sampled_from(LANGUAGES))
def test_a_session_file_is_where_its_static_address_points(uid: str, lang: str) -> None:
    assert Addresses(BASE, static=True).session(uid, lang) == f"{BASE}/{session_file(uid, lang)}"
    server = Addresses(BASE).session(uid, lang)
    assert server.split("?")[0] == BASE + session_path(uid)


@pytest.mark.parametrize("uid", ["../etc/passwd", "a/b", ".hidden", "a\\b"])
def test_a_uid_that_is_no_file_name_is_refused_with_its_field(uid: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        session_file(uid)
    assert caught.value.field == "uid"


def test_private_feeds_exist_for_all_and_online_only() -> None:
    assert private_path("T", "online", "es") == "/private/T/online.ics?lang=es"
    with pytest.raises(ScheduleError) as caught:
        private_path("T", "in_person")
    assert caught.value.field == "filter" and list(caught.value.choices) == ["all", "online"]


def test_the_page_is_the_schedules_url_when_it_has_one() -> None:
    schedule = clackamas()
    assert page_url(schedule, BASE) == (schedule.url or BASE + "/")
    assert Addresses("").page(schedule) == (schedule.url or "")


def test_filters_read_as_in_urls_and_refuse_anything_else() -> None:
    assert feed_filter("in-person") is FeedFilter.IN_PERSON
    with pytest.raises(ScheduleError) as caught:
        feed_filter("hybrid")
    assert set(caught.value.choices) == {f.value for f in FeedFilter}
