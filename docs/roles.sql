-- PostgreSQL roles for a team sharing one tracker database.
--
-- Run as the owner of the tracker's tables (the role that ran `tracker init`, which also
-- created the schema), in the tracker's database, after `tracker init`:
--     psql -h HOST -d tracker -f docs/roles.sql
-- The tables are in schema `public` here; change it if the tracker lives elsewhere.
-- People log in as their own role and are members of one of the groups below, e.g.
--     CREATE ROLE alice LOGIN PASSWORD '...' IN ROLE tracker_writer;
--
-- Who did it: every history entry's actor defaults to the database role (current_user),
-- and a trigger (migration 0003) refuses an entry whose actor is another name unless the
-- writing role is a member of tracker_impersonate (or a superuser). Exit code 4.

-- Record changes in someone else's name: imports of an export, `tracker init --seed` (the
-- seed history names ministries), data entry on behalf of others. Grant it sparingly.
DO $$
BEGIN
  CREATE ROLE tracker_impersonate NOLOGIN;
EXCEPTION WHEN duplicate_object THEN
  NULL;  -- migration 0003 creates it when the migrating role may create roles
END $$;

-- Read only: list, show, history, as-of, export, verify, the TUI. Every write is refused by
-- the database ("permission denied for table items"): exit 4, nothing written.
CREATE ROLE tracker_reader NOLOGIN;
GRANT USAGE ON SCHEMA public TO tracker_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO tracker_reader;

-- Write as oneself: add, fire, comment, edit, apply, saved views. No DELETE or TRUNCATE of
-- history (the append-only triggers refuse them even for the owner), no schema changes.
-- UPDATE on items is needed for the row locks (SELECT ... FOR UPDATE) a write takes.
-- A batch updating 100 items or more writes them through a temporary table: the database's
-- TEMPORARY privilege, which PostgreSQL grants to PUBLIC unless it was revoked (then grant it:
-- GRANT TEMPORARY ON DATABASE tracker TO tracker_writer).
CREATE ROLE tracker_writer NOLOGIN;
GRANT USAGE ON SCHEMA public TO tracker_writer;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO tracker_writer;
GRANT INSERT, UPDATE ON items TO tracker_writer;
GRANT INSERT ON history TO tracker_writer;
GRANT INSERT, DELETE ON item_parties TO tracker_writer;
GRANT INSERT, UPDATE, DELETE ON views TO tracker_writer;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO tracker_writer;

-- Who may consent for a party (SPEC "Approvals", migration 0006): an `approve` or `withdraw`
-- entry for party P is refused by the database ("role kim may not consent for JPN: that needs
-- membership in role tracker_party_jpn", exit 4, nothing written) unless the writing role is a
-- member of `tracker_party_` + P in lower case, or a superuser. One role per party; roles are
-- cluster-wide, so one set serves every tracker database of the server. A party code with `-`
-- makes a role name that must be quoted: CREATE ROLE "tracker_party_us-ca" NOLOGIN.
CREATE ROLE tracker_party_rok NOLOGIN;
CREATE ROLE tracker_party_jpn NOLOGIN;
CREATE ROLE tracker_party_usa NOLOGIN;
-- Then each person who speaks for a party (their login role is in tracker_writer too):
--     GRANT tracker_party_rok TO kim;
--     GRANT tracker_party_jpn TO tanaka;
-- Whoever imports an export or seeds a database holding consents writes them in the consenting
-- parties' names: that role needs tracker_impersonate and membership of each of those parties
-- (or is a superuser). The party map (parties.toml, README) is checked too, on every backend;
-- on PostgreSQL keep the two in step (map kim to ROK and grant kim tracker_party_rok).
