"""tracker's commands. Each is a few lines over one Tracker method; errors become one
`error:` line and an exit code here, in `main`, and nowhere else."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

import click

from ..errors import Conflict, TrackerError, UsageError

# CSV is for scripts: every field of SPEC's JSON shapes, in that order (tables show fewer).
from ..records import ENTRY_FIELDS, FILTER_WORDS, ITEM_FIELDS, Filter
from ..wording import plural
from .options import (
    AS_OF,
    DRY_RUN,
    FORMAT,
    LIMIT,
    WHERE,
    entry_options,
    filter_options,
    period_options,
)

if TYPE_CHECKING:
    from ..service import Tracker

ITEM_COLUMNS = ["key", "title", "kind", "parties", "state", "version", "updated_at"]
ENTRY_COLUMNS = [
    "id",
    "item",
    "trigger",
    "from_state",
    "to_state",
    "occurred_at",
    "actor",
    "reason",
    "source",
]
SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Context:
    """What the root command collected: where the database is, which workflows are extra."""

    def __init__(self, db: str | None, workflows: str | None) -> None:
        self.db = db
        self.workflows = workflows
        self._tracker: Tracker | None = None

    def tracker(self) -> Tracker:
        if self._tracker is None:
            from ..service import Tracker

            self._tracker = Tracker.open(self.db, workflows_dir=self.workflows, lasting=True)
        return self._tracker

    def close(self) -> None:
        if self._tracker is not None:
            self._tracker.close()


pass_context = click.make_pass_decorator(Context)


@click.group(invoke_without_command=True, context_settings=SETTINGS)
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
        ctx.invoke(tui)


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


@cli.command()
@pass_context
def tui(obj: Context) -> None:
    """Open the terminal UI (also what `tracker` alone does)."""
    try:
        from ..tui.app import run
    except ModuleNotFoundError:
        click.echo(click.get_current_context().find_root().get_help())
        return
    run(obj.tracker())


@cli.command()
@click.option("--seed", is_flag=True, help="Also load the seed items (idempotent).")
@pass_context
def init(obj: Context, seed: bool) -> None:
    """Create or upgrade the database; with --seed load the seed items.

    \b
    Example:
      tracker --db sqlite:///team.db init --seed
    """
    tracker = obj.tracker()
    added = tracker.seed() if seed else 0
    count = sum(tracker.count().values())
    click.echo(
        f"database ready: {tracker.shown_url} ({plural(count, 'item')}"
        + (f", {added} seeded" if seed else "")
        + ")"
    )


@cli.command()
@click.argument("key")
@click.option("--title", required=True, help="What the item is.")
@click.option("--kind", required=True, help="Its kind (names the workflow, e.g. agreement).")
@click.option("--party", "parties", multiple=True, help="A party, e.g. ROK (repeatable).")
@click.option("--description", default="", help="Longer text.")
@entry_options(
    "at",
    "actor",
    "reason",
    "source",
    at="Effective date of creation (ISO 8601; default now).",
    reason="Why it was created.",
)
@FORMAT
@pass_context
def add(
    obj: Context,
    key: str,
    title: str,
    kind: str,
    parties: tuple[str, ...],
    description: str,
    at: str | None,
    actor: str | None,
    reason: str | None,
    source: str | None,
    fmt: str,
) -> None:
    """Add an item in its workflow's initial state.

    \b
    Example:
      tracker add GSOMIA --title "Intelligence sharing pact" --kind agreement \\
          --party ROK --party JPN --at 2016-11-23 --source Yonhap
    """
    from . import output

    item = obj.tracker().add(
        key, title, kind, parties, description, at=at, actor=actor, reason=reason, source=source
    )
    if fmt == "table":
        click.echo(f"added {output.safe(item.key)} ({item.state})")
    else:
        output.emit_one(item, fmt)


@cli.command("list")
@filter_options
@AS_OF
@click.option("--view", metavar="NAME", help="A saved view's filters (explicit options win).")
@click.option(
    "--sort",
    default="key",
    show_default=True,
    help="Sort by key, title, kind, state, changed_at, created_at or updated_at.",
)
@click.option("--desc", is_flag=True, help="Sort descending.")
@LIMIT
@FORMAT
@pass_context
def list_(
    obj: Context,
    where: Filter,
    as_of: str | None,
    view: str | None,
    sort: str,
    desc: bool,
    limit: int | None,
    fmt: str,
) -> None:
    """List items, filtered.

    \b
    Examples:
      tracker list --party JPN --state suspended --format csv
      tracker list --view stuck --kind exercise
    """
    from . import output

    found = obj.tracker().list(
        where,
        as_of=as_of,
        view=view,
        order_by=sort,
        descending=desc,
        limit=limit,
    )
    output.emit(found, fmt, ITEM_FIELDS if fmt == "csv" else ITEM_COLUMNS)


@cli.command()
@click.argument("key")
@click.option(
    "--entries",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="How many recent entries.",
)
@FORMAT
@pass_context
def show(obj: Context, key: str, entries: int, fmt: str) -> None:
    """Show an item, its allowed triggers and its recent history.

    \b
    Example:
      tracker show acsa
    """
    import json

    from . import output

    tracker = obj.tracker()
    item = tracker.get(key)
    recent = tracker.history(item.key, newest_first=True, limit=entries)[::-1]
    if fmt in ("json", "ndjson"):
        data = {**item.to_json(), "history": [e.to_json() for e in recent]}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2 if fmt == "json" else None))
        return
    if fmt == "csv":
        output.emit([item], "csv", list(item.to_json()))
        return
    output.emit_one(item, "table")
    click.echo("")
    output.emit(recent, "table", ENTRY_COLUMNS, title="recent history")


@cli.command(context_settings={"ignore_unknown_options": False})
@click.argument("args", nargs=-1, required=True, metavar="[KEY...] TRIGGER")
@WHERE
@entry_options("reason", "source", "at", "actor", reason="Why (required by stall and suspend).")
@click.option("--expect-state", help="Refuse (exit 5) unless the item is in this state.")
@DRY_RUN
@FORMAT
@pass_context
def fire(
    obj: Context,
    args: tuple[str, ...],
    where: Filter | None,
    reason: str | None,
    source: str | None,
    at: str | None,
    actor: str | None,
    expect_state: str | None,
    dry_run: bool,
    fmt: str,
) -> None:
    """Fire a trigger on one item, or on several as one all-or-nothing batch.

    With --where, TRIGGER is the only argument and the items are those matching the filters;
    if the trigger is not allowed for some of them, nothing is fired and they are named.

    \b
    Examples:
      tracker fire DRILLS resume --source "Yonhap" --at 2026-02-10
      tracker fire SAREX REFUEL stall --reason "budget freeze" --expect-state resumed
      tracker fire suspend --where state=proposed,kind=exercise --reason "typhoon season"
    """
    from . import output

    if where is not None:
        if expect_state:
            raise click.UsageError("--expect-state does not go with --where (use state=)")
        written = {"reason": reason, "source": source, "at": at, "actor": actor}
        _fire_where(obj, args, where, written, dry_run, fmt)
        return
    if len(args) < 2:
        raise click.UsageError("give at least one KEY and a TRIGGER")
    *keys, trigger = args
    results = obj.tracker().fire_many(
        keys,
        trigger,
        reason=reason,
        source=source,
        at=at,
        actor=actor,
        expect_state=expect_state,
        dry_run=dry_run,
    )
    if fmt == "table":
        word = "would fire" if dry_run else "fired"
        for result in results:
            entry = result.entry
            click.echo(
                f"{output.safe(result.item.key)}: {word} {entry.trigger}: "
                f"{entry.from_state} -> {entry.to_state}"
            )
        return
    output.emit(results, fmt, ["item", "entry", "dry_run"])


def _fire_where(
    obj: Context,
    args: tuple[str, ...],
    where: Filter,
    written: dict[str, str | None],
    dry_run: bool,
    fmt: str,
) -> None:
    from . import output

    if len(args) != 1:
        raise click.UsageError("with --where give only the TRIGGER, no keys")
    result = obj.tracker().fire_where(args[0], where, **written, dry_run=dry_run)
    if fmt != "table":
        output.emit_one(result, fmt)
        return
    if not result.fired:
        click.echo("no items match; nothing fired")
        return
    shown = ", ".join(output.safe(key) for key in result.keys[:20])
    more = f" and {len(result.keys) - 20} more" if len(result.keys) > 20 else ""
    word = "would fire" if dry_run else "fired"
    click.echo(f"{word} {args[0].lower()} on {plural(result.fired, 'item')}: {shown}{more}")


@cli.command()
@click.argument("key")
@click.argument("text")
@entry_options("source", "at", "actor")
@pass_context
def comment(
    obj: Context, key: str, text: str, source: str | None, at: str | None, actor: str | None
) -> None:
    """Add a note to an item's history without changing its state.

    \b
    Example:
      tracker comment ACSA "Seoul asks for more time" --source Yonhap
    """
    result = obj.tracker().comment(key, text, source=source, at=at, actor=actor)
    click.echo(f"commented on {result.item.key}")


@cli.command()
@click.argument("key")
@click.option("--title", help="New title.")
@click.option("--description", help="New description.")
@click.option("--party", "parties", multiple=True, help="The parties, all of them (repeatable).")
@entry_options("reason", "actor", reason="Why the change.")
@pass_context
def edit(
    obj: Context,
    key: str,
    title: str | None,
    description: str | None,
    parties: tuple[str, ...],
    reason: str | None,
    actor: str | None,
) -> None:
    """Change an item's title, description or parties (recorded in its history).

    \b
    Example:
      tracker edit ACSA --party ROK --party JPN --party USA --reason "US joins talks"
    """
    result = obj.tracker().edit(
        key,
        title=title,
        description=description,
        parties=parties or None,
        reason=reason,
        actor=actor,
    )
    click.echo(f"edited {result.item.key}")


@cli.command()
@click.argument("key", required=False)
@period_options
@click.option("--actor", help="Only entries by this actor.")
@click.option("--trigger", help="Only entries of this trigger.")
@LIMIT
@FORMAT
@pass_context
def history(
    obj: Context,
    key: str | None,
    since: str | None,
    until: str | None,
    actor: str | None,
    trigger: str | None,
    limit: int | None,
    fmt: str,
) -> None:
    """History entries, oldest first.

    \b
    Example:
      tracker history --since 2025-11-01 --trigger suspend --format ndjson
    """
    from . import output

    found = obj.tracker().history(
        key, since=since, until=until, actor=actor, trigger=trigger, limit=limit
    )
    output.emit(found, fmt, ENTRY_FIELDS if fmt == "csv" else ENTRY_COLUMNS)


@cli.command("as-of")
@click.argument("date")
@FORMAT
@pass_context
def as_of(obj: Context, date: str, fmt: str) -> None:
    """Every item's state on DATE (by effective date).

    \b
    Example:
      tracker as-of 2025-12-01
    """
    from . import output

    output.emit(obj.tracker().as_of(date), fmt, ["key", "title", "kind", "state", "occurred_at"])


@contextmanager
def _progress(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
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
def _open_input(path: str) -> Iterator[BinaryIO]:
    """FILE or stdin (`-`) as bytes; the readers in tracker.formats bound what they
    take of it. An error while reading (EISDIR, EIO...) is a UsageError too."""
    try:
        if path == "-":
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


@cli.command()
@click.argument("file")
@DRY_RUN
@FORMAT
@pass_context
def apply(obj: Context, file: str, dry_run: bool, fmt: str) -> None:
    """Run a batch of operations from FILE (or - for stdin), all or nothing.

    FILE is a JSON array, NDJSON or a YAML list of {"op": "add"|"fire"|"comment"|"edit", ...}.

    \b
    Example:
      printf '%s\\n' '{"op":"fire","key":"ACSA","trigger":"resume"}' | tracker apply -
    """
    from ..formats import batchfile as batch
    from . import output

    with _open_input(file) as stream:
        ops = batch.read(stream)
    with _progress("apply", len(ops)) as progress:
        result = obj.tracker().apply(ops, dry_run=dry_run, progress=progress)
    if fmt == "table":
        verb = "would apply" if dry_run else "applied"
        click.echo(
            f"{verb} {plural(len(ops), 'operation')}: {result.added} added, {result.fired} fired, "
            f"{result.commented} commented, {result.edited} edited"
        )
    else:
        output.emit_one(result, fmt)


@cli.command()
@click.option("--output", "-o", "target", default="-", help="File to write (default stdout).")
@pass_context
def export(obj: Context, target: str) -> None:
    """Dump everything (items, history, hashes) as NDJSON.

    \b
    Example:
      tracker export -o backup.ndjson && tracker --db new.db import backup.ndjson
    """
    tracker = obj.tracker()
    with _open_output(target, tracker) as out, _progress("export", None) as progress:
        tracker.export(out, progress=progress)


@contextmanager
def _open_output(target: str, tracker: Tracker) -> Iterator[TextIO]:
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
    path = given.resolve()  # through a symlink: replace the file, not the link
    import tempfile

    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _new_file_mode(path))
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise UsageError(f"cannot write {target}: {exc.strerror}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
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


@cli.command("import")
@click.argument("file")
@click.option("--merge", is_flag=True, help="Add to a database that already has items.")
@pass_context
def import_(obj: Context, file: str, merge: bool) -> None:
    """Restore an export from FILE (or -). Chains are checked before anything is written.

    \b
    Example:
      tracker --db restored.db import backup.ndjson
    """
    from ..formats.ndjson import read_lines

    with _open_input(file) as stream, _progress("import", None) as progress:
        n_items, n_entries = obj.tracker().import_(
            read_lines(stream), merge=merge, progress=progress
        )
    entries = plural(n_entries, "history entry", "history entries")
    click.echo(f"imported {plural(n_items, 'item')} and {entries}")


@cli.command()
@click.option(
    "--output", "-o", "target", default="-", metavar="FILE", help="Write to FILE (default stdout)."
)
@click.option(
    "--key",
    "key_file",
    metavar="FILE",
    help="Sign with this key (a team key: PEM, OpenSSH or a raw 32-byte seed) instead of your own.",
)
@click.option(
    "--show-key", is_flag=True, help="Print the signing key's fingerprint and public key; exit."
)
@FORMAT
@pass_context
def anchor(obj: Context, target: str, key_file: str | None, show_key: bool, fmt: str) -> None:
    """Sign a statement of every item's chain head (key, version, hash), to keep outside
    the database: mail it to the other party, commit it to a repository. Signed with
    Ed25519 by your key (made on first use in your config directory) or --key FILE.
    Without --output the anchor itself is printed (JSON, whatever --format says); with it,
    --format sets how the summary is printed.

    \b
    Examples:
      tracker anchor -o anchors/2026-11-26.json
      tracker anchor --show-key        # the fingerprint the other party pins
      tracker verify --anchor anchors/2026-11-26.json --trust FINGERPRINT
    """
    from ..audit import anchor as anchors
    from ..audit import keys as anchor_keys

    if show_key:
        public = anchors.PublicKey.of(anchor_keys.signing_key(key_file))
        if fmt == "table":
            click.echo(f"fingerprint: {public.fingerprint}")
            click.echo(public.pem, nl=False)
        else:
            from . import output

            output.emit_one(public, fmt)
        return
    tracker = obj.tracker()
    made = tracker.anchor(key_file)
    with _open_output(target, tracker) as out:
        out.write(made.text())
    if target == "-":
        return
    if fmt == "table":
        click.echo(
            f"anchored {plural(made.count, 'item')} (digest {made.digest[:16]}), signed by key "
            f"{made.key_id}: {target}"
        )
    else:
        from . import output

        output.emit_one(anchors.AnchorWritten(target, made), fmt)


@cli.command()
@click.option(
    "--anchor",
    "anchor_file",
    metavar="FILE",
    help="Also prove that today's history extends the one anchored in FILE.",
)
@click.option(
    "--trust",
    multiple=True,
    metavar="KEY",
    help="With --anchor: a key the anchor may be signed by (its 64-digit fingerprint or a "
    "key file); repeatable. Default: your own key.",
)
@FORMAT
@pass_context
def verify(obj: Context, anchor_file: str | None, trust: tuple[str, ...], fmt: str) -> None:
    """Replay every history and check every hash chain; exit 7 on any problem.

    \b
    Examples:
      tracker verify && echo "audit trail intact"
      tracker verify --anchor rok-2026-11-26.json --trust 3f2a...(64 hex digits)
    """
    from ..errors import VerificationFailed
    from . import output

    if trust and anchor_file is None:
        raise UsageError("--trust needs --anchor")
    with _progress("verify", None) as progress:
        report = obj.tracker().verify(progress=progress, anchor=anchor_file, trust=trust)
    if fmt == "table":
        if report.anchor is not None:
            checked = report.anchor
            click.echo(
                f"anchor of {checked.created_at}: {plural(checked.heads, 'head')}, signed by key "
                f"{checked.key_id} ({checked.trusted_as}, fingerprint {checked.fingerprint})"
            )
        if report.ok:
            if report.anchor is not None:
                click.echo("ok: every anchored head is still in its chain")
            entries = plural(report.entries, "history entry", "history entries")
            click.echo(f"ok: {plural(report.items, 'item')}, {entries} verified")
        else:
            output.emit(
                report.problems,
                "table",
                ["item", "entry", "message"],
                title="verification problems",
            )
    else:
        output.emit_one(report, fmt)
    if not report.ok:
        raise VerificationFailed(f"{plural(len(report.problems), 'problem')} found")


@cli.group()
def view() -> None:
    """Saved views: named filters kept in the database, seen by every user of it.

    \b
    Example:
      tracker view save stuck --state stalled && tracker list --view stuck
    """


@view.command("save")
@click.argument("name")
@filter_options
@AS_OF
@click.option("--replace", is_flag=True, help="Overwrite a view of the same name.")
@pass_context
def view_save(
    obj: Context,
    name: str,
    where: Filter,
    as_of: str | None,
    replace: bool,
) -> None:
    """Save the filters as view NAME (a short word); use it with `tracker list --view NAME`.

    \b
    Examples:
      tracker view save stuck --state stalled
      tracker view save japan-drills --party JPN --kind drill --replace
    """
    try:
        saved = obj.tracker().save_view(name, where, as_of=as_of, replace=replace)
    except Conflict as exc:
        raise Conflict(f"{exc} (replace it with --replace)") from exc
    click.echo(f"saved view {saved.name}")


@view.command("list")
@FORMAT
@pass_context
def view_list(obj: Context, fmt: str) -> None:
    """The saved views and their filters.

    \b
    Example:
      tracker view list --format json
    """
    from . import output

    saved = obj.tracker().views()
    columns = ["name", *FILTER_WORDS, "as_of", "created_by"]
    if any(v.broken for v in saved):  # a row changed around the tracker: say what is wrong
        columns.append("broken")
    output.emit(saved, fmt, columns)


@view.command("delete")
@click.argument("name")
@pass_context
def view_delete(obj: Context, name: str) -> None:
    """Delete view NAME (views are settings, not history).

    \b
    Example:
      tracker view delete stuck
    """
    obj.tracker().delete_view(name)
    click.echo(f"deleted view {name.lower()}")


@cli.command()
@click.argument("keys", nargs=-1, metavar="[KEY...]")
@filter_options
@period_options
@click.option("--title", help="The picture's title.")
@click.option(
    "--output", "-o", "target", required=True, metavar="FILE", help="FILE.svg, .html or .png"
)
@pass_context
def timeline(
    obj: Context,
    keys: tuple[str, ...],
    where: Filter,
    since: str | None,
    until: str | None,
    title: str | None,
    target: str,
) -> None:
    """Draw history as a picture: a band per item over time, coloured by state, each entry
    marked; in .svg and .html, hover for the trigger, reason, actor and source.

    Needs matplotlib: pip install 'tracker[timeline]'.

    \b
    Examples:
      tracker timeline --output timeline.html
      tracker timeline REFUEL DRILLS --since 2025-10-01 --output docs/refuel.png
    """
    from .. import dates
    from ..errors import NotFound
    from ..render import timeline as drawing
    from ..render.palette import Palette

    drawing.output_format(target)
    start, stop = dates.period(since, until)
    tracker = obj.tracker()
    if not keys:
        drawing.check_size(sum(tracker.count(where).values()))
    spans = tracker.spans(
        list(keys) or None,
        since=start,
        until=stop,
        where=where,
    )
    if not spans:
        raise NotFound("no history to draw: no item matches in that date range")
    palette = Palette.of(tracker.workflows.by_name.values())
    drawing.render(spans, target, since=start, until=stop, title=title, palette=palette)
    count = len({span.key for span in spans})
    entries = plural(len(spans), "history entry", "history entries")
    click.echo(f"wrote {target} ({plural(count, 'item')}, {entries})")


@cli.group()
def workflow() -> None:
    """Workflows: list them, draw one.

    \b
    Examples:
      tracker workflow list
      tracker workflow show agreement --format mermaid
    """


@workflow.command("show")
@click.argument("name", required=False)
@click.option("--key", help="Draw the workflow of this item, its state marked.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "mermaid"]), default="text", show_default=True
)
@pass_context
def workflow_show(obj: Context, name: str | None, key: str | None, fmt: str) -> None:
    """Draw a workflow (default: the default one) as text or Mermaid.

    \b
    Example:
      tracker workflow show --key ACSA --format mermaid
    """
    from . import output

    tracker = obj.tracker()
    current = tracker.get(key).state if key else None
    drawn = tracker.workflow(name, key=key).diagram(current, fmt)
    click.echo(output.safe_lines(drawn))


@workflow.command("list")
@pass_context
def workflow_list(obj: Context) -> None:
    """The workflows in force and the kinds that use them.

    \b
    Example:
      tracker --workflows ./my-workflows workflow list
    """
    from ..workflow import Workflows
    from . import output

    workflows = Workflows.from_environment(obj.workflows)
    for wf in workflows.by_name.values():
        kinds = ", ".join(wf.kinds) or ("every other kind" if wf.name == "default" else "-")
        click.echo(output.safe(f"{wf.name}: {' '.join(wf.states)} (kinds: {kinds}) [{wf.path}]"))


def main(argv: list[str] | None = None) -> None:
    """The console entry point: run a command; turn errors into one line and an exit code."""
    _utf8_streams()
    code = run(argv)
    sys.stdout.flush()
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
        _check_arguments(args)
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
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if os.environ.get("TRACKER_DEBUG"):
            raise
        return _fail(f"unexpected {type(exc).__name__}: {exc}", 1)
    return 0


def _check_arguments(args: list[str]) -> None:
    """Every argument must be text: bytes that are not UTF-8 reach Python as lone surrogates
    (surrogateescape), which no database, file or terminal takes. Refused here, once, for every
    command and option (exit 2) rather than failing somewhere inside."""
    for number, arg in enumerate(args, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            try:  # argv bytes that are not UTF-8 come as U+DC80..U+DCFF: show them as \xNN
                raw = arg.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError:  # any other lone surrogate (only an in-process caller)
                raw = arg.encode("utf-8", "backslashreplace")
            shown = raw.decode("utf-8", "backslashreplace")
            raise UsageError(
                f'argument {number} ("{shown[:80]}") is not valid UTF-8 text'
            ) from None


# An error is one line a person reads: a value quoted in it (a 5,000-digit number) is cut.
_MESSAGE_MAX = 1000


def _fail(message: str, code: int) -> int:
    from .output import safe

    if len(message) > _MESSAGE_MAX:
        message = message[:_MESSAGE_MAX] + "…"
    sys.stderr.write(f"error: {safe(message)}\n")
    return code
