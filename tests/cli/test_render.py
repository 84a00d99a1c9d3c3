"""The terminal rendering of a trajectory: model text is shown, never obeyed, and printed in linear time."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.highlighter import ReprHighlighter

from lumos.cli.render import print_trajectory
from lumos.format.types import Trajectory
from lumos.terminal import printable

HOSTILE = "\x1b[2J\x1b]0;owned\x07 clear\x00 \x9b31m \u202egnp.exe\u2066 [bold]markup[/bold]"


def render(traj: Trajectory) -> str:
    console = Console(file=io.StringIO(), width=80, force_terminal=False)
    print_trajectory(traj, console)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_terminal_controls_from_the_model_are_written_out() -> None:
    out = render(Trajectory(task="What is 2 + 2?", answer=HOSTILE))
    for raw in ("\x1b", "\x07", "\x00", "\x9b", "\u202e", "\u2066"):
        assert raw not in out
    assert "\\x1b[2J" in out and "\\x07" in out and "\\x00" in out and "\\u202e" in out
    assert "[bold]markup[/bold]" in out  # markup in model text is text


def test_newlines_and_tabs_stay_and_plain_text_is_unchanged() -> None:
    assert printable("a\tb\nc é 中") == "a\tb\nc é 中"


def test_model_text_skips_the_quadratic_highlighter(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: object, text: object) -> None:
        raise AssertionError("the highlighter ran on model text")

    monkeypatch.setattr(ReprHighlighter, "highlight", refuse)
    out = render(Trajectory(task="t", answer="x" * 100_000))
    assert out.count("x") >= 100_000
