"""Evaluate methods on a benchmark: resumable, batched; writes predictions, metrics and a report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def command(
    benchmark: Annotated[
        str, typer.Argument(help="gsm8k, svamp, hotpotqa, strategyqa, gsm_symbolic, fanoutqa")
    ],
    method: Annotated[
        list[str],
        typer.Option(
            help="direct, cot, lumos-iterative, lumos-onetime; repeat or comma-separate for several"
        ),
    ] = ["lumos-iterative"],  # noqa: B006
    out: Annotated[
        Path, typer.Option(help="run directory (one per method: DIR/<method> when several)")
    ] = Path("runs/eval"),
    data: Annotated[
        Optional[Path], typer.Option(help="local file in the benchmark's original format")
    ] = None,
    limit: Annotated[Optional[int], typer.Option(help="evaluate the first N examples")] = None,
    seed: Annotated[int, typer.Option(help="seed for generated benchmarks and sampling")] = 0,
    batch_size: Annotated[int, typer.Option(help="examples sent to the model together")] = 32,
    backend: Annotated[str, typer.Option(help="model backend: hf, openai, fake, or a plugin")] = "hf",
    model: Annotated[
        Optional[str], typer.Option(help="one model for every module (default: the embedded model)")
    ] = None,
    plan_model: Annotated[Optional[str], typer.Option(help="planning module model")] = None,
    ground_model: Annotated[Optional[str], typer.Option(help="grounding module model")] = None,
    plan_adapter: Annotated[
        Optional[str], typer.Option(help="LoRA adapter for planning (hf backend)")
    ] = None,
    ground_adapter: Annotated[
        Optional[str], typer.Option(help="LoRA adapter for grounding (hf backend)")
    ] = None,
    base_url: Annotated[Optional[str], typer.Option(help="openai backend: server URL")] = None,
    examples: Annotated[
        Optional[int],
        typer.Option(help="in-context demonstrations (default: 3 for the untrained embedded model, else 0)"),
    ] = None,
    max_rounds: Annotated[Optional[int], typer.Option(help="most subgoals in Lumos-I")] = None,
    index: Annotated[
        Optional[Path],
        typer.Option(help="complex_qa: search index directory (default: the built-in offline index)"),
    ] = None,
    judge_model: Annotated[
        Optional[str], typer.Option(help="hotpotqa: model judging answers CORRECT/INCORRECT")
    ] = None,
    judge_backend: Annotated[str, typer.Option(help="backend of the judge model")] = "openai",
    config: Annotated[Optional[Path], typer.Option(help="YAML file of settings; flags override it")] = None,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    from rich.console import Console

    from lumos.cli.options import agent_config, build_models, load_config_file, tool_options_for
    from lumos.eval.benchmarks import get_benchmark, load_examples
    from lumos.eval.methods import make_method
    from lumos.eval.runner import run_evaluation
    from lumos.models.registry import load_model

    methods = [m.strip() for item in method for m in item.split(",") if m.strip()]
    bench = get_benchmark(benchmark)
    items = load_examples(bench, data, limit, seed)
    file_values = load_config_file(config)
    planner, grounder, untrained = build_models(
        backend,
        model or file_values.get("model"),
        plan_model,
        ground_model,
        plan_adapter,
        ground_adapter,
        base_url,
    )
    n_examples = examples if examples is not None else file_values.get("n_examples", 3 if untrained else 0)
    cfg = agent_config(
        file_values,
        {
            "domain": bench.domain,
            "n_examples": n_examples,
            "max_rounds": max_rounds,
            "batch_size": batch_size,
        },
    )
    tool_options = tool_options_for(bench.domain, index, planner)
    judge = (
        load_model(judge_backend, judge_model, **({"base_url": base_url} if base_url else {}))
        if judge_model
        else None
    )
    label = model or plan_model or ("embedded-default" if untrained else "custom")
    console = Console()
    for name in methods:
        run_dir = out if len(methods) == 1 else out / f"{bench.name}-{name}"
        settings = {
            "benchmark": bench.name,
            "method": name,
            "model_label": label,
            "backend": backend,
            "model": model,
            "plan_model": plan_model,
            "ground_model": ground_model,
            "plan_adapter": plan_adapter,
            "ground_adapter": ground_adapter,
            "data": str(data) if data else None,
            "limit": limit,
            "seed": seed,
            "batch_size": batch_size,
            "agent": cfg.__dict__,
            "index": str(index) if index else None,
        }
        runner_method = make_method(name, planner, grounder, cfg, tool_options)
        result = run_evaluation(
            bench,
            items,
            runner_method,
            run_dir,
            settings,
            batch_size=batch_size,
            judge=judge,
            progress=progress,
        )
        primary = result[bench.primary_metric]
        console.print(
            f"[bold]{name}[/bold] on {bench.name}: {bench.primary_metric} {100 * primary:.1f} over n={result['n']} "
            f"({result['examples_per_second']} examples/s) -> {run_dir}"
        )
