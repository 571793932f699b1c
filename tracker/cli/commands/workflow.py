"""`workflow`: list the workflows in force, draw one."""

from __future__ import annotations

import click

from ..context import Context, pass_context


@click.group()
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
    from .. import output

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
    from ...workflow import Workflows
    from .. import output

    workflows = Workflows.from_environment(obj.workflows)
    for wf in workflows.by_name.values():
        kinds = ", ".join(workflows.kinds_of(wf)) or (
            "every other kind" if wf.name == "default" else "-"
        )
        click.echo(output.safe(f"{wf.name}: {' '.join(wf.states)} (kinds: {kinds}) [{wf.path}]"))
