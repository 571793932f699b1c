"""Signed anchors (issue 9, "Tamper evidence"): `tracker anchor` signs every chain head;
`verify --anchor` proves that today's history extends the anchored one, which a chain that a
forger rewrote and re-hashed end to end cannot (plain `verify` passes on it)."""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from tests.conftest import CLI, Result
from tests.reliability.support import snapshot
from tests.reliability.test_tamper import DROP_TRIGGERS
from tracker import Tracker
from tracker.audit.anchor import FIELDS
from tracker.cli.app import run


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test has its own user config directory, so its own signing key."""
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def own_key(config_home: Path) -> Path:
    return config_home / "tracker" / "anchor-key.pem"


def team_key(path: Path, form: str = "pem") -> Path:
    """A new Ed25519 key written to `path` (mode 0600) in one of the documented forms."""
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    data = {
        "pem": lambda: key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        "openssh": lambda: key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        ),
        "raw": lambda: raw,
        "hex": lambda: raw.hex().encode() + b"\n",
    }[form]()
    path.write_bytes(data)
    path.chmod(0o600)
    return path


def fingerprint_of(anchor_file: Path) -> str:
    out = json.loads(anchor_file.read_text())
    from hashlib import sha256

    return sha256(base64.b64decode(out["public_key"])).hexdigest()


def sql(url: str, *statements: str, **params: Any) -> None:
    """Run statements as someone with the database's keys (triggers dropped first)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in DROP_TRIGGERS[engine.dialect.name]:
                conn.execute(text(statement))
            for statement in statements:
                conn.execute(text(statement), params)
    finally:
        engine.dispose()


def item_row(url: str, key: str) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            query = text("SELECT * FROM items WHERE key = :key")
            return dict(conn.execute(query, {"key": key}).mappings().one())
    finally:
        engine.dispose()


