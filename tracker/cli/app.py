"""The `tracker` command: the root command (database, workflows, completion), its
subcommands from cli/commands/, and `main`, where errors become one `error:` line and an exit
code, and nowhere else. Each command is a few lines over one Tracker method."""

from __future__ import annotations

import errno
import os
import sys
from contextlib import suppress
from pathlib import Path

import click

from ..errors import TrackerError, UsageError
from .commands import audit, consents, fire, history, items, setup, transfer, views, workflow
from .context import Context

SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class ReaderGone(Exception):
    """stdout's reader stopped reading (`tracker list | head -1`): not a failure."""


class _Root(click.Group):
    """The root command. A broken pipe leaves it as ReaderGone: click's main turns an EPIPE
    into exit 1 itself, even when not standalone (exit 1 says the tracker has a bug)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise ReaderGone from None


@click.group(cls=_Root, invoke_without_command=True, context_settings=SETTINGS)
@click.option(
    "--db",
    envvar="TRACKER_DB",
    metavar="URL",
    help="Database URL or SQLite file path [env TRACKER_DB; default: a file in the "
    "user data directory].",
)
@click.option(
    "--workflows",
    envvar="TRACKER_WORKFLOWS",
    metavar="DIR",
    help="A directory of extra workflow TOML files [env TRACKER_WORKFLOWS].",
)
@click.option("--install-completion", is_flag=True, help="Install shell completion and exit.")
@click.version_option(package_name="tracker", message="tracker %(version)s")
@click.pass_context
def cli(
    ctx: click.Context, db: str | None, workflows: str | None, install_completion: bool
) -> None:
    """Alliance cooperation items as state machines, with an audit-grade history.

    \b
    Examples:
      tracker init --seed
      tracker list --state resumed
      tracker fire ACSA resume --reason "talks restart" --source Nikkei
      tracker history ACSA --format json | jq '.[].to_state'
    """
    if install_completion:
        _install_completion()
        ctx.exit(0)
    # TRACKER_WORKFLOWS is read by the service itself; pass only an explicit --workflows.
    explicit = workflows if workflows != os.environ.get("TRACKER_WORKFLOWS") else None
    ctx.obj = Context(db, explicit)
    ctx.call_on_close(ctx.obj.close)
    if ctx.invoked_subcommand is None:
        ctx.invoke(setup.tui)


for command in (
    setup.tui,
    setup.init,
    items.add,
    items.list_,
    items.show,
    items.comment,
    items.edit,
    fire.fire,
    consents.approve,
    consents.withdraw,
    consents.pending,
    history.history,
    history.as_of,
    history.timeline,
    transfer.apply,
    transfer.export,
    transfer.import_,
    audit.anchor,
    audit.verify,
    views.view,
    workflow.workflow,
):
    cli.add_command(command)


def _install_completion() -> None:
    shell = Path(os.environ.get("SHELL", "bash")).name
    scripts = {
        "bash": ("~/.bashrc", 'eval "$(_TRACKER_COMPLETE=bash_source tracker)"'),
        "zsh": ("~/.zshrc", 'eval "$(_TRACKER_COMPLETE=zsh_source tracker)"'),
        "fish": (
            "~/.config/fish/completions/tracker.fish",
            "_TRACKER_COMPLETE=fish_source tracker | source",
        ),
    }
    if shell not in scripts:
        raise UsageError(f"no completion for shell {shell!r} (bash, zsh, fish)")
    rc, line = scripts[shell]
    path = Path(rc).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = path.read_text() if path.exists() else ""
    if line not in existing:
        with path.open("a") as handle:
            handle.write(f"\n{line}\n")
    click.echo(f"{shell} completion installed in {path}; open a new shell to use it")


def main(argv: list[str] | None = None) -> None:
    """The console entry point: run a command; turn errors into one line and an exit code."""
    if sys.stdout is None:  # started with stdout closed (`>&-`): refused before any change
        raise SystemExit(_fail("standard output is closed", 2) if sys.stderr else 2)
    _utf8_streams()
    code = run(argv)
    try:
        sys.stdout.flush()
    except OSError as exc:
        code = _output_failed(exc)
    raise SystemExit(code)


def _utf8_streams() -> None:
    """Output is UTF-8 whatever the locale says (JSON, CSV and NDJSON are UTF-8 by contract):
    a latin-1 or ASCII stdout failed with exit 1 on the first character it could not encode.
    An error line keeps the terminal's encoding, with what it cannot show as \\xNN escapes."""
    if (sys.stdout.encoding or "").lower().replace("-", "") != "utf8":
        with suppress(AttributeError, ValueError):
            sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    with suppress(AttributeError, ValueError):
        sys.stderr.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]


