"""Saved views: named filters shared by every user of a database. They are settings, not
history: they may be replaced and deleted."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import delete, insert, select, type_coerce, update
from sqlalchemy.types import String

from .. import dates, fields
from ..errors import Conflict, NotFound, UsageError
from ..records import FILTER_WORDS, Filter, View
from .database import Database
from .models import utc_time, views

_VIEW_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_VIEW_FILTERS = (*FILTER_WORDS, "as_of")

# created_at as stored: on SQLite a text that SQL may have set to anything (see `_view`).
_VIEW_ROWS = select(
    views.c.name,
    views.c.filters,
    type_coerce(views.c.created_at, String).label("created_at"),
    views.c.created_by,
)


def name_of(name: str) -> str:
    """A view name: a short word (a letter, then letters, digits, `_` or `-`; at most 32),
    lower-cased."""
    lowered = name.strip().lower()
    if not _VIEW_NAME.match(lowered):
        raise UsageError(
            f"bad view name {fields.printable(name)}: a short word of letters, digits, "
            "'_' or '-' (max 32)"
        )
    return lowered


def save(db: Database, saved: View, *, replace: bool) -> None:
    """Write `saved`; Conflict when its name is taken, unless `replace`."""
    data = saved.to_json()
    row = {
        "filters": json.dumps({k: data[k] for k in _VIEW_FILTERS}, ensure_ascii=False),
        "created_at": saved.created_at,
        "created_by": saved.created_by,
    }
    with db.session(write=True) as session:
        found = session.execute(select(views.c.id).where(views.c.name == saved.name)).scalar()
        if found is None:
            session.execute(insert(views).values(name=saved.name, **row))
        elif replace:
            session.execute(update(views).where(views.c.id == found).values(**row))
        else:
            raise Conflict(f"view {saved.name!r} already exists")


def every(db: Database) -> list[View]:
    """Every saved view, in the order they were created (see Tracker.views)."""
    with db.session() as session:
        rows = session.execute(_VIEW_ROWS.order_by(views.c.id))
        return [_view(row) for row in rows]


def one(db: Database, name: str) -> View:
    """One saved view by name (case-insensitive); NotFound, or UsageError for a broken one."""
    with db.session() as session:
        row = session.execute(_VIEW_ROWS.where(views.c.name == name.lower())).first()
    if row is None:
        raise NotFound(f"no view {name!r}")
    saved = _view(row)
    if saved.broken:
        raise UsageError(
            f"view {saved.name!r} cannot be used: {saved.broken} "
            "(save it again with --replace, or delete it)"
        )
    return saved


def remove(db: Database, name: str) -> None:
    """Delete a saved view; NotFound when there is none of that name."""
    with db.session(write=True) as session:
        found = session.execute(select(views.c.id).where(views.c.name == name.lower())).scalar()
        if found is None:
            raise NotFound(f"no view {name!r}")
        session.execute(delete(views).where(views.c.id == found))


def _view(row: Any) -> View:
    """A saved view from its row. Rows are written by `save`, but a row changed by SQL
    may hold anything: then the view comes back with its filters unset and `broken` saying
    why, never an exception (one bad row made `view list` fail, exit 1)."""
    try:
        data = json.loads(row.filters)
        if not isinstance(data, dict):
            raise ValueError("the filters are not a JSON object")
        for name, value in data.items():
            if name not in _VIEW_FILTERS or not (value is None or isinstance(value, str)):
                raise ValueError(f"bad filter {name!r}: {value!r}")
        where = Filter(**{name: data.get(name) for name in FILTER_WORDS})
        as_of = dates.parse_when(data["as_of"]) if data.get("as_of") else None
        created_at = utc_time(row.created_at)
    except (TypeError, ValueError, RecursionError, UsageError) as exc:
        return View(name=str(row.name), created_by=row.created_by, broken=str(exc)[:200])
    return View(
        name=row.name,
        filter=where,
        as_of=as_of,
        created_at=created_at,
        created_by=row.created_by,
    )
