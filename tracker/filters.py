"""Filter: which items, one syntax for every front end (the TUI's box, `--where`, saved views).
Re-exported by tracker.records."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import fields
from .errors import UsageError


def _word(value: str) -> str:
    return value.lower()


def _same(value: str) -> str:
    return value


# A filter term: `name:value` (or `name=value`, the spelling `fire --where` has always taken).
_TERM = re.compile(r"\A(?P<name>[A-Za-z_]+)[:=](?P<value>.*)\Z", re.DOTALL)
# Terms are separated by blanks, and by a comma before the next term (`state=a,kind=b`).
_BETWEEN_TERMS = re.compile(r"\s*,\s*(?=[A-Za-z_]+[:=])|\s+")


@dataclass(frozen=True, slots=True)
class Filter:
    """Which items: each field given must match (SPEC "Filters"), None is no condition.
    `state` and `kind` exact, case-insensitive; `party` one of the item's parties, exact,
    case-insensitive; `text` each of its words in the key or the title. Values are checked
    and normalised when the filter is made (an empty one is a UsageError, never "match
    everything"); whether a state exists is the service's to say (it knows the workflows).

    One syntax for every front end (`parse`, and `str()` back): the TUI's filter box, saved
    views and `fire --where`. A filter word is one field here, with its normaliser in the
    field's metadata: adding a word (e.g. `pending:JPN`) is a field here and its condition in
    tracker/store/sql.py `item_where`."""

    state: str | None = field(default=None, metadata={"normal": _word})
    kind: str | None = field(default=None, metadata={"normal": fields.kind})
    party: str | None = field(default=None, metadata={"normal": fields.party})
    # Words matched in key or title; parse gathers `text:` terms and bare words here.
    text: str | None = field(default=None, metadata={"normal": _same})
    # A party whose consent a gated transition of the item awaits now (SPEC "Approvals": at
    # least one consent in effect, this party's missing), as `tracker pending --party` lists.
    pending: str | None = field(default=None, metadata={"normal": fields.party})

    def __post_init__(self) -> None:
        for name, normal in _FILTER_WORDS.items():
            value = fields.filter_value(name, getattr(self, name))
            if value is not None:
                object.__setattr__(self, name, normal(value))

    @classmethod
    def parse(cls, typed: str, *, field_first: bool = False) -> Filter:
        """`state:stalled kind:exercise party:JPN some words`: a term `name:value` (or
        `name=value`) sets that field, every other word is text matched in key or title
        (`text:WORD` for a word that holds a colon). Terms are separated by blanks, or by a
        comma before the next term (`state=proposed,kind=exercise`). UsageError for an
        unknown field name, an empty value or a field given twice; with `field_first`, also
        unless the typed text starts with a term (a bulk selection names what it selects by:
        a stray word must not widen it to every title holding that word)."""
        found: dict[str, str] = {}
        words: list[str] = []
        terms = [t for t in _BETWEEN_TERMS.split(typed.strip()) if t]
        if field_first and not (terms and _TERM.match(terms[0])):
            raise UsageError(
                f"bad filter {fields.printable(typed)}: start with FIELD:VALUE "
                f"(one of: {', '.join(_FILTER_WORDS)})"
            )
        for term in terms:
            matched = _TERM.match(term)
            if matched is None:
                words.append(term)
                continue
            name, value = matched["name"].lower(), matched["value"]
            if name not in _FILTER_WORDS:
                raise UsageError(
                    f"no filter {fields.printable(name)} (one of: {', '.join(_FILTER_WORDS)}; "
                    "text:WORD for a word with a colon)"
                )
            if not value.strip():
                raise UsageError(f"the {name} filter is empty (leave it out to match everything)")
            if name == "text":
                words.append(value)
            elif name in found:
                raise UsageError(f"the filter gives {name} twice")
            else:
                found[name] = value
        return cls(**found, text=" ".join(words) if words else None)

    def __str__(self) -> str:
        """The filter as `parse` reads it back: `state:stalled party:JPN words`."""
        terms = [
            f"{name}:{getattr(self, name)}"
            for name in _FILTER_WORDS
            if name != "text" and getattr(self, name) is not None
        ]
        for word in (self.text or "").split():
            terms.append(f"text:{word}" if _TERM.match(word) else word)
        return " ".join(terms)

    def __bool__(self) -> bool:
        """False for the filter that matches every item."""
        return any(getattr(self, name) is not None for name in _FILTER_WORDS)

    def over(self, fallback: Filter) -> Filter:
        """This filter, with `fallback`'s value where this one gives none (explicit options
        over a saved view's)."""
        return dataclasses.replace(
            fallback, **{n: v for n in _FILTER_WORDS if (v := getattr(self, n)) is not None}
        )

    def to_json(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in _FILTER_WORDS}


# The filter words, in the order `str()` writes them, each with its normaliser.
_FILTER_WORDS: dict[str, Callable[[str], str]] = {
    f.name: f.metadata["normal"] for f in dataclasses.fields(Filter)
}
FILTER_WORDS: tuple[str, ...] = tuple(_FILTER_WORDS)
