"""Reading every chain for a replay: the items' rows, the history entries in id order (in
pieces straight from the driver), fed to replay.Replay, which checks them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select

from .. import fields
from ..store.database import Database
from ..store.models import history, items
from ..workflow import Workflows

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .replay import Replay


def heads(db: Database, *, with_fields: bool) -> Select[Any]:
    """Each item as `replay` expects it, by id: id, key, workflow, state, version and head
    hash; with `with_fields` also every field the chain records."""
    columns: list[Any] = [
        items.c.id,
        items.c.key,
        items.c.workflow,
        items.c.state,
        items.c.version,
        items.c.last_hash,
    ]
    if with_fields:
        columns += [
            items.c.title,
            items.c.kind,
            items.c.parties,
            items.c.description,
            db.time_text(items.c.created_at),
        ]
    return select(*columns).order_by(items.c.id)


def item_rows(db: Database) -> Select[Any]:
    """Each item as the clean passes read it (audit/fast.py, audit/native.py), by id: `heads`
    with every field, then key_lower, changed_at and updated_at (canonical text)."""
    return select(
        *heads(db, with_fields=True).selected_columns,
        items.c.key_lower,
        db.time_text(items.c.changed_at),
        db.time_text(items.c.updated_at),
    ).order_by(items.c.id)


def entries(db: Database) -> Select[Any]:
    """Every history entry as a replay checks it: id, item id, version, trigger, from and to
    state, occurred and recorded (canonical text), actor, reason, source, hash, fields."""
    return select(
        history.c.id,
        history.c.item_id,
        history.c.version,
        history.c.trigger,
        history.c.from_state,
        history.c.to_state,
        db.time_text(history.c.occurred_at),
        db.time_text(history.c.recorded_at),
        history.c.actor,
        history.c.reason,
        history.c.source,
        history.c.hash,
        history.c.fields,
    )


def replay(
    db: Database,
    workflows: Workflows,
    *,
    after: int | None = None,
    upto: int | None = None,
    progress: Callable[[int], None],
    shared: str | None = None,
    session: Session | None = None,
    rows: Sequence[Sequence[Any]] | None = None,
) -> Replay:
    """Check the history entries with ids in (after, upto] (each bound when given), in id
    order. With `after`, each item's chain resumes from its last entry up to there: the
    state a single pass has at that point, whatever that entry's own check found; the
    item fields entries record are then left to the caller (`Replay.deferred`), who
    knows them up to `after`. One snapshot: `session`, else a snapshot of its own
    (`shared`: one exported by another transaction). `rows`: the items' rows (as
    `heads(with_fields=False)` reads them) when the caller read them in its snapshot."""
    from ..chain import item_fields_text
    from .replay import ITEM_TEXTS, Replay, as_text

    checking = Replay(workflows, defer_fields=after is not None)
    reading = nullcontext(session) if session is not None else db.snapshot(shared)
    with reading as session:
        given = [rows] if rows is not None else None
        for item_rows in given or db.stream(session, heads(db, with_fields=after is None)):
            for stored in item_rows:
                row, blobs = as_text(ITEM_TEXTS, stored)
                if after is not None:
                    checking.expect(*row)  # the other half's replay names any BLOB
                    continue
                (id_, key, workflow, state, version, head, title, kind, parties, description,
                 created) = row  # fmt: skip
                row_fields = item_fields_text(
                    key,
                    title,
                    kind,
                    workflow,
                    fields.stored_parties(parties),
                    description,
                    created,
                )
                checking.expect(id_, key, workflow, state, version, head, row_fields, blobs)
        within = []
        if after is not None:
            within.append(history.c.id > after)
            last = (
                select(func.max(history.c.id).label("id"))
                .where(history.c.id <= after)
                .group_by(history.c.item_id)
                .subquery()
            )
            ends = select(
                history.c.item_id,
                history.c.version,
                history.c.to_state,
                db.time_text(history.c.occurred_at),
                history.c.hash,
            ).join(last, history.c.id == last.c.id)
            for found in db.stream(session, ends):
                checking.resume(found)
        if upto is not None:
            within.append(history.c.id <= upto)
        query = entries(db).where(*within).order_by(history.c.id)
        done = 0
        for found in db.stream(session, query):
            checking.check_rows(found)
            done += len(found)
            progress(done)
    return checking
