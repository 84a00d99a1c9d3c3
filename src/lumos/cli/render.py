"""Readable rendering of trajectories for the terminal.

Model output is shown, never obeyed: every text goes through :func:`lumos.terminal.markup_text` (control
characters and bidirectional overrides written out as escapes, markup shown as text), and the console does not
highlight (its patterns take time quadratic in the length of a word, and a model can write a 100 KB word).
"""

from __future__ import annotations

from rich.console import Console

from lumos.format.types import Trajectory
from lumos.terminal import console as plain_console
from lumos.terminal import markup_text


def print_trajectory(traj: Trajectory, console: Console | None = None) -> None:
    console = console or plain_console()

    def show(markup: str) -> None:
        console.print(markup, highlight=False)

    show(f"[bold]Task:[/bold] {markup_text(traj.task)}")
    for step in traj.steps:
        for subgoal in step.subgoals:
            show(f"[cyan]{markup_text(subgoal.render())}[/cyan]")
        for action, result in zip(step.actions, step.results + [None] * len(step.actions), strict=False):
            shown = "" if result is None or result.error else "  ->  " + ", ".join(result.outputs.values())
            show(f"    [green]{markup_text(action.render())}[/green]{markup_text(shown)}")
        if step.error is not None:
            show(
                f"    [red]x {step.error.module} {step.error.kind}: {markup_text(step.error.message)}[/red]"
            )
        elif not step.subgoals and step.calls:
            show(f"[dim]{markup_text(step.calls[-1].output.strip())}[/dim]")
    answer = traj.answer if traj.answer is not None else "(none)"
    show(f"[bold]Answer:[/bold] {markup_text(answer)}")
    show(
        f"[dim]{len(traj.steps)} rounds, {traj.prompt_tokens} prompt + {traj.completion_tokens} completion tokens, "
        f"{traj.seconds:.1f} s ({traj.stop_reason})[/dim]"
    )
