"""The parties of each item as rows (item_id, position, party) with an index on party: a filter
by party (`list --party X`) reads the index instead of scanning every item's parties text.

Derived data like key_lower: the writers keep it exact with `items.parties` (store/batch.py,
import), and verify checks it. Filled here from each item's parties as stored: the codes
between single spaces, in order.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_item_parties_party_item_id"


def upgrade() -> None:
    table = op.create_table(
        "item_parties",
        sa.Column(
            "item_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey("items.id", name="fk_item_parties_item_id_items"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("party", sa.String(400), nullable=False),
        sa.PrimaryKeyConstraint("item_id", "position", name="pk_item_parties"),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            "INSERT INTO item_parties (item_id, position, party) "
            "SELECT items.id, t.n - 1, t.party FROM items, "
            "unnest(string_to_array(items.parties, ' ')) WITH ORDINALITY AS t(party, n) "
            "WHERE items.parties <> ''"
        )
    else:
        rows = bind.execute(sa.text("SELECT id, parties FROM items")).all()
        written = [
            {"item_id": item_id, "position": n, "party": party}
            for item_id, parties in rows
            for n, party in enumerate(parties.split(" ") if parties else [])
        ]
        if written:
            op.bulk_insert(table, written)
    op.create_index(INDEX, "item_parties", ["party", "item_id"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="item_parties")
    op.drop_table("item_parties")
