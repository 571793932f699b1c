"""Who may consent for a party, on PostgreSQL: the database refuses an `approve` or `withdraw`
entry for party P unless the writing role is a member of `tracker_party_<p>` (migration 0006,
docs/roles.sql); superusers pass. First the guard by SQL, then the tracker as login roles made
for the test (roles are cluster-wide: named uniquely per run, dropped after): consenting for
one's own party works, for another is exit 4 with one line, and the party map holds as well."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import run_exe
from tests.reliability.support import (
    drop_roles,
    one_error_line,
    pg_connect,
    pg_url_as,
    schema_of,
    team_roles,
)
from tracker import Tracker


@dataclass(frozen=True)
class Team:
    url: str
    rok: str  # party codes, unique to the run: ROK_<tag>
    jpn: str
    usa: str
    kim: str  # a login role in tracker_writer and tracker_party_rok_<tag>
    tanaka: str  # a login role in tracker_writer and tracker_party_jpn_<tag>
    nobody: str  # a login role in tracker_writer only


@pytest.fixture
def party_team(pg_url: str, pg_admin: psycopg.Connection) -> Iterator[Team]:
    """docs/roles.sql on a fresh schema, its roles renamed for this run; kim speaks for ROK,
    tanaka for JPN; ACSA, an agreement of ROK and JPN, awaits both to be signed."""
    tag = uuid.uuid4().hex[:8]
    with Tracker.open(pg_url) as tracker:  # the tables, before roles.sql grants on them
        groups = team_roles(pg_admin, pg_url, tag)
        party = {name: role.removeprefix("tracker_party_").upper() for name, role in groups.items()}
        rok, jpn = party["tracker_party_rok"], party["tracker_party_jpn"]
        tracker.add("ACSA", "Acquisition and cross-servicing agreement", "agreement", [rok, jpn])
    kim, tanaka, nobody = f"kim_{tag}", f"tanaka_{tag}", f"nobody_{tag}"
    writer = groups["tracker_writer"]
    pg_admin.execute(f"CREATE ROLE {kim} LOGIN IN ROLE {writer}, {groups['tracker_party_rok']}")
    pg_admin.execute(f"CREATE ROLE {tanaka} LOGIN IN ROLE {writer}, {groups['tracker_party_jpn']}")
    pg_admin.execute(f"CREATE ROLE {nobody} LOGIN IN ROLE {writer}")
    try:
        yield Team(pg_url, rok, jpn, party["tracker_party_usa"], kim, tanaka, nobody)
    finally:
        drop_roles(pg_admin, [kim, tanaka, nobody, *groups.values()])


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


# -- through the tracker: the CLI as each login role ------------------------------------------


def consent(team: Team, role: str, *args: str, env: dict[str, str] | None = None) -> Any:
    """`tracker approve|withdraw ...` as `role`, a process of its own."""
    exe = str(Path(sys.executable).with_name("tracker"))
    return run_exe(exe, "--db", pg_url_as(team.url, role), *args, env=env)


def test_each_consents_for_their_own_party_and_the_last_consent_signs(party_team: Team) -> None:
    team = party_team
    own = consent(team, team.kim, "approve", "ACSA", "sign", "--party", team.rok, "--source", "m")
    assert own.returncode == 0, own.stderr
    other = consent(team, team.kim, "approve", "ACSA", "sign", "--party", team.jpn, "--source", "m")
    assert other.returncode == 4
    one_error_line(other.stderr)
    assert (
        f"role {team.kim} may not consent for {team.jpn}: that needs membership in role"
        f" tracker_party_{team.jpn.lower()}"
    ) in other.stderr
    back = consent(team, team.kim, "withdraw", "ACSA", "sign", "--party", team.rok)
    assert back.returncode == 0, back.stderr
    again = consent(team, team.kim, "approve", "ACSA", "sign", "--party", team.rok, "--source", "m")
    assert again.returncode == 0, again.stderr
    last = consent(
        team, team.tanaka, "approve", "ACSA", "sign", "--party", team.jpn, "--source", "s"
    )
    assert last.returncode == 0, last.stderr
    with Tracker.open(team.url) as tracker:
        entries = tracker.history("ACSA")
        assert [(e.trigger, e.actor) for e in entries] == [
            ("create", "postgres"),
            ("approve", team.kim),
            ("withdraw", team.kim),
            ("approve", team.kim),
            ("approve", team.tanaka),
            ("sign", team.tanaka),
        ]
        assert tracker.get("ACSA").state == "signed"
        assert tracker.verify().ok


def test_a_role_in_no_party_may_not_withdraw_either(party_team: Team) -> None:
    team = party_team
    given = consent(team, team.kim, "approve", "ACSA", "sign", "--party", team.rok, "--source", "m")
    assert given.returncode == 0, given.stderr
    taken = consent(team, team.nobody, "withdraw", "ACSA", "sign", "--party", team.rok)
    assert taken.returncode == 4
    one_error_line(taken.stderr)
    assert f"role {team.nobody} may not consent for {team.rok}" in taken.stderr
    with Tracker.open(team.url) as tracker:
        assert [e.trigger for e in tracker.history("ACSA")] == ["create", "approve"]


def test_the_party_map_and_the_roles_both_hold(party_team: Team, tmp_path: Path) -> None:
    """A map that says kim speaks for JPN does not get past the database, and a role in ROK
    does not get past a map that lists kim for JPN only."""
    team = party_team
    wrong = tmp_path / "parties.toml"
    wrong.write_text(f'[actors]\n{team.kim} = ["{team.jpn}"]\n', encoding="utf-8")
    env = {"TRACKER_PARTIES": str(wrong)}
    by_map = consent(
        team, team.kim, "approve", "ACSA", "sign", "--party", team.rok, "--source", "m", env=env
    )
    assert by_map.returncode == 4
    one_error_line(by_map.stderr)
    assert f"error: ACSA: {team.kim} may not consent for {team.rok} (the party map" in (
        by_map.stderr
    )
    by_role = consent(
        team, team.kim, "approve", "ACSA", "sign", "--party", team.jpn, "--source", "m", env=env
    )
    assert by_role.returncode == 4
    assert f"role {team.kim} may not consent for {team.jpn}" in by_role.stderr
    with Tracker.open(team.url) as tracker:
        assert [e.trigger for e in tracker.history("ACSA")] == ["create"]
