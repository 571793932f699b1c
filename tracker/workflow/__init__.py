"""Workflows: engine.py (a workflow's states and triggers on `transitions`, pure),
schema.py (a TOML file -> Workflow), registry.py (the workflows in force), diagram.py."""

from .engine import (
    COMMENT_REQUIRES,
    REQUIRABLE_FIELDS,
    RESERVED_TRIGGERS,
    STATE_KEEPING_TRIGGERS,
    Transition,
    Workflow,
    keeps_state,
    missing,
)
from .registry import Workflows
from .schema import MAX_KEY_PARTS, parse_workflow

__all__ = [
    "COMMENT_REQUIRES",
    "MAX_KEY_PARTS",
    "REQUIRABLE_FIELDS",
    "RESERVED_TRIGGERS",
    "STATE_KEEPING_TRIGGERS",
    "Transition",
    "Workflow",
    "Workflows",
    "keeps_state",
    "missing",
    "parse_workflow",
]
