"""Items and their append-only history.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tracker.store.models import BigId, UTCTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_APPEND_ONLY = [
    """CREATE TRIGGER history_append_only_update BEFORE UPDATE ON history
       BEGIN SELECT RAISE(ABORT, 'history is append-only: entries cannot be updated'); END""",
    """CREATE TRIGGER history_append_only_delete BEFORE DELETE ON history
       BEGIN SELECT RAISE(ABORT, 'history is append-only: entries cannot be deleted'); END""",
]
POSTGRES_APPEND_ONLY = [
    """CREATE FUNCTION tracker_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'history is append-only: entries cannot be %', lower(TG_OP)
           USING ERRCODE = 'insufficient_privilege';
       END $$""",
    """CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history
       FOR EACH ROW EXECUTE FUNCTION tracker_history_append_only()""",
    """CREATE TRIGGER history_append_only_truncate BEFORE TRUNCATE ON history
       FOR EACH STATEMENT EXECUTE FUNCTION tracker_history_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", BigId, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("key_lower", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("workflow", sa.String(length=40), nullable=False),
        sa.Column("parties", sa.String(length=400), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", UTCTime(), nullable=False),
        sa.Column("updated_at", UTCTime(), nullable=False),
        sa.Column("changed_at", UTCTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint("key_lower", name=op.f("uq_items_key_lower")),
    )
    op.create_index(op.f("ix_items_kind"), "items", ["kind"])
    op.create_index(op.f("ix_items_state"), "items", ["state"])
    op.create_index(op.f("ix_items_changed_at"), "items", ["changed_at"])
    op.create_table(
        "history",
        sa.Column("id", BigId, nullable=False),
        sa.Column("item_id", BigId, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=40), nullable=False),
        sa.Column("from_state", sa.String(length=40), nullable=True),
        sa.Column("to_state", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", UTCTime(), nullable=False),
        sa.Column("recorded_at", UTCTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_history_item_id_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history")),
        sa.UniqueConstraint("item_id", "version", name=op.f("uq_history_item_id_version")),
    )
    op.create_index("ix_history_occurred_at", "history", ["occurred_at"])
    dialect = op.get_bind().dialect.name
    for statement in POSTGRES_APPEND_ONLY if dialect == "postgresql" else SQLITE_APPEND_ONLY:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER history_append_only_truncate ON history")
        op.execute("DROP TRIGGER history_append_only ON history")
        op.execute("DROP FUNCTION tracker_history_append_only()")
    op.drop_index("ix_history_occurred_at", table_name="history")
    op.drop_table("history")
    op.drop_index(op.f("ix_items_changed_at"), table_name="items")
    op.drop_index(op.f("ix_items_state"), table_name="items")
    op.drop_index(op.f("ix_items_kind"), table_name="items")
    op.drop_table("items")
