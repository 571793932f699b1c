"""The hash chain over an item's history.

Canonical form of an entry (see docs/decisions.md): the UTF-8 bytes of the compact JSON array
    [prev_hash, item_key, version, trigger, from_state, to_state,
     occurred_at, recorded_at, actor, reason, source]
with `json.dumps(..., ensure_ascii=False, separators=(",", ":"))`, times in the canonical text
`YYYY-MM-DDTHH:MM:SS.ffffffZ`, absent values as null, and prev_hash "" for an item's first entry.
hash = lowercase hex SHA-256 of those bytes.
"""

from __future__ import annotations

import hashlib
import json

GENESIS = ""

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def entry_hash(
    prev_hash: str,
    key: str,
    version: int,
    trigger: str,
    from_state: str | None,
    to_state: str,
    occurred_at: str,
    recorded_at: str,
    actor: str,
    reason: str | None,
    source: str | None,
) -> str:
    """SHA-256 of the entry's canonical form, chained to `prev_hash`."""
    canonical = _dumps(
        [
            prev_hash,
            key,
            version,
            trigger,
            from_state,
            to_state,
            occurred_at,
            recorded_at,
            actor,
            reason,
            source,
        ]
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
