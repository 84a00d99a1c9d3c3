"""MiniWoB++ task names (the HTML files the ``miniwob`` package ships) and named groups of them."""

from __future__ import annotations

import difflib
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from lumos.errors import ConfigError, require

# Tasks a DOM-level agent (click / type / select on elements) can in principle finish: the groups that
# LLM web-agent papers report on, minus the ones that need coordinates, dragging or drawing.
_DOM_NAMES = """
book-flight choose-date choose-list click-button click-button-sequence click-checkboxes click-
checkboxes-large click-checkboxes-soft click-checkboxes-transfer click-collapsible click-collapsible-2
click-color click-dialog click-dialog-2 click-link click-menu click-option click-pie click-scroll-list
click-shades click-shape click-tab click-tab-2 click-tab-2-hard click-test click-test-2 click-widget
count-shape email-inbox email-inbox-forward-nl email-inbox-forward-nl-turk email-inbox-nl-turk enter-
date enter-password enter-text enter-text-dynamic enter-time focus-text focus-text-2 grid-coordinate
guess-number identify-shape login-user login-user-popup multi-layouts multi-orderings navigate-tree
search-engine simple-algebra social-media social-media-all social-media-some terminal tic-tac-toe use-
autocomplete use-spinner
"""
_DOM = tuple(_DOM_NAMES.replace("-\n", "-").split())  # a name may break after a hyphen

# the first tasks the scripted solver solved, from the goal's fields alone (the mix suite keeps them)
_FIRST_SOLVABLE = (
    "click-button",
    "click-link",
    "enter-text",
    "focus-text",
    "click-checkboxes",
    "choose-list",
    "enter-password",
    "click-option",
    "click-dialog",
    "click-dialog-2",
    "click-test",
    "click-test-2",
    "enter-text-2",
    "click-tab",
    "login-user",
    "click-collapsible",
    "click-button-sequence",
)
# tasks the scripted solver (solver.SOLVERS) writes reward-verified demonstrations for
_SOLVABLE = (
    *_FIRST_SOLVABLE,
    # issue 23: solvers that read the page after each action
    "click-checkboxes-large",
    "click-checkboxes-transfer",
    "enter-text-dynamic",
    "enter-time",
    "choose-date",
    "focus-text-2",
    "click-scroll-list",
    "grid-coordinate",
    "click-color",
    "click-collapsible-2",
    "click-tab-2",
    "click-tab-2-hard",
    "click-widget",
    "login-user-popup",
    "navigate-tree",
    "search-engine",
    "use-autocomplete",
    "guess-number",
    "simple-algebra",
    "click-pie",
    "identify-shape",
    "click-checkboxes-soft",
    "count-shape",
    "click-shape",
    "email-inbox",
    "email-inbox-nl-turk",
    "email-inbox-forward-nl",
    "email-inbox-forward-nl-turk",
    "tic-tac-toe",
    "book-flight",
)

# Issue 23's unseen tasks: solvable, but held out of every training set (the demonstration writer skips them
# and `lumos data build` drops any annotation of theirs), so evaluation shows how trained modules do on tasks
# they never saw. Variants of seen tasks (harder layouts, other wordings) and tasks of their own.
UNSEEN: tuple[str, ...] = (
    "click-checkboxes-large",
    "click-collapsible-2",
    "click-dialog-2",
    "click-tab-2-hard",
    "click-test-2",
    "email-inbox-forward-nl-turk",
    "enter-text-dynamic",
    "focus-text-2",
    "login-user-popup",
    "use-autocomplete",
)
SEEN: tuple[str, ...] = tuple(t for t in _SOLVABLE if t not in UNSEEN)
"""Solvable tasks whose demonstrations may be trained on."""

SUITES: dict[str, tuple[str, ...]] = {
    # the four tasks of the done-when run
    "basic": ("click-button", "click-link", "enter-text", "focus-text"),
    "solvable": _SOLVABLE,
    "seen": SEEN,
    "unseen": UNSEEN,
    # a short, varied mix for quick checks of a model (clicking, typing, selecting, widgets)
    "mix": (
        *_FIRST_SOLVABLE,
        "click-widget",
        "focus-text-2",
        "click-menu",
        "use-spinner",
        "click-scroll-list",
        "search-engine",
        "social-media",
    ),
    "dom": _DOM,
}


