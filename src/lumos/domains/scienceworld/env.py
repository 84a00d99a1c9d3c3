"""One ScienceWorld episode on a :class:`~lumos.domains.scienceworld.simulator.Simulator`: what the ``Act``
tool acts on (``ctx.env``) and what ``lumos run`` / ``lumos eval scienceworld`` / ``lumos env scienceworld``
reset and score.

An episode is (task type, variation, simplification; ``easy`` by default: teleporting, open doors and
containers, self-watering pots, no electrical actions except in the electrical tasks). Each action gives the
simulator's observation, the score (0-100; a task failed on purpose, e.g. by focusing on the wrong thing, is
ScienceWorld's -100 and counts as 0), the reward (the change in score) and whether the episode is done (the
task is complete or failed, or ``max_steps`` actions were taken). Once done, the episode takes no more
actions: its score is final.

A command the simulator does not know is snapped: first its verb is spelled right (``opn`` -> ``open``), then
it goes to the closest valid action with the same verb (rapidfuzz ratio of at least :data:`SNAP_MIN_SCORE`,
over the whole command and over the words where the two differ, articles left out; never to another verb:
``open`` is not snapped to ``close``); the snap is recorded (:attr:`StepResult.snapped_from`). The second
measure keeps a snap to a spelling of the same object: over whole commands, ``focus on tin`` is close to
``focus on sink`` and ``focus on green box`` to ``focus on greenhouse``, and a focus on the wrong thing fails the
task. A command nothing is close to (or whose closest valid action is the command itself, which the simulator
has just refused) is an :class:`InvalidActionError` (a step error naming the closest valid actions), and takes
no move.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from lumos.domains.scienceworld.simulator import Simulator, SimulatorCrashedError
from lumos.domains.scienceworld.tasks import check_task
from lumos.errors import ConfigError, ToolError, require

log = logging.getLogger(__name__)

DEFAULT_SIMPLIFICATION = "easy"
DEFAULT_MAX_STEPS = 100
DEFAULT_STEP_SECONDS = 20.0
LOAD_SECONDS = 120.0
UNKNOWN = "No known action matches that input."
AMBIGUOUS = "Ambiguous request"
SNAP_MIN_SCORE = 80.0
ENDED = "The task has ended ("
"""How the refusal of an action after the end begins (the planner is not asked again after it)."""


class InvalidActionError(ToolError):
    """A command the simulator does not know, and no valid action is close to it."""

    kind = "invalid_action"


class EpisodeOverError(ToolError):
    """An action after the episode ended: its score is final."""

    kind = "episode_over"


@dataclass
class StepResult:
    """What one action did."""

    action: str
    """What was executed (the snapped action where the written one was unknown)."""
    observation: str
    score: int
    reward: int
    done: bool
    moves: int
    snapped_from: str | None = None
    """The command as written, where it was snapped to :attr:`action`."""

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class EpisodeResult:
    score: int
    done: bool
    steps: int
    reason: str = ""
    error: str | None = None


@dataclass
class EpisodeOptions:
    """How episodes run."""

    simplification: str = field(default=DEFAULT_SIMPLIFICATION, metadata={"help": "ScienceWorld simplifications"})
    max_steps: int | None = field(default=DEFAULT_MAX_STEPS, metadata={"help": "actions before an episode ends"})
    step_seconds: float = field(default=DEFAULT_STEP_SECONDS, metadata={"help": "time limit of one action"})
    snap: bool = field(default=True, metadata={"help": "snap unknown commands to the closest valid action"})


class ScienceWorldEpisode:
    """One episode (call :meth:`reset` first)."""

    def __init__(
        self,
        simulator: Simulator,
        task: str,
        variation: int,
        *,
        options: EpisodeOptions | None = None,
        episode_id: str | None = None,
        gold: bool = False,
    ) -> None:
        self.simulator = simulator
        self.task = check_task(task)
        self.variation = int(variation)
        self.options = options or EpisodeOptions()
        self.episode_id = episode_id or f"{task}-{variation}"
        self.gold = gold
        self.description = ""
        self.first_observation = ""
        self.history: list[StepResult] = []
        self.score = 0
        self.done = False
        self.crashed: str | None = None
        self.details: dict[str, Any] = {}

    # ---------------------------------------------------------------------------------- episode

    @property
    def meta(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "variation": self.variation,
            "simplification": self.options.simplification,
        }

    def reset(self) -> str:
        """Load the variation and return its task description (the agent's task); :meth:`observation` is then
        the room the agent starts in."""
        key = (self.task, self.variation, self.options.simplification, self.gold)
        simplification = self.options.simplification

        def load(server: Any) -> tuple[str, str]:
            server.load(self.task, self.variation, simplification, self.gold)
            server.reset()
            return str(server.freeActionTaskDesc()), str(server.step("look around"))

        description, look = self._call(load, LOAD_SECONDS, f"loading {self.episode_id}")
        self.simulator.loaded = key
        self.description = _task_text(description)
        self.first_observation = look.strip()
        self.history, self.score, self.done, self.details = [], 0, False, {}
        return self.description

    def observation(self) -> str:
        """The room the agent started in (``look around`` after the reset)."""
        return self.first_observation

    def ended(self) -> bool:
        return self.done or self.crashed is not None

    def result(self) -> EpisodeResult:
        if self.crashed:
            return EpisodeResult(0, True, len(self.history), "simulator crashed", self.crashed)
        if self.done:
            why = "completed" if self.score >= 100 else "ended"
            return EpisodeResult(self.score, True, len(self.history), why)
        return EpisodeResult(self.score, False, len(self.history), "unfinished")

    def gold_actions(self) -> list[str]:
        """The variation's gold action sequence (reset with ``gold=True``)."""
        if not self.gold:
            raise ConfigError("the gold path is made only when the episode is reset with gold=True")
        return [str(a) for a in self._call(lambda s: list(s.getGoldActionSequence()), LOAD_SECONDS, "the gold path")]

    def valid_actions(self) -> list[str]:
        """Every action the simulator accepts now (about a thousand; costs a fraction of a second)."""
        return sorted(str(a) for a in self._call(lambda s: list(s.getValidActionObjectCombinations()),
                                                 self.options.step_seconds, "the valid actions"))

    def inventory(self) -> str:
        return str(self._call(lambda s: s.freeActionInventory(), self.options.step_seconds, "the inventory"))

    def look(self) -> str:
        return str(self._call(lambda s: s.freeActionLook(), self.options.step_seconds, "a look around"))

    # ---------------------------------------------------------------------------------- acting

    def act(self, command: str) -> StepResult:
        """Take one action (see the module doc for snapping); the step is recorded in :attr:`history`."""
        command = " ".join(str(command).split())
        if not command:
            raise InvalidActionError("the command is empty; write an action such as 'open door to kitchen'")
        if self.crashed:
            raise SimulatorCrashedError(f"the simulator of this episode crashed earlier ({self.crashed})")
        if self.done:
            raise EpisodeOverError(f"{ENDED}score {self.score}); no more actions are taken in this episode")
        if command.lower().startswith("reset"):
            raise InvalidActionError("'reset task' would start the episode again; it is not allowed")
        observation = self._step(command)
        snapped_from = None
        if observation.strip() == UNKNOWN and not command.isdigit():
            if not self.options.snap:
                raise InvalidActionError(f"{command!r}: {UNKNOWN}")
            snapped_from = command
            command, observation = self._snap(command)
        return self._record(command, observation, snapped_from)

    def _snap(self, command: str) -> tuple[str, str]:
        """(the action taken for an unknown ``command``, its observation): first the command with its verb
        spelled right, then the closest valid action with the same verb; InvalidActionError where neither."""
        verb, _, rest = command.partition(" ")
        right = closest_verb(verb)
        if right is not None and right != verb.lower():
            fixed = f"{right} {rest}".strip()
            observation = self._step(fixed)
            if observation.strip() != UNKNOWN:
                return fixed, observation
        valid = self.valid_actions()
        refused = {command.lower(), f"{right} {rest}".strip().lower()}
        same_verb = [a for a in valid if right is not None and a.split(" ", 1)[0] == right and a.lower() not in refused]
        best, _close = snap(command, same_verb)
        if best is None:
            _, close = snap(command, valid)
            hint = "; ".join(close) or "none"
            raise InvalidActionError(f"{command!r} is not a valid action here (closest valid actions: {hint})")
        return best, self._step(best)

    def _step(self, command: str) -> str:
        return str(self._call(lambda s: s.step(command), self.options.step_seconds, repr(command)))

    def _record(self, command: str, observation: str, snapped_from: str | None) -> StepResult:
        raw, completed, moves = self._call(
            lambda s: (float(s.getScore()), bool(s.getCompleted()), int(s.getNumMoves())),
            self.options.step_seconds,
            "the score",
        )
        score = max(0, round(100 * raw))
        reward = score - self.score
        limit = self.options.max_steps
        done = completed or raw < 0 or (limit is not None and len(self.history) + 1 >= limit)
        step = StepResult(command, observation.strip(), score, reward, done, moves, snapped_from)
        self.history.append(step)
        self.score, self.done = score, done
        self.details = {
            "executed": command,
            "observation": step.observation,
            "score": score,
            "reward": reward,
            "done": done,
        }
        if snapped_from is not None:
            self.details["snapped_from"] = snapped_from
        if raw < 0:
            self.details["failed"] = True
        return step

    def _call(self, fn: Any, seconds: float, what: str) -> Any:
        if self.crashed:
            raise SimulatorCrashedError(f"the simulator of this episode crashed earlier ({self.crashed})")
        try:
            return self.simulator.call(fn, seconds, what)
        except SimulatorCrashedError as exc:
            self.crashed = str(exc)
            raise

    def close_episode(self) -> EpisodeResult:
        return self.result()


VERBS = (
    "activate", "close", "connect", "deactivate", "disconnect", "dunk", "eat", "examine", "flush", "focus", "go",
    "inventory", "look", "mix", "move", "open", "pick", "pour", "put", "read", "task", "teleport", "use", "wait",
    "wait1",
)
"""The first words of ScienceWorld's action templates (``examine`` is an alias of ``look at``)."""


def closest_verb(word: str, min_score: float = 70.0) -> str | None:
    """``opn`` -> ``open``; None where no verb is close."""
    word = word.lower()
    if word in VERBS:
        return word
    fuzz = require("rapidfuzz.fuzz", package="rapidfuzz", extra="scienceworld")
    score, best = max((fuzz.ratio(word, v), v) for v in VERBS)
    return best if score >= min_score else None


def snap(command: str, valid: list[str], min_score: float = SNAP_MIN_SCORE) -> tuple[str | None, list[str]]:
    """(the valid action closest to ``command`` when close enough, else None; the three closest)."""
    if not valid:
        return None, []
    process = require("rapidfuzz.process", package="rapidfuzz", extra="scienceworld")
    fuzz = require("rapidfuzz.fuzz", package="rapidfuzz", extra="scienceworld")
    want = command.lower()
    ranked = process.extract(want, valid, scorer=fuzz.ratio, limit=3)
    close = [str(choice) for choice, _score, _i in ranked]
    for best, score, _ in ranked:
        if score >= min_score and fuzz.ratio(*differing_words(want, str(best).lower())) >= min_score:
            return str(best), close
    return None, close


ARTICLES = frozenset({"a", "an", "the"})


def differing_words(first: str, second: str) -> tuple[str, str]:
    """The two commands without the words they begin and end with in common, and without articles:
    ``focus on the tin``, ``focus on sink`` -> ``tin``, ``sink``."""
    a = [w for w in first.split() if w not in ARTICLES]
    b = [w for w in second.split() if w not in ARTICLES]
    while a and b and a[0] == b[0]:
        a, b = a[1:], b[1:]
    while a and b and a[-1] == b[-1]:
        a, b = a[:-1], b[:-1]
    return " ".join(a), " ".join(b)


def _task_text(description: str) -> str:
    """``Task Description:\\nYour task is to boil water. ...`` -> ``Your task is to boil water. ...``."""
    text = description.strip()
    head = "Task Description:"
    if text.startswith(head):
        text = text[len(head) :].strip()
    return " ".join(text.split())
