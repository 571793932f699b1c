"""What a batch reads before it checks (store/batch.py), on the driver, in the caller's
transaction: the rows of the items its operations name, and the consents in effect on them."""

from __future__ import annotations

import builtins
import json
from collections.abc import Sequence
from typing import Any

from .. import consents as consent_rules
from . import bulk_pg
from . import consents as consents_sql
from .batch_rows import LOAD_COLUMNS, NARROW_COLUMNS
from .models import items

ConsentRows = dict[int, builtins.list[tuple[str, consent_rules.Given]]]


# The statements for the columns a batch loads (batch_rows), written once.
_SELECT = {
    columns: f"SELECT {', '.join(columns)} FROM items" for columns in (LOAD_COLUMNS, NARROW_COLUMNS)
}
_SELECT_ONE = {columns: f"{query} WHERE key_lower = ?" for columns, query in _SELECT.items()}


def item_rows(
    driver: Any, keys: set[str], columns: Sequence[str], *, sqlite: bool, many: int
) -> Sequence[Any]:
    """The `columns` of the items whose key_lower is in `keys`; from `many` keys up, one pass
    over the table when they name most items."""
    listed = list(keys)
    if not sqlite:
        return bulk_pg.load(driver, columns, listed)
    # SQLite: rows as plain tuples; times are stored as their canonical text already.
    named = tuple(columns)
    query = _SELECT.get(named) or f"SELECT {', '.join(named)} FROM items"
    rows: Sequence[Any]
    if len(listed) == 1:  # a single fire: its statement written once
        one = _SELECT_ONE.get(named) or f"{query} WHERE key_lower = ?"
        rows = driver.execute(one, listed).fetchall()
    elif names_most(driver, len(listed), many):
        # One pass over the table costs less than a lookup per key (100,000 keys of
        # 100,000 items: 0.17 s of CPU against 0.28). Keys are ASCII (fields.KEY).
        rows = [row for row in driver.execute(f"{query} ORDER BY id") if row[1].lower() in keys]
    else:
        rows = driver.execute(
            f"{query} WHERE key_lower IN (SELECT value FROM json_each(?)) ORDER BY id",
            (json.dumps(listed),),
        ).fetchall()
    return rows


def names_most(driver: Any, count: int, many: int) -> bool:
    """Whether `count` keys (from `many` up) are a quarter or more of the items."""
    if count < many:
        return False
    found: int = driver.execute("SELECT count(*) FROM items").fetchone()[0]
    return count * 4 >= found


def consent_rows(driver: Any, ids: Sequence[int], *, sqlite: bool) -> ConsentRows:
    """The consents in effect on the items `ids`, by item id: (trigger, consent) in the order
    they were given."""
    found: ConsentRows = {}
    for start in range(0, len(ids), 500):
        query = consents_sql.in_effect_query([items.c.id.in_(ids[start : start + 500])])
        for item_id, version, trigger, recorded, digest, *_ in read(driver, query, sqlite=sqlite):
            named = consent_rules.parse_consent(recorded)
            if named is not None:
                given = consent_rules.Given(named[0], named[1], digest, version)
                found.setdefault(item_id, []).append((trigger, given))
    return found


def read(driver: Any, query: Any, *, sqlite: bool) -> builtins.list[Sequence[Any]]:
    """The rows of a Core query (as tuples), on the driver, in the batch's transaction."""
    if sqlite:
        from sqlalchemy.dialects import sqlite as dialect
    else:
        from sqlalchemy.dialects import postgresql as dialect  # type: ignore[no-redef]
    compiled = query.compile(dialect=dialect.dialect(), compile_kwargs={"literal_binds": True})
    rows: builtins.list[Sequence[Any]] = driver.execute(str(compiled)).fetchall()
    return rows
