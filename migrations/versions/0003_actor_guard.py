"""PostgreSQL: a history entry's actor is the database role that writes it, unless that role
is a member of `tracker_impersonate` (created here if missing). SQLite: nothing to do (a
file's writer is whoever can open it; the actor defaults to the OS user).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IMPERSONATE_ROLE = "tracker_impersonate"

# Roles are cluster-wide: create it once; a migrating role without CREATEROLE leaves it to an
# administrator (docs/roles.sql), and until then only superusers may record others' actors.
CREATE_ROLE = f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{IMPERSONATE_ROLE}') THEN
    CREATE ROLE {IMPERSONATE_ROLE} NOLOGIN;
  END IF;
EXCEPTION
  WHEN insufficient_privilege THEN
    RAISE NOTICE 'role {IMPERSONATE_ROLE} not created (no CREATEROLE); see docs/roles.sql';
  WHEN duplicate_object OR unique_violation THEN
    NULL;  -- another migration created it at the same moment
END $$
"""

# One check per INSERT statement (a transition table), not per row: batches stay fast.
GUARD_FUNCTION = f"""
CREATE FUNCTION tracker_history_actor_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  forged text;
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
     OR (EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{IMPERSONATE_ROLE}')
         AND pg_has_role(current_user, '{IMPERSONATE_ROLE}', 'MEMBER')) THEN
    RETURN NULL;
  END IF;
  SELECT actor INTO forged FROM new_rows WHERE actor IS DISTINCT FROM current_user LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'actor % is not the database role %: recording a change as someone else '
                    'needs membership in {IMPERSONATE_ROLE}', quote_literal(forged), current_user
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END $$
"""

GUARD_TRIGGER = """
CREATE TRIGGER history_actor_guard AFTER INSERT ON history
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tracker_history_actor_guard()
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CREATE_ROLE)
    op.execute(GUARD_FUNCTION)
    op.execute(GUARD_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # The role stays: it is cluster-wide and other tracker databases may use it.
    op.execute("DROP TRIGGER history_actor_guard ON history")
    op.execute("DROP FUNCTION tracker_history_actor_guard()")
