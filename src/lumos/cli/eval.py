"""Evaluate methods on a benchmark: resumable, batched; writes predictions, metrics and a report."""

from __future__ import annotations

import shlex
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from lumos.cli.options import (
    AdapterOption,
    BackendOption,
    BaseUrlOption,
    ConfigOption,
    EnvOption,
    ExamplesOption,
    GroundAdapterOption,
    GroundBaseUrlOption,
    GroundModelOption,
    IndexOption,
    MaxRoundsOption,
    ModelOption,
    ModelSetup,
    PlanAdapterOption,
    PlanModelOption,
    QABackendOption,
    QABaseUrlOption,
    QAModelOption,
    StyleOption,
    TrainedOption,
    UnsafeCodeOption,
)
from lumos.cli.remote import RayGpusOption, RayOption, RayWorkersOption

METHOD_HELP = "direct, cot, integrated, lumos-iterative, lumos-onetime; repeat or comma-separate for several"


def command(
    benchmark: Annotated[str, typer.Argument(help="a benchmark of any domain (`lumos domains` lists them)")],
    method: Annotated[list[str], typer.Option(help=METHOD_HELP)] = ["lumos-iterative"],  # noqa: B006
    out: Annotated[
        Path, typer.Option(help="run directory (DIR/<benchmark>-<method> when several methods)")
    ] = Path("runs/eval"),
    data: Annotated[
        Optional[Path], typer.Option(help="local file in the benchmark's original format")
    ] = None,
    limit: Annotated[Optional[int], typer.Option(help="evaluate the first N examples")] = None,
    seed: Annotated[int, typer.Option(help="seed for generated benchmarks and sampling")] = 0,
    batch_size: Annotated[int, typer.Option(help="examples sent to the model together")] = 32,
    backend: BackendOption = "auto",
    model: ModelOption = None,
    plan_model: PlanModelOption = None,
    ground_model: GroundModelOption = None,
    plan_adapter: PlanAdapterOption = None,
    ground_adapter: GroundAdapterOption = None,
    adapter: AdapterOption = None,
    trained: TrainedOption = True,
    base_url: BaseUrlOption = None,
    ground_base_url: GroundBaseUrlOption = None,
    examples: ExamplesOption = None,
    max_rounds: MaxRoundsOption = None,
    index: IndexOption = None,
    judge_model: Annotated[
        Optional[str], typer.Option(help="hotpotqa: model judging answers CORRECT/INCORRECT")
    ] = None,
    judge_backend: Annotated[str, typer.Option(help="backend of the judge model")] = "openai",
    judge_base_url: Annotated[
        Optional[str], typer.Option(help="server URL of the judge model (default: --base-url)")
    ] = None,
    label: Annotated[
        Optional[str], typer.Option(help="name of the model set-up in reports (default: derived)")
    ] = None,
    config: ConfigOption = None,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
    env: EnvOption = None,
    tasks: Annotated[Optional[str], typer.Option(help="environment benchmarks: = --env tasks=A,B")] = None,
    suite: Annotated[Optional[str], typer.Option(help="environment benchmarks: = --env suite=NAME")] = None,
    split: Annotated[
        Optional[str], typer.Option(help="environment benchmarks: = --env split=NAME (e.g. seen, unseen)")
    ] = None,
    episodes: Annotated[Optional[int], typer.Option(help="environment benchmarks: = --env episodes=N")] = None,
    ranker: Annotated[Optional[str], typer.Option(help="environment benchmarks: = --env ranker=SPEC")] = None,
    protocol: Annotated[
        str,
        typer.Option(
            help="lumos (its own) or paper: the paper's subgoal and token limits, scoring and complex-QA final "
            "QA call (overrides --max-rounds)"
        ),
    ] = "lumos",
    style: StyleOption = None,
    qa_model: QAModelOption = None,
    qa_backend: QABackendOption = None,
    qa_base_url: QABaseUrlOption = None,
    unsafe_code: UnsafeCodeOption = False,
    ray: RayOption = None,
    ray_workers: RayWorkersOption = None,
    ray_gpus: RayGpusOption = 0.0,
) -> None:
    from lumos.agent.agent import check_bounds
    from lumos.cli.common import MAX_EPISODES, MAX_LIMIT
    from lumos.cli.options import (
        QAModelOptions,
        agent_config,
        apply_unsafe_code,
        choose_style,
        close_models,
        load_config_file,
        load_setup,
        tool_options_for,
    )
    from lumos.cli.remote import EvalMethodRecipe, ray_plan
    from lumos.env import parse_env_options
    from lumos.errors import ConfigError, check_range
    from lumos.eval.benchmarks import get_benchmark, load_examples
    from lumos.eval.custom import NotLoaded
    from lumos.eval.methods import METHODS, make_method
    from lumos.eval.protocol import get_protocol
    from lumos.eval.runner import run_evaluation
    from lumos.models.registry import load_model
    from lumos.terminal import console as plain_console
    from lumos.terminal import echo, markup_text

    check_bounds({"batch_size": batch_size, "max_rounds": max_rounds, "n_examples": examples})
    if limit is not None:
        check_range("--limit", limit, 1, MAX_LIMIT)
    methods = [m.strip() for item in method for m in item.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ConfigError(f"unknown method(s) {unknown}; choose from: {', '.join(METHODS)}")
    bench = get_benchmark(benchmark)
    items = [] if bench.runner else load_examples(bench, data, limit, seed)
    env_options = {k: int(v) if v.isdigit() else v for k, v in parse_env_options(env).items()}
    if env_options.get("episodes", episodes) is not None:
        check_range("--episodes", env_options.get("episodes", episodes), 1, MAX_EPISODES)
    file_values = load_config_file(config)
    code_unsandboxed = apply_unsafe_code(unsafe_code, file_values)
    model = model or file_values.get("model")
    eval_protocol = get_protocol(protocol, bench.name)
    prompt_style = choose_style(style or file_values.get("style"), None, [model, plan_model, ground_model])
    plan = ray_plan(ray, ray_workers, ray_gpus)
    if plan is not None and bench.runner and not bench.ray:
        raise ConfigError(f"{bench.name} runs its own episodes and does not run on Ray (--ray) yet")
    qa_options = QAModelOptions(qa_model, qa_backend, qa_base_url)
    qa_loaded = qa_options.load(backend, base_url) if plan is None else None  # on Ray, each worker loads its own
    judge = (
        load_model(
            judge_backend, judge_model, **({"base_url": judge_base_url or base_url} if judge_base_url or base_url else {})
        )
        if judge_model
        else None
    )
    console = plain_console()
    setups = {
        name: method_models(
            name,
            backend,
            model,
            base_url,
            plan=(plan_model, plan_adapter),
            ground=(ground_model, ground_adapter),
            adapter=adapter,
            domain=bench.domain,
            trained=trained,
        )
        for name in methods
    }
    setups = {
        name: replace(s, template=prompt_style.template, ground_base_url=ground_base_url if name.startswith("lumos-") else None)
        for name, s in setups.items()
    }
    last_use = {setup: k for k, setup in enumerate(setups[name] for name in methods)}
    loaded: dict[
        ModelSetup, tuple[Any, Any]
    ] = {}  # each model set-up loads once, and goes after its last use
    run_dirs: list[Path] = []
    for k, name in enumerate(methods):
        key = setups[name]
        if key not in loaded and plan is None:
            loaded[key] = load_setup(key, parallel=batch_size)
        planner, grounder = loaded[key] if key in loaded else (NotLoaded(), NotLoaded())
        untrained = key.untrained
        n_examples = (
            examples if examples is not None else file_values.get("n_examples", 3 if untrained else 0)
        )
        cfg = agent_config(
            file_values,
            {
                "domain": bench.domain,
                "n_examples": n_examples,
                "max_rounds": max_rounds,
                "batch_size": batch_size,
            },
        )
        shipped_flat = key.ground_adapter if name == "direct-iterative" and not (model or adapter) else None
        setup = label or _label(model, plan_model, plan_adapter, adapter, untrained, name, shipped_flat)
        if not label and eval_protocol.name != "lumos":
            setup += f", {eval_protocol.name} protocol"
        run_dir = out if len(methods) == 1 else out / f"{bench.name}-{name}"
        run_dirs.append(run_dir)
        settings = {
            "benchmark": bench.name,
            "method": name,
            "model_label": setup,
            "backend": backend,
            "model": model,
            "plan_model": plan_model,
            "ground_model": ground_model,
            "plan_adapter": plan_adapter,
            "ground_adapter": ground_adapter,
            "adapter": adapter,
            "shipped_flat_adapter": shipped_name(shipped_flat) if shipped_flat else None,
            "trained": trained,
            "data": str(data) if data else None,
            "limit": limit,
            "seed": seed,
            "batch_size": batch_size,
            "agent": cfg.__dict__,
            "index": str(index) if index else None,
            "protocol": eval_protocol.name,
            "style": prompt_style.name,
            "qa_model": qa_model,
            "unsafe_code": code_unsandboxed,
        }
        if not untrained and backend in ("auto", "llamacpp"):  # merged adapters round a little differently
            from lumos.models.default import merges_lora

            settings["merge_lora"] = merges_lora()
        if backend in ("auto", "llamacpp"):  # drafted steps round a little differently too
            from lumos.models.llamacpp.drafts import draft_tokens_setting

            settings["draft_tokens"] = draft_tokens_setting(None)
        if plan is not None:  # how the run was spread is not its identity: it resumes locally or on Ray
            settings.update(ray=plan.address, ray_workers=plan.workers)
        if bench.runner:
            from lumos.eval.custom import MethodRun, get_runner

            options: dict[str, Any] = {
                "tasks": tasks, "suite": suite, "split": split, "episodes": episodes, "ranker": ranker
            }
            options.update(env_options)
            run = MethodRun(
                bench, name, planner, grounder, cfg, run_dir, settings, data, limit, seed, batch_size,
                progress, options, style=prompt_style, ray=plan, load_models=partial(load_setup, key, batch_size),
            )
            result = get_runner(bench)(run)
            console.print(
                f"[bold]{name}[/bold] ({markup_text(setup)}) on {bench.name}: {bench.primary_metric} "
                f"{100 * result[bench.primary_metric]:.1f} over n={result['n']} -> {markup_text(run_dir)}"
            )
            if last_use[key] == k and key in loaded:
                close_models(*loaded.pop(key))
            continue
        executor = None
        if plan is not None:
            from lumos.eval.on_ray import RayExecutor

            recipe = EvalMethodRecipe(
                name, key, cfg, prompt_style, eval_protocol, parallel=batch_size, index=index, qa=qa_options,
                qa_default_backend=backend, unsafe_code=code_unsandboxed,
            )
            executor = RayExecutor(recipe, bench, plan, eval_protocol)
        runner_method = None
        if executor is None:
            runner_method = make_method(
                name,
                planner,
                grounder,
                cfg,
                tool_options_for(bench.domain, index, qa_loaded or planner),
                style=prompt_style,
                protocol=eval_protocol,
            )
        result = run_evaluation(
            bench,
            items,
            runner_method,
            run_dir,
            settings,
            batch_size=batch_size,
            judge=judge,
            progress=progress,
            protocol=eval_protocol,
            executor=executor,
        )
        if executor is not None:
            report = executor.report
            echo(f"on Ray: {report.workers} workers, {report.batches} batches, {report.retried} run again")
        console.print(
            f"[bold]{name}[/bold] ({markup_text(setup)}) on {bench.name}: {bench.primary_metric} "
            f"{100 * result[bench.primary_metric]:.1f} over n={result['n']} "
            f"({result['examples_per_second']} examples/s) -> {markup_text(run_dir)}"
        )
        if last_use[key] == k and key in loaded:
            close_models(*loaded.pop(key))
    echo("see every trajectory: lumos view " + " ".join(shlex.quote(str(d)) for d in run_dirs) + " --open")


def method_models(
    method: str,
    backend: str,
    model: str | None,
    base_url: str | None,
    *,
    plan: tuple[str | None, str | None],
    ground: tuple[str | None, str | None],
    adapter: str | None,
    domain: str,
    trained: bool,
) -> ModelSetup:
    """The models of ``method``: Lumos's planner and grounder (``plan`` and ``ground``: model, adapter; the
    domain's shipped modules by default), the flat agent's one model (``direct-iterative``: the domain's shipped
    flat adapter by default), or the bare one model of direct, cot and integrated (with ``adapter``)."""
    from lumos.cli.options import resolve_flat_model, resolve_models

    if method.startswith("lumos-"):
        (plan_model, plan_adapter), (ground_model, ground_adapter) = plan, ground
        return resolve_models(
            backend, model, plan_model, ground_model, plan_adapter, ground_adapter, base_url,
            domain=domain, formulation=method.split("-", 1)[1], use_shipped=trained,
        )
    if method == "direct-iterative":
        return resolve_flat_model(backend, model, adapter, base_url, domain=domain, use_shipped=trained)
    return resolve_models(backend, model, None, None, adapter, adapter, base_url, domain=domain, use_shipped=False)


def shipped_name(adapter: str) -> str:
    """``DOMAIN/FOLDER`` of an adapter shipped in a domain's package (``.../DOMAIN/adapters/FOLDER``)."""
    path = Path(adapter)
    return f"{path.parent.parent.name}/{path.name}"


def _label(
    model: str | None,
    plan_model: str | None,
    plan_adapter: str | None,
    adapter: str | None,
    untrained: bool,
    method: str,
    shipped_flat: str | None = None,
) -> str:
    if model or plan_model:
        return str(model or plan_model)
    if untrained:
        return "base few-shot"
    if shipped_flat:
        return f"shipped adapter {shipped_name(shipped_flat)}"
    if method.startswith("lumos-"):
        return "trained" if plan_adapter is None else f"adapters {Path(plan_adapter).parent.name}"
    return f"adapter {Path(adapter).parent.name}" if adapter else "base few-shot"
