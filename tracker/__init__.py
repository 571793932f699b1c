"""tracker: alliance cooperation items as state machines with an audit-grade history.

from tracker import Tracker
with Tracker.open("sqlite:///tracker.db") as t:
    t.fire("ACSA", "resume", reason="talks restart")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    Conflict,
    DatabaseUnusable,
    ItemNotFound,
    NotAllowed,
    NotFound,
    TrackerError,
    TriggerNotFound,
    UsageError,
    VerificationFailed,
    WorkflowFileError,
)

if TYPE_CHECKING:
    from .audit.anchor import Anchor
    from .records import (
        Add,
        ApplyResult,
        Approve,
        Comment,
        Consent,
        Edit,
        Filter,
        Fire,
        FireCheck,
        FireResult,
        HistoryEntry,
        HistorySearch,
        Item,
        ItemPage,
        ItemState,
        Operation,
        Pending,
        Refusal,
        Span,
        VerifyReport,
        View,
        Withdraw,
    )
    from .service import Tracker
    from .workflow import Workflow

__all__ = [
    "Add",
    "Anchor",
    "ApplyResult",
    "Approve",
    "Comment",
    "Conflict",
    "Consent",
    "DatabaseUnusable",
    "Edit",
    "Filter",
    "Fire",
    "FireCheck",
    "FireResult",
    "HistoryEntry",
    "HistorySearch",
    "Item",
    "ItemNotFound",
    "ItemPage",
    "ItemState",
    "NotAllowed",
    "NotFound",
    "Operation",
    "Pending",
    "Refusal",
    "Span",
    "Tracker",
    "TrackerError",
    "TriggerNotFound",
    "UsageError",
    "VerificationFailed",
    "VerifyReport",
    "View",
    "Withdraw",
    "Workflow",
    "WorkflowFileError",
]

_LAZY = {
    "Tracker": "service",
    "Anchor": "audit.anchor",
    "Workflow": "workflow",
    "ApplyResult": "records",
    "Filter": "records",
    "FireResult": "records",
    "HistoryEntry": "records",
    "HistorySearch": "records",
    "Item": "records",
    "ItemState": "records",
    "ItemPage": "records",
    "VerifyReport": "records",
    "View": "records",
    "FireCheck": "records",
    "Refusal": "records",
    "Span": "records",
    "Add": "records",
    "Fire": "records",
    "Comment": "records",
    "Edit": "records",
    "Operation": "records",
    "Approve": "records",
    "Withdraw": "records",
    "Consent": "records",
    "Pending": "records",
}


def __getattr__(name: str) -> Any:
    # The service pulls in SQLAlchemy; load it on first use so `import tracker` stays cheap.
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'tracker' has no attribute {name!r}")
