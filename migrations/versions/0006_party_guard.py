"""Consents (SPEC "Approvals"): an index of the consent entries, and on PostgreSQL who may
give them.

- `ix_history_consents`: history (item_id, version) of the `approve` and `withdraw` entries
  only (a partial index), so `pending` reads the few consents instead of scanning every entry.
- PostgreSQL: an `approve` or `withdraw` entry for party P (its `fields` JSON:
  {"trigger": ..., "party": "P"}) may only be written by a member of the role
  `tracker_party_<p lowercased>` (superusers pass), like the actor guard of migration 0003.
  The roles are a team's to create (docs/roles.sql): none is created here. SQLite has no roles:
  there the party map (tracker/parties.py) is the only check.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_history_consents"
# The same text as the model's (tracker/store/models.py CONSENT_ENTRIES).
CONSENT_ENTRIES = "\"trigger\" IN ('approve', 'withdraw')"
PARTY_ROLE_PREFIX = "tracker_party_"

# One check per INSERT statement (a transition table), not per row; only the consent entries of
# the statement are read, each party once.
GUARD_FUNCTION = f"""
CREATE FUNCTION tracker_history_party_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  named text;
  needed text;
  allowed boolean;
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    RETURN NULL;
  END IF;
  FOR named IN
    SELECT DISTINCT fields::jsonb ->> 'party' FROM new_rows WHERE {CONSENT_ENTRIES}
  LOOP
    IF named IS NULL THEN
      RAISE EXCEPTION 'a consent entry must name its party in its fields'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    needed := '{PARTY_ROLE_PREFIX}' || lower(named);
    -- pg_has_role fails on a role that does not exist: ask only about one that does.
    allowed := EXISTS (SELECT 1 FROM pg_roles WHERE rolname = needed);
    IF allowed THEN
      allowed := pg_has_role(current_user, needed, 'MEMBER');
    END IF;
    IF NOT allowed THEN
      RAISE EXCEPTION 'role % may not consent for %: that needs membership in role %',
                      current_user, named, needed
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'an administrator grants it (docs/roles.sql)';
    END IF;
  END LOOP;
  RETURN NULL;
END $$
"""

GUARD_TRIGGER = """
CREATE TRIGGER history_party_guard AFTER INSERT ON history
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tracker_history_party_guard()
"""


def upgrade() -> None:
    where = sa.text(CONSENT_ENTRIES)
    op.create_index(
        INDEX, "history", ["item_id", "version"], sqlite_where=where, postgresql_where=where
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(GUARD_FUNCTION)
        op.execute(GUARD_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER history_party_guard ON history")
        op.execute("DROP FUNCTION tracker_history_party_guard()")
    op.drop_index(INDEX, table_name="history")
