"""Every item field under the hash chain: `history.fields` holds the item fields an entry
records (canonical JSON, tracker.chain). Entries written before have none, and their hashes
stay valid (their canonical form is unchanged when the column is null); so that from now on
every field of every item is covered, each existing item gets one `seal` entry, chained like
any other, recording its fields as they stand. Also: the PostgreSQL append-only trigger says
"cannot be updated" (was "cannot be update").

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from tracker.chain import entry_hash, item_fields_text

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEAL_REASON = (
    "item fields recorded by migration 0005: its history began before the fields were chained"
)

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION tracker_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'history is append-only: entries cannot be %',
    CASE TG_OP WHEN 'UPDATE' THEN 'updated' WHEN 'DELETE' THEN 'deleted' ELSE 'truncated' END
    USING ERRCODE = 'insufficient_privilege';
END $$
"""
APPEND_ONLY_BEFORE = """
CREATE OR REPLACE FUNCTION tracker_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'history is append-only: entries cannot be %', lower(TG_OP)
    USING ERRCODE = 'insufficient_privilege';
END $$
"""


def _iso(value: Any) -> str:
    """A stored time as its canonical text (tracker.dates.iso, kept here as it is today)."""
    if isinstance(value, str):
        return value
    moment: datetime = value
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="microseconds")[:-6] + "Z"


def _actor(conn: sa.Connection) -> str:
    if conn.dialect.name == "postgresql":
        return str(conn.execute(sa.text("SELECT current_user")).scalar())
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
    return user if user.isprintable() and user.strip() and len(user) <= 200 else "unknown"


def seal(conn: sa.Connection) -> None:
    """One `seal` entry per existing item, dated at its latest entry (so history stays in
    order and as-of reads are unchanged), recording every field of the item."""
    sqlite = conn.dialect.name == "sqlite"
    now = datetime.now(UTC)
    recorded = _iso(now)
    actor = _actor(conn)
    rows = conn.execute(
        sa.text(
            "SELECT id, key, title, kind, workflow, parties, description, created_at, state,"
            " version, last_hash, changed_at FROM items ORDER BY id"
        )
    ).all()
    entries: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for (id_, key, title, kind, workflow, parties, description, created, state, version,
         last_hash, changed) in rows:  # fmt: skip
        text = item_fields_text(
            key, title, kind, workflow, parties.split(), description, _iso(created)
        )
        occurred = _iso(changed)
        digest = entry_hash(
            last_hash, key, version + 1, "seal", state, state, occurred, recorded, actor,
            SEAL_REASON, None, text,
        )  # fmt: skip
        entries.append(
            {
                "item_id": id_,
                "version": version + 1,
                "state": state,
                "occurred": occurred if sqlite else changed,
                "recorded": recorded if sqlite else now,
                "actor": actor,
                "reason": SEAL_REASON,
                "hash": digest,
                "fields": text,
            }
        )
        updates.append(
            {
                "id": id_,
                "version": version + 1,
                "hash": digest,
                "updated": recorded if sqlite else now,
                "read": version,
            }
        )
    for start in range(0, len(entries), 10_000):
        conn.execute(
            sa.text(
                "INSERT INTO history (item_id, version, trigger, from_state, to_state,"
                " occurred_at, recorded_at, actor, reason, source, hash, fields) VALUES"
                " (:item_id, :version, 'seal', :state, :state, :occurred, :recorded, :actor,"
                " :reason, NULL, :hash, :fields)"
            ),
            entries[start : start + 10_000],
        )
        conn.execute(
            sa.text(
                "UPDATE items SET version = :version, last_hash = :hash, updated_at = :updated"
                " WHERE id = :id AND version = :read"
            ),
            updates[start : start + 10_000],
        )


def upgrade() -> None:
    conn = op.get_bind()
    op.add_column("history", sa.Column("fields", sa.Text(), nullable=True))
    if conn.dialect.name == "postgresql":
        op.execute(APPEND_ONLY)
    seal(conn)


def downgrade() -> None:
    # The seal entries stay (history is append-only); a program before 0005 cannot check
    # their hashes, which cover the fields. Dropped natively on SQLite: a batch rebuild of
    # the table would lose its append-only triggers.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY_BEFORE)
        op.drop_column("history", "fields")
    else:
        op.execute("ALTER TABLE history DROP COLUMN fields")
