"""Teacher-free ScienceWorld annotations from gold paths, verified by replay.

A variation's gold action sequence (``load(..., generateGoldPath=True)``), cut where the episode first scores
100, is split into subgoals by phase: going somewhere (``open door to kitchen``, ``go to kitchen``, a look
around on arrival), getting things (``pick up``, ``open`` a container), focusing on the answer (``focus on``),
using or changing things (``move``, ``pour``, ``activate``, ``connect``...), checking them (``examine``,
``look at``, a thermometer) and waiting (a gold command the simulator does not know is snapped, and the command
executed is kept); a check-and-wait loop is one subgoal, and no subgoal has more than
:data:`MAX_ACTIONS` actions. Each action is grounded as ``Rk = Act(Rk-1, "command")``.

The annotation is then replayed with the ``Act`` tool in a freshly loaded episode (no gold path): it is kept
only when every action runs and the episode ends with score 100; the results are the observations the replay
gave (each subgoal's last one). Rejection reasons: ``gold_incomplete`` (the gold path never reaches 100),
``unquotable`` (a command with a double quote), ``replay_error`` (an action failed), ``replay_score`` (the
replay ended below 100), ``simulator_crashed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lumos.domains.scienceworld.env import EpisodeOptions, ScienceWorldEpisode
from lumos.domains.scienceworld.simulator import Simulator, SimulatorCrashedError
from lumos.domains.scienceworld.tasks import episode_id
from lumos.format.parse import parse_actions
from lumos.format.types import Annotation
from lumos.tools.base import registry
from lumos.tools.executor import Executor

MAX_ACTIONS = 10
"""The most actions one subgoal grounds to (a longer phase is split into parts)."""
SOURCE = "scienceworld"

_NAVIGATE = ("go to ", "teleport to ", "open door to ", "close door to ")
_GET = ("pick up ", "open ", "close ", "put down ", "drop ")
_CHECK = ("look around", "look at ", "look in ", "examine ", "read ", "inventory", "task", "use thermometer")
_WAIT = ("wait",)


class Rejected(Exception):
    """A gold path that did not become an annotation; ``reason`` is a short code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def phase_of(action: str) -> str:
    """``navigate``, ``check``, ``get``, ``focus``, ``wait``, ``answer`` (a number answering an ambiguity) or
    ``use``."""
    a = action.lower().strip()
    if a.isdigit():
        return "answer"
    if a.startswith(_NAVIGATE):
        return "navigate"
    if a.startswith("focus on "):
        return "focus"
    if a.startswith(_WAIT):
        return "wait"
    if a.startswith(_CHECK):
        return "check"
    if a.startswith(_GET):
        return "get"
    return "use"


@dataclass
class Segment:
    phase: str
    actions: list[str] = field(default_factory=list)

    def text(self, part: int = 0) -> str:
        """The subgoal's wording (``part`` > 0: the k-th part of a phase split for length)."""
        text = self._text()
        return f"{text[:-1]} (part {part})." if part else text

    def _text(self) -> str:
        acts = self.actions
        if self.phase == "navigate":
            rooms = [a.split(" to ", 1)[1] for a in acts if a.startswith(("go to ", "teleport to "))]
            if not rooms:
                return _sentence([a for a in acts if not a.isdigit()])
            via = [r for k, r in enumerate(rooms[:-1]) if k == 0 or r != rooms[k - 1]]
            text = f"Go to the {rooms[-1]}"
            if via:
                text += " through " + _join(via, "the ")
            if acts[-1] == "look around":
                text += " and look around"
            return text + "."
        if self.phase == "focus":
            return f"Focus on the {acts[0].removeprefix('focus on ')}."
        checked = list(dict.fromkeys(a for a in acts if phase_of(a) == "check"))
        if self.phase == "monitor" and checked:
            return "Wait while checking: " + _join(checked) + "."
        if self.phase in ("wait", "monitor"):
            steps = sum(int(a[4:]) if a[4:].isdigit() else 10 for a in acts if a.startswith("wait"))
            return f"Wait {steps} time step{'s' if steps != 1 else ''}."
        return _sentence([a for a in acts if not a.isdigit()])


