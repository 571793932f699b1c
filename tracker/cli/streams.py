"""Where commands read and write: FILE or stdin, an output file replaced only when complete
(never the database), stdout as UTF-8, and a progress bar on a terminal's stderr."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

from ..errors import UsageError

if TYPE_CHECKING:
    from ..service import Tracker


@contextmanager
def progress_bar(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr when it is a terminal; silent otherwise."""
    if not sys.stderr.isatty():
        yield lambda _done: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.update(task, completed=done)


@contextmanager
def open_input(path: str) -> Iterator[BinaryIO]:
    """FILE or stdin (`-`) as bytes; the readers in tracker.formats bound what they
    take of it. An error while reading (EISDIR, EIO...) is a UsageError too."""
    try:
        if path == "-":
            if sys.stdin is None:  # started with stdin closed (`<&-`)
                raise UsageError("cannot read -: standard input is closed")
            yield sys.stdin.buffer
            return
        try:
            stream = Path(path).open("rb")  # noqa: SIM115 - closed below
        except ValueError as exc:  # a NUL in the path
            raise UsageError(f"cannot read {path}: {exc}") from None
        with stream:
            yield stream
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


@contextmanager
def open_output(target: str, tracker: Tracker) -> Iterator[TextIO]:
    """Where a command's output goes: stdout for "-"; a pipe or device as it is; any other
    path through a temporary file beside it, renamed over it only once everything is written,
    so a failure (a full disk, an error) leaves the previous file as it was. Never the database
    or its journal files."""
    if target == "-":
        with _utf8_stdout() as out:
            yield out
        return
    _refuse_database_file(tracker, target)
    given = Path(target)
    if given.exists() and not given.is_file():  # /dev/stdout, a FIFO: nothing to rename
        try:
            with given.open("w", encoding="utf-8") as handle:
                yield handle
        except OSError as exc:
            raise UsageError(f"cannot write {target}: {exc.strerror}") from None
        return
    with (
        replaced_file(target, tracker) as temporary,
        temporary.open("w", encoding="utf-8", newline="\n") as handle,
    ):
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


@contextmanager
def replaced_file(target: str, tracker: Tracker) -> Iterator[Path]:
    """A temporary file beside `target` (with its suffix) for the block to write, renamed over
    `target` only once the block is done: a failure leaves the previous file as it was, and a
    hard link to another file (the database) is a name replaced, never that file rewritten.
    Never the database or its journal files (also through a symlink)."""
    _refuse_database_file(tracker, target)
    path = Path(target).resolve()  # through a symlink: replace the file, not the link
    import tempfile

    try:
        descriptor, name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent
        )
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror}") from None
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, _new_file_mode(path))
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise UsageError(f"cannot write {target}: {exc.strerror}") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextmanager
def _utf8_stdout() -> Iterator[TextIO]:
    """stdout as UTF-8 with "\n" line ends, whatever the locale says (an export is UTF-8 NDJSON;
    a latin-1 or ASCII stdout failed on the first character it cannot encode)."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None or (sys.stdout.encoding or "").lower().replace("-", "") == "utf8":
        yield sys.stdout
        return
    import io

    sys.stdout.flush()
    out = io.TextIOWrapper(buffer, encoding="utf-8", newline="\n")
    try:
        yield out
    finally:
        out.flush()
        out.detach()


def _new_file_mode(path: Path) -> int:
    """The mode of the file being replaced, else what the umask gives a new file."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def _refuse_database_file(tracker: Tracker, target: str) -> None:
    """Refuse to write over the SQLite database or its journal files."""
    database = tracker.database_file
    if database is None:
        return
    base = database.resolve()
    ours = {base, *(base.with_name(base.name + end) for end in ("-wal", "-shm", "-journal"))}
    if Path(target).resolve() in ours:
        raise UsageError(f"{target} is the database (or its journal): choose another file")
