"""Put several evaluation runs side by side: a markdown table and a PNG chart."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def command(
    run_dirs: Annotated[list[Path], typer.Argument(help="run directories written by `lumos eval`")],
    out: Annotated[Optional[Path], typer.Option(help="also write the table to this markdown file")] = None,
    chart: Annotated[
        Optional[Path], typer.Option(help="PNG chart path (default: beside --out, or report.png)")
    ] = None,
    no_chart: Annotated[bool, typer.Option("--no-chart", help="skip the chart")] = False,
    intervals: Annotated[
        bool, typer.Option(help="add each run's 95% interval (Wilson for 0/1 scores, bootstrap otherwise)")
    ] = True,
    paired_against: Annotated[
        Optional[str],
        typer.Option(help="method (label) to test every other run against, example by example (McNemar)"),
    ] = None,
    views: Annotated[
        bool, typer.Option(help="write each run's trajectory view (DIR/view.html, `lumos view`) and link it")
    ] = True,
) -> None:
    from lumos.eval.report import (
        comparison_chart,
        comparison_table,
        intervals_table,
        load_runs,
        paired_table,
        speed_table,
        time_table,
        views_section,
    )
    from lumos.terminal import echo

    runs = load_runs(run_dirs)
    table = comparison_table(runs)
    if intervals:
        table += "\n95% intervals:\n\n" + intervals_table(runs, run_dirs)
    if paired_against:
        table += f"\nPaired tests against {paired_against}:\n\n" + paired_table(runs, run_dirs, paired_against)
    from lumos.eval.report import run_label
    from lumos.eval.task_report import task_tables

    by_task = task_tables(runs, run_dirs, [run_label(r) for r in runs], paired_against)
    if by_task:
        table += "\n" + by_task
    table += "\nSpeed and failures of each run:\n\n" + speed_table(runs)
    times = time_table(runs)
    if times:
        table += "\nWhere each run's task time went (shares of the summed task time):\n\n" + times
    if views:
        from lumos.view import build_view

        pages = [build_view([d], d / "view.html") for d in run_dirs]
        table += "\n" + views_section(runs, pages, out.parent if out is not None else None)
    echo(table)  # labels, task names and errors come from run folders: shown, never obeyed
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(table)
    if not no_chart:
        png = chart or (out.with_suffix(".png") if out else Path("report.png"))
        echo(f"chart: {comparison_chart(runs, png)}")
