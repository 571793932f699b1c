"""Tracker's whole-database jobs: export, import, verify and anchor (each loads its modules
when called: cryptography and the replay cost time `tracker fire` does not spend)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..audit import SPLIT_VERIFY_FROM
from ..records import VerifyReport
from ..store.batch import Progress
from .part import Part, no_progress

if TYPE_CHECKING:
    from ..audit.anchor import Anchor


class Audit(Part):
    """Export, import, verify, anchor."""

    def export(self, out: TextIO, *, progress: Progress = no_progress) -> tuple[int, int]:
        """Write the whole database as NDJSON: a header line, then items, then history entries
        (hashes included), read in one snapshot. Returns (items, entries)."""
        from ..store.export import export

        return export(self.db, self.workflows, out, progress)

    def import_(
        self, lines: Iterable[str], *, merge: bool = False, progress: Progress = no_progress
    ) -> tuple[int, int]:
        """Restore an export. Every chain is checked before anything is written; a database
        that already has items is refused unless `merge` (then only new keys are taken, and
        none of the file's keys may exist). Returns (items, entries)."""
        from ..store.importer import import_

        return import_(self.db, self.workflows, lines, merge=merge, progress=progress)

    def verify(
        self,
        *,
        progress: Progress = no_progress,
        split_from: int = SPLIT_VERIFY_FROM,
        anchor: str | Path | Anchor | None = None,
        trust: Sequence[str] = (),
    ) -> VerifyReport:
        """Replay every item's history in one snapshot: the hash chain, each from_state against
        the previous to_state, each trigger against the workflow, and the item's state,
        version, head and every field. A history spanning `split_from` entry ids or more is
        checked by two processes (audit.split); the report is the one a single pass makes.
        With `anchor` (a file or an Anchor), also prove that today's history extends the
        anchored one; `trust` pins the keys it may be signed by."""
        from ..audit import anchored, verify

        if anchor is None:
            return verify.verify(self.db, self.workflows, progress=progress, split_from=split_from)
        return anchored.verify_anchored(
            self.db, self.workflows, anchor, trust, progress=progress, split_from=split_from
        )

    def anchor(self, key_file: str | Path | None = None) -> Anchor:
        """A signed statement of every item's chain head (tracker.audit.anchor), read in one
        snapshot and signed with `key_file` (a team key), else this user's own key (created
        on first use). Refused (exit 7) if an item's row does not match its chain's last
        entry: an anchor of a broken chain would prove nothing (run `verify`)."""
        from ..audit import anchored

        return anchored.anchor(self.db, key_file)
