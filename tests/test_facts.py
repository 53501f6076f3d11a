"""The county's words in a schedule file: each new key read, checked with its field path, and written back."""

from __future__ import annotations

import pytest

from hmis_schedule import ScheduleError, clackamas, from_toml, to_toml
from hmis_schedule.files import builtin_text

BASE = builtin_text()


def _problems(text: str) -> dict[str, str]:
    with pytest.raises(ScheduleError) as caught:
        from_toml(text, source="s.toml")
    return {p.field: p.message for p in caught.value.problems}


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        ('lms = { en = "the county', 'lms_x = { en = "the county', "onboarding.lms_x", "unknown key"),
        ('lms = { en = "the county\'s Learning Management System (LMS)", es = "el Sistema de Gestión del '
         'Aprendizaje (LMS) del condado" }\n', "", "onboarding.feed_text", "names no lms"),
        ('email_step = {', 'lms_url = "not a url"\nemail_step = {', "onboarding.lms_url", "http or https URL"),
        ('  { title = { en = "Complete', '  { text = "no title" },\n  { title = { en = "Complete',
         "onboarding.steps[0].title", "is required"),
        ('  { title = { en = "Complete', '  "a plain string",\n  { title = { en = "Complete',
         "onboarding.steps[0]", "expected a table"),
        ('  { title = { en = "Complete', '  { title = "x", txt = "y" },\n  { title = { en = "Complete',
         "onboarding.steps[0].txt", "did you mean 'text'"),
        ('platform = "Microsoft Teams"', 'platform = { es = "Zoom" }', "online.platform.en", "English"),
        ('join = {', 'joins = "x"\njoin = {', "online.joins", "unknown key"),
        ('closed = { en', 'closed = { fr = "x", en', "holidays.closed.fr", "unknown language"),
        ('hmis_title = {', 'hmis_title = 3\nx_hmis_title = {', "contact.hmis_title", "expected text"),
    ],
)  # fmt: skip
def test_a_bad_word_key_is_reported_with_its_field_path(old: str, new: str, field: str, words: str) -> None:
    assert old in BASE
    problems = _problems(BASE.replace(old, new, 1))
    assert field in problems, problems
    assert words in problems[field], problems[field]


def test_facts_need_an_email_to_go_to() -> None:
    text = BASE.replace('[onboarding]\nemail = "hmisadmin@clackamas.us"\n', "[onboarding]\n", 1)
    assert _problems(text) == {"onboarding.email": "the facts are what a new user emails: say where, with email"}


def test_every_word_key_is_written_back() -> None:
    schedule = clackamas()
    again = from_toml(to_toml(schedule))
    assert again == schedule
    assert again.online is not None and str(again.online.platform) == "Microsoft Teams"
    assert again.onboarding is not None and len(again.onboarding.steps) == 2
    assert again.holidays is not None and again.holidays.closed.get("es") == "{holiday}: oficinas del condado cerradas"
    assert again.contact is not None and again.contact.hmis_title.get("es") == "Administrador de HMIS"


def test_an_onboarding_of_steps_only_reads_and_writes_back() -> None:
    text = BASE.split("[onboarding]")[0] + '[onboarding]\nsteps = [{ title = "Come" }]\n\n[[slots]]' + BASE.split("[[slots]]", 1)[1]
    schedule = from_toml(text)
    assert schedule.onboarding is not None and schedule.onboarding.email == "" and schedule.onboarding.facts == ()
    assert from_toml(to_toml(schedule)) == schedule
