"""What the items table shows: the filter typed in the filter box, the sort and the as-of date.
A value of its own, shared by the items, timeline and views screens and the navigation messages
(none of them imports another for it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..records import View


@dataclass(frozen=True, slots=True)
class Query:
    """What the table shows: filters from the filter box, the sort, and the as-of date
    (None: now)."""

    text: str = ""
    state: str | None = None
    kind: str | None = None
    party: str | None = None
    order_by: str = "key"
    descending: bool = False
    as_of: datetime | None = None

    @classmethod
    def parse(
        cls,
        typed: str,
        order_by: str = "key",
        descending: bool = False,
        as_of: datetime | None = None,
    ) -> Query:
        """`state:stalled kind:exercise party:JPN words` — the words match key or title."""
        fields: dict[str, str] = {}
        words = []
        for word in typed.split():
            name, sep, value = word.partition(":")
            if sep and name.lower() in ("state", "kind", "party") and value:
                fields[name.lower()] = value
            else:
                words.append(word)
        return cls(
            text=" ".join(words),
            state=fields.get("state"),
            kind=fields.get("kind"),
            party=fields.get("party"),
            order_by=order_by,
            descending=descending,
            as_of=as_of,
        )

    @classmethod
    def of_view(cls, view: View) -> str:
        """What the filter box shows for a saved view."""
        parts = [
            f"{name}:{value}"
            for name, value in view.filters().items()
            if name in ("state", "kind", "party") and value
        ]
        return " ".join([*parts, *([view.text] if view.text else [])])

    @property
    def filters(self) -> dict[str, str | None]:
        return {"text": self.text or None, "kind": self.kind, "party": self.party}

    @property
    def selection(self) -> dict[str, str | None]:
        """The filters as `Tracker.keys` / `spans` take them."""
        return {"state": self.state, **self.filters}
