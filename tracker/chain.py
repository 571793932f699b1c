"""The hash chain over an item's history: the one canonical form of an entry.

Canonical form of an entry (see docs/decisions.md): the UTF-8 bytes of the compact JSON array
    [prev_hash, item_key, version, trigger, from_state, to_state,
     occurred_at, recorded_at, actor, reason, source]
followed, when the entry carries item fields, by one more element, those fields as a JSON object:
    [..., source, {"field": value, ...}]
all written as `json.dumps(..., ensure_ascii=False, separators=(",", ":"), sort_keys=True)`:
times in the canonical text `YYYY-MM-DDTHH:MM:SS.ffffffZ`, absent values as null, prev_hash ""
for an item's first entry. hash = lowercase hex SHA-256 of those bytes.

Which entries carry fields (`history.fields` holds the object's canonical text, `fields_text`):
- `create`: every field of the new item (`item_fields`: key, title, kind, workflow, parties,
  description, created_at);
- `edit`: `{field: [old, new]}` for each field it changes;
- `seal`: every field of the item as it stood (`item_fields`), for items whose history began
  before fields were chained (written by migration 0005 and by `import` of an old export);
- any other entry, and entries written before migration 0005: none (null in the column), and
  their canonical form is the 11-element array, exactly as it was: old hashes stay valid.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring
from typing import Any, ParamSpec

P = ParamSpec("P")

GENESIS = ""
# The item fields under the chain, in the order they are reported.
ITEM_FIELD_NAMES = ("key", "title", "kind", "workflow", "parties", "description", "created_at")
# The fields an `edit` may change.
EDITABLE = frozenset({"title", "description", "parties"})

# The JSON string encoder json.dumps(ensure_ascii=False) itself uses (the C one where built).
_quote = encode_basestring
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_dumps_sorted = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def fields_text(fields: dict[str, Any]) -> str:
    """The canonical text of an entry's fields object (keys sorted, compact, UTF-8)."""
    return _dumps_sorted(fields)


def item_fields(
    key: str,
    title: str,
    kind: str,
    workflow: str,
    parties: Iterable[str],
    description: str,
    created_at: str,
) -> dict[str, Any]:
    """Every field of an item as a `create` or `seal` entry carries it (times as canonical text,
    parties as a list in their order)."""
    return {
        "key": key,
        "title": title,
        "kind": kind,
        "workflow": workflow,
        "parties": list(parties),
        "description": description,
        "created_at": created_at,
    }


def item_fields_text(
    key: str,
    title: str,
    kind: str,
    workflow: str,
    parties: Iterable[str],
    description: str,
    created_at: str,
) -> str:
    """`fields_text(item_fields(...))`, written out by hand: it runs once per item verified
    (a test compares the two on arbitrary text)."""
    return (
        f'{{"created_at":{_quote(created_at)},"description":{_quote(description)},'
        f'"key":{_quote(key)},"kind":{_quote(kind)},'
        f'"parties":[{",".join(map(_quote, parties))}],'
        f'"title":{_quote(title)},"workflow":{_quote(workflow)}}}'
    )


def reference(*parts: Any) -> str:
    """The canonical form by its definition (json.dumps of the array), of the parts `canonical`
    takes: what `canonical`, written out for speed, must equal byte for byte
    (tests/reliability/test_chain_fields.py)."""
    values = list(parts[:11])
    fields = parts[11] if len(parts) > 11 else None
    if fields is not None:
        values.append(json.loads(fields))
    return _dumps_sorted(values)


def canonical(
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
    fields: str | None = None,
) -> str:
    """The canonical form (the module docstring) of an entry; `fields` is the canonical text of
    its fields object (`fields_text`) or None. The one function every writer and every check
    (verify's fast path included) computes it with: `reference` written out by hand, since it
    runs once per entry written or verified (about three times faster). Every string goes
    through the JSON string encoder, so no spelling of a value can imitate another's."""
    if type(version) is not int:
        return reference(
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
            fields,
        )
    return (
        f"[{_quote(prev_hash)},{_quote(key)},{version},{_quote(trigger)},"
        f"{'null' if from_state is None else _quote(from_state)},{_quote(to_state)},"
        f"{_quote(occurred_at)},{_quote(recorded_at)},{_quote(actor)},"
        f"{'null' if reason is None else _quote(reason)},"
        f"{'null' if source is None else _quote(source)}"
        f"{']' if fields is None else f',{fields}]'}"
    )


def _sha256_of(form: Callable[P, str]) -> Callable[P, str]:
    def digest(*parts: P.args, **named: P.kwargs) -> str:
        return hashlib.sha256(form(*parts, **named).encode("utf-8")).hexdigest()

    return digest


# One signature for the form and its hash (the wrapper costs about 25 ns a call, measured).
entry_hash = _sha256_of(canonical)
"""SHA-256 of the entry's canonical form (`canonical`'s arguments), chained to `prev_hash`."""
