"""Anchors against the database: sign every item's chain head, and prove that today's
history extends an anchored one. The anchor file itself (keys, signing, reading) is
tracker.audit.anchor."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select

from ..errors import VerificationFailed
from ..records import Problem, VerifyReport
from ..store.database import Database
from ..store.models import history, items
from ..workflow import Workflows
from .verify import verify

if TYPE_CHECKING:
    from .anchor import Anchor, Head


def _chain_heads() -> Select[Any]:
    """Every item with the history entry at its version: (key, key_lower, id, version,
    last_hash, entry id, entry hash), the entry's columns null where there is none."""
    at_version = (history.c.item_id == items.c.id) & (history.c.version == items.c.version)
    return select(
        items.c.key,
        items.c.key_lower,
        items.c.id,
        items.c.version,
        items.c.last_hash,
        history.c.id,
        history.c.hash,
    ).outerjoin(history, at_version)


def anchor(db: Database, key_file: str | Path | None) -> Anchor:
    """A signed statement of every item's chain head (see Tracker.anchor)."""
    from . import anchor as anchors
    from . import keys

    signer = keys.signing_key(key_file)
    with db.snapshot() as session:
        rows = session.execute(_chain_heads()).all()
    for key, _, _, version, last_hash, _, entry_hash in rows:
        if entry_hash != last_hash:
            raise VerificationFailed(
                f"item {key!r}: its head (version {version}) is not its chain's last entry; "
                "run `tracker verify` before anchoring"
            )
    return anchors.sign(
        (anchors.Head(key, version, last_hash) for key, _, _, version, last_hash, _, _ in rows),
        signer,
    )


def verify_anchored(
    db: Database,
    workflows: Workflows,
    anchor: str | Path | Anchor,
    trust: Sequence[str],
    *,
    progress: Callable[[int], None],
    split_from: int,
) -> VerifyReport:
    """`verify` plus the anchor: first its signature, count and digest and whether its key
    is trusted (VerificationFailed, exit 7, if not), then every chain, then that each
    anchored head is still in its item's chain: the entry at the anchored version has the
    anchored hash. Since each hash covers the one before it, the whole anchored chain is
    then a prefix of today's."""
    from . import anchor as anchors

    parsed, claimed = (
        (anchor, anchor.key_id) if isinstance(anchor, anchors.Anchor) else (anchors.read(anchor))
    )
    check = anchors.check(parsed, claimed, trust)
    report = verify(db, workflows, progress=progress, split_from=split_from)
    problems = _anchored_problems(db, parsed.heads)
    return dataclasses.replace(
        report,
        problems=(*report.problems, *problems),
        anchor=dataclasses.replace(check, ok=not problems),
    )


def _anchored_problems(db: Database, heads: Sequence[Head]) -> list[Problem]:
    """Each anchored head that is not in today's chain of its item, as a problem. Read
    from history itself: the entry at the item's version for the items whose version is
    the anchored one (one pass over the items), by (item, version) for the others."""
    found: dict[str, tuple[int, int | None, str | None]] = {}  # version, entry id, hash
    ids: dict[str, int] = {}
    with db.snapshot() as session:
        for _, lowered, item_id, version, _, entry_id, hash_ in session.execute(_chain_heads()):
            ids[lowered] = item_id
            found[lowered] = (version, entry_id, hash_)
        moved: dict[int, list[tuple[int, Head]]] = {}
        for head in heads:
            current = found.get(head.key.lower())
            if current is not None and current[0] != head.version:
                moved.setdefault(head.version, []).append((ids[head.key.lower()], head))
        # The moved heads by version, 500 items a query: each row read is one wanted.
        for version, pairs in moved.items():
            for start in range(0, len(pairs), 500):
                wanted = dict(pairs[start : start + 500])
                query = select(history.c.item_id, history.c.id, history.c.hash).where(
                    history.c.version == version, history.c.item_id.in_(wanted)
                )
                for item_id, entry_id, hash_ in session.execute(query):
                    found[wanted.pop(item_id).key.lower()] = (version, entry_id, hash_)
                for head in wanted.values():
                    found[head.key.lower()] = (version, None, None)
    problems = []
    for head in heads:
        known = found.get(head.key.lower())
        if known is None:
            message = f"anchored at version {head.version}, but the item is gone"
            problems.append(Problem(head.key, None, message))
        elif known[2] is None:
            message = (
                f"anchored at version {head.version}, but its chain has no entry "
                f"{head.version} now: history was cut"
            )
            problems.append(Problem(head.key, None, message))
        elif known[2] != head.hash:
            message = (
                f"history rewritten: entry {head.version} has hash {known[2][:12]}…, "
                f"the anchor says {head.hash[:12]}…"
            )
            problems.append(Problem(head.key, known[1], message))
    return problems
