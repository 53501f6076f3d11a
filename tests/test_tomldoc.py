"""Changing a TOML document without losing its comments (hmis_schedule.tomldoc).

The oracle for "the data is right" is ``tomllib`` reading the result; the
layout is compared as text, since keeping it is the point.
"""

from __future__ import annotations

import tomllib
from datetime import date
from textwrap import dedent

import pytest
import tomlkit

from hmis_schedule import tomldoc

CLOSURES = dedent(
    """\
    name = "Training"

    [[closures]]
    date = 2027-03-15
    reason = "First"
    # right under the first closure

    [[closures]]
    date = 2027-04-19
    reason = "Second"
    # right under the second closure

    # About the feed, before its section.
    [feed]
    url = ""
    """
)


def reasons(text: str) -> list[str]:
    return [c["reason"] for c in tomllib.loads(text).get("closures", [])]


def test_entries_are_in_file_order() -> None:
    doc = tomlkit.parse(CLOSURES)
    assert [e["reason"] for e in tomldoc.entries(doc, "closures")] == ["First", "Second"]
    with pytest.raises(KeyError):
        tomldoc.entries(doc, "changes")


def test_an_appended_entry_goes_between_the_last_ones_comment_and_the_next_section() -> None:
    doc = tomlkit.parse(CLOSURES)
    tomldoc.append_entry(doc, "closures", {"date": date(2027, 5, 31), "reason": "Third"})
    text = tomlkit.dumps(doc)
    assert reasons(text) == ["First", "Second", "Third"]
    assert tomllib.loads(text)["feed"] == {"url": ""}
    assert text == CLOSURES.replace(
        "# right under the second closure\n\n",
        '# right under the second closure\n\n[[closures]]\ndate = 2027-05-31\nreason = "Third"\n\n',
    )


def test_the_first_entry_of_a_new_array_goes_at_the_end_after_a_blank_line() -> None:
    doc = tomlkit.parse('name = "Training"\n')
    tomldoc.append_entry(doc, "changes", {"slot": "a", "date": date(2027, 1, 11)}, comment="# Added by a tool\n# two lines")
    assert tomlkit.dumps(doc) == (
        'name = "Training"\n\n[[changes]]\n# Added by a tool\n# two lines\nslot = "a"\ndate = 2027-01-11\n'
    )


def test_an_inline_array_gets_an_inline_entry_and_keeps_its_comment() -> None:
    doc = tomlkit.parse('closures = [{ reason = "First" }]  # inline\n')
    tomldoc.append_entry(doc, "closures", {"reason": "Second"}, comment="# not written inline")
    text = tomlkit.dumps(doc)
    assert reasons(text) == ["First", "Second"]
    assert text.endswith("]  # inline\n") and "[[closures]]" not in text and "not written" not in text


@pytest.mark.parametrize(
    ("index", "left", "comments_after"),
    [
        (0, ["Second"], "# right under the first closure\n\n[[closures]]"),
        (1, ["First"], "# right under the first closure\n\n# right under the second closure\n\n# About the feed"),
    ],
)
def test_removing_an_entry_keeps_the_comments_that_followed_it(index: int, left: list[str], comments_after: str) -> None:
    doc = tomlkit.parse(CLOSURES)
    tomldoc.remove_entry(doc, "closures", index)
    text = tomlkit.dumps(doc)
    assert reasons(text) == left
    assert comments_after in text
    assert text.endswith('# About the feed, before its section.\n[feed]\nurl = ""\n')


def test_removing_the_only_entry_removes_the_key_and_keeps_its_comments() -> None:
    doc = tomlkit.parse('name = "x"\n\n[[closures]]\nreason = "Only"\n# after it\n\n[feed]\nurl = ""\n')
    tomldoc.remove_entry(doc, "closures", 0)
    text = tomlkit.dumps(doc)
    assert tomllib.loads(text) == {"name": "x", "feed": {"url": ""}}
    assert "# after it" in text and text.index("# after it") < text.index("[feed]")


def test_removing_from_an_inline_array() -> None:
    doc = tomlkit.parse('closures = [{ reason = "A" }, { reason = "B" }]  # inline\n')
    tomldoc.remove_entry(doc, "closures", 0)
    assert reasons(tomlkit.dumps(doc)) == ["B"] and "# inline" in tomlkit.dumps(doc)


def test_set_key_changes_a_key_in_place_and_adds_one_before_trailing_comments() -> None:
    doc = tomlkit.parse(CLOSURES)
    first = tomldoc.entries(doc, "closures")[0]
    tomldoc.set_key(first, "reason", "Changed")
    tomldoc.set_key(first, "sequence", 2)
    text = tomlkit.dumps(doc)
    assert 'reason = "Changed"\nsequence = 2\n# right under the first closure\n' in text
    assert tomllib.loads(text)["closures"][0] == {"date": date(2027, 3, 15), "reason": "Changed", "sequence": 2}


def test_set_key_in_an_inline_table_and_the_document() -> None:
    doc = tomlkit.parse('closures = [{ reason = "A" }]\n# the end\n')
    tomldoc.set_key(tomldoc.entries(doc, "closures")[0], "sequence", 3)
    tomldoc.set_key(doc, "name", "x")
    text = tomlkit.dumps(doc)
    assert tomllib.loads(text) == {"closures": [{"reason": "A", "sequence": 3}], "name": "x"}
    assert text.endswith('name = "x"\n# the end\n')


def test_pop_tail_takes_only_what_follows_the_last_key() -> None:
    doc = tomlkit.parse(CLOSURES)
    second = tomldoc.entries(doc, "closures")[1]
    tail = tomldoc.pop_tail(second.value)
    assert "".join(item.as_string() for item in tail) == (
        "# right under the second closure\n\n# About the feed, before its section.\n"
    )
    assert tomldoc.pop_tail(second.value) == []
    assert tomllib.loads(tomlkit.dumps(doc)) == tomllib.loads(CLOSURES)


def test_a_new_table_keeps_the_order_of_its_data() -> None:
    table = tomldoc.new_table({"b": 1, "a": 2})
    assert list(table) == ["b", "a"]


def test_append_item_makes_the_array_then_appends_to_it() -> None:
    doc = tomlkit.parse('[holidays]\ncountry = "US"  # Oregon\n# trailing note\n')
    tomldoc.append_item(doc["holidays"], "exclude", date(2027, 1, 18))
    tomldoc.append_item(doc["holidays"], "exclude", date(2027, 2, 15))
    text = tomlkit.dumps(doc)
    assert tomllib.loads(text)["holidays"]["exclude"] == [date(2027, 1, 18), date(2027, 2, 15)]
    assert text.endswith("exclude = [2027-01-18, 2027-02-15]\n# trailing note\n")
