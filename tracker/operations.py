"""Typed operations: what a write asks for (add, fire, comment, edit, approve, withdraw), as
the API and batch files produce them and `store.batch.Batch` carries them out.

An operation only holds the shape of the request: its fields are present and of the right
type. The rules on their values (a key's characters, a text's limits, a date's form, the
workflow) are checked by the batch that carries it out, against the items it loads.

`OPERATIONS` maps each op name to its class. A new operation is one class here (its required
fields without a default) and one method of `store.batch.Batch` with the op's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from datetime import date
from operator import attrgetter
from typing import Any, ClassVar, NoReturn

from .errors import UsageError
from .frozen import builder

# An effective date as given: ISO 8601 text (or `now`), or a date / datetime (the Python
# API; YAML reads a bare date or time as one). None is now.
When = str | date | None
# Fields whose value is a list of strings (given as a list, kept as a tuple); `at` may also
# be a date; every other field is a string.
_LISTS = frozenset({"parties"})
# The types of a plain operation's values (_plain).
_PLAIN_TYPES = frozenset({str, type(None)})


@dataclass(frozen=True, slots=True)
class Operation:
    """One requested write on the item `key`. `line` is where a batch file gave it (0: not
    from a file; errors then name its position in the batch)."""

    op: ClassVar[str]
    key: str
    line: int = field(default=0, kw_only=True, compare=False)


@dataclass(frozen=True, slots=True)
class Add(Operation):
    """A new item in its workflow's initial state (a `create` history entry)."""

    op: ClassVar[str] = "add"
    title: str
    kind: str
    parties: tuple[str, ...] | None = None
    description: str | None = None
    at: When = None
    actor: str | None = None
    reason: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Fire(Operation):
    """A transition; `expect_state` refuses it (Conflict) if the item is in another state."""

    op: ClassVar[str] = "fire"
    trigger: str
    reason: str | None = None
    source: str | None = None
    at: When = None
    actor: str | None = None
    expect_state: str | None = None


@dataclass(frozen=True, slots=True)
class Comment(Operation):
    """A note on an item (`reason` is its text); the state stays."""

    op: ClassVar[str] = "comment"
    reason: str
    source: str | None = None
    at: When = None
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class Edit(Operation):
    """New title, description or parties (None: unchanged); the state stays."""

    op: ClassVar[str] = "edit"
    title: str | None = None
    description: str | None = None
    parties: tuple[str, ...] | None = None
    reason: str | None = None
    at: When = None
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class Approve(Operation):
    """`party`'s consent to the gated `trigger` (SPEC "Approvals"); the state stays, unless
    it completes the set: then the trigger fires too."""

    op: ClassVar[str] = "approve"
    trigger: str
    party: str
    reason: str | None = None
    source: str | None = None
    at: When = None
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class Withdraw(Operation):
    """`party`'s consent to `trigger`, taken back; the state stays."""

    op: ClassVar[str] = "withdraw"
    trigger: str
    party: str
    reason: str | None = None
    source: str | None = None
    at: When = None
    actor: str | None = None


OPERATIONS: dict[str, type[Operation]] = {
    cls.op: cls for cls in (Add, Fire, Comment, Edit, Approve, Withdraw)
}
"""Each op name (a batch object's `op`) to its class, in the order error messages list them."""


def _names(cls: type[Operation]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.name != "line")


# Per op: the names a batch object may hold, and the fields that must be given (not empty).
_ALLOWED = {name: frozenset({"op", *_names(cls)}) for name, cls in OPERATIONS.items()}
_REQUIRED = {
    name: tuple(f.name for f in fields(cls) if f.default is MISSING)
    for name, cls in OPERATIONS.items()
}
# Per op: its field names (less `line`) and a getter of their values, in that order; and a
# fast maker of it from them (then `line`).
_NAMES = {name: _names(cls) for name, cls in OPERATIONS.items()}
_BUILD = {name: builder(cls) for name, cls in OPERATIONS.items()}
# (attrgetter of one name gives the value, not a 1-tuple: hence the key twice, dropped.)
_VALUES = {name: attrgetter("key", *names) for name, names in _NAMES.items()}
# Per op: whether it has a list field (never the fast case: _plain), and where its required
# fields stand among its values (_NAMES order).
_HAS_LIST = {name: not _LISTS.isdisjoint(names) for name, names in _NAMES.items()}
_REQUIRED_AT = {
    name: tuple(names.index(field) for field in _REQUIRED[name]) for name, names in _NAMES.items()
}


