"""Readable rendering of trajectories for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from lumos.format.types import Trajectory


def print_trajectory(traj: Trajectory, console: Console | None = None) -> None:
    console = console or Console()
    console.print(f"[bold]Task:[/bold] {escape(traj.task)}")
    for step in traj.steps:
        for subgoal in step.subgoals:
            console.print(f"[cyan]{escape(subgoal.render())}[/cyan]")
        for action, result in zip(step.actions, step.results + [None] * len(step.actions), strict=False):
            shown = "" if result is None or result.error else "  ->  " + ", ".join(result.outputs.values())
            console.print(f"    [green]{escape(action.render())}[/green]{escape(shown)}")
        if step.error is not None:
            console.print(
                f"    [red]x {step.error.module} {step.error.kind}: {escape(step.error.message)}[/red]"
            )
        elif not step.subgoals and step.calls:
            console.print(f"[dim]{escape(step.calls[-1].output.strip())}[/dim]")
    answer = traj.answer if traj.answer is not None else "(none)"
    console.print(f"[bold]Answer:[/bold] {escape(answer)}")
    console.print(
        f"[dim]{len(traj.steps)} rounds, {traj.prompt_tokens} prompt + {traj.completion_tokens} completion tokens, "
        f"{traj.seconds:.1f} s ({traj.stop_reason})[/dim]"
    )
