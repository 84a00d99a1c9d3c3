"""Readable rendering of trajectories for the terminal.

Model output is shown, never obeyed: control characters (terminal escapes, NUL, bell) and bidirectional
overrides are printed as visible ``\\x1b``-style escapes, and rich's highlighter is off (its patterns take
time quadratic in the length of a word, and a model can write a 100 KB word).
"""

from __future__ import annotations

import re

from rich.console import Console
from rich.markup import escape as escape_markup

from lumos.format.types import Trajectory

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every character that could steer a terminal written out as an escape."""
    return _UNSAFE.sub(_written_out, text)


def _written_out(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"


def escape(text: str) -> str:
    return escape_markup(printable(text))


def print_trajectory(traj: Trajectory, console: Console | None = None) -> None:
    console = console or Console()

    def show(markup: str) -> None:
        console.print(markup, highlight=False)

    show(f"[bold]Task:[/bold] {escape(traj.task)}")
    for step in traj.steps:
        for subgoal in step.subgoals:
            show(f"[cyan]{escape(subgoal.render())}[/cyan]")
        for action, result in zip(step.actions, step.results + [None] * len(step.actions), strict=False):
            shown = "" if result is None or result.error else "  ->  " + ", ".join(result.outputs.values())
            show(f"    [green]{escape(action.render())}[/green]{escape(shown)}")
        if step.error is not None:
            show(
                f"    [red]x {step.error.module} {step.error.kind}: {escape(step.error.message)}[/red]"
            )
        elif not step.subgoals and step.calls:
            show(f"[dim]{escape(step.calls[-1].output.strip())}[/dim]")
    answer = traj.answer if traj.answer is not None else "(none)"
    show(f"[bold]Answer:[/bold] {escape(answer)}")
    show(
        f"[dim]{len(traj.steps)} rounds, {traj.prompt_tokens} prompt + {traj.completion_tokens} completion tokens, "
        f"{traj.seconds:.1f} s ({traj.stop_reason})[/dim]"
    )
