"""Who did it: the actor of a change is who wrote it. PostgreSQL: the database role, and only
a member of tracker_impersonate may write another name; a read-only role reads and cannot
write (docs/roles.sql). SQLite: the OS user."""

from __future__ import annotations

import getpass
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.conftest import run_exe
from tests.reliability.support import drop_roles, pg_url_as, team_roles
from tracker import Tracker


@pytest.fixture
def team(pg_url: str, pg_admin: psycopg.Connection) -> Iterator[dict[str, str]]:
    """docs/roles.sql run on a seeded schema, with uniquely named groups (roles are
    cluster-wide) and one login role in each; all dropped afterwards."""
    with Tracker.open(pg_url) as tracker:
        tracker.seed()
    tag = uuid.uuid4().hex[:8]
    groups = team_roles(pg_admin, pg_url, tag)
    names = {
        "reader": groups["tracker_reader"],
        "writer": groups["tracker_writer"],
        "reader_login": f"reader_{tag}",
        "writer_login": f"writer_{tag}",
        "trusted_login": f"trusted_{tag}",
    }
    pg_admin.execute(f"CREATE ROLE {names['reader_login']} LOGIN IN ROLE {names['reader']}")
    pg_admin.execute(f"CREATE ROLE {names['writer_login']} LOGIN IN ROLE {names['writer']}")
    pg_admin.execute(
        f"CREATE ROLE {names['trusted_login']} LOGIN IN ROLE {names['writer']}, tracker_impersonate"
    )
    try:
        yield names
    finally:
        logins = [names["reader_login"], names["writer_login"], names["trusted_login"]]
        drop_roles(pg_admin, [*logins, *groups.values()])


def test_reader_role_lists_and_cannot_fire(
    pg_url: str, team: dict[str, str], tracker_exe: str
) -> None:
    as_reader = pg_url_as(pg_url, team["reader_login"])
    listed = run_exe(tracker_exe, "--db", as_reader, "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert "ACSA" in listed.stdout
    fired = run_exe(tracker_exe, "--db", as_reader, "fire", "ACSA", "resume")
    assert fired.returncode == 4
    assert fired.stderr.startswith("error: permission denied")
    assert fired.stderr.count("\n") == 1
    with Tracker.open(pg_url) as tracker:
        assert tracker.get("ACSA").state == "stalled"
        assert len(tracker.history()) == 10


def test_writer_role_fires_as_itself_and_cannot_forge_an_actor(
    pg_url: str, team: dict[str, str], tracker_exe: str
) -> None:
    as_writer = pg_url_as(pg_url, team["writer_login"])
    forged = run_exe(tracker_exe, "--db", as_writer, "fire", "ACSA", "resume", "--actor", "Koizumi")
    assert forged.returncode == 4
    assert "actor 'Koizumi' is not the database role" in forged.stderr
    assert "tracker_impersonate" in forged.stderr
    own = run_exe(tracker_exe, "--db", as_writer, "fire", "ACSA", "resume")
    assert own.returncode == 0, own.stderr
    with Tracker.open(pg_url) as tracker:
        last = tracker.history("ACSA")[-1]
        assert (last.trigger, last.actor) == ("resume", team["writer_login"])
        assert len(tracker.history()) == 11
        assert tracker.verify().ok


def test_a_batch_with_one_forged_actor_writes_nothing(pg_url: str, team: dict[str, str]) -> None:
    with Tracker.open(pg_url_as(pg_url, team["writer_login"])) as writer:
        ops = [
            {"op": "fire", "key": "ACSA", "trigger": "resume"},
            {"op": "comment", "key": "SAREX", "reason": "noted", "actor": "someone else"},
        ]
        with pytest.raises(Exception) as caught:
            writer.apply(ops)
        assert getattr(caught.value, "exit_code", None) == 4
    with Tracker.open(pg_url) as tracker:
        assert len(tracker.history()) == 10


def test_impersonate_role_may_record_another_actor(
    pg_url: str, team: dict[str, str], tracker_exe: str
) -> None:
    as_trusted = pg_url_as(pg_url, team["trusted_login"])
    done = run_exe(tracker_exe, "--db", as_trusted, "fire", "ACSA", "resume", "--actor", "ROK MND")
    assert done.returncode == 0, done.stderr
    with Tracker.open(pg_url) as tracker:
        assert tracker.history("ACSA")[-1].actor == "ROK MND"


def test_postgresql_actor_defaults_to_the_database_role(pg_url: str) -> None:
    with Tracker.open(pg_url) as tracker:
        tracker.add("GSOMIA", "Intelligence sharing pact", "agreement")
        role = tracker.history("GSOMIA")[0].actor
    assert role == pg_url.split("://", 1)[1].split("@", 1)[0]


def test_sqlite_actor_defaults_to_the_os_user(sqlite_url: str) -> None:
    with Tracker.open(sqlite_url) as tracker:
        tracker.add("GSOMIA", "Intelligence sharing pact", "agreement")
        assert tracker.history("GSOMIA")[0].actor == getpass.getuser()
