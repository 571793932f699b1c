"""Who may consent for a party (SPEC "Approvals"): the actor-to-party map, a TOML file

    [actors]
    kim = ["ROK"]
    tanaka = ["JPN"]
    "j.doe" = ["USA", "ROK"]

in `user_config_dir("tracker")/parties.toml`, or the file TRACKER_PARTIES names. No file means
no restriction: whoever writes speaks for every party (one user's own tracker). With a map,
an actor speaks for the parties listed for it and no other (an actor not listed, for none).

A file that cannot be read or used is a UsageError naming the file and, where there is one,
the line, like a workflow file's. On PostgreSQL the database checks it again, by role
membership (migration 0006, docs/roles.sql).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import fields, tomlfile
from .errors import NotAllowed, PartyMapError, UsageError

ENVIRONMENT = "TRACKER_PARTIES"
FILE_NAME = "parties.toml"


def map_file() -> Path:
    """Where the map is read from: the file TRACKER_PARTIES names, else the user's config
    directory. An empty TRACKER_PARTIES counts as unset."""
    named = os.environ.get(ENVIRONMENT, "").strip()
    if named:
        return Path(named).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("tracker", appauthor=False)) / FILE_NAME


@dataclass(frozen=True)
class PartyMap:
    """The actors of a map and the parties each may consent for."""

    path: str
    actors: Mapping[str, tuple[str, ...]]

    def speaks_for(self, actor: str) -> tuple[str, ...]:
        """The parties `actor` may consent for (none when the map does not list it)."""
        return self.actors.get(actor, ())

    def check(self, actor: str, party: str) -> None:
        """NotAllowed (exit 4) unless `actor` may consent for `party`."""
        if party.upper() not in self.speaks_for(actor):
            raise NotAllowed(
                f"{actor} may not consent for {party.upper()}"
                f" (the party map {self.path} {self._says(actor)})"
            )

    def _says(self, actor: str) -> str:
        spoken = self.speaks_for(actor)
        if actor not in self.actors:
            return "does not list them"
        if not spoken:
            return "lists them for no party"
        return f"lists them for {', '.join(spoken)}"


def load(path: Path | None = None) -> PartyMap | None:
    """The map in `path` (default: `map_file()`); None when there is none at the default
    place. A file named explicitly (TRACKER_PARTIES, `path`) must exist: a misspelt name
    must not lift every restriction."""
    explicit = path is not None or bool(os.environ.get(ENVIRONMENT, "").strip())
    chosen = path if path is not None else map_file()
    try:
        text = tomlfile.read(chosen, PartyMapError)
    except FileNotFoundError:
        if explicit:
            where = f"{ENVIRONMENT} names " if path is None else ""
            raise PartyMapError(f"{where}{chosen}: no such party map file") from None
        return None
    return parse(text, str(chosen))


def speaks_for(actor: str, party_map: PartyMap | None) -> tuple[str, ...] | None:
    """The parties `actor` may consent for; None when there is no map (every party)."""
    return None if party_map is None else party_map.speaks_for(actor)


def check(actor: str, party: str, party_map: PartyMap | None) -> None:
    """NotAllowed (exit 4) "kim may not consent for JPN" unless the map lets `actor`
    consent for `party`; no map lets everyone."""
    if party_map is not None:
        party_map.check(actor, party)


def parse(text: str, path: str) -> PartyMap:
    """The map in TOML `text`; PartyMapError names `path` and the line of the problem."""
    data = tomlfile.load(text, path, PartyMapError)
    return _Reader(text, path).read(data)


class _Reader:
    """Checks a parsed map, pointing each problem at its line."""

    def __init__(self, text: str, path: str) -> None:
        self.lines = text.splitlines()
        self.path = path

    def fail(self, message: str, line: int | None) -> PartyMapError:
        return PartyMapError(
            f"{self.path}:{line}: {message}" if line else f"{self.path}: {message}"
        )

    def line_of(self, pattern: str) -> int | None:
        search = re.compile(pattern).search
        return next((n for n, line in enumerate(self.lines, start=1) if search(line)), None)

    def key_line(self, name: str) -> int | None:
        """The line that gives actor `name` its parties (bare, quoted, or `actors.name`);
        else the `[actors]` line."""
        quoted = re.escape(name)
        spelt = rf"(?:{quoted}|\"{quoted}\"|'{quoted}')"
        return self.line_of(rf"^\s*(?:actors\s*\.\s*)?{spelt}\s*=") or self.table_line()

    def table_line(self) -> int | None:
        return self.line_of(r"^\s*\[\s*actors\s*\]") or self.line_of(r"^\s*actors\s*[.=]")

    def read(self, data: dict[str, Any]) -> PartyMap:
        unknown = sorted(set(data) - {"actors"})
        if unknown:
            name = re.escape(unknown[0])
            line = self.line_of(rf"^\s*\[*\s*[\"']?{name}[\"']?\s*[\].=]")
            raise self.fail(
                f"unknown key {unknown[0]!r} (a party map has one table, [actors])", line
            )
        actors = data.get("actors")
        if actors is None:
            raise self.fail('no [actors] table (kim = ["ROK"], one line per actor)', None)
        if not isinstance(actors, dict):
            raise self.fail('[actors] must be a table of actor = ["PARTY", ...]', self.table_line())
        found: dict[str, tuple[str, ...]] = {}
        for actor, listed in actors.items():
            found[self.actor(actor)] = self.parties(actor, listed)
        return PartyMap(self.path, found)

    def actor(self, name: str) -> str:
        try:
            checked = fields.text("actor", name, required=True)
        except UsageError as exc:
            raise self.fail(
                f"bad actor {fields.printable(name)}: {exc}", self.key_line(name)
            ) from None
        assert checked is not None  # required
        if checked != name:
            raise self.fail(
                f"bad actor {fields.printable(name)}: spaces around the name", self.key_line(name)
            )
        return checked

    def parties(self, actor: str, listed: Any) -> tuple[str, ...]:
        line = self.key_line(actor)
        if isinstance(listed, str):
            listed = [listed]
        if not isinstance(listed, list) or not all(isinstance(p, str) for p in listed):
            raise self.fail(
                f'{actor}: the parties must be a list of codes, e.g. ["ROK", "JPN"]', line
            )
        codes: list[str] = []
        for value in listed:
            try:
                code = fields.party(value)
            except UsageError as exc:
                raise self.fail(f"{actor}: {exc}", line) from None
            if code in codes:
                raise self.fail(f"{actor}: {code} is listed twice", line)
            codes.append(code)
        return tuple(codes)
