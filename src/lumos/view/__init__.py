"""``lumos view``: one self-contained HTML page showing runs, traces and annotations, task by task.

>>> from lumos.view import build_view
>>> build_view([Path("runs/gsm8k-lumos-iterative")], Path("view.html"))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lumos.view.load import Run, RunSet, load_runs
from lumos.view.render import render_html, write_view

__all__ = ["Run", "RunSet", "build_view", "default_out", "load_runs", "render_html", "write_view"]


def default_out(paths: Sequence[Path]) -> Path:
    """Where the page goes without --out: view.html inside a single run directory, else ./view.html."""
    if len(paths) == 1 and Path(paths[0]).is_dir():
        return Path(paths[0]) / "view.html"
    return Path("view.html")


def build_view(paths: Sequence[Path], out: Path | None = None, *, images: bool = True) -> Path:
    """Load every path and write the page; returns where it went."""
    return write_view(load_runs(paths, images=images), out or default_out(paths))
