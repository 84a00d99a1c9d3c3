"""Running a solver on a live episode, keeping what MiniWoB rewards, and writing the demonstrations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lumos.domains.miniwob.env import MiniWoBPage
from lumos.domains.miniwob.solver import email, flights, forms, games, interactive, shapes
from lumos.domains.miniwob.solver.look import RANKER, Solver, Step, in_goal_words
from lumos.domains.miniwob.tasks import SEEN, demo_seed
from lumos.domains.web_common.tools import resolve_ranker
from lumos.errors import ConfigError
from lumos.format.parse import parse_actions
from lumos.format.types import Annotation
from lumos.tools.base import registry
from lumos.tools.executor import Executor

MAX_STEPS = 40
"""The most actions one episode's solver may take (a guard against a solver that loops)."""

SOLVERS: dict[str, Solver] = {
    "click-button": forms.click_button,
    "click-link": forms.click_link,
    "enter-text": forms.enter_text,
    "enter-text-2": forms.enter_text_2,
    "focus-text": forms.focus_text,
    "click-checkboxes": forms.click_checkboxes,
    "click-option": forms.click_option,
    "choose-list": forms.choose_list,
    "enter-password": forms.enter_password,
    "login-user": forms.login_user,
    "click-dialog": forms.click_dialog,
    "click-dialog-2": forms.click_dialog_2,
    "click-test": forms.click_test,
    "click-test-2": forms.click_button,
    "click-tab": forms.click_tab,
    "click-collapsible": forms.click_collapsible,
    "click-button-sequence": forms.click_button_sequence,
    # added for issue 23
    "click-checkboxes-large": forms.click_checkboxes,
    "click-checkboxes-transfer": forms.click_checkboxes,
    "enter-text-dynamic": forms.enter_text,
    "enter-time": forms.enter_time,
    "choose-date": interactive.choose_date,
    "focus-text-2": forms.focus_text_2,
    "click-scroll-list": forms.click_scroll_list,
    "grid-coordinate": interactive.grid_coordinate,
    "click-color": interactive.click_color,
    "click-collapsible-2": interactive.click_collapsible_2,
    "click-tab-2": interactive.click_tab_2,
    "click-tab-2-hard": interactive.click_tab_2,
    "click-widget": interactive.click_widget,
    "login-user-popup": interactive.login_user_popup,
    "navigate-tree": interactive.navigate_tree,
    "search-engine": interactive.search_engine,
    "use-autocomplete": interactive.use_autocomplete,
    "guess-number": interactive.guess_number,
    "simple-algebra": interactive.simple_algebra,
    "click-pie": interactive.click_pie,
    "identify-shape": interactive.identify_shape,
    "click-checkboxes-soft": interactive.click_checkboxes_soft,
    "count-shape": shapes.count_shape,
    "tic-tac-toe": games.tic_tac_toe,
    "book-flight": flights.book_flight,
    "email-inbox": email.email_inbox,
    "email-inbox-nl-turk": email.email_inbox,
    "email-inbox-forward-nl": email.email_inbox,
    "email-inbox-forward-nl-turk": email.email_inbox,
    "click-shape": shapes.click_shape,
}


@dataclass
class Demonstration:
    """One solved (or failed) episode: the annotation, and whether MiniWoB rewarded it."""

    annotation: Annotation
    reward: float
    accepted: bool
    reason: str


def plan_for(page: MiniWoBPage) -> Iterator[Step]:
    """The steps of ``page``'s solver, one at a time: a generator solver reads the page as each step is
    asked for, so run each step before asking for the next (as :func:`solve` does)."""
    if page.task not in SOLVERS:
        raise ConfigError(f"no scripted solver for {page.task}; tasks with one: {', '.join(sorted(SOLVERS))}")
    return (in_goal_words(page.utterance, step) for step in SOLVERS[page.task](page))


def solve(page: MiniWoBPage, ranker: Any = "dense") -> Demonstration:
    """Run the solver on a freshly reset ``page`` with the web tools, each step on the page the previous
    one left; keep the episode if MiniWoB rewards it."""
    steps = plan_for(page)
    token = RANKER.set(resolve_ranker(ranker))
    try:
        return _run(page, steps, ranker)
    finally:
        RANKER.reset(token)


def _run(page: MiniWoBPage, steps: Iterator[Step], ranker: Any) -> Demonstration:
    executor = Executor(registry.instantiate("miniwob", ranker=ranker), action_time_limit=30)
    executor.reset(env=page)
    observation = page.observation()
    subgoals: list[str] = []
    actions: list[str] = []
    results: list[str] = []
    error = ""
    while len(actions) < MAX_STEPS:
        try:
            subgoal, template = next(steps)
        except StopIteration:
            break
        except Exception as exc:  # a solver that cannot read what it expected on the page
            error = f"the solver failed: {type(exc).__name__}: {exc}"
            break
        k = len(actions)
        text = f"R{k + 1} = " + template.format(page="Env" if k == 0 else f"R{k}")
        subgoals.append(subgoal)
        actions.append(text)
        try:
            outcome = executor.execute(parse_actions(text))
            failure = outcome[-1].error.message if outcome[-1].error is not None else ""
        except Exception as exc:  # the browser refused the action (a disabled field, say)
            failure = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:200]}"
        if failure:
            error = failure
            results.append(f"an error: {error}")
            break
        results.append(next(iter(outcome[-1].outputs.values()), ""))
        if page.result().done:
            break
    result = page.close_episode()
    accepted = not error and result.done and result.reward > 0
    annotation = Annotation(
        task=page.utterance,
        subgoals=subgoals,
        actions=actions,
        results=results,
        domain="miniwob",
        source="miniwob-solver",
        id=page.episode_id,
        observation=observation,
    )
    reason = error or ("rewarded" if accepted else f"reward {result.reward:g} ({result.reason})")
    return Demonstration(annotation, result.reward, accepted, reason)