def last_history_id(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT max(id) FROM history")).scalar_one())
    finally:
        engine.dispose()


# -- the normal life of anchors ----------------------------------------------------------------


def test_history_that_grew_after_the_anchor_extends_it(
    seeded: Tracker, cli: CLI, tmp_path: Path, config_home: Path
) -> None:
    anchor = tmp_path / "anchor.json"
    made = cli("anchor", "--output", str(anchor))
    assert made.code == 0, made.err
    document = json.loads(anchor.read_text())
    assert document["count"] == 4 == len(document["heads"])
    summary = cli("anchor", "--output", str(tmp_path / "again.json"), "--format", "json")
    assert json.loads(summary.out)["count"] == 4
    assert json.loads(summary.out)["fingerprint"] == fingerprint_of(anchor)
    assert [head["key"] for head in document["heads"]] == ["ACSA", "DRILLS", "REFUEL", "SAREX"]
    assert cli("fire", "DRILLS", "resume", "--reason", "drills restart").code == 0
    assert cli("add", "NEW", "--title", "A new item", "--kind", "drill").code == 0

    result = cli("verify", "--anchor", str(anchor))
    assert result.code == 0, result.err
    assert "ok: every anchored head is still in its chain" in result.out
    assert f"signed by key {document['key_id']} (own key" in result.out

    report = json.loads(cli("verify", "--anchor", str(anchor), "--format", "json").out)
    assert report["ok"] is True
    assert report["anchor"]["ok"] is True
    assert report["anchor"]["heads"] == 4
    assert report["anchor"]["trusted_as"] == "own key"
    assert report["anchor"]["fingerprint"] == fingerprint_of(anchor)


def test_the_key_is_made_on_first_use_private_to_the_user(
    tracker: Tracker, cli: CLI, config_home: Path
) -> None:
    key = own_key(config_home)
    assert not key.exists()
    assert cli("anchor").code == 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert [p.name for p in key.parent.iterdir()] == ["anchor-key.pem"]  # no temporary left
    first = key.read_bytes()
    assert cli("anchor").code == 0
    assert key.read_bytes() == first


def test_a_key_file_others_can_read_is_refused(
    tracker: Tracker, cli: CLI, config_home: Path, tmp_path: Path
) -> None:
    assert cli("anchor").code == 0
    own_key(config_home).chmod(0o644)
    result = cli("anchor", "--output", str(tmp_path / "a.json"))
    assert result.code == 2
    assert result.err.startswith("error: key file ")
    assert "accessible by others (mode 644)" in result.err
    assert not (tmp_path / "a.json").exists()


def test_anchor_to_stdout_is_the_same_statement(seeded: Tracker, cli: CLI) -> None:
    result = cli("anchor")
    assert result.code == 0
    document = json.loads(result.out)
    heads = {head["key"]: head for head in document["heads"]}
    for item in seeded.list():
        assert heads[item.key]["version"] == item.version
        assert heads[item.key]["hash"] == seeded.history(item.key)[-1].hash


def test_the_python_api(seeded: Tracker) -> None:
    anchor = seeded.anchor()
    assert anchor.count == 4
    seeded.fire("ACSA", "resume", reason="talks restart")
    report = seeded.verify(anchor=anchor)
    assert report.ok
    assert report.anchor is not None and report.anchor.trusted_as == "own key"


def test_an_empty_database_anchors_and_verifies(tracker: Tracker, cli: CLI, tmp_path: Path) -> None:
    anchor = tmp_path / "empty.json"
    assert cli("anchor", "-o", str(anchor)).code == 0
    assert json.loads(anchor.read_text())["heads"] == []
    assert cli("add", "X1", "--title", "t", "--kind", "drill").code == 0
    assert cli("verify", "--anchor", str(anchor)).code == 0


# -- what an anchor catches that the chain alone cannot -----------------------------------------


def test_a_rewritten_row_is_exit_7(seeded: Tracker, db_url: str, cli: CLI, tmp_path: Path) -> None:
    anchor = tmp_path / "anchor.json"
    assert cli("anchor", "-o", str(anchor)).code == 0
    target = seeded.history("DRILLS")[-1]
    sql(db_url, "UPDATE history SET reason = 'nothing happened' WHERE id = :id", id=target.id)
    result = cli("verify", "--anchor", str(anchor))
    assert result.code == 7
    assert "DRILLS" in result.out


def anchor_then_cut(db_url: str, cli: CLI, tmp_path: Path) -> Path:
    """Fire DRILLS once more, anchor, then (as someone with the database's keys) cut DRILLS
    back to where it stood before that fire: its history rows and its item row as they were.
    Returns the anchor file."""
    before = item_row(db_url, "DRILLS")
    cut_after = last_history_id(db_url)
    assert cli("fire", "DRILLS", "resume", "--reason", "drills restart").code == 0
    anchor = tmp_path / "anchor.json"
    assert cli("anchor", "-o", str(anchor)).code == 0
    columns = ", ".join(f"{name} = :{name}" for name in before if name != "id")
    sql(
        db_url,
        "DELETE FROM history WHERE id > :cut",
        f"UPDATE items SET {columns} WHERE id = :id",
        cut=cut_after,
        **before,
    )
    return anchor


@pytest.mark.parametrize(
    "forged", [["propose"], ["propose", "resume"]], ids=["as long", "longer than anchored"]
)
def test_a_chain_cut_and_extended_with_correct_hashes_is_exit_7(
    seeded: Tracker, db_url: str, cli: CLI, tmp_path: Path, forged: list[str]
) -> None:
    """The forger's attack: cut the chain back to an earlier head and write a different
    future with the tracker itself, so every hash is right. Plain verify cannot tell."""
    anchor = anchor_then_cut(db_url, cli, tmp_path)
    for trigger in forged:
        assert cli("fire", "DRILLS", trigger, "--reason", "a different past").code == 0
    assert cli("verify").code == 0  # the forged chain is internally consistent

    result = cli("verify", "--anchor", str(anchor))
    assert result.code == 7
    assert result.err == "error: 1 problem found\n"
    [line] = [line for line in result.out.splitlines() if "DRILLS" in line]
    assert "history rewritten" in line


def test_a_chain_cut_short_is_exit_7(
    seeded: Tracker, db_url: str, cli: CLI, tmp_path: Path
) -> None:
    anchor = anchor_then_cut(db_url, cli, tmp_path)
    assert cli("verify").code == 0
    result = cli("verify", "--anchor", str(anchor), "--format", "json")
    assert result.code == 7
    report = json.loads(result.out)
    assert report["anchor"]["ok"] is False
    [problem] = report["problems"]
    assert problem["item"] == "DRILLS"
    assert "history was cut" in problem["message"]


SAREX_ROWS = "WHERE item_id = (SELECT id FROM items WHERE key = 'SAREX')"


def test_an_item_that_disappeared_is_exit_7(
    seeded: Tracker, db_url: str, cli: CLI, tmp_path: Path
) -> None:
    """A forger who removes an item removes every row of it (its history, its rows in the party
    index item_parties, which PostgreSQL's foreign key demands anyway): plain verify finds
    nothing wrong, the anchor names the item."""
    anchor = tmp_path / "anchor.json"
    assert cli("anchor", "-o", str(anchor)).code == 0
    sql(
        db_url,
        f"DELETE FROM history {SAREX_ROWS}",
        f"DELETE FROM item_parties {SAREX_ROWS}",
        "DELETE FROM items WHERE key = 'SAREX'",
    )
    assert cli("verify").code == 0
    result = cli("verify", "--anchor", str(anchor))
    assert result.code == 7
    [line] = [line for line in result.out.splitlines() if "SAREX" in line]
    assert "the item is gone" in line


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_item_gone_with_its_index_rows_left_is_exit_7_naming_both(
    seeded: Tracker, db_url: str, cli: CLI, tmp_path: Path
) -> None:
    """A careless forger leaves the item's rows in item_parties (SQLite checks no foreign key
    here): plain verify names the rows, the anchor still names the item."""
    anchor = tmp_path / "anchor.json"
    assert cli("anchor", "-o", str(anchor)).code == 0
    engine = create_engine(db_url)
    with engine.connect() as conn:
        item_id = conn.execute(text("SELECT id FROM items WHERE key = 'SAREX'")).scalar_one()
    engine.dispose()
    sql(db_url, f"DELETE FROM history {SAREX_ROWS}", "DELETE FROM items WHERE key = 'SAREX'")
    plain = cli("verify")
    assert plain.code == 7
    assert "item_parties: rows of an unknown item" in plain.out
    assert str(item_id) in plain.out
    result = cli("verify", "--anchor", str(anchor))
    assert result.code == 7
    [line] = [line for line in result.out.splitlines() if "SAREX" in line]
    assert "the item is gone" in line
    assert "item_parties: rows of an unknown item" in result.out


def test_anchor_refuses_an_item_whose_head_is_not_its_chain(
    seeded: Tracker, db_url: str, cli: CLI
) -> None:
    sql(db_url, "UPDATE items SET last_hash = :forged WHERE key = 'ACSA'", forged="f" * 64)
    result = cli("anchor")
    assert result.code == 7
    assert result.out == ""
    assert result.err.startswith("error: item 'ACSA': its head (version ")


# -- the anchor itself: signature, trust, malformed files -----------------------------------


def edit(anchor: Path, change: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(anchor.read_text())
    change(document)
    anchor.write_text(json.dumps(document))


def flip_hex(value: str) -> str:
    return ("0" if value[0] != "0" else "1") + value[1:]


# The anchor file is checked before the database is read: one backend is enough for these.
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def anchored(seeded: Tracker, cli: CLI, tmp_path: Path) -> Path:
    anchor = tmp_path / "anchor.json"
    assert cli("anchor", "-o", str(anchor)).code == 0
    return anchor


@sqlite_only
def test_one_byte_of_the_anchor_changed_is_exit_7(anchored: Path, cli: CLI) -> None:
    data = bytearray(anchored.read_bytes())
    at = data.index(b'"hash":"') + len(b'"hash":"')
    data[at] = ord("0") if data[at] != ord("0") else ord("1")
    anchored.write_bytes(bytes(data))
    result = cli("verify", "--anchor", str(anchored))
    assert result.code == 7
    assert result.out == ""
    assert result.err.startswith("error: anchor signature does not verify with the key it names")


@sqlite_only
@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(created_at="2030-01-01T00:00:00.000000Z"),
        lambda d: d["heads"].pop(),
        lambda d: d.update(key_id=flip_hex(d["key_id"])),
        lambda d: d.update(digest=flip_hex(d["digest"])),
        lambda d: d.update(count=d["count"] + 1),
        lambda d: d["heads"][0].update(version=d["heads"][0]["version"] + 1),
    ],
    ids=["created_at", "a head dropped", "key_id", "digest", "count", "a version"],
)
def test_any_field_of_the_anchor_changed_is_exit_7(
    anchored: Path, cli: CLI, change: Callable[[dict[str, Any]], None]
) -> None:
    edit(anchored, change)
    result = cli("verify", "--anchor", str(anchored))
    assert result.code == 7
    assert result.err.count("\n") == 1 and result.err.startswith("error: anchor ")