def _join(items: list[str], article: str = "") -> str:
    items = [f"{article}{x}" for x in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _sentence(clauses: list[str]) -> str:
    text = _join(list(dict.fromkeys(clauses)) or ["continue"])
    return text[:1].upper() + text[1:] + "."


def segment(actions: list[str]) -> list[Segment]:
    """Split a gold path into phases (see the module doc)."""
    segments: list[Segment] = []
    for action in actions:
        phase = phase_of(action)
        last = segments[-1] if segments else None
        if last is not None and (
            phase == "answer"  # the number that answers an ambiguous command belongs to it
            or (phase == last.phase and phase != "focus")
            or (phase == "check" and action == "look around" and last.phase == "navigate"
                and last.actions[-1] != "look around")
        ):
            last.actions.append(action)
        elif last is not None and {phase, last.phase} <= {"check", "wait", "monitor"} and (
            "wait" in (phase, last.phase) or last.phase == "monitor"
        ):
            last.phase = "monitor"
            last.actions.append(action)
        else:
            segments.append(Segment(phase, [action]))
    return segments


def subgoals_of(actions: list[str]) -> list[tuple[str, list[str]]]:
    """(subgoal text, its commands) per subgoal, phases longer than :data:`MAX_ACTIONS` split in parts (a
    number answering an ambiguity stays with its command)."""
    out: list[tuple[str, list[str]]] = []
    for seg in segment(actions):
        chunks: list[list[str]] = []
        for action in seg.actions:
            if chunks and (len(chunks[-1]) < MAX_ACTIONS or action.isdigit()):
                chunks[-1].append(action)
            else:
                chunks.append([action])
        for k, chunk in enumerate(chunks):
            part = Segment(seg.phase, chunk)
            out.append((part.text(k + 1 if len(chunks) > 1 else 0), chunk))
    return out


def grounded(subgoals: list[tuple[str, list[str]]]) -> list[str]:
    """Each subgoal's commands as ``Rk = Act(Rk-1, "command")`` (numbered on across subgoals)."""
    lines, k = [], 0
    for _, commands in subgoals:
        calls = []
        for command in commands:
            if '"' in command:
                raise Rejected("unquotable", f"the command {command!r} holds a double quote")
            k += 1
            calls.append(f'R{k} = Act({"Env" if k == 1 else f"R{k - 1}"}, "{command}")')
        lines.append("; ".join(calls))
    return lines


def gold_until_done(sim: Simulator, task: str, variation: int, simplification: str = "easy") -> tuple[list[str], str, str]:
    """(the gold path as executed, cut where it first scores 100; the task description; the first
    observation). The variation is played once to find the cut; a gold command the simulator does not know is
    snapped as an agent's would be and its executed form kept (:class:`Rejected` ``gold_incomplete`` where
    100 never comes)."""
    options = EpisodeOptions(simplification=simplification, max_steps=None)
    episode = ScienceWorldEpisode(sim, task, variation, options=options, gold=True)
    episode.reset()
    gold = episode.gold_actions()
    executed: list[str] = []
    for k, action in enumerate(gold, 1):
        try:
            step = episode.act(action)
        except SimulatorCrashedError:
            raise
        except Exception as exc:
            raise Rejected("gold_incomplete", f"gold action {k} ({action!r}) failed: {exc}") from exc
        executed.append(step.action)
        if step.done:
            if step.score < 100:
                raise Rejected("gold_incomplete", f"the gold path ended at action {k} with score {step.score}")
            return executed, episode.description, episode.observation()
    raise Rejected("gold_incomplete", f"the {len(gold)} gold actions end with score {episode.score}, not 100")


def annotate_variation(sim: Simulator, task: str, variation: int, simplification: str = "easy") -> Annotation:
    """The verified annotation of one variation, or :class:`Rejected` (see the module doc)."""
    try:
        gold, description, observation = gold_until_done(sim, task, variation, simplification)
        subgoals = subgoals_of(gold)
        ann = Annotation(
            task=description,
            subgoals=[text for text, _ in subgoals],
            actions=grounded(subgoals),
            domain="scienceworld",
            source=SOURCE,
            id=episode_id(task, variation),
            observation=observation,
        )
        return replay(sim, ann, task, variation, simplification)
    except SimulatorCrashedError as exc:
        raise Rejected("simulator_crashed", str(exc)) from exc


def replay(sim: Simulator, ann: Annotation, task: str, variation: int, simplification: str = "easy") -> Annotation:
    """Run the annotation's actions with ``Act`` in a fresh episode; the annotation with the replay's
    results when it scores 100, else :class:`Rejected`."""
    options = EpisodeOptions(simplification=simplification, max_steps=None)
    episode = ScienceWorldEpisode(sim, task, variation, options=options)
    episode.reset()
    executor = Executor(registry.instantiate("scienceworld"), action_time_limit=options.step_seconds)
    executor.reset(env=episode)
    results: list[str] = []
    for k, line in enumerate(ann.actions, 1):
        outcome = executor.execute(parse_actions(line))
        failed = next((r for r in outcome if r.error is not None), None)
        if failed is not None and failed.error is not None and failed.error.kind == "episode_over" and episode.score >= 100:
            return _cut(ann, results, k, outcome)  # the replay scored 100 a little sooner than the gold run
        if failed is not None and failed.error is not None:
            if failed.error.kind == "simulator_crashed":
                raise SimulatorCrashedError(failed.error.message)
            raise Rejected("replay_error", f"subgoal {k}: {failed.error.message}")
        snapped = [r.action for r in outcome if r.details.get("snapped_from")]
        if snapped:
            raise Rejected("replay_error", f"subgoal {k}: the simulator did not know {snapped[0]} as written")
        results.append(next(iter(outcome[-1].outputs.values()), ""))
    if episode.score < 100 or not episode.done:
        raise Rejected("replay_score", f"the replay ended with score {episode.score} (done: {episode.done})")
    return ann.model_copy(update={"results": results})


def _cut(ann: Annotation, results: list[str], k: int, outcome: list[Any]) -> Annotation:
    """The annotation up to the action of subgoal ``k`` that ended the episode (``outcome`` its results)."""
    ran = [r for r in outcome if r.error is None]
    if not ran:  # the episode ended with the previous subgoal
        return ann.model_copy(update={"subgoals": ann.subgoals[: k - 1], "actions": ann.actions[: k - 1], "results": results})
    line = "; ".join(r.action for r in ran)
    return ann.model_copy(update={
        "subgoals": ann.subgoals[:k],
        "actions": [*ann.actions[: k - 1], line],
        "results": [*results, next(iter(ran[-1].outputs.values()), "")],
    })
