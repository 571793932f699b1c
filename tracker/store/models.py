"""SQLAlchemy 2 typed models: items and their append-only history.

Times are `UTCTime`: timestamptz on PostgreSQL; on SQLite the canonical fixed-width text
(`2026-01-30T09:00:00.000000Z`), which sorts as time does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal_column,
    text,
)
from sqlalchemy.sql.expression import ColumnElement, FromClause
from sqlalchemy.types import TypeDecorator, TypeEngine

from ..dates import iso

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCTime(TypeDecorator[datetime]):
    """An aware UTC datetime in Python, whatever the database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(27))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return value if isinstance(value, str) else iso(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return utc_time(value)


def utc_time(value: Any) -> datetime | None:
    """A stored time (SQLite: its text; PostgreSQL: a datetime) as an aware UTC datetime.
    ValueError for a text that is not ISO 8601 (only SQL written around the tracker)."""
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    moment: datetime = value
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


# SQLite only makes a rowid alias of INTEGER PRIMARY KEY, so BIGINT is INTEGER there.
BigId = BigInteger().with_variant(Integer(), "sqlite")


# The tables as SQLAlchemy Core (no ORM: importing sqlalchemy.orm would cost every
# `tracker fire` process about a fifth of its start-up; nothing maps rows to objects).
metadata = MetaData(naming_convention=NAMING)

# An item as it stands now. `version` counts its history entries; `last_hash` heads its chain.
items = Table(
    "items",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("key", String(64), nullable=False),
    Column("key_lower", String(64), nullable=False, unique=True),
    Column("title", String(500), nullable=False),
    Column("kind", String(64), nullable=False, index=True),
    Column("workflow", String(40), nullable=False),
    Column("parties", String(400), nullable=False, default=""),
    Column("state", String(40), nullable=False, index=True),
    Column("description", Text, nullable=False, default=""),
    Column("created_at", UTCTime, nullable=False),
    Column("updated_at", UTCTime, nullable=False),
    Column("changed_at", UTCTime, nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("last_hash", String(64), nullable=False),
)

# Each item's parties, one row each in the order of `items.parties` (a filter by party reads
# the index on party, not every item's parties text), with the item's key_lower: the index
# files a party's items by key, so `list --party P` reads them in the order it shows them
# (store/queries.py `list_query`). Derived data like items.key_lower: written with the items
# (store/batch_write.py, import), filled by migrations 0007 and 0009, checked by verify.
item_parties = Table(
    "item_parties",
    metadata,
    Column("item_id", ForeignKey("items.id"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("party", String(400), nullable=False),
    Column("key_lower", String(64), nullable=False),
    Index("ix_item_parties_party_key_lower_item_id", "party", "key_lower", "item_id"),
)

# The consent entries (SPEC "Approvals"): a partial index holds only these, so `pending` reads
# them and not every entry. A query uses it when it says this very condition: consent_entries().
CONSENT_TRIGGERS = ("approve", "withdraw")
CONSENT_ENTRIES = "\"trigger\" IN ('approve', 'withdraw')"

# One history entry. Never updated or deleted: database triggers refuse it.
history = Table(
    "history",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("item_id", ForeignKey("items.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("trigger", String(40), nullable=False),
    Column("from_state", String(40), nullable=True),
    Column("to_state", String(40), nullable=False),
    Column("occurred_at", UTCTime, nullable=False),
    Column("recorded_at", UTCTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("reason", Text, nullable=True),
    Column("source", Text, nullable=True),
    Column("hash", String(64), nullable=False),
    # The item fields the entry records, as canonical JSON (tracker.chain): every field on
    # `create` and `seal`, {field: [old, new]} on `edit`; null on other entries.
    Column("fields", Text, nullable=True),
    UniqueConstraint("item_id", "version"),
    Index("ix_history_occurred_at", "occurred_at"),
    # as_of: each item's last entry on or before a date, its state, version and time, is one
    # seek in this index, which covers them (no read of the entry's row; migration 0008).
    Index(
        "ix_history_item_id_occurred_at_version_to_state",
        "item_id",
        "occurred_at",
        "version",
        "to_state",
    ),
    # ix_history_consents: see schema().
)


def schema() -> MetaData:
    """The whole schema, for the migrations and their checks (Alembic's autogenerate,
    pytest-alembic): the tables above and the partial index ix_history_consents (migration
    0006). The index is added here, on first call, not with the tables: its WHERE is a dialect
    option for SQLite and for PostgreSQL, and declaring one imports SQLAlchemy's PostgreSQL
    dialect, a tenth of a `tracker fire` process on SQLite that nothing else there needs."""
    if "ix_history_consents" not in {index.name for index in history.indexes}:
        Index(
            "ix_history_consents",
            history.c.item_id,
            history.c.version,
            sqlite_where=text(CONSENT_ENTRIES),
            postgresql_where=text(CONSENT_ENTRIES),
        )
    return metadata


def consent_entries(table: FromClause = history) -> ColumnElement[bool]:
    """`table` (history or an alias of it) restricted to the consent entries, in the words of
    the partial index ix_history_consents, the trigger names as SQL literals: SQLite uses a
    partial index only for a query that states its condition, and a bound parameter does not
    (it scanned the whole history)."""
    return table.c.trigger.in_([literal_column(f"'{name}'") for name in CONSENT_TRIGGERS])


# A saved view: a named filter every user of the database sees.
views = Table(
    "views",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    # A JSON object: state, kind, party, text, as_of.
    Column("filters", Text, nullable=False),
    Column("created_at", UTCTime, nullable=False),
    Column("created_by", String(200), nullable=False),
)