@sqlite_only
def test_an_anchor_re_signed_by_another_key_is_refused(
    anchored: Path, cli: CLI, tmp_path: Path, config_home: Path
) -> None:
    """A forger who rewrote the database re-signs the anchor with a key of their own: the
    anchor's own public key is not trusted because it is there."""
    forger = team_key(tmp_path / "forger.pem")
    forged = tmp_path / "forged.json"
    assert cli("anchor", "--key", str(forger), "-o", str(forged)).code == 0
    result = cli("verify", "--anchor", str(forged))
    assert result.code == 7
    assert "which is not trusted here" in result.err
    # Pinning the right key refuses the forgery too; pinning the forger's is the user's call.
    mine = cli("anchor", "--show-key").out.splitlines()[0].removeprefix("fingerprint: ")
    assert json.loads(cli("anchor", "--show-key", "--format", "json").out)["fingerprint"] == mine
    assert cli("verify", "--anchor", str(forged), "--trust", mine).code == 7
    assert cli("verify", "--anchor", str(anchored), "--trust", mine).code == 0


def test_a_team_key_signs_and_the_other_party_pins_it(
    seeded: Tracker, cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rok = team_key(tmp_path / "rok.pem")
    anchor = tmp_path / "rok-anchor.json"
    made = cli("anchor", "--key", str(rok), "-o", str(anchor))
    assert made.code == 0
    fingerprint = fingerprint_of(anchor)
    public = tmp_path / "rok.pub"
    public.write_text(cli("anchor", "--key", str(rok), "--show-key").out.split("\n", 1)[1])

    # JPN: another user (another config directory), pinning ROK's key three ways.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "jpn"))
    assert cli("verify", "--anchor", str(anchor)).code == 7  # nothing pinned, not JPN's key
    for pin in (fingerprint, fingerprint.upper(), str(public)):
        result = cli("verify", "--anchor", str(anchor), "--trust", pin)
        assert result.code == 0, (pin, result.err)
        assert f"signed by key {fingerprint[:16]} (pinned" in result.out
    wrong = "0" * 64
    refused = cli("verify", "--anchor", str(anchor), "--trust", wrong)
    assert refused.code == 7
    assert "not trusted" in refused.err
    assert not (tmp_path / "jpn").exists()  # verifying creates no key


@pytest.mark.parametrize("form", ["pem", "openssh", "raw", "hex"])
def test_key_file_forms(sqlite_url: str, tmp_path: Path, form: str) -> None:
    key = team_key(tmp_path / f"key.{form}", form)
    anchor = tmp_path / "a.json"
    assert run(["--db", sqlite_url, "anchor", "--key", str(key), "-o", str(anchor)]) == 0
    assert run(["--db", sqlite_url, "verify", "--anchor", str(anchor), "--trust", str(key)]) == 0


def test_trust_an_openssh_public_key_or_the_base64_key(sqlite_url: str, tmp_path: Path) -> None:
    private = team_key(tmp_path / "team", "openssh")
    loaded = serialization.load_ssh_private_key(private.read_bytes(), password=None)
    public = tmp_path / "team.pub"
    public.write_bytes(
        loaded.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        + b" team@rok\n"
    )
    anchor = tmp_path / "a.json"
    assert run(["--db", sqlite_url, "anchor", "--key", str(private), "-o", str(anchor)]) == 0
    embedded = json.loads(anchor.read_text())["public_key"]
    for pin in (str(public), embedded):
        assert run(["--db", sqlite_url, "verify", "--anchor", str(anchor), "--trust", pin]) == 0


def test_two_first_uses_at_once_agree_on_one_key(config_home: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from tracker.audit import keys

    def first_use(_: int) -> str:
        return keys.public_fingerprint(keys.signing_key())

    with ThreadPoolExecutor(8) as pool:
        seen = set(pool.map(first_use, range(8)))
    assert len(seen) == 1
    assert [p.name for p in own_key(config_home).parent.iterdir()] == ["anchor-key.pem"]


def sqlite_cli(url: str, capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    capsys.readouterr()
    code = run(["--db", url, *args])
    out, err = capsys.readouterr()
    return Result(code, out, err)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not JSON"),
        (b"not json at all", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"format": "tracker-export"}', "not a tracker anchor"),
        (b'{"format": "tracker-anchor", "version": 2}', "version 2 is not supported"),
        ("unsigned", "missing signature (unsigned)"),
        ("algorithm", "algorithm 'rsa' is not supported"),
        ("short signature", "signature is 3 bytes, not 64"),
        ("bad base64", "public_key is not base64"),
        ("head with a bad hash", "hash is not 64 lowercase hex digits"),
        ("a head twice", "an item is listed twice"),
        ("extra field", "unknown field 'comment'"),
    ],
)
def test_a_malformed_anchor_is_exit_2(
    sqlite_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes | str,
    message: str,
) -> None:
    with Tracker.open(sqlite_url) as tracker:
        tracker.seed()
        good = tracker.anchor().to_json()
    breakages: dict[str, Callable[[dict[str, Any]], None]] = {
        "unsigned": lambda d: d.pop("signature"),
        "algorithm": lambda d: d.update(algorithm="rsa"),
        "short signature": lambda d: d.update(signature="AAAA"),
        "bad base64": lambda d: d.update(public_key="not base64!"),
        "head with a bad hash": lambda d: d["heads"][0].update(hash="xyz"),
        "a head twice": lambda d: d["heads"].append(d["heads"][0]),
        "extra field": lambda d: d.update(comment="hi"),
    }
    if isinstance(content, str):
        breakages[content](good)
        content = json.dumps(good).encode()
    anchor = tmp_path / "bad.json"
    anchor.write_bytes(content)
    before = snapshot(sqlite_url)
    result = sqlite_cli(sqlite_url, capsys, "verify", "--anchor", str(anchor))
    assert result.code == 2
    assert result.err.startswith(f"error: anchor {anchor}: ")
    assert message in result.err and result.err.count("\n") == 1
    assert snapshot(sqlite_url) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["verify", "--anchor", "/nonexistent/a.json"], "cannot read anchor"),
        (["verify", "--anchor", "."], "cannot read anchor"),
        (["verify", "--trust", "0" * 64], "--trust needs --anchor"),
        (["anchor", "--key", "/nonexistent/key"], "cannot read key file"),
        (["anchor", "-o", "/nonexistent/dir/a.json"], "cannot write"),
    ],
)
def test_bad_arguments_are_exit_2(
    sqlite_url: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    result = sqlite_cli(sqlite_url, capsys, *args)
    assert result.code == 2
    assert result.err.startswith("error: ") and message in result.err


def test_bad_key_files_and_trust_values_are_exit_2(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_key = tmp_path / "not-a-key"
    not_a_key.write_text("hello")
    not_a_key.chmod(0o600)
    result = sqlite_cli(sqlite_url, capsys, "anchor", "--key", str(not_a_key))
    assert result.code == 2 and "not an Ed25519 private key" in result.err

    assert sqlite_cli(sqlite_url, capsys, "anchor", "-o", str(tmp_path / "a.json")).code == 0
    anchor = str(tmp_path / "a.json")
    short = fingerprint_of(tmp_path / "a.json")[:16]
    result = sqlite_cli(sqlite_url, capsys, "verify", "--anchor", anchor, "--trust", short)
    assert result.code == 2 and "too short to pin a key" in result.err
    result = sqlite_cli(sqlite_url, capsys, "verify", "--anchor", anchor, "--trust", "nonsense")
    assert result.code == 2 and "not a 64-digit fingerprint" in result.err


def test_output_is_written_whole_and_never_over_the_database(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Tracker.open(sqlite_url) as tracker:
        tracker.seed()
    anchor = tmp_path / "a.json"
    anchor.write_text("the previous anchor")
    assert sqlite_cli(sqlite_url, capsys, "anchor", "-o", str(anchor)).code == 0
    assert json.loads(anchor.read_text())["count"] == 4
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []

    database = Path(sqlite_url.removeprefix("sqlite:///"))
    before = database.read_bytes()
    for target in (database, Path(f"{database}-wal")):
        result = sqlite_cli(sqlite_url, capsys, "anchor", "-o", str(target))
        assert result.code == 2 and "is the database" in result.err
    assert database.read_bytes() == before


@pytest.mark.parametrize("command", ["anchor", "export"])
def test_a_failed_write_leaves_the_previous_file(
    sqlite_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    """`anchor -o` and `export -o` share one writer: a temporary file renamed on success."""
    with Tracker.open(sqlite_url) as tracker:
        tracker.seed()
    previous = tmp_path / "previous.out"
    previous.write_text("the previous file")

    def half_then_fail(self: Tracker, out: Any, **_: Any) -> Any:
        out.write("half")
        raise OSError(28, "No space left on device")

    def no_rename(*_: Any) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        if command == "export":
            patched.setattr(Tracker, "export", half_then_fail)
        else:
            patched.setattr(os, "replace", no_rename)
        result = sqlite_cli(sqlite_url, capsys, command, "-o", str(previous))
    assert result.code == 2
    assert result.err == f"error: cannot write {previous}: No space left on device\n"
    assert previous.read_text() == "the previous file"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".previous")] == []

    database = Path(sqlite_url.removeprefix("sqlite:///"))
    refused = sqlite_cli(sqlite_url, capsys, command, "-o", str(database))
    assert refused.code == 2 and "is the database" in refused.err


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    field=st.sampled_from(FIELDS),
    value=json_values,
)
def test_any_value_in_any_field_is_exit_2_or_7_never_a_crash(field: str, value: Any) -> None:
    """An anchor with one field replaced by arbitrary JSON: refused as malformed (exit 2) or
    as not proved (exit 7), never an unexpected error."""
    from tracker.audit import anchor as anchors
    from tracker.errors import UsageError, VerificationFailed

    document = dict(_GOOD_ANCHOR)
    if value == document[field] and type(value) is type(document[field]):
        return
    document[field] = value
    try:
        parsed, claimed = anchors.parse(json.loads(json.dumps(document)))
        anchors.check(parsed, claimed, [_GOOD_FINGERPRINT])
    except (UsageError, VerificationFailed):
        return
    pytest.fail("a changed anchor was accepted")


def _good_anchor() -> tuple[dict[str, Any], str]:
    """A valid anchor and the fingerprint of the key that signed it (trusted above)."""
    from tracker.audit import anchor as anchors

    key = Ed25519PrivateKey.generate()
    heads = [anchors.Head("ACSA", 2, "a" * 64), anchors.Head("DRILLS", 1, "b" * 64)]
    anchor = anchors.sign(heads, key)
    document = anchor.to_json()
    assert anchors.check(*anchors.parse(document), [anchor.fingerprint]).ok
    return document, anchor.fingerprint


_GOOD_ANCHOR, _GOOD_FINGERPRINT = _good_anchor()
