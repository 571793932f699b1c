"""An index for as-of reads: each item's last entry on or before a date is one index seek
(history by item, effective date, version) instead of a scan of all history.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_history_item_id_occurred_at_version"


def upgrade() -> None:
    op.create_index(NAME, "history", ["item_id", "occurred_at", "version"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="history")
