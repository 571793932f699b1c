"""A covering index for as-of reads: each item's last entry on or before a date, and the
state, version and time it gives, from one index seek (history by item, effective date,
version, with the target state) without reading the entry's row. It supersedes 0004's index
(item, effective date, version), its prefix, which every query using that one can use.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_history_item_id_occurred_at_version_to_state"
SUPERSEDED = "ix_history_item_id_occurred_at_version"


def upgrade() -> None:
    op.create_index(NAME, "history", ["item_id", "occurred_at", "version", "to_state"])
    op.drop_index(SUPERSEDED, table_name="history")


def downgrade() -> None:
    op.create_index(SUPERSEDED, "history", ["item_id", "occurred_at", "version"])
    op.drop_index(NAME, table_name="history")
