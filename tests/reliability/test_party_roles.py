"""Who may consent for a party, on PostgreSQL: the database refuses an `approve` or `withdraw`
entry for party P unless the writing role is a member of `tracker_party_<p>` (migration 0006,
docs/roles.sql); superusers pass."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest

from tests.reliability.support import drop_roles, pg_connect, schema_of, team_roles
from tracker import Tracker


@dataclass(frozen=True)
class Team:
    url: str
    rok: str  # party codes, unique to the run: ROK_<tag>
    jpn: str
    usa: str
    kim: str  # a login role in tracker_writer and tracker_party_rok_<tag>
    nobody: str  # a login role in tracker_writer only


@pytest.fixture
def party_team(pg_url: str, pg_admin: psycopg.Connection) -> Iterator[Team]:
    """docs/roles.sql on a fresh schema, its roles renamed for this run; kim speaks for ROK."""
    with Tracker.open(pg_url) as tracker:
        tracker.add("ACSA", "Acquisition and cross-servicing agreement", "agreement")
    tag = uuid.uuid4().hex[:8]
    groups = team_roles(pg_admin, pg_url, tag)
    kim, nobody = f"kim_{tag}", f"nobody_{tag}"
    writer, rok_role = groups["tracker_writer"], groups["tracker_party_rok"]
    pg_admin.execute(f"CREATE ROLE {kim} LOGIN IN ROLE {writer}, {rok_role}")
    pg_admin.execute(f"CREATE ROLE {nobody} LOGIN IN ROLE {writer}")
    party = {name: code.removeprefix("tracker_party_").upper() for name, code in groups.items()}
    try:
        yield Team(
            url=pg_url,
            rok=party["tracker_party_rok"],
            jpn=party["tracker_party_jpn"],
            usa=party["tracker_party_usa"],
            kim=kim,
            nobody=nobody,
        )
    finally:
        drop_roles(pg_admin, [kim, nobody, *groups.values()])


def insert_entries(team: Team, role: str | None, *entries: tuple[str, str | None]) -> None:
    """One INSERT of history entries (trigger, party) as `role` (None: the superuser), in a
    transaction rolled back after: only the guard's verdict is of interest."""
    rows = [
        (
            trigger,
            json.dumps({"trigger": "sign", "party": party} if party else {"trigger": "sign"}),
        )
        for trigger, party in entries
    ]
    database = team.url.split("/")[-1].split("?")[0]
    with pg_connect(database, user=role) as conn:
        conn.autocommit = False
        conn.execute(f'SET search_path TO "{schema_of(team.url)}"')
        try:
            with conn.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO history (item_id, version, trigger, from_state, to_state,"
                    " occurred_at, recorded_at, actor, hash, fields)"
                    " SELECT i.id, 100 + n, t, i.state, i.state, now(), now(), current_user,"
                    " repeat('0', 64), f FROM items i, unnest(%s::text[], %s::text[])"
                    " WITH ORDINALITY AS e(t, f, n) WHERE i.key = 'ACSA'",
                    ([t for t, _ in rows], [f for _, f in rows]),
                )
                assert cursor.rowcount == len(rows)
        finally:
            conn.rollback()


def test_a_member_of_the_party_role_may_consent_for_it(party_team: Team) -> None:
    insert_entries(party_team, party_team.kim, ("approve", party_team.rok))
    insert_entries(party_team, party_team.kim, ("withdraw", party_team.rok.lower()))


@pytest.mark.parametrize("trigger", ["approve", "withdraw"])
def test_a_consent_for_another_party_is_refused(party_team: Team, trigger: str) -> None:
    team = party_team
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as caught:
        insert_entries(team, team.kim, (trigger, team.jpn))
    assert str(caught.value).splitlines()[0] == (
        f"role {team.kim} may not consent for {team.jpn}:"
        f" that needs membership in role tracker_party_{team.jpn.lower()}"
    )


def test_one_refused_consent_refuses_the_whole_statement(party_team: Team) -> None:
    team = party_team
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match=team.usa):
        insert_entries(
            team, team.kim, ("approve", team.rok), ("comment", None), ("approve", team.usa)
        )


def test_a_party_without_a_role_is_refused(party_team: Team) -> None:
    team = party_team
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="tracker_party_nowhere"):
        insert_entries(team, team.kim, ("approve", "NOWHERE"))


def test_a_consent_that_names_no_party_is_refused(party_team: Team) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="must name its party"):
        insert_entries(party_team, party_team.kim, ("approve", None))


def test_a_role_in_no_party_writes_other_entries(party_team: Team) -> None:
    team = party_team
    insert_entries(team, team.nobody, ("comment", None), ("sign", None))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        insert_entries(team, team.nobody, ("approve", team.rok))


def test_a_superuser_consents_for_any_party(party_team: Team) -> None:
    team = party_team
    insert_entries(team, None, ("approve", team.jpn), ("approve", "NOWHERE"), ("withdraw", None))
