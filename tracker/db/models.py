"""SQLAlchemy 2 typed models: items and their append-only history.

Times are `UTCTime`: timestamptz on PostgreSQL; on SQLite the canonical fixed-width text
(`2026-01-30T09:00:00.000000Z`), which sorts as time does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
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
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
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


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ItemRow(Base):
    """An item as it stands now. `version` counts its history entries; `last_hash` heads
    its chain."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    key_lower: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(64), index=True)
    workflow: Mapped[str] = mapped_column(String(40))
    parties: Mapped[str] = mapped_column(String(400), default="")
    state: Mapped[str] = mapped_column(String(40), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCTime)
    updated_at: Mapped[datetime] = mapped_column(UTCTime)
    changed_at: Mapped[datetime] = mapped_column(UTCTime, index=True)
    version: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


class HistoryRow(Base):
    """One history entry. Never updated or deleted: database triggers refuse it."""

    __tablename__ = "history"
    __table_args__ = (
        UniqueConstraint("item_id", "version"),
        Index("ix_history_occurred_at", "occurred_at"),
        # as_of: each item's last entry on or before a date is one seek in this index.
        Index("ix_history_item_id_occurred_at_version", "item_id", "occurred_at", "version"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    version: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCTime)
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(String(64))
    # The item fields the entry records, as canonical JSON (tracker.db.chain): every field on
    # `create` and `seal`, {field: [old, new]} on `edit`; null on other entries.
    fields: Mapped[str | None] = mapped_column(Text)


items = cast(Table, ItemRow.__table__)
history = cast(Table, HistoryRow.__table__)


class ViewRow(Base):
    """A saved view: a named filter every user of the database sees."""

    __tablename__ = "views"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    # A JSON object: state, kind, party, text, as_of.
    filters: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCTime)
    created_by: Mapped[str] = mapped_column(String(200))


views = cast(Table, ViewRow.__table__)
