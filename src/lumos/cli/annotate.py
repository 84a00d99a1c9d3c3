"""Make training annotations from a benchmark's gold reasoning, keeping only those verified by execution.

Sources are registered by the domains (an unknown --source is answered with the list). Without --teacher
the source's teacher-free converter is used, where it has one; with --teacher a model served by an
OpenAI-compatible server (--backend openai) or loaded locally (--backend hf) converts each item. Writes
OUT/annotations.jsonl and OUT/rejected.jsonl (with reasons); a re-run with the same OUT resumes where the
last one stopped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from lumos.cli.options import UnsafeCodeOption
from lumos.cli.remote import RayGpusOption, RayOption, RayWorkersOption


def command(
    source: Annotated[
        str,
        typer.Option(
            help="annotation source, registered by its domain (e.g. gsm8k, fanoutqa, mind2web, scienceworld); an "
            "unknown name is answered with the list"
        ),
    ],
    out: Annotated[Path, typer.Option(help="output folder (resumed when it exists)")],
    domain: Annotated[
        Optional[str], typer.Option(help="the annotations' domain (default: the source's)")
    ] = None,
    teacher: Annotated[
        Optional[str], typer.Option(help="teacher model name (default: the teacher-free converter)")
    ] = None,
    backend: Annotated[str, typer.Option(help="teacher backend: openai or hf")] = "openai",
    base_url: Annotated[
        Optional[str], typer.Option(help="openai backend: server URL (default $OPENAI_BASE_URL)")
    ] = None,
    data: Annotated[Optional[Path], typer.Option(help="the benchmark file in its original format")] = None,
    limit: Annotated[
        Optional[int], typer.Option(help="annotate at most N items (gsm_symbolic: generate N)")
    ] = None,
    seed: Annotated[int, typer.Option(help="seed of generated sources (gsm_symbolic)")] = 0,
    concurrency: Annotated[int, typer.Option(help="teacher requests in flight (hf backend: batch size)")] = 8,
    examples: Annotated[int, typer.Option(help="in-context examples shown to the teacher")] = 2,
    max_tokens: Annotated[int, typer.Option(help="teacher output token limit")] = 1024,
    input_cost: Annotated[float, typer.Option(help="teacher cost per 1M prompt tokens")] = 0.0,
    output_cost: Annotated[float, typer.Option(help="teacher cost per 1M completion tokens")] = 0.0,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
    ranker: Annotated[
        Optional[str],
        typer.Option(
            help="a converter's element ranker (web: replay checks each QUERY with dense, lexical, "
            "bi-/cross-encoder:PATH)"
        ),
    ] = None,
    unsafe_code: UnsafeCodeOption = False,
    ray: RayOption = None,
    ray_workers: RayWorkersOption = None,
    ray_gpus: RayGpusOption = 0.0,
) -> None:
    from rich.console import Console

    from lumos.cli.options import apply_unsafe_code

    code_unsandboxed = apply_unsafe_code(unsafe_code)

    from lumos.annotate.pipeline import annotate
    from lumos.annotate.sources import get_source
    from lumos.annotate.teacher import TeacherConfig
    from lumos.cli.common import MAX_LIMIT
    from lumos.cli.remote import TeacherModelRecipe, ray_plan
    from lumos.errors import ConfigError, check_range
    from lumos.models.base import Model
    from lumos.terminal import echo

    spec = get_source(source)
    domain = domain or spec.domain
    check_range("--concurrency", concurrency, 1, 1000)
    check_range("--examples", examples, 0, 100)
    check_range("--max-tokens", max_tokens, 1, 1_000_000)
    if limit is not None:
        check_range("--limit", limit, 1, MAX_LIMIT)
    config = TeacherConfig(
        n_examples=examples,
        max_tokens=max_tokens,
        concurrency=concurrency,
        input_cost=input_cost,
        output_cost=output_cost,
    )
    recipe: TeacherModelRecipe | None = None
    if teacher is not None:
        recipe = TeacherModelRecipe(backend, teacher, base_url)
        if backend == "hf":
            config.batch, config.concurrency = concurrency, 1
    elif base_url is not None or backend != "openai":
        raise ConfigError("--backend and --base-url choose the teacher: give --teacher MODEL too")
    plan = ray_plan(ray, ray_workers, ray_gpus)
    executor = None
    model: Model | None = None
    if plan is not None:  # each Ray worker loads its own teacher model and verifier
        from lumos.annotate.on_ray import RayAnnotator, WorkerSettings

        settings = WorkerSettings(
            domain, convert_options={"ranker": ranker} if ranker is not None else None, teacher_model=recipe,
            teacher_config=config, teacher_name=teacher or "", unsafe_code=code_unsandboxed,
        )
        executor = RayAnnotator(plan, settings, out, batch_size=4 * concurrency)
    elif recipe is not None:
        model = recipe()
    summary = annotate(
        domain,
        source,
        out,
        teacher=model,
        data=data,
        limit=limit,
        seed=seed,
        teacher_config=config,
        teacher_name=teacher or "",
        progress=progress,
        convert_options={"ranker": ranker} if ranker is not None else None,
        executor=executor,
    )
    if executor is not None:
        report = executor.report
        echo(f"on Ray: {report.workers} workers, {report.batches} batches, {report.retried} run again")
    console = Console()
    reasons = ", ".join(f"{k} {v}" for k, v in summary.reasons.most_common()) or "none"
    console.print(
        f"[bold]{source}[/bold]: kept {summary.kept}, rejected {summary.rejected} ({reasons})"
        + (f", skipped {summary.skipped} already done" if summary.skipped else "")
        + (
            f", [red]failed {len(summary.failed)} teacher requests (re-run to retry)[/red]"
            if summary.failed
            else ""
        )
    )
    if summary.usage:
        u = summary.usage
        console.print(
            f"teacher: {u['calls']} calls ({u['cached']} cached), {u['prompt_tokens']:,} prompt + "
            f"{u['completion_tokens']:,} completion tokens, cost {u['cost']:.4f}"
        )
    console.print(
        f"in {out}: {summary.total_kept} kept, {summary.total_rejected} rejected "
        f"({100 * summary.kept_fraction:.1f}% kept)"
    )
