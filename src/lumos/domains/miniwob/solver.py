"""Teacher-free demonstrations for MiniWoB++ tasks whose goal is machine-readable.

For each supported task a script turns the episode's goal fields (``miniwob``'s field extractor: the
button to click, the text to type...) into a plan (subgoals) and its grounding (CLICK / TYPE / SELECT with a
QUERY naming the element in words, never a ref), then runs the actions with lumos's web tools on the live
page. Only an episode that MiniWoB rewards (raw reward > 0) becomes an :class:`Annotation`; that checks
both the plan and that the QUERY grounds to the right element with the ranker.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lumos.domains.miniwob.env import MiniWoBPage
from lumos.errors import ConfigError
from lumos.format.parse import parse_actions
from lumos.format.types import Annotation
from lumos.tools.base import registry
from lumos.tools.executor import Executor

Plan = list[tuple[str, str]]
"""(subgoal, one action with ``{page}`` where its page argument goes) pairs."""


def _field(page: MiniWoBPage, key: str) -> str:
    fields = dict(page.fields)
    if key not in fields:
        raise ConfigError(f"{page.task}: the goal has no field {key!r} ({page.utterance!r})")
    return fields[key]


def _targets(page: MiniWoBPage) -> list[str]:
    return [v for k, v in page.fields if k.startswith("target")]


def _submit(label: str = "Submit") -> tuple[str, str]:
    return (f"Click the {label} button.", f"CLICK({{page}}, QUERY: {label} button)")


def _click_button(page: MiniWoBPage) -> Plan:
    name = _field(page, "target")
    return [(f'Click the "{name}" button.', f"CLICK({{page}}, QUERY: {name} button)")]


def _click_link(page: MiniWoBPage) -> Plan:
    name = _field(page, "target")
    return [(f'Click the link "{name}".', f"CLICK({{page}}, QUERY: {name})")]


def _enter_text(page: MiniWoBPage) -> Plan:
    text = _field(page, "target")
    return [
        (f'Type "{text}" into the text field.', f"TYPE({{page}}, QUERY: text input field, TEXT: {text})"),
        _submit(),
    ]


def _enter_text_2(page: MiniWoBPage) -> Plan:
    text, case = _field(page, "text"), _field(page, "case")
    typed = text.lower() if case == "lower" else text.upper()
    return [
        (
            f'Type "{typed}", the text in {case} case, into the text field.',
            f"TYPE({{page}}, QUERY: text input field, TEXT: {typed})",
        ),
        _submit(),
    ]


def _focus_text(page: MiniWoBPage) -> Plan:
    return [("Click the text field to focus it.", "CLICK({page}, QUERY: text input field)")]


def _click_checkboxes(page: MiniWoBPage) -> Plan:
    plan = [(f'Check the box "{t}".', f"CLICK({{page}}, QUERY: {t} checkbox)") for t in _targets(page)]
    return [*plan, _submit()]


def _click_option(page: MiniWoBPage) -> Plan:
    name = _field(page, "target")
    return [(f'Choose the option "{name}".', f"CLICK({{page}}, QUERY: {name} radio)"), _submit()]


def _choose_list(page: MiniWoBPage) -> Plan:
    name = _field(page, "target")
    return [
        (f'Select "{name}" from the list.', f"SELECT({{page}}, QUERY: select options list, TEXT: {name})"),
        _submit(),
    ]


def _enter_password(page: MiniWoBPage) -> Plan:
    word = _field(page, "target")
    return [
        (
            "Type the password into the password field.",
            f"TYPE({{page}}, QUERY: password field, TEXT: {word})",
        ),
        (
            "Type the password again into the verify field.",
            f"TYPE({{page}}, QUERY: verify password field, TEXT: {word})",
        ),
        _submit(),
    ]


def _login_user(page: MiniWoBPage) -> Plan:
    user, word = _field(page, "username"), _field(page, "password")
    return [
        (f'Type "{user}" into the username field.', f"TYPE({{page}}, QUERY: username field, TEXT: {user})"),
        (f'Type "{word}" into the password field.', f"TYPE({{page}}, QUERY: password field, TEXT: {word})"),
        _submit("Login"),
    ]


def _click_dialog(page: MiniWoBPage) -> Plan:
    return [("Close the dialog with its close button.", "CLICK({page}, QUERY: Close button)")]


def _click_dialog_2(page: MiniWoBPage) -> Plan:
    name = _field(page, "target")
    return [(f'Click the "{name}" button of the dialog.', f"CLICK({{page}}, QUERY: {name} button)")]


def _click_test(page: MiniWoBPage) -> Plan:
    return [("Click the button.", "CLICK({page}, QUERY: button)")]


def _click_tab(page: MiniWoBPage) -> Plan:
    number = _field(page, "target")
    return [(f"Open Tab #{number}.", f"CLICK({{page}}, QUERY: Tab #{number})")]


def _click_collapsible(page: MiniWoBPage) -> Plan:
    return [("Expand the section.", "CLICK({page}, QUERY: Section header)"), _submit()]


def _click_button_sequence(page: MiniWoBPage) -> Plan:
    return [
        ("Click button ONE.", "CLICK({page}, QUERY: ONE button)"),
        ("Click button TWO.", "CLICK({page}, QUERY: TWO button)"),
    ]


SOLVERS: dict[str, Callable[[MiniWoBPage], Plan]] = {
    "click-button": _click_button,
    "click-link": _click_link,
    "enter-text": _enter_text,
    "enter-text-2": _enter_text_2,
    "focus-text": _focus_text,
    "click-checkboxes": _click_checkboxes,
    "click-option": _click_option,
    "choose-list": _choose_list,
    "enter-password": _enter_password,
    "login-user": _login_user,
    "click-dialog": _click_dialog,
    "click-dialog-2": _click_dialog_2,
    "click-test": _click_test,
    "click-test-2": _click_button,
    "click-tab": _click_tab,
    "click-collapsible": _click_collapsible,
    "click-button-sequence": _click_button_sequence,
}


@dataclass
class Demonstration:
    """One solved (or failed) episode: the annotation, and whether MiniWoB rewarded it."""

    annotation: Annotation
    reward: float
    accepted: bool
    reason: str


def plan_for(page: MiniWoBPage) -> Plan:
    if page.task not in SOLVERS:
        raise ConfigError(f"no scripted solver for {page.task}; tasks with one: {', '.join(sorted(SOLVERS))}")
    return SOLVERS[page.task](page)


def solve(page: MiniWoBPage, ranker: Any = "dense") -> Demonstration:
    """Run the scripted plan on a freshly reset ``page`` with the web tools; keep it if it is rewarded."""
    plan = plan_for(page)
    executor = Executor(registry.instantiate("miniwob", ranker=ranker), action_time_limit=30)
    executor.reset(env=page)
    actions: list[str] = []
    results: list[str] = []
    error = ""
    for k, (_, template) in enumerate(plan):
        text = f"R{k + 1} = " + template.format(page="Env" if k == 0 else f"R{k}")
        actions.append(text)
        outcome = executor.execute(parse_actions(text))
        if outcome[-1].error is not None:
            error = outcome[-1].error.message
            results.append(f"an error: {error}")
            break
        results.append(next(iter(outcome[-1].outputs.values()), ""))
    result = page.close_episode()
    accepted = not error and result.done and result.reward > 0
    annotation = Annotation(
        task=page.utterance,
        subgoals=[s for s, _ in plan][: len(actions)],
        actions=actions,
        results=results,
        domain="miniwob",
        source="miniwob-solver",
        id=page.episode_id,
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
    """Solve ``episodes`` seeded episodes of each task in one browser; write ``out/annotations.jsonl`` (the
    rewarded ones) and ``out/rejected.jsonl`` (the others, with reasons). Returns (kept, tried).
    Seeds are ``1000 * seed + k``: with the default seed 1 none is an episode ``lumos eval miniwob`` scores."""
    from lumos.domains.miniwob.pool import BrowserPool

    demos: list[Demonstration] = []
    with BrowserPool(1) as pool:
        for task in tasks:
            for k in range(episodes):
                page = MiniWoBPage(pool.browsers[0], task, 1000 * seed + k, episode_id=f"{task}-s{seed}-{k}")
                page.reset()
                demos.append(solve(page, ranker=ranker))
    kept = write_demonstrations(demos, out / "annotations.jsonl")
    with (out / "rejected.jsonl").open("w") as f:
        for d in demos:
            if not d.accepted:
                f.write(json.dumps({"id": d.annotation.id, "reward": d.reward, "reason": d.reason}) + "\n")
    return kept, len(demos)


def miniwob_demo_inputs(out: str | Path, episodes: int = 5) -> list[Path]:
    """The MiniWoB++ demonstrations that ``lumos data build --domain web`` takes beside Mind2Web's when
    given no inputs: written once under ``OUT/annotations/miniwob`` (reused after), or none where there is
    no browser (a note says so)."""
    from lumos.browser import INSTALL_HINT, find_browser

    folder = Path(out) / "annotations" / "miniwob"
    if (folder / "annotations.jsonl").is_file():
        return [folder]
    if find_browser() is None:
        print(f"note: no MiniWoB++ demonstrations (no Chromium here: {INSTALL_HINT})")
        return []
    kept, tried = write_demo_folder(folder, sorted(SOLVERS), episodes)
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
    parser.add_argument("--tasks", default=None, help="comma-separated tasks (default: every solvable one)")
    parser.add_argument("--episodes", type=int, default=10, help="episodes per task")
    parser.add_argument("--seed", type=int, default=1, help="seeds 1000*SEED+k (eval uses SEED 0)")
    parser.add_argument("--ranker", default="dense", help="element ranker that grounds the QUERY")
    args = parser.parse_args(argv)
    tasks = resolve_tasks(args.tasks) if args.tasks else sorted(SOLVERS)
    kept, tried = write_demo_folder(args.out, tasks, args.episodes, args.seed, args.ranker)
    print(f"{kept} of {tried} episodes rewarded and kept -> {args.out / 'annotations.jsonl'}")


if __name__ == "__main__":
    main()
