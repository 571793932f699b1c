"""SQL pieces shared by the service's reads and the write batch, per dialect."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import (
    String,
    any_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from ..records import Filter
from .engine import UNICODE_LOWER
from .models import item_parties, items


def time_text(column: Any, sqlite: bool) -> ColumnElement[str]:
    """A time column as the canonical text, computed by the database (fast for verify)."""
    if sqlite:
        return type_coerce(column, String)
    return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')


def key_sets(
    lowered: Sequence[str], sqlite: bool, name: str = "keys"
) -> Iterator[ColumnElement[bool]]:
    """Conditions selecting these keys, as one parameter `name` (much cheaper than 10,000
    bound values, which SQLAlchemy names and SQLite parses one by one): an array on
    PostgreSQL, a JSON array read by json_each on SQLite."""
    if not sqlite:
        from sqlalchemy.dialects.postgresql import ARRAY

        yield items.c.key_lower == any_(bindparam(name, list(lowered), type_=ARRAY(String)))
        return
    listed = func.json_each(bindparam(name, json.dumps(list(lowered)), type_=String))
    yield items.c.key_lower.in_(select(literal_column("value")).select_from(listed))


def item_where(
    where: Filter,
    sqlite: bool,
    keys: Sequence[str] | None = None,
    awaiting: Sequence[str] | None = None,
) -> list[ColumnElement[bool]]:
    """The conditions on `items` selecting what `where` matches (SPEC "Filters"), and only
    `keys` when given. The values are already checked and normalised by `Filter` (state and
    kind lower-case, party an upper-case code): each is compared exactly, on an indexed
    column where there is one; a party is one of the space-separated codes, never a LIKE
    pattern (the index item_parties); each text word is found in the key or the title.
    `where.pending` needs `awaiting`: the lower-cased keys of the items awaiting that party's
    consent (which the workflows decide: store/consents.py `awaiting`)."""
    found: list[ColumnElement[bool]] = []
    if where.pending is not None:
        if awaiting is None:
            raise ValueError("a pending filter needs the keys awaiting that party")
        found.extend(key_sets(awaiting, sqlite, "awaiting"))
    if where.state is not None:
        found.append(items.c.state == where.state)
    if where.kind is not None:
        found.append(items.c.kind == where.kind)
    if where.party is not None:
        listed = select(item_parties.c.item_id).where(item_parties.c.party == where.party)
        found.append(items.c.id.in_(listed))
    for word in where.text.lower().split() if where.text is not None else ():
        # SQLite's lower() folds ASCII only: a word in another script needs ours.
        lower = getattr(func, UNICODE_LOWER) if sqlite and not word.isascii() else func.lower
        found.append(
            or_(
                items.c.key_lower.contains(word, autoescape=True),
                lower(items.c.title).contains(word, autoescape=True),
            )
        )
    if keys is not None:
        found.append(items.c.key_lower.in_([k.lower() for k in keys]))
    return found
