"""ScienceWorld's 30 task types, their variation splits, and lumos's seen / unseen split of them.

``variations.yaml`` holds each task type's train / dev / test variations as the simulator gives them, so
listing episodes starts no JVM. Training data comes only from *train* variations of *seen* task types
(:data:`UNSEEN` task types never feed training: the annotation source skips them and the ``training_filter``
hook refuses any annotation of theirs in ``lumos data build``). Evaluation uses *test* variations: split
``seen`` the test variations of the seen task types, ``unseen`` those of :data:`UNSEEN`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from lumos.errors import ConfigError

SPLITS = ("train", "dev", "test")

# Held out of all training: the harder sibling of a seen task type in each topic (an unknown substance, a
# renewable source, a tertiary colour, an unnamed surface, an unknown plant, a longest-then-shortest
# question, any change of state), so that evaluation asks whether what was learned carries over.
UNSEEN: tuple[str, ...] = (
    "change-the-state-of-matter-of",
    "measure-melting-point-unknown-substance",
    "power-component-renewable-vs-nonrenewable-energy",
    "test-conductivity-of-unknown-substances",
    "chemistry-mix-paint-tertiary-color",
    "lifespan-longest-lived-then-shortest-lived",
    "inclined-plane-friction-unnamed-surfaces",
    "mendelian-genetics-unknown-plant",
)


@dataclass(frozen=True)
class TaskType:
    name: str
    id: str
    topic: str
    title: str
    train: range
    dev: range
    test: range

    def variations(self, split: str) -> range:
        if split not in SPLITS:
            raise ConfigError(f"unknown variation split {split!r}; choose one of: {', '.join(SPLITS)}")
        value: range = getattr(self, split)
        return value


@cache
def task_types() -> dict[str, TaskType]:
    """Every task type by name, in ScienceWorld's order."""
    text = resources.files(__package__).joinpath("variations.yaml").read_text()
    out = {}
    for name, spec in yaml.safe_load(text).items():
        out[name] = TaskType(
            name, str(spec["id"]), str(spec["topic"]), str(spec["title"]), *(range(*spec[s]) for s in SPLITS)
        )
    return out


def all_tasks() -> tuple[str, ...]:
    return tuple(task_types())


def seen_tasks() -> tuple[str, ...]:
    """The task types whose train variations may be trained on."""
    return tuple(t for t in task_types() if t not in UNSEEN)


SUITES = {"seen": seen_tasks, "unseen": lambda: UNSEEN, "all": all_tasks}


def check_task(name: str) -> str:
    """The task type's name, or a ConfigError that suggests the closest ones (a task id like ``1-1`` works)."""
    known = task_types()
    if name in known:
        return name
    by_id = {t.id: t.name for t in known.values()}
    if name in by_id:
        return by_id[name]
    close = difflib.get_close_matches(name, list(known), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; task types: {', '.join(known)}"
    raise ConfigError(f"unknown ScienceWorld task type {name!r}{hint}")


def resolve_tasks(tasks: str | list[str] | None = None, split: str | None = None) -> list[str]:
    """The task types of ``--tasks a,b`` and/or ``--split seen|unseen|all`` (all task types when neither)."""
    names: list[str] = []
    if split:
        if split not in SUITES:
            raise ConfigError(f"unknown ScienceWorld split {split!r}; choose one of: {', '.join(SUITES)}")
        names.extend(SUITES[split]())
    if tasks:
        items = tasks.split(",") if isinstance(tasks, str) else tasks
        names.extend(check_task(t.strip()) for t in items if t.strip())
    if not tasks and not split:
        names = list(all_tasks())
    return list(dict.fromkeys(names))


def variations(task: str, split: str = "test") -> range:
    return task_types()[check_task(task)].variations(split)


def check_variation(task: str, variation: int) -> int:
    spec = task_types()[check_task(task)]
    total = spec.test.stop
    if not 0 <= variation < total:
        raise ConfigError(f"{task} has variations 0 to {total - 1}, not {variation}")
    return variation


def split_of(task: str, variation: int) -> str:
    spec = task_types()[check_task(task)]
    return next(s for s in SPLITS if variation in spec.variations(s))


def episode_id(task: str, variation: int) -> str:
    return f"{task}-v{variation}"


def parse_episode_id(value: str) -> tuple[str, int]:
    """``boil-v3`` (an annotation's or prediction's id) -> ``("boil", 3)``."""
    task, sep, var = value.rpartition("-v")
    if not sep or not var.isdigit():
        raise ValueError(f"{value!r} is no ScienceWorld episode id (TASK-vN)")
    return task, int(var)


def held_out_reason(annotation: object) -> str | None:
    """The ``training_filter`` hook: why an annotation may not be trained on (an unseen task type, or not a
    train variation); None where it may."""
    try:
        task, variation = parse_episode_id(str(getattr(annotation, "id", "")))
    except ValueError:
        return None
    if task in UNSEEN:
        return f"{task} is an unseen task type (scienceworld.tasks.UNSEEN)"
    if task in task_types() and split_of(task, variation) != "train":
        return f"{task} variation {variation} is a {split_of(task, variation)} variation, not a train one"
    return None


def task_groups() -> dict[str, list[str]]:
    """The ``task_groups`` hook: how ``lumos report`` splits the task types."""
    return {"seen": list(seen_tasks()), "unseen": list(UNSEEN)}
