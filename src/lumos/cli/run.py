"""Run the agent on a task and show its subgoals, actions, results and answer."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from lumos.cli.options import (
    GroundBaseUrlOption,
    QABackendOption,
    QABaseUrlOption,
    QAModelOption,
    QAModelOptions,
    StyleOption,
    UnsafeCodeOption,
    apply_unsafe_code,
    build_agent,
    load_config_file,
)


def command(
    task: Annotated[
        Optional[str],
        typer.Argument(
            help="the task; '-' reads one task per line from standard input (--domain webshop: omit it, "
            "the goal's instruction is the task; --domain miniwob: a MiniWoB++ task name, such as click-button)"
        ),
    ] = None,
    domain: Annotated[Optional[str], typer.Option(help="task domain: maths, complex_qa, ...")] = None,
    formulation: Annotated[
        Optional[str], typer.Option(help="iterative (Lumos-I) or onetime (Lumos-O)")
    ] = None,
    backend: Annotated[
        str,
        typer.Option(
            help="model backend: auto (the fastest installed engine), hf, llamacpp, openai, fake, or a plugin"
        ),
    ] = "auto",
    model: Annotated[
        Optional[str], typer.Option(help="one model for both modules (default: the embedded model)")
    ] = None,
    plan_model: Annotated[Optional[str], typer.Option(help="planning module model")] = None,
    ground_model: Annotated[Optional[str], typer.Option(help="grounding module model")] = None,
    plan_adapter: Annotated[
        Optional[str], typer.Option(help="LoRA adapter for planning (PEFT folder; llamacpp also GGUF)")
    ] = None,
    ground_adapter: Annotated[
        Optional[str], typer.Option(help="LoRA adapter for grounding (PEFT folder; llamacpp also GGUF)")
    ] = None,
    base_url: Annotated[Optional[str], typer.Option(help="openai backend: server URL; several comma-separated, or @FILE (one a line), share the requests")] = None,
    ground_base_url: GroundBaseUrlOption = None,
    trained: Annotated[
        bool,
        typer.Option(
            help="use the trained adapters shipped with lumos (--no-trained: the base model, few-shot)"
        ),
    ] = True,
    examples: Annotated[
        Optional[int],
        typer.Option(help="in-context demonstrations (default: 3 for the untrained embedded model, else 0)"),
    ] = None,
    max_rounds: Annotated[Optional[int], typer.Option(help="most subgoals in Lumos-I")] = None,
    index: Annotated[
        Optional[Path],
        typer.Option(help="complex_qa: search index directory (default: the built-in offline index)"),
    ] = None,
    prompts: Annotated[Optional[Path], typer.Option(help="YAML file replacing prompt wording")] = None,
    style: StyleOption = None,
    qa_model: QAModelOption = None,
    qa_backend: QABackendOption = None,
    qa_base_url: QABaseUrlOption = None,
    config: Annotated[
        Optional[Path], typer.Option(help="YAML file of agent settings; flags override it")
    ] = None,
    trace: Annotated[Optional[Path], typer.Option(help="write the trajectory (JSON) here")] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="print the trajectory as JSON instead of text")
    ] = False,
    data: Annotated[
        Optional[Path],
        typer.Option(help="web domains: the environment's data (webshop: a folder of WebShop's files; "
                     "default: lumos's demo shop)"),
    ] = None,
    goal: Annotated[
        int, typer.Option(help="webshop: the N-th human instruction of the data, in file order, from 0")
    ] = 0,
    task_id: Annotated[
        str,
        typer.Option(help="web: a Mind2Web task's annotation_id or position from 0 (--data: a Mind2Web file)"),
    ] = "0",
    seed: Annotated[int, typer.Option(help="miniwob: the episode's seed (the same seed, the same page)")] = 0,
    screenshots: Annotated[
        Optional[Path], typer.Option(help="miniwob: save a PNG of the page after each action in this folder")
    ] = None,
    unsafe_code: UnsafeCodeOption = False,
) -> None:
    apply_unsafe_code(unsafe_code, load_config_file(config))
    with contextlib.ExitStack() as stack:  # what the run opens (a browser) is closed however it ends
        envs: list[Any] | None = None
        if domain == "web":
            from lumos.web.mind2web import replay_task

            instruction, page_env = replay_task(data, task_id)
            tasks, envs = [instruction], [page_env]
        elif domain == "webshop":
            from lumos.web.webshop.env import goal_session

            instruction, shop_env = goal_session(data, goal)
            tasks, envs = [instruction], [shop_env]
        elif domain == "miniwob":
            if task is None:
                raise typer.BadParameter("give the MiniWoB++ task's name, such as click-button")
            page_env = stack.enter_context(_miniwob_episode(task, seed, screenshots))
            tasks, envs = [page_env.utterance], [page_env]
        elif task is None:
            raise typer.BadParameter("give the task (or '-' to read tasks from standard input)")
        else:
            tasks = [line.strip() for line in sys.stdin if line.strip()] if task == "-" else [task]
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
        )
        trajectories = agent.run(tasks, envs=envs)
        for traj, env in zip(trajectories, envs or [], strict=False):
            if domain == "web":
                traj.meta["steps_taken"] = env.summary()
            elif domain == "miniwob":
                result = env.close_episode()  # MiniWoB's raw reward in [-1, 1]; an unfinished episode scores -1
                traj.meta["reward"] = result.reward
                outcome = "success" if result.reward > 0 else "failure"
                traj.meta["outcome"] = f"{outcome}: {result.reason}" if result.reason else outcome
            else:
                traj.meta["reward"] = env.reward  # the shop's reward for what was bought (0: nothing bought)
        if trace is not None:
            trace.parent.mkdir(parents=True, exist_ok=True)
            with trace.open("w") as f:
                for traj in trajectories:
                    f.write(traj.to_json() + "\n")
        if json_out:
            for traj in trajectories:
                print(json.dumps(traj.model_dump()))
            return
        from lumos.cli.render import print_trajectory

        for traj in trajectories:
            print_trajectory(traj)
            for line in traj.meta.get("steps_taken", []):  # web: each recorded step against the gold action
                print(line)
            if "reward" in traj.meta:
                what = traj.meta.get("outcome") or f"goal {traj.meta.get('goal')}"
                print(f"reward: {traj.meta['reward']:.3f} ({what})")


@contextlib.contextmanager
def _miniwob_episode(task: str, seed: int, screenshots: Path | None) -> Iterator[Any]:
    """One MiniWoB++ episode in its own headless Chromium, started (the page's utterance is the task)."""
    from lumos.web.miniwob.env import Browser, MiniWoBPage, PageOptions
    from lumos.web.miniwob.evaluate import episode_seconds
    from lumos.web.miniwob.tasks import check_task

    check_task(task)  # an unknown name fails before a browser starts
    options = PageOptions(episode_seconds=episode_seconds(), screenshots=screenshots is not None)
    browser = Browser()
    try:
        page = MiniWoBPage(browser, task, seed, run_dir=screenshots, options=options)
        page.reset()
        yield page
    finally:
        browser.quit()