def run(argv: list[str] | None = None) -> int:
    try:
        args = sys.argv[1:] if argv is None else argv
        args = _utf8_arguments(args)
        cli.main(args=args, prog_name="tracker", standalone_mode=False)
    except TrackerError as exc:
        return _fail(str(exc), exc.exit_code)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        return 2
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        return _fail(exc.format_message() + hint, 2)
    except click.ClickException as exc:
        return _fail(exc.format_message(), exc.exit_code)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        return _fail("aborted", 130)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except (BrokenPipeError, ReaderGone):
        _quiet_stdout()
        return 0
    except OSError as exc:
        if exc.filename is not None or exc.errno not in _OUTPUT_ERRORS:
            return _unexpected(exc)
        return _output_failed(exc)
    except Exception as exc:
        return _unexpected(exc)
    return 0


def _quiet_stdout() -> None:
    """What is left to flush goes nowhere: the reader is gone (Python's note on SIGPIPE)."""
    with suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


# What writing to stdout meets on a full or failing disk, a closed descriptor: the environment,
# not a bug. The files the tracker opens say their own errors (a UsageError naming the file),
# so an OSError with no file name reaching run() is the output's.
_OUTPUT_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EBADF})


def _output_failed(exc: OSError) -> int:
    return _fail(f"cannot write the output: {exc.strerror or exc}", 2)


def _unexpected(exc: Exception) -> int:
    if os.environ.get("TRACKER_DEBUG"):
        raise exc
    return _fail(f"unexpected {type(exc).__name__}: {exc}", 1)


def _utf8_arguments(args: list[str]) -> list[str]:
    """Every argument as text. Bytes the locale could not decode reach Python as lone
    surrogates (surrogateescape): UTF-8 ones (an ASCII locale with UTF-8 mode off) are read as
    UTF-8; any others no database, file or terminal takes, so they are refused here, once, for
    every command and option (exit 2) rather than failing somewhere inside."""
    return [_utf8_argument(number, arg) for number, arg in enumerate(args, start=1)]


def _utf8_argument(number: int, arg: str) -> str:
    try:
        arg.encode("utf-8")
        return arg
    except UnicodeEncodeError:
        pass
    try:  # argv bytes the locale did not decode come as U+DC80..U+DCFF
        raw = arg.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # any other lone surrogate (only an in-process caller)
        raise _not_utf8(number, arg.encode("utf-8", "backslashreplace")) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _not_utf8(number, raw) from None


def _not_utf8(number: int, raw: bytes) -> UsageError:
    shown = raw.decode("utf-8", "backslashreplace")  # bytes as \xNN
    return UsageError(f'argument {number} ("{shown[:80]}") is not valid UTF-8 text')


# An error is one line a person reads: a value quoted in it (a 5,000-digit number) is cut.
_MESSAGE_MAX = 1000


def _fail(message: str, code: int) -> int:
    from .output import safe

    if len(message) > _MESSAGE_MAX:
        message = message[:_MESSAGE_MAX] + "…"
    sys.stderr.write(f"error: {safe(message)}\n")
    return code
