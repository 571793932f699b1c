"""One reader of the project's TOML files (workflow files, the party map): a problem in the
file is one line naming the file and, where TOML says so, the line and column."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_TOML_WHERE = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")


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
