"""The party index files each party's items by key: item_parties gets the item's key_lower,
and the index (party, key_lower, item_id) replaces 0007's (party, item_id), its prefix but for
the key. `list --party P`, sorted by key as it is by default, then reads P's items in the
order it shows them, the item ids from the index alone: no sort of every match.

Derived data like items.key_lower: filled here from the items, for every row as it stands
(a row of an item that is not there, which verify names, gets ''); then NOT NULL. SQLite
cannot add a NOT NULL column without a default: Alembic's batch mode copies the table.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_item_parties_party_key_lower_item_id"
SUPERSEDED = "ix_item_parties_party_item_id"


def upgrade() -> None:
    op.drop_index(SUPERSEDED, table_name="item_parties")
    op.add_column("item_parties", sa.Column("key_lower", sa.String(64), nullable=True))
    op.execute(
        "UPDATE item_parties SET key_lower = coalesce("
        "(SELECT key_lower FROM items WHERE items.id = item_parties.item_id), '')"
    )
    with op.batch_alter_table("item_parties") as batch:
        batch.alter_column("key_lower", existing_type=sa.String(64), nullable=False)
    op.create_index(NAME, "item_parties", ["party", "key_lower", "item_id"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="item_parties")
    with op.batch_alter_table("item_parties") as batch:
        batch.drop_column("key_lower")
    op.create_index(SUPERSEDED, "item_parties", ["party", "item_id"])