def write_demonstrations(demos: list[Demonstration], path: Path) -> int:
    """Write the accepted annotations as JSON lines (the format ``lumos data build`` reads)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = [d.annotation for d in demos if d.accepted]
    with path.open("w") as f:
        for ann in kept:
            f.write(json.dumps(ann.model_dump()) + "\n")
    return len(kept)


def write_demo_folder(
    out: Path, tasks: list[str], episodes: int = 5, seed: int = 1, ranker: Any = "dense"
) -> tuple[int, int]:
    """Solve ``episodes`` seeded episodes of each task in one browser, appending each as it ends to
    ``out/annotations.jsonl`` (the rewarded ones) or ``out/rejected.jsonl`` (the others, with reasons), so
    that a stopped run goes on where it stopped: episodes already in either file are not played again.
    Returns (kept, tried) over the folder. Seeds come from the demonstration range
    (:func:`~lumos.domains.miniwob.tasks.demo_seed`), which no ``lumos eval miniwob`` episode uses."""
    from lumos.domains.miniwob.pool import BrowserPool

    out.mkdir(parents=True, exist_ok=True)
    kept_path, rejected_path = out / "annotations.jsonl", out / "rejected.jsonl"
    done = written_ids(kept_path) | written_ids(rejected_path)
    todo = [(task, k) for task in tasks for k in range(episodes) if f"{task}-s{seed}-{k}" not in done]
    if todo:
        with BrowserPool(1) as pool, kept_path.open("a") as keep, rejected_path.open("a") as reject:
            for task, k in todo:
                page = MiniWoBPage(pool.browsers[0], task, demo_seed(seed, k), episode_id=f"{task}-s{seed}-{k}")
                page.reset()
                demo = solve(page, ranker=ranker)
                if demo.accepted:
                    keep.write(json.dumps(demo.annotation.model_dump()) + "\n")
                else:
                    reason = {"id": demo.annotation.id, "reward": demo.reward, "reason": demo.reason}
                    reject.write(json.dumps(reason) + "\n")
                keep.flush()
                reject.flush()
    kept = len(written_ids(kept_path))
    return kept, kept + len(written_ids(rejected_path))


def written_ids(path: Path) -> set[str]:
    """The ids of the episodes a JSON-lines file holds; a last line that a kill cut short is removed."""
    if not path.is_file():
        return set()
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        path.write_bytes(data[:end])
    return {json.loads(line)["id"] for line in data[:end].splitlines() if line.strip()}


def miniwob_demo_inputs(out: str | Path, episodes: int = 5) -> list[Path]:
    """The MiniWoB++ demonstrations that ``lumos data build --domain web`` takes beside Mind2Web's when
    given no inputs: written under ``OUT/annotations/miniwob`` (reused after; a run stopped part way is
    completed), or none where there is no browser (a note says so)."""
    from lumos.browser import INSTALL_HINT, find_browser

    folder = Path(out) / "annotations" / "miniwob"
    if find_browser() is None:
        if (folder / "annotations.jsonl").is_file():
            return [folder]
        print(f"note: no MiniWoB++ demonstrations (no Chromium here: {INSTALL_HINT})")
        return []
    kept, tried = write_demo_folder(folder, sorted(SEEN), episodes)
    print(f"MiniWoB++: {kept} of {tried} scripted episodes rewarded and kept -> {folder}")
    return [folder]


def main(argv: list[str] | None = None) -> None:
    """``python -m lumos.domains.miniwob.solver --out DIR``: write reward-verified demonstrations to
    ``DIR/annotations.jsonl`` (what ``lumos data build --domain web`` reads beside Mind2Web's), and the
    rejected episodes with their reasons to ``DIR/rejected.jsonl``."""
    import argparse

    from lumos.domains.miniwob.tasks import resolve_tasks

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--tasks",
        default=None,
        help="comma-separated tasks (default: every seen solvable one; unseen tasks' episodes are written "
        "when named, for checking their solvers, but `lumos data build` never trains on them)",
    )
    parser.add_argument("--episodes", type=int, default=10, help="episodes per task")
    parser.add_argument("--seed", type=int, default=1, help="seed block (demonstration seeds never meet evaluation seeds)")
    parser.add_argument("--ranker", default="dense", help="element ranker that grounds the QUERY")
    args = parser.parse_args(argv)
    tasks = resolve_tasks(args.tasks) if args.tasks else sorted(SEEN)
    kept, tried = write_demo_folder(args.out, tasks, args.episodes, args.seed, args.ranker)
    for task, (won, ran) in per_task(args.out, tasks).items():
        print(f"{task:28s} {won}/{ran}")
    print(f"{kept} of {tried} episodes rewarded and kept -> {args.out / 'annotations.jsonl'}")


def per_task(out: Path, tasks: list[str]) -> dict[str, tuple[int, int]]:
    """(rewarded, tried) per task, from a folder that :func:`write_demo_folder` wrote."""
    counts = {t: [0, 0] for t in tasks}
    for name, won in (("annotations.jsonl", 1), ("rejected.jsonl", 0)):
        path = out / name
        for line in path.read_text().splitlines() if path.is_file() else []:
            task = str(json.loads(line)["id"]).rsplit("-s", 1)[0]
            if task in counts:
                counts[task][0] += won
                counts[task][1] += 1
    return {t: (c[0], c[1]) for t, c in counts.items()}
