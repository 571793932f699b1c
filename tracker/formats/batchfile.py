"""Batch files for `apply`: a JSON array, NDJSON (one object a line) or a YAML list.

Each object becomes a typed operation (operations.py) that keeps the line it came from, so an
error can point at it. NDJSON itself (lines, limits, strict JSON) is ndjson.py. Reading only:
the batch (store/batch.py) checks the operations against the items and writes them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from ..dates import refuse_finer_than_microseconds
from ..errors import UsageError
from ..operations import Read, from_mapping
from .ndjson import (
    CHUNK,
    decoded,
    first_clause,
    json_error,
    read_lines,
    unique_keys,
    without_bom,
)
from .ndjson import read as ndjson

MAX_DOCUMENT = 32 << 20
"""The largest JSON-array batch, in bytes (32 MiB); NDJSON has no total limit."""
MAX_YAML = 4 << 20
"""The largest YAML batch, in bytes (4 MiB): YAML reads some 50 times slower than JSON."""
_BLANK = b" \t\r\n"


def operations(raw: Iterable[tuple[int, Any]]) -> Read:
    """Each (line, object) as a typed operation; errors name the line."""
    return Read(from_mapping(obj, line) for line, obj in raw)


def parse(text: str) -> Read:
    """Parse a batch, guessing its format: `[` starts JSON, `{` NDJSON, anything else YAML."""
    stripped = text.lstrip()
    if not stripped:
        return Read()
    if stripped.startswith("["):
        return operations(_json_array(text))
    if stripped.startswith("{"):
        # "\n" only: splitlines() also ends a line at U+2028, U+2029, U+0085, \r, \x1c-\x1e...,
        # which a JSON string may hold.
        return operations(ndjson(text.split("\n")))
    return operations(_yaml_list(text))


def read(stream: BinaryIO) -> Read:
    """Read and parse a batch from a byte stream with bounded memory: NDJSON line by line
    (each at most MAX_LINE bytes), a JSON array (at most MAX_DOCUMENT) or a YAML list (at most
    MAX_YAML) whole."""
    read_so_far = newlines = 0
    chunk = without_bom(stream.read(CHUNK))
    while True:  # blank chunks are dropped; only their newlines are kept, for line numbers
        if not chunk:
            return Read()
        read_so_far += len(chunk)
        if read_so_far > MAX_DOCUMENT:
            raise _too_big()
        if chunk.lstrip(_BLANK):
            head = b"\n" * newlines + chunk
            break
        newlines += chunk.count(b"\n")
        chunk = stream.read(CHUNK)
    if head.lstrip(_BLANK).startswith(b"{"):
        return operations(ndjson(read_lines(stream, head)))
    rest = stream.read(MAX_DOCUMENT + 1 - read_so_far)
    if read_so_far + len(rest) > MAX_DOCUMENT:
        raise _too_big()
    if not head.lstrip(_BLANK).startswith(b"[") and read_so_far + len(rest) > MAX_YAML:
        raise UsageError(
            f"a YAML batch may be at most {MAX_YAML >> 20} MiB: give a bigger one as a JSON "
            "array or NDJSON"
        )
    return parse(decoded(head + rest, None))


def _too_big() -> UsageError:
    return UsageError(
        f"the batch is larger than {MAX_DOCUMENT >> 20} MiB: split it, "
        "or give it as NDJSON (one operation a line)"
    )


def _json_array(text: str) -> Iterator[tuple[int, Any]]:
    decoder = json.JSONDecoder(object_pairs_hook=unique_keys)
    pos = text.index("[") + 1
    expect_value, after_comma = True, False
    # The line number of `pos`, counted on from the last position asked for: counting from
    # the start each time made a one-line array of 60,000 operations quadratic (minutes).
    counted, line = 0, 1

    def line_of(at: int) -> int:
        nonlocal counted, line
        line += text.count("\n", counted, at)
        counted = at
        return line

    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos >= len(text):
            raise UsageError(f"line {line_of(pos)}: bad JSON: unterminated array")
        if text[pos] == "]":
            if expect_value and after_comma:
                raise UsageError(f"line {line_of(pos)}: bad JSON: a ',' before ']'")
            if text[pos + 1 :].strip():
                raise UsageError(f"line {line_of(pos)}: bad JSON: text after the array")
            return
        if not expect_value:
            if text[pos] != ",":
                raise UsageError(f"line {line_of(pos)}: bad JSON: expected ',' or ']'")
            pos += 1
            expect_value = after_comma = True
            continue
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise json_error(exc) from None
        except RecursionError:
            raise UsageError(f"line {line_of(pos)}: bad JSON: nested too deeply") from None
        except UsageError as exc:
            raise UsageError(f"line {line_of(pos)}: {exc}") from None
        except ValueError as exc:  # an integer of more than 4,300 digits
            raise UsageError(f"line {line_of(pos)}: bad JSON: {first_clause(exc)}") from None
        yield line_of(pos), obj
        pos = end
        expect_value = False


def _yaml_list(text: str) -> Iterator[tuple[int, Any]]:
    import yaml

    try:
        loader = _unique_key_loader()(text)
    except yaml.YAMLError as exc:  # the reader refuses NUL and other special characters
        raise UsageError(f"bad YAML: {str(exc).splitlines()[0]}") from None
    try:
        root = loader.get_single_node()
        if root is None:
            return
        if not isinstance(root, yaml.SequenceNode):
            raise UsageError(
                f"line {root.start_mark.line + 1}: a batch must be a list of operations"
            )
        for node in root.value:
            yield node.start_mark.line + 1, loader.construct_object(node, deep=True)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else 0
        raise UsageError(f"line {line}: bad YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"bad YAML: {exc}") from None
    except RecursionError:
        raise UsageError("bad YAML: nested too deeply") from None
    except (ValueError, OverflowError) as exc:  # a value PyYAML cannot construct
        raise UsageError(f"bad YAML: {exc}") from None
    finally:
        loader.dispose()


@functools.cache
def _unique_key_loader() -> Any:
    """SafeLoader that refuses a mapping naming a field twice (PyYAML keeps the last).
    Built on first use: yaml is imported only when a YAML batch is read."""
    import yaml

    # libyaml's parser when PyYAML has it: 4 times faster, and it refuses nesting past 1,000.
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class UniqueKeyLoader(base):  # type: ignore[misc, valid-type]
        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen = set()
            for key_node, _value in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                if key_node.value in seen:
                    raise UsageError(
                        f"line {key_node.start_mark.line + 1}: "
                        f"field {key_node.value!r} appears twice in one object"
                    )
                seen.add(key_node.value)
            mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
            return mapping

        def construct_yaml_timestamp(self, node: Any) -> Any:
            # PyYAML cuts a fraction to six digits; the tracker refuses what it cannot keep.
            try:
                refuse_finer_than_microseconds(str(node.value))
            except UsageError as exc:
                raise UsageError(f"line {node.start_mark.line + 1}: {exc}") from None
            try:
                return super().construct_yaml_timestamp(node)
            except (ValueError, OverflowError):  # 30 February, hour 25, offset +99:00
                raise UsageError(
                    f"line {node.start_mark.line + 1}: bad date {node.value!r}"
                ) from None

        def construct_yaml_int(self, node: Any) -> Any:
            try:
                return super().construct_yaml_int(node)
            except ValueError as exc:  # more than 4,300 digits
                raise UsageError(
                    f"line {node.start_mark.line + 1}: bad number: {first_clause(exc)}"
                ) from None

    UniqueKeyLoader.add_constructor(
        "tag:yaml.org,2002:timestamp", UniqueKeyLoader.construct_yaml_timestamp
    )
    UniqueKeyLoader.add_constructor("tag:yaml.org,2002:int", UniqueKeyLoader.construct_yaml_int)
    return UniqueKeyLoader
