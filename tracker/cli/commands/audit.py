"""Proof: `verify` every chain, `anchor` the heads (and verify against an anchor)."""

from __future__ import annotations

import click

from ...errors import UsageError
from ...wording import plural
from ..context import Context, pass_context
from ..options import FORMAT, OUTPUT, file_name
from ..streams import open_output, progress_bar


@click.command()
@OUTPUT
@click.option(
    "--key",
    "key_file",
    callback=file_name,
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
    from ...audit import anchor as anchors
    from ...audit import keys as anchor_keys

    if show_key:
        public = anchors.PublicKey.of(anchor_keys.signing_key(key_file))
        if fmt == "table":
            click.echo(f"fingerprint: {public.fingerprint}")
            click.echo(public.pem, nl=False)
        else:
            from .. import output

            output.emit_one(public, fmt)
        return
    tracker = obj.tracker()
    made = tracker.anchor(key_file)
    with open_output(target, tracker) as out:
        out.write(made.text())
    if target == "-":
        return
    if fmt == "table":
        click.echo(
            f"anchored {plural(made.count, 'item')} (digest {made.digest[:16]}), signed by key "
            f"{made.key_id}: {target}"
        )
    else:
        from .. import output

        output.emit_one(anchors.AnchorWritten(target, made), fmt)


@click.command()
@click.option(
    "--anchor",
    "anchor_file",
    callback=file_name,
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
    from ...errors import VerificationFailed
    from .. import output

    if trust and anchor_file is None:
        raise UsageError("--trust needs --anchor")
    tracker = obj.tracker()
    with progress_bar("verify", None) as progress:
        report = tracker.verify(progress=progress, anchor=anchor_file, trust=trust)
    if tracker.created:  # a mistyped path is a new, empty database: "ok" alone would mislead
        click.echo(
            f"warning: there was no tracker database at {tracker.shown_url}; "
            "an empty one was made, and that is what is verified",
            err=True,
        )
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
