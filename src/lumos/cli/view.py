"""Write one self-contained HTML page showing runs task by task (eval runs, trace files, annotations)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="eval run directories, `lumos run --trace` files or annotation directories; "
            "two or more are shown side by side, examples aligned by id"
        ),
    ],
    out: Annotated[
        Optional[Path],
        typer.Option(help="HTML file to write (default: view.html in the run directory, or ./view.html)"),
    ] = None,
    open_page: Annotated[bool, typer.Option("--open", help="open the page in the default browser")] = False,
    images: Annotated[
        bool, typer.Option(help="embed web runs' screenshots in the page (--no-images: smaller file)")
    ] = True,
) -> None:
    from lumos.terminal import echo
    from lumos.view import build_view

    page = build_view(paths, out, images=images)
    size = page.stat().st_size
    echo(f"view: {page} ({size / 1e6:.1f} MB)" if size >= 1e5 else f"view: {page} ({size / 1e3:.0f} kB)")
    if open_page:
        import webbrowser

        webbrowser.open(page.resolve().as_uri())
