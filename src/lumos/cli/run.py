"""Run the agent on a task and show its subgoals, actions, results and answer."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from lumos.cli.options import (
    DEFAULT_DOMAIN,
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
    PlanAdapterOption,
    PlanModelOption,
    QABackendOption,
    QABaseUrlOption,
    QAModelOption,
    QAModelOptions,
    StyleOption,
    TrainedOption,
    UnsafeCodeOption,
    apply_unsafe_code,
    build_agent,
    load_config_file,
)
from lumos.env import Episode
from lumos.errors import ConfigError
from lumos.format.types import Trajectory


def command(
    task: Annotated[
        Optional[str],
        typer.Argument(
            help="the task; '-' reads one task per line from standard input (a domain with an environment says "
            "what it takes: see `lumos domains`)"
        ),
    ] = None,
    domain: Annotated[
        Optional[str], typer.Option(help=f"task domain: its tools, prompts and environment (default: {DEFAULT_DOMAIN})")
    ] = None,
    agent_kind: Annotated[
        Optional[str],
        typer.Option(
            "--agent",
            help="which agent runs the task: lumos (planner + grounder, see --formulation) or flat (one model "
            "writes each next action; environment domains); default: the domain's default_agent"
        ),
    ] = None,
    formulation: Annotated[
        Optional[str], typer.Option(help="iterative (Lumos-I) or onetime (Lumos-O)")
    ] = None,
    backend: BackendOption = "auto",
    model: ModelOption = None,
    plan_model: PlanModelOption = None,
    ground_model: GroundModelOption = None,
    plan_adapter: PlanAdapterOption = None,
    ground_adapter: GroundAdapterOption = None,
    adapter: AdapterOption = None,
    base_url: BaseUrlOption = None,
    ground_base_url: GroundBaseUrlOption = None,
    trained: TrainedOption = True,
    examples: ExamplesOption = None,
    max_rounds: MaxRoundsOption = None,
    index: IndexOption = None,
    prompts: Annotated[Optional[Path], typer.Option(help="YAML file replacing prompt wording")] = None,
    style: StyleOption = None,
    qa_model: QAModelOption = None,
    qa_backend: QABackendOption = None,
    qa_base_url: QABaseUrlOption = None,
    config: ConfigOption = None,
    trace: Annotated[Optional[Path], typer.Option(help="write the trajectory (JSON) here")] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="print the trajectory as JSON instead of text")
    ] = False,
    env: EnvOption = None,
    data: Annotated[
        Optional[Path], typer.Option(help="environment domains: the environment's data (= --env data=PATH)")
    ] = None,
    goal: Annotated[int, typer.Option(help="environment domains: goal number (= --env goal=N)")] = 0,
    task_id: Annotated[str, typer.Option(help="environment domains: task id (= --env task_id=ID)")] = "0",
    task_option: Annotated[
        Optional[str], typer.Option("--task", help="the task, as an option (the same as the TASK argument)")
    ] = None,
    variation: Annotated[
        Optional[int], typer.Option(help="environment domains: the task's variation (= --env variation=N)")
    ] = None,
    seed: Annotated[int, typer.Option(help="environment domains: episode seed (= --env seed=N)")] = 0,
    screenshots: Annotated[
        Optional[Path], typer.Option(help="environment domains: screenshot folder (= --env screenshots=DIR)")
    ] = None,
    unsafe_code: UnsafeCodeOption = False,
) -> None:
    from lumos.agent.agent import check_bounds
    from lumos.domain import get_domain
    from lumos.env import parse_env_options

    check_bounds({"max_rounds": max_rounds, "n_examples": examples})
    if task_option is not None:
        if task is not None and task != task_option:
            raise ConfigError(f"two tasks given: {task!r} and --task {task_option!r}; give one")
        task = task_option
    if task is not None and not task.strip():
        raise ConfigError("the task is empty: give the task's text (or '-' to read tasks from standard input)")
    apply_unsafe_code(unsafe_code, load_config_file(config))
    # the domain of --domain, else of the --config file (whose environment must be built too)
    domain = domain or load_config_file(config).get("domain") or DEFAULT_DOMAIN
    open_env = get_domain(domain).load("environment")
    with contextlib.ExitStack() as stack:  # what the run opens (a browser) is closed however it ends
        episodes: list[Episode] = []
        if open_env is not None:
            options = {"data": data, "goal": goal, "task_id": task_id, "seed": seed, "screenshots": screenshots}
            if variation is not None:
                options["variation"] = variation
            options.update(parse_env_options(env))
            episodes = [stack.enter_context(open_env(task, options))]
            tasks = [e.task for e in episodes]
        elif task is None:
            raise typer.BadParameter("give the task (or '-' to read tasks from standard input)")
        else:
            tasks = [line.strip() for line in sys.stdin if line.strip()] if task == "-" else [task]
            if not tasks:
                raise ConfigError("standard input held no task: give one task a line")
        agent = build_agent(
            config_file=config,
            prompts_file=prompts,
            backend=backend,
            model=model,
            plan_model=plan_model,
            ground_model=ground_model,
            plan_adapter=plan_adapter,
            ground_adapter=ground_adapter,
            base_url=base_url,
            overrides={
                "domain": domain,
                "formulation": formulation,
                "n_examples": examples,
                "max_rounds": max_rounds,
            },
            index=index,
            use_shipped=trained,
            parallel=len(tasks),
            style=style,
            qa=QAModelOptions(qa_model, qa_backend, qa_base_url),
            ground_base_url=ground_base_url,
            agent=agent_kind,
            adapter=adapter,
        )
        trajectories = agent.run(tasks, envs=[e.env for e in episodes] if episodes else None)
        for traj, episode in zip(trajectories, episodes, strict=False):
            traj.meta.update(episode.outcome())
        _show(trajectories, json_out)
        if trace is not None:  # after the answer is shown: a trace path that cannot be written loses nothing
            _write_trace(trace, trajectories)


def _show(trajectories: list[Trajectory], json_out: bool) -> None:
    if json_out:
        for traj in trajectories:
            print(json.dumps(traj.model_dump()))
        return
    from lumos.cli.render import print_trajectory
    from lumos.terminal import echo

    for traj in trajectories:
        print_trajectory(traj)
        for line in traj.meta.get("steps_taken", []):  # e.g. web: each recorded step against the gold action
            echo(line)
        if "reward" in traj.meta:
            what = traj.meta.get("outcome") or f"goal {traj.meta.get('goal')}"
            echo(f"reward: {traj.meta['reward']:.3f} ({what})")


def _write_trace(trace: Path, trajectories: list[Trajectory]) -> None:
    try:
        trace.parent.mkdir(parents=True, exist_ok=True)
        with trace.open("w", encoding="utf-8") as f:
            for traj in trajectories:
                f.write(traj.to_json() + "\n")
    except OSError as exc:
        raise ConfigError(f"--trace {trace}: cannot write the trace there ({exc.strerror or exc})") from exc
