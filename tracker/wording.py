"""Words for counts in messages: "1 item", "2 items", never "1 items"."""

from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`count` and `noun`, in the plural unless the count is one (`nouns` for a plural that is
    not `noun` + "s": plural(2, "history entry", "history entries"))."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"
