"""One reader of the project's TOML files (workflow files, the party map): a problem in the
file is one line naming the file and, where TOML says so, the line and column. Only regular
files are read (a FIFO would block the read forever)."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

_TOML_WHERE = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")


# What a name may be instead of a regular file, in words (anything else: "a special file").
_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def read(path: Path, error: Callable[[str], Exception]) -> str:
    """The UTF-8 text of the regular file at `path`. What is not a regular file is refused
    with `error` before a byte is read: reading a FIFO waits for a writer, forever if none
    comes, and a device may never end. The file is opened without blocking and checked by
    the open descriptor, so a name swapped in between cannot slip a FIFO through.
    FileNotFoundError is left to the caller (a missing file may mean "none"); any other
    failure to read, or text that is not UTF-8, is `error` naming the file."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise error(f"{path}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            kind = next((word for test, word in _KINDS if test(mode)), "a special file")
            raise error(f"{path}: not a regular file ({kind})")
        with open(descriptor, "rb", closefd=False) as file:
            raw = file.read()
    except OSError as exc:
        raise error(f"{path}: {exc.strerror or exc}") from None
    finally:
        os.close(descriptor)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start})") from None


def load(text: str, path: str, error: Callable[[str], Exception]) -> dict[str, Any]:
    """The table in TOML `text`; `error(message)` is raised for a file that is not TOML, with
    `path:line:` in front where the parser knows the line."""
    import tomllib  # only when there is a file to read

    try:
        return tomllib.loads(without_bom(text))
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_WHERE.search(message)
        if found is None:
            raise error(f"{path}: {message}") from None
        line, column = found.groups()
        cut = message[: found.start()]
        if line is None:
            last = len(text.splitlines()) or 1
            raise error(f"{path}:{last}: {cut} (at the end of the file)") from None
        raise error(f"{path}:{line}: {cut} (column {column})") from None
    except RecursionError:
        raise error(f"{path}: nested too deeply") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise error(f"{path}: {str(exc).split(';', 1)[0]}") from None


def without_bom(text: str) -> str:
    """The text without the byte order mark Windows editors put first in a UTF-8 file, which
    Python's TOML reader refuses (`Invalid statement (column 1)`)."""
    return text.removeprefix("\ufeff")