@cache
def html_dir() -> Path:
    """Where the ``miniwob`` package keeps the task pages."""
    require("miniwob", package="miniwob", extra="web", purpose="MiniWoB++ tasks")
    spec = find_spec("miniwob")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "html" / "miniwob"


@cache
def all_tasks() -> tuple[str, ...]:
    """Every MiniWoB++ task, sorted (the FlightWoB tasks, which need a web server, are left out)."""
    return tuple(sorted(p.stem for p in html_dir().glob("*.html")))


def check_task(name: str) -> str:
    known = all_tasks()
    if name not in known:
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `lumos eval miniwob --suite dom`"
        raise ConfigError(f"unknown MiniWoB++ task {name!r}{hint}")
    return name


def resolve_tasks(tasks: str | list[str] | None = None, suite: str | None = None) -> list[str]:
    """The tasks named by ``--tasks a,b`` and/or ``--suite NAME`` (all tasks when neither is given)."""
    names: list[str] = []
    if suite:
        if suite == "all":
            names.extend(all_tasks())
        elif suite not in SUITES:
            raise ConfigError(f"unknown MiniWoB++ suite {suite!r}; choose one of: all, {', '.join(SUITES)}")
        else:
            names.extend(t for t in SUITES[suite] if t in all_tasks())
    if tasks:
        items = tasks.split(",") if isinstance(tasks, str) else tasks
        names.extend(check_task(t.strip()) for t in items if t.strip())
    if not tasks and not suite:
        names = list(all_tasks())
    return list(dict.fromkeys(names))


# Evaluation and demonstration episodes draw MiniWoB seeds from two ranges that cannot meet: evaluation seeds
# are below DEMO_SEED_BASE, demonstration seeds at or above it.
EPISODES_PER_BLOCK = 1000
SEED_BLOCKS = 1000
DEMO_SEED_BASE = EPISODES_PER_BLOCK * SEED_BLOCKS


def _seed(base: int, block: int, k: int, what: str) -> int:
    if not 0 <= block < SEED_BLOCKS:
        raise ConfigError(f"{what}: --seed must be from 0 to {SEED_BLOCKS - 1}, not {block}")
    if not 0 <= k < EPISODES_PER_BLOCK:
        raise ConfigError(f"{what}: at most {EPISODES_PER_BLOCK} episodes per task, not {k + 1}")
    return base + EPISODES_PER_BLOCK * block + k


def eval_seed(block: int, k: int) -> int:
    """MiniWoB's seed of episode ``k`` of an evaluation with ``--seed block`` (always below DEMO_SEED_BASE)."""
    return _seed(0, block, k, "evaluation")


def demo_seed(block: int, k: int) -> int:
    """MiniWoB's seed of demonstration episode ``k`` with ``--seed block`` (never an evaluation seed)."""
    return _seed(DEMO_SEED_BASE, block, k, "demonstrations")


def task_of_episode(episode_id: str) -> str:
    """``click-button-s1-4`` (a demonstration's id) -> ``click-button``."""
    return episode_id.rsplit("-s", 1)[0]


def held_out_reason(annotation: object) -> str | None:
    """Why an annotation may not be trained on (the ``training_filter`` hook): it is an episode of an
    unseen task. None: it may."""
    if getattr(annotation, "source", "") != "miniwob-solver":
        return None
    task = task_of_episode(str(getattr(annotation, "id", "")))
    return f"{task} is an unseen task (miniwob.tasks.UNSEEN)" if task in UNSEEN else None


def task_groups() -> dict[str, list[str]]:
    """The ``task_groups`` hook: how reports split the DOM tasks (seen in training, unseen, no solver)."""
    return {
        "seen": list(SEEN),
        "unseen": list(UNSEEN),
        "no solver": [t for t in _DOM if t not in _SOLVABLE],
    }
