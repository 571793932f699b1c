"""CSV output: a CSV reader gets exactly the text JSON gives, whatever the text holds (real
newlines, a typed backslash-n, quotes, commas, U+2028...). Escaping is for tables only."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import CLI
from tracker.cli import output

TRICKY = ["a\nb", "a\\nb", 'say "hi"', "a,b", "x\u2028y", "tab\there", "cr\rlf\r\n", "\\", ""]


@dataclass(frozen=True)
class Row:
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return self.data


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def as_csv(rows: list[Row], columns: list[str]) -> str:
    out = io.StringIO()
    output.emit(rows, "csv", columns, out=out)
    return out.getvalue()


TEXT = st.one_of(st.sampled_from(TRICKY), st.text(max_size=30))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(TEXT, st.one_of(st.none(), TEXT)), min_size=1, max_size=5))
def test_csv_reads_back_as_the_json_text(values: list[tuple[str, str | None]]) -> None:
    rows = [Row({"title": title, "reason": reason}) for title, reason in values]
    read = read_csv(as_csv(rows, ["title", "reason"]))
    assert read[0] == ["title", "reason"]
    assert read[1:] == [[title, reason or ""] for title, reason in values]


def test_a_real_newline_and_a_typed_backslash_n_differ() -> None:
    read = read_csv(as_csv([Row({"t": "a\nb"}), Row({"t": "a\\nb"})], ["t"]))
    assert read[1:] == [["a\nb"], ["a\\nb"]]


def test_names_lists_and_other_values() -> None:
    row = Row({"parties": ["ROK", "JPN"], "dry_run": True, "version": 3, "item": {"key": "A"}})
    read = read_csv(as_csv([row], ["parties", "dry_run", "version", "item"]))
    assert read[1] == ["ROK JPN", "true", "3", '{"key":"A"}']


def test_list_csv_equals_list_json_for_descriptions(cli: CLI) -> None:
    for key, description in [("REAL", "line 1\nline 2"), ("TYPED", "line 1\\nline 2")]:
        assert (
            cli(
                "add",
                key,
                "--title",
                'A "quoted", title',
                "--kind",
                "drill",
                "--description",
                description,
            ).code
            == 0
        )
    as_json = json.loads(cli("list", "--format", "json").out)
    rows = read_csv(cli("list", "--format", "csv").out)
    header = rows[0]
    from_csv = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    for item, row in zip(as_json, from_csv, strict=True):
        assert row["description"] == item["description"]
        assert row["title"] == item["title"]
    assert {row["key"]: row["description"] for row in from_csv} == {
        "REAL": "line 1\nline 2",
        "TYPED": "line 1\\nline 2",
    }


def _csv_and_json(cli: CLI, *args: str) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    rows = read_csv(cli(*args, "--format", "csv").out)
    from_csv = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    return from_csv, json.loads(cli(*args, "--format", "json").out)


def test_as_of_and_view_list_csv_carry_every_json_field(cli: CLI) -> None:
    """as-of CSV had no `version` and view list CSV no `created_at`, both in their JSON."""
    assert cli("init", "--seed").code == 0
    assert cli("view", "save", "stuck", "--state", "stalled").code == 0
    for args in (("as-of", "2026-01-01"), ("view", "list")):
        from_csv, as_json = _csv_and_json(cli, *args)
        assert len(from_csv) == len(as_json) > 0
        for row, record in zip(from_csv, as_json, strict=True):
            assert list(row) == list(record), args
            assert row == {k: output.csv_text(v) for k, v in record.items()}, args
