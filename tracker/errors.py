"""One hierarchy of errors. Each knows the exit code the CLI turns it into (SPEC: exit codes)."""

from __future__ import annotations


class TrackerError(Exception):
    """Base of every error a user can cause; `exit_code` is what the CLI exits with."""

    exit_code = 1


class UsageError(TrackerError):
    """Bad input: a malformed date, key, file or option."""

    exit_code = 2


class WorkflowFileError(UsageError):
    """A workflow file that cannot be loaded (syntax or meaning); names the file and line."""


class PartyMapError(UsageError):
    """A party map (who may consent for which party) that cannot be used; names the file and
    line."""


class NotFound(TrackerError):
    """An item, trigger, workflow or view that does not exist."""

    exit_code = 3


class ItemNotFound(NotFound):
    def __init__(self, key: str) -> None:
        super().__init__(f"no item {key!r}")
        self.key = key


class TriggerNotFound(NotFound):
    pass


class NotAllowed(TrackerError):
    """A transition not allowed from the current state, or a required field missing."""

    exit_code = 4


class Conflict(TrackerError):
    """The item changed under us: `--expect-state` did not match, a concurrent writer won,
    or a key that must be new already exists."""

    exit_code = 5


class DatabaseUnusable(TrackerError):
    """Unreachable, not a tracker database, or a schema newer than this program."""

    exit_code = 6


class VerificationFailed(TrackerError):
    """`verify` found a broken hash chain or a state that replay disagrees with."""

    exit_code = 7
