"""Change a TOML document with ``tomlkit`` without losing its comments or layout.

The edits of a schedule file (:mod:`hmis_schedule.edit`) add, change and
remove entries of arrays of tables (``[[closures]]``, ``[[changes]]``,
``[[extra_sessions]]``) and keys of tables. An administrator's comments stay
where they were: a comment right under an entry stays with that entry, and
the comments and blank lines before the next section stay before it. A file
that writes an array inline (``closures = [{ ... }]``) keeps it inline.

>>> import tomlkit
>>> doc = tomlkit.parse('[[closures]]\\ndate = 2027-03-15  # spring\\n\\n# Our own note.\\n')
>>> append_entry(doc, "closures", {"date": tomlkit.date("2027-04-19")})
>>> print(tomlkit.dumps(doc), end="")
[[closures]]
date = 2027-03-15  # spring
<BLANKLINE>
[[closures]]
date = 2027-04-19
<BLANKLINE>
# Our own note.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.items import AoT, Array, Comment, InlineTable, Item, Null, Table, Trivia, Whitespace
from tomlkit.toml_document import TOMLDocument

__all__ = [
    "MARK",
    "append_entry",
    "append_item",
    "entries",
    "new_table",
    "pop_tail",
    "remove_entry",
    "set_comment",
    "set_key",
]

MARK = "hmis-schedule"
"""How the comments the program writes on the entries it adds or changes begin (:func:`set_comment`)."""
_OLD_MARK = "Added by hmis-schedule"  # the two-line comment of earlier versions


def entries(doc: TOMLDocument, key: str) -> Any:
    """The array of tables (or inline array) under ``key``, in the order a reader of the file sees it.

    Entry ``i`` is the ``i``-th item the schedule read from the file, so an
    index found in the schedule finds its entry here.

    Parameters
    ----------
    doc:
        The document.
    key:
        A top-level key, such as ``"closures"``.

    Returns
    -------
    The tomlkit array (an ``AoT`` or an ``Array``); changing its entries changes the document.

    Raises
    ------
    KeyError
        If the document has no ``key``.

    >>> doc = tomlkit.parse('[[closures]]\\nreason = "First"\\n\\n[[closures]]\\nreason = "Second"\\n')
    >>> entries(doc, "closures")[1]["reason"]
    'Second'
    """
    return doc[key]


def pop_tail(container: Container) -> list[Item]:
    """Remove and return the comments and blank lines after the last key of ``container``.

    Parameters
    ----------
    container:
        A table's body (``table.value``) or a document.

    Returns
    -------
    The comment and whitespace items, in file order (empty if the last key ends the body).

    >>> doc = tomlkit.parse('a = 1\\n\\n# about b\\n')
    >>> [item.as_string() for item in pop_tail(doc)]
    ['\\n', '# about b\\n']
    >>> tomlkit.dumps(doc)
    'a = 1\\n'
    """
    body = container.body
    n = len(body)
    while n and body[n - 1][0] is None and isinstance(body[n - 1][1], Comment | Whitespace):
        n -= 1
    tail = [item for _, item in body[n:]]
    del body[n:]
    return tail


def set_key(table: Any, key: str, value: Any) -> None:
    """Set ``key`` in ``table``: an existing key in place, a new key after the last key, before trailing comments.

    Parameters
    ----------
    table:
        A table, an inline table, a document, or any other mapping tomlkit gave.
    key:
        The key.
    value:
        Its value (a Python value or a tomlkit item).

    >>> doc = tomlkit.parse('[[changes]]\\nslot = "a"\\n# the next change is ours\\n')
    >>> set_key(entries(doc, "changes")[0], "sequence", 2)
    >>> print(tomlkit.dumps(doc), end="")
    [[changes]]
    slot = "a"
    sequence = 2
    # the next change is ours
    """
    if isinstance(table, InlineTable) or key in table or not isinstance(table, Table | Container):
        table[key] = value
        return
    container = table.value if isinstance(table, Table) else table
    tail = pop_tail(container)
    table[key] = value
    for item in tail:
        container.add(item)


def new_table(data: Mapping[str, Any], comment: str | None = None) -> Table:
    """A new table holding ``data`` in its order, headed by ``comment``.

    Parameters
    ----------
    data:
        The keys and values.
    comment:
        Comment lines (each may start with ``"# "``) written under the table's
        header, before its keys.

    Returns
    -------
    A tomlkit table, to add to a document or an array of tables.

    >>> doc = tomlkit.document()
    >>> doc.add("extra", new_table({"id": "make-up"}, comment="# Added by hand"))
    {'extra': {'id': 'make-up'}}
    >>> print(tomlkit.dumps(doc), end="")
    [extra]
    # Added by hand
    id = "make-up"
    """
    table = tomlkit.table()
    if comment:
        for line in comment.splitlines():
            table.add(tomlkit.comment(line.removeprefix("# ")))
    for key, value in data.items():
        table.add(key, value)
    return table


def append_entry(doc: TOMLDocument, key: str, data: Mapping[str, Any], comment: str | None = None) -> None:
    """Append an entry holding ``data`` to the array under ``key``, in the style the file uses.

    A ``[[key]]`` table is appended after the last one: comments right under
    the last entry stay with it, and what comes before the next section stays
    before it. An inline array gets an inline table. A document without
    ``key`` gets a ``[[key]]`` table at its end, after a blank line.

    Parameters
    ----------
    doc:
        The document.
    key:
        A top-level key, such as ``"closures"``.
    data:
        The new entry's keys and values.
    comment:
        Comment lines for the new ``[[key]]`` table (not for an inline one).

    >>> doc = tomlkit.parse('closures = [{ reason = "First" }]  # inline\\n')
    >>> append_entry(doc, "closures", {"reason": "Second"})
    >>> print(tomlkit.dumps(doc), end="")
    closures = [{ reason = "First" }, {reason = "Second"}]  # inline
    """
    if key not in doc:
        if not tomlkit.dumps(doc).endswith("\n\n"):
            doc.add(tomlkit.nl())
        aot = tomlkit.aot()
        aot.append(new_table(data, comment))
        doc.add(key, aot)
        return
    array = entries(doc, key)
    if isinstance(array, Array):
        inline = tomlkit.inline_table()
        inline.update(data)
        array.append(inline)
        return
    table = new_table(data, comment)
    if isinstance(array, AoT) and len(array):
        last = array[-1]
        tail = pop_tail(last.value)
        split = next((i for i, item in enumerate(tail) if isinstance(item, Whitespace)), len(tail))
        for item in tail[:split]:  # comments right under the last entry stay with it
            last.value.add(item)
        last.value.add(tomlkit.nl())
        array.append(table)
        for item in tail[split:]:  # what comes before the next section stays before it
            table.value.add(item)
        return
    array.append(table)


def remove_entry(doc: TOMLDocument, key: str, index: int) -> None:
    """Remove entry ``index`` of the array under ``key``, keeping the comments that follow it.

    Removing the only ``[[key]]`` table removes ``key`` from the document;
    the comments that followed the table stay where it was.

    Parameters
    ----------
    doc:
        The document.
    key:
        A top-level key, such as ``"closures"``.
    index:
        The entry's position (as :func:`entries` counts).

    Raises
    ------
    KeyError, IndexError
        If there is no such key or entry.

    >>> doc = tomlkit.parse('[[closures]]\\nreason = "First"\\n\\n# before the second\\n[[closures]]\\nreason = "Second"\\n')
    >>> remove_entry(doc, "closures", 0)
    >>> print(tomlkit.dumps(doc), end="")
    <BLANKLINE>
    # before the second
    [[closures]]
    reason = "Second"
    """
    array = entries(doc, key)
    if isinstance(array, Array):
        del array[index]
        return
    victim = array[index]
    tail = pop_tail(victim.value)
    text = "".join(item.as_string() for item in tail)
    if index > 0:
        for item in tail:
            array[index - 1].value.add(item)
        del array[index]
    elif len(array) > 1:
        following = array[1]
        following.trivia.indent = text + following.trivia.indent
        del array[index]
    else:
        position = next(i for i, (_, item) in enumerate(doc.body) if item is array)
        doc.remove(key)
        if text.strip():
            doc.body[position] = (None, Comment(Trivia(indent="", comment_ws="", comment=text.rstrip("\n"), trail="\n")))


def append_item(table: Any, key: str, value: Any) -> None:
    """Append ``value`` to the array under ``key`` in ``table``, making the array if there is none.

    Parameters
    ----------
    table:
        A table (or document).
    key:
        The array's key, such as ``"exclude"``.
    value:
        The item to append.

    >>> doc = tomlkit.parse('[holidays]\\ncountry = "US"\\n')
    >>> append_item(doc["holidays"], "exclude", tomlkit.date("2027-01-18"))
    >>> append_item(doc["holidays"], "exclude", tomlkit.date("2027-02-15"))
    >>> print(tomlkit.dumps(doc), end="")
    [holidays]
    country = "US"
    exclude = [2027-01-18, 2027-02-15]
    """
    if key in table:
        table[key].append(value)
        return
    array = tomlkit.array()
    array.append(value)
    set_key(table, key, array)


def set_comment(table: Any, comment: str) -> None:
    """Head the table ``table`` with the one-line ``comment`` (starting with :data:`MARK`), replacing the program's own.

    A comment the program wrote before (its first line starts with
    :data:`MARK`, or with the older "Added by hmis-schedule" and then its
    second line) is replaced; comments a person wrote stay, under the new one.
    An inline table gets nothing (TOML has no comments inside one).

    Parameters
    ----------
    table:
        An entry of an array of tables, such as ``entries(doc, "changes")[0]``.
    comment:
        One line, such as ``"# hmis-schedule cancel: ..."``.

    >>> doc = tomlkit.parse('[[changes]]\\n# Agreed with the trainer\\nslot = "a"\\n')
    >>> set_comment(entries(doc, "changes")[0], "# hmis-schedule cancel: cancelled")
    >>> set_comment(entries(doc, "changes")[0], "# hmis-schedule uncancel: as planned again")
    >>> print(tomlkit.dumps(doc), end="")
    [[changes]]
    # hmis-schedule uncancel: as planned again
    # Agreed with the trainer
    slot = "a"
    """
    if not isinstance(table, Table):
        return
    text = comment.strip().removeprefix("#").strip()
    new = Comment(Trivia(indent="", comment_ws="", comment=f"# {text}", trail="\n"))
    body = table.value.body
    if body and not isinstance(body[0][1], Whitespace) and body[0][1].trivia.indent.startswith(f"# {MARK}"):
        first = body[0][1]  # ours, put before the first item earlier in this edit
        first.trivia.indent = f"# {text}\n" + first.trivia.indent.split("\n", 1)[1]
        return
    for i, (key, item) in enumerate(body):
        if key is not None or not isinstance(item, Comment):
            break
        line = item.as_string().strip().removeprefix("#").strip()
        if line.startswith(MARK) or line.startswith(_OLD_MARK):
            body[i] = (None, new)
            if line.startswith(_OLD_MARK) and i + 1 < len(body) and isinstance(body[i + 1][1], Comment):
                body[i + 1] = (None, Null())
            return
    if body and body[0][0] is None and isinstance(body[0][1], Whitespace):
        body[0] = (None, Comment(Trivia(indent="", comment_ws="", comment=f"# {text}", trail="\n" + body[0][1].s)))
    elif body:
        first = body[0][1]
        first.trivia.indent = f"# {text}\n" + first.trivia.indent
    else:
        table.value.add(new)