def from_mapping(obj: Any, line: int, *, name_lines: bool = True) -> Operation:
    """The one place a raw object (a batch file's, a mapping given to `Tracker.apply`)
    becomes an operation: a known op, no unknown field, the required ones given, every value
    of its type. Errors name `line`, unless `name_lines` is false (one command's operation:
    a user who typed `tracker comment` wrote no line 1)."""
    op = obj.get("op") if type(obj) is dict or isinstance(obj, Mapping) else None
    if type(op) is not str or op not in OPERATIONS or not _ALLOWED[op].issuperset(obj):
        _refuse_shape(obj, _where(line, name_lines))
    if _plain(op, obj):
        # Every field left out is optional, None by default.
        return _BUILD[op](*map(obj.get, _NAMES[op]), line)
    values = dict(obj)
    del values["op"]
    _check(op, values, _where(line, name_lines))
    for name in _LISTS.intersection(values):
        if values[name] is not None:
            values[name] = tuple(values[name])
    return OPERATIONS[op](**values, line=line)


def checked(operation: Operation, *, name_lines: bool = True, line: int = 0) -> Operation:
    """An operation built in Python, held to the same rules as one read from a file (a caller
    of the API may pass anything, whatever the annotations say)."""
    op: str = getattr(operation, "op", "")
    if OPERATIONS.get(op) is not type(operation):  # the base class, or a subclass of one
        at = _where(operation.line or line, name_lines)
        name = type(operation).__name__
        raise UsageError(f"{at}{name} is not an operation (ops: {', '.join(OPERATIONS)})")
    values = _VALUES[op](operation)[1:]
    if not _plain_values(op, values):
        named = dict(zip(_NAMES[op], values, strict=True))
        _check(op, named, _where(operation.line or line, name_lines))
    return operation


class Read(list[Operation]):
    """Operations as `from_mapping` made them from a batch file, checked as they were read:
    `typed` takes them as they are (checking again cost a file's `apply` 85 % of the reading)."""


def typed(
    given: Iterable[Operation | Mapping[str, Any]], *, name_lines: bool = True
) -> list[Operation]:
    """Operations and raw mappings (converted), each checked; those without a line are
    numbered from 1 in the order given."""
    if type(given) is Read:
        return given
    out: list[Operation] = []
    for line, one in enumerate(given, start=1):
        if isinstance(one, Operation):
            out.append(checked(one, name_lines=name_lines, line=line))
        else:
            out.append(from_mapping(one, line, name_lines=name_lines))
    return out


def _where(line: int, name_lines: bool) -> str:
    """How an error starts: the operation's line, or nothing (one command's operation)."""
    return f"line {line}: " if name_lines else ""


def _refuse_shape(obj: Any, at: str) -> NoReturn:
    """The error for an object that is no operation: not an object, a name that is not a
    string, an unknown op, an unknown field (the first one found, in this order)."""
    if not isinstance(obj, Mapping):
        raise UsageError(f"{at}an operation must be an object, not {type(obj).__name__}")
    for name in obj:
        if type(name) is not str:  # YAML allows numbers, dates, null... as names
            raise UsageError(f"{at}a field name must be a string, not {name!r}")
    op = obj.get("op")
    if type(op) is not str or op not in OPERATIONS:
        raise UsageError(f"{at}unknown op {op!r} (ops: {', '.join(OPERATIONS)})")
    unknown = sorted(set(obj) - _ALLOWED[op])
    raise UsageError(f"{at}unknown field {unknown[0]!r} for op {op!r}")


def _plain(op: str, given: Mapping[str, Any]) -> bool:
    """The common case, decided fast: every required field given, every value a string or
    None, no list field. Anything else is looked at closely by _check (and most often is
    an error)."""
    for name in _REQUIRED[op]:
        if not given.get(name):
            return False
    for value in given.values():
        if type(value) is not str and value is not None:
            return False
    return _LISTS.isdisjoint(given)


def _plain_values(op: str, values: tuple[Any, ...]) -> bool:
    """`_plain` of an operation's values (in _NAMES order, every field present: an op with a
    list field is never plain)."""
    if _HAS_LIST[op]:
        return False
    for at in _REQUIRED_AT[op]:
        if not values[at]:
            return False
    return _PLAIN_TYPES.issuperset(map(type, values))


def _check(op: str, given: Mapping[str, Any], at: str) -> None:
    """Refuse a missing required field, then a value of the wrong type (the first in the
    order given)."""
    for name in _REQUIRED[op]:
        if given.get(name) in (None, ""):
            raise UsageError(f"{at}op {op!r} needs {name!r}" if at else f"{op} needs {name!r}")
    for name, value in given.items():
        if value is None or (type(value) is str and name not in _LISTS):
            continue
        if name in _LISTS:
            if not isinstance(value, list | tuple) or not all(isinstance(p, str) for p in value):
                raise UsageError(f"{at}{name!r} must be a list of strings")
        elif name == "at" and isinstance(value, date):
            continue  # YAML reads a bare date or time as one; the API takes datetimes
        elif not isinstance(value, str):
            raise UsageError(f"{at}{name!r} must be a string")
