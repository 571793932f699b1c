"""The party map (tracker/parties.py): who may consent for which party."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import CLI, in_time
from tracker import Tracker, UsageError, parties
from tracker.errors import NotAllowed, PartyMapError

MAP = """\
# who speaks for whom
[actors]
kim = ["ROK"]
tanaka = ["jpn"]
"j.doe" = ["USA", "ROK"]
nobody = []
"""


def write(tmp_path: Path, text: str, name: str = "parties.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_no_map_means_every_actor_speaks_for_every_party() -> None:
    # conftest: an empty config directory, TRACKER_PARTIES unset.
    assert not parties.map_file().exists()
    assert parties.load() is None
    assert parties.speaks_for("kim", None) is None
    parties.check("kim", "JPN", None)  # no error


def test_the_map_says_who_speaks_for_whom(tmp_path: Path) -> None:
    party_map = parties.load(write(tmp_path, MAP))
    assert party_map is not None
    assert parties.speaks_for("kim", party_map) == ("ROK",)
    assert parties.speaks_for("tanaka", party_map) == ("JPN",)  # codes upper-cased
    assert parties.speaks_for("j.doe", party_map) == ("USA", "ROK")
    assert parties.speaks_for("nobody", party_map) == ()
    assert parties.speaks_for("stranger", party_map) == ()
    assert parties.speaks_for("KIM", party_map) == ()  # actors are exact names
    parties.check("kim", "ROK", party_map)
    parties.check("kim", "rok", party_map)
    parties.check("j.doe", "USA", party_map)


@pytest.mark.parametrize(
    ("actor", "party", "says"),
    [
        ("kim", "JPN", "lists them for ROK"),
        ("kim", "jpn", "lists them for ROK"),
        ("nobody", "ROK", "lists them for no party"),
        ("stranger", "ROK", "does not list them"),
    ],
)
def test_consenting_for_another_party_is_exit_4(
    tmp_path: Path, actor: str, party: str, says: str
) -> None:
    path = write(tmp_path, MAP)
    party_map = parties.load(path)
    with pytest.raises(NotAllowed) as caught:
        parties.check(actor, party, party_map)
    assert caught.value.exit_code == 4
    message = str(caught.value)
    assert message.startswith(f"{actor} may not consent for {party.upper()} (")
    assert f"the party map {path} {says}" in message
    assert "\n" not in message


def test_the_default_file_is_in_the_user_config_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert parties.map_file() == tmp_path / "tracker" / "parties.toml"
    assert parties.load() is None
    (tmp_path / "tracker").mkdir()
    write(tmp_path / "tracker", MAP)
    party_map = parties.load()
    assert party_map is not None and party_map.speaks_for("kim") == ("ROK",)


def test_tracker_parties_overrides_the_default_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "tracker").mkdir()
    write(tmp_path / "tracker", '[actors]\nkim = ["JPN"]\n')
    other = write(tmp_path, MAP, "team.toml")
    monkeypatch.setenv("TRACKER_PARTIES", str(other))
    assert parties.map_file() == other
    party_map = parties.load()
    assert party_map is not None and party_map.speaks_for("kim") == ("ROK",)
    monkeypatch.setenv("TRACKER_PARTIES", "  ")  # empty: unset, the default file
    party_map = parties.load()
    assert party_map is not None and party_map.speaks_for("kim") == ("JPN",)


def test_a_named_file_that_is_missing_is_exit_2_not_no_restriction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "partys.toml"
    monkeypatch.setenv("TRACKER_PARTIES", str(missing))
    with pytest.raises(PartyMapError) as caught:
        parties.load()
    assert caught.value.exit_code == 2
    assert str(caught.value) == f"TRACKER_PARTIES names {missing}: no such party map file"
    with pytest.raises(PartyMapError, match="no such party map file"):
        parties.load(missing)


def test_a_party_map_that_is_a_fifo_is_refused_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fifo = tmp_path / "parties.toml"
    os.mkfifo(fifo)
    monkeypatch.setenv("TRACKER_PARTIES", str(fifo))
    raised = in_time(parties.load)
    assert isinstance(raised, PartyMapError) and raised.exit_code == 2
    assert str(raised) == f"{fifo}: not a regular file (a FIFO)"


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ('[actors]\nkim = ["ROK"\n', ":2:", "Unclosed array (at the end of the file)"),
        ('[actors]\nkim = "ROK\n', ":2:", "(column 11)"),  # TOML syntax, at its line
        ('[actors]\nkim = ["ROK"]\nkim = ["JPN"]\n', ":3:", "column"),  # defined twice
        ('[actors]\nkim = ["ROK"]\ntanaka = ["J PN"]\n', ":3:", "tanaka: bad party 'J PN'"),
        ('[actors]\n"kim" = ["ROK", "rok"]\n', ":2:", "kim: ROK is listed twice"),
        ("[actors]\nkim = [1]\n", ":2:", "kim: the parties must be a list of codes"),
        ("[actors]\nkim = { party = 'ROK' }\n", ":2:", "the parties must be a list"),
        ("[actors]\n\n'tan aka ' = ['JPN']\n", ":3:", "spaces around the name"),
        ('[actors]\n"k\\u0007m" = ["ROK"]\n', ":1:", "bad actor 'k\\x07m'"),
        ('actors.kim = "ROK"\nactors.tanaka = 7\n', ":2:", "tanaka: the parties must be"),
        ('[actors]\nkim = ["ROK"]\n\n[roles]\nadmin = ["ROK"]\n', ":4:", "unknown key 'roles'"),
        ('owner = "kim"\n[actors]\n', ":1:", "unknown key 'owner'"),
        ('\nactors = ["kim"]\n', ":2:", "[actors] must be a table"),
        ("# nothing\n", ": ", "no [actors] table"),
    ],
)
def test_a_bad_map_is_exit_2_naming_file_and_line(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PartyMapError) as caught:
        parties.load(path)
    error = str(caught.value)
    assert caught.value.exit_code == 2
    assert error.startswith(f"{path}{where}"), error
    assert message in error
    assert "\n" not in error


def test_a_single_code_is_a_list_of_one(tmp_path: Path) -> None:
    party_map = parties.load(write(tmp_path, 'actors.kim = "rok"\n'))
    assert party_map is not None and party_map.speaks_for("kim") == ("ROK",)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"[actors]\nkim = ['\xff']\n", "not UTF-8 text"), (None, "not a regular file (a directory)")],
)
def test_an_unreadable_map_is_exit_2(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "parties.toml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(PartyMapError) as caught:
        parties.load(path)
    assert str(caught.value).startswith(f"{path}: {message}")


def test_the_module_stays_light() -> None:
    """The service loads the map on a consent; the CLI's start must not grow for it."""
    import subprocess
    import sys

    code = (
        "import sys, tracker.parties;"
        "heavy = {'sqlalchemy', 'transitions', 'textual', 'alembic', 'platformdirs', 'tomllib'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- through the service and the CLI (SQLite and PostgreSQL) ------------------------------------


@pytest.fixture
def team_map(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = write(tmp_path, MAP, "team.toml")
    monkeypatch.setenv("TRACKER_PARTIES", str(path))
    return path


def test_speaks_for_reads_the_map_for_an_actor_or_the_default_one(
    tracker: Tracker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tracker.speaks_for() is None  # no map: every party
    assert tracker.speaks_for("kim") is None
    me = tracker.default_actor
    path = write(tmp_path, f'{MAP}"{me}" = ["USA", "JPN"]\n', "team.toml")
    monkeypatch.setenv("TRACKER_PARTIES", str(path))
    assert tracker.speaks_for() == ("USA", "JPN")
    assert tracker.speaks_for("kim") == ("ROK",)
    assert tracker.speaks_for("stranger") == ()
    with pytest.raises(UsageError):
        tracker.speaks_for("k\x07m")
    path.write_text("[actors]\nkim = [\n", encoding="utf-8")
    with pytest.raises(PartyMapError, match=f"^{path}:2: "):
        tracker.speaks_for()


def test_a_consent_the_map_refuses_is_exit_4_and_writes_nothing(
    tracker: Tracker, cli: CLI, team_map: Path
) -> None:
    tracker.add("ACSA", "Cross-servicing agreement", "agreement", ["ROK", "JPN"])
    refused = cli("approve", "ACSA", "sign", "--party", "JPN", "--actor", "kim", "--source", "s")
    assert refused.code == 4, refused.err
    assert refused.err.startswith("error: ") and refused.err.count("\n") == 1
    assert f"kim may not consent for JPN (the party map {team_map} lists them for ROK)" in (
        refused.err
    )
    assert [e.trigger for e in tracker.history("ACSA")] == ["create"]
    given = cli("approve", "ACSA", "sign", "--party", "ROK", "--actor", "kim", "--source", "s")
    assert given.code == 0, given.err
    withdrawn = cli("withdraw", "ACSA", "sign", "--party", "ROK", "--actor", "tanaka")
    assert withdrawn.code == 4 and "tanaka may not consent for ROK" in withdrawn.err
    signed = cli("approve", "ACSA", "sign", "--party", "jpn", "--actor", "tanaka", "--source", "t")
    assert signed.code == 0, signed.err
    assert [e.trigger for e in tracker.history("ACSA")] == ["create", "approve", "approve", "sign"]
    assert tracker.verify().ok


def test_a_bad_map_stops_consents_only(
    tracker: Tracker, cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker.add("ACSA", "Cross-servicing agreement", "agreement", ["ROK", "JPN"])
    bad = write(tmp_path, '[actors]\nkim = ["R O K"]\n')
    monkeypatch.setenv("TRACKER_PARTIES", str(bad))
    refused = cli("approve", "ACSA", "sign", "--party", "ROK", "--actor", "kim", "--source", "s")
    assert refused.code == 2, refused.err
    assert refused.err.startswith("error: ") and refused.err.count("\n") == 1
    assert f"{bad}:2: kim: bad party 'R O K'" in refused.err
    assert [e.trigger for e in tracker.history("ACSA")] == ["create"]
    assert cli("list").code == 0  # read only on a consent
    assert cli("fire", "ACSA", "stall", "--reason", "cautious").code == 0
