"""``lumos run --domain scienceworld`` (one episode), ``lumos env scienceworld`` (play by hand) and the agent
for live ScienceWorld episodes."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated, Any, Optional

import typer

from lumos.env import Episode
from lumos.errors import AgentStepError, ConfigError
from lumos.format.parse import STOP_SENTENCE
from lumos.models.base import Conversation, Generation, GenerationParams, Model


def episode_options(options: dict[str, Any]) -> Any:
    """``--env simplification=... max_steps=N step_seconds=S snap=0`` -> EpisodeOptions."""
    from lumos.domains.scienceworld.env import EpisodeOptions

    defaults = EpisodeOptions()
    try:
        max_steps = int(options.get("max_steps") or defaults.max_steps or 0) or None
        step_seconds = float(options.get("step_seconds") or defaults.step_seconds)
    except ValueError as exc:
        raise ConfigError(f"--env max_steps / step_seconds must be numbers ({exc})") from exc
    snap = str(options.get("snap", "1")).lower() not in ("0", "false", "no", "off")
    simplification = str(options.get("simplification") or defaults.simplification)
    if simplification.lower() in ("none", "hard", "-"):
        simplification = ""
    return EpisodeOptions(simplification, max_steps, step_seconds, snap)


@contextlib.contextmanager
def open_episode(task: str | None, options: dict[str, Any]) -> Iterator[Episode]:
    """The task type (``boil``) and ``--env variation=N`` (default 0) choose the episode; the agent's task is
    the variation's task description; the outcome is the score (0-100)."""
    from lumos.domains.scienceworld.env import ScienceWorldEpisode
    from lumos.domains.scienceworld.simulator import Simulator
    from lumos.domains.scienceworld.tasks import check_task, check_variation

    name = task or options.get("task")
    if not name:
        raise typer.BadParameter("give the ScienceWorld task type, such as boil (and --variation N)")
    name = check_task(str(name).strip())
    variation = check_variation(name, _whole(options.get("variation"), "variation"))
    with Simulator() as simulator:
        episode = ScienceWorldEpisode(simulator, name, variation, options=episode_options(options))
        episode.reset()

        def outcome() -> dict[str, Any]:
            result = episode.result()
            verdict = "success" if result.score >= 100 else result.reason
            return {"reward": result.score / 100, "score": result.score, "outcome": f"{verdict}, score {result.score}"}

        yield Episode(episode.description, episode, outcome)


def _whole(value: Any, what: str) -> int:
    if value in (None, ""):
        return 0
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"--{what} must be a whole number, not {value!r}") from exc


def env_command(
    actions: Annotated[
        Optional[list[str]], typer.Argument(help="actions in order: 'open door to kitchen' 'go to kitchen' ...")
    ] = None,
    task: Annotated[str, typer.Option(help="task type (boil, melt, find-animal...; or its id, 1-1)")] = "boil",
    variation: Annotated[int, typer.Option(help="the task's variation")] = 0,
    simplification: Annotated[str, typer.Option(help="ScienceWorld simplifications ('easy'; 'none' for none)")] = "easy",
    valid: Annotated[bool, typer.Option(help="add the valid actions after each action")] = False,
    gold: Annotated[bool, typer.Option(help="play the variation's gold path (after the actions given)")] = False,
    snap: Annotated[bool, typer.Option(help="snap an unknown command to the closest valid action")] = True,
) -> None:
    """ScienceWorld: one JSON line per action on standard output: action, observation, score (0-100), reward
    (its change), done, and the written command where it was snapped (or the error). The task description
    and first observation go to standard error (to standard output when no action is given)."""
    from lumos.domains.scienceworld.env import ScienceWorldEpisode
    from lumos.domains.scienceworld.simulator import Simulator
    from lumos.domains.scienceworld.tasks import check_task, check_variation

    name = check_task(task)
    check_variation(name, variation)
    options = episode_options({"simplification": simplification, "snap": "1" if snap else "0", "max_steps": "0"})
    with Simulator() as simulator:
        episode = ScienceWorldEpisode(simulator, name, variation, options=options, gold=gold)
        episode.reset()
        start: dict[str, Any] = {"task": name, "variation": variation, "description": episode.description,
                                 "observation": episode.observation()}
        if valid:
            start["valid"] = episode.valid_actions()
        print(json.dumps(start), file=sys.stdout if not actions and not gold else sys.stderr)
        for action in [*(actions or []), *(episode.gold_actions() if gold else [])]:
            line: dict[str, Any]
            try:
                line = episode.act(action).as_dict()
            except AgentStepError as exc:
                line = {"action": action, "error": f"{exc.kind}: {exc}", "score": episode.score, "done": episode.done}
            if valid:
                line["valid"] = episode.valid_actions() if not episode.ended() else []
            print(json.dumps(line), flush=True)
            if episode.crashed:
                raise typer.Exit(1)


class StopWhenEnded(Model):
    """The planner, except on a turn whose last result says the episode has ended: that turn is answered with
    the stop sentence (0 tokens) instead of asking the model for subgoals that could no longer change the score."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.name = getattr(model, "name", "model")

    def generate(self, conversations: Sequence[Conversation], params: GenerationParams) -> list[Generation]:
        from lumos.domains.scienceworld.env import ENDED

        ended = [bool(c) and ENDED in c[-1]["content"] for c in conversations]
        asked = [c for c, e in zip(conversations, ended, strict=True) if not e]
        answers = iter(self.model.generate(asked, params) if asked else [])
        return [Generation(STOP_SENTENCE) if e else next(answers) for e in ended]

    def close(self) -> None:
        close = getattr(self.model, "close", None)
        if callable(close):
            close()


def scienceworld_agent(
    planner: Model, grounder: Model, config: Any, style: Any = None, tools: Callable[[], list[Any]] | None = None
) -> Any:
    """A Lumos agent for live episodes: the planner is not asked again once the episode has ended, and it alone
    decides when to stop before that (``end_with_env`` off: the continued-planner rule of live web pages has not
    been measured on ScienceWorld, where a stop ends the episode at its partial score)."""
    import dataclasses

    from lumos.agent.agent import Agent

    config = dataclasses.replace(config, end_with_env=False)
    return Agent(StopWhenEnded(planner), grounder, config, style=style, tools=tools)


def make_agent(planner: Any, grounder: Any, config: Any, style: Any = None, tool_options: Any = None) -> Any:
    return scienceworld_agent(planner, grounder, config, style=style)
