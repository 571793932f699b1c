"""SQL pieces shared by the service's reads and the write batch, per dialect."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import String, any_, bindparam, func, literal_column, select, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from .models import items


def time_text(column: Any, sqlite: bool) -> ColumnElement[str]:
    """A time column as the canonical text, computed by the database (fast for verify)."""
    if sqlite:
        return type_coerce(column, String)
    return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')


def key_sets(lowered: list[str], sqlite: bool) -> Iterator[ColumnElement[bool]]:
    """Conditions selecting these keys, as one parameter (much cheaper than 10,000 bound
    values, which SQLAlchemy names and SQLite parses one by one): an array on PostgreSQL,
    a JSON array read by json_each on SQLite."""
    if not sqlite:
        from sqlalchemy.dialects.postgresql import ARRAY

        yield items.c.key_lower == any_(bindparam("keys", lowered, type_=ARRAY(String)))
        return
    listed = func.json_each(bindparam("keys", json.dumps(lowered), type_=String))
    yield items.c.key_lower.in_(select(literal_column("value")).select_from(listed))
