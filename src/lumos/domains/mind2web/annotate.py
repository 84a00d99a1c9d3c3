"""Teacher-free Mind2Web annotation, verified by replay.

Each gold action (``action_reprs``: ``[combobox]  Passengers -> SELECT: 2``) becomes one subgoal written from
it (``Select "2" in the Passengers combobox.``) grounded as one web action whose QUERY names the target
(``R3 = SELECT(R2, QUERY: the Passengers combobox, TEXT: 2)``; HOVER and ENTER are CLICKs, as in the
dataset). The annotation is then replayed: each action runs with the web tools on its step's recorded page,
and the ranker must pick one of the step's positive candidates from the QUERY alone, with the gold operation
and value; otherwise the task is rejected with the reason (``no_positive``: the target was pruned from the
candidates; ``wrong_element``: the ranker picked another element; ``execution_error``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lumos.domains.mind2web.tasks import Mind2WebPage, Mind2WebTask, load_tasks
from lumos.format.parse import parse_actions
from lumos.format.types import Annotation

_REPR = re.compile(
    r"^\[(?P<role>[^\]]*)\]\s*(?P<name>.*?)\s*->\s*(?P<op>[A-Z]+)(?::\s*(?P<value>.*))?$", re.S
)

DEFAULT_RANKER = "dense"
"""The ranker replay uses when none is given."""


class ReplayRejected(Exception):
    """An annotation that replay did not confirm; ``reason`` is a short code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class GoldAction:
    """One ``action_reprs`` entry, read."""

    role: str
    name: str
    op: str  # CLICK, TYPE or SELECT
    original_op: str  # also HOVER or ENTER
    value: str

    @property
    def target(self) -> str:
        """The QUERY: ``the Search button``; ``the textbox`` when the element has no name."""
        return f"the {self.name} {self.role}" if self.name else f"the {self.role}"

    def subgoal(self) -> str:
        if self.original_op == "HOVER":
            return f"Hover over {self.target}."
        if self.original_op == "ENTER":
            return f"Press Enter in {self.target}."
        if self.op == "TYPE":
            return f'Type "{self.value}" in {self.target}.'
        if self.op == "SELECT":
            return f'Select "{self.value}" in {self.target}.'
        return f"Click {self.target}."

    def action(self, k: int) -> str:
        """``R{k} = OP(page, QUERY: ..., TEXT: ...)``: the page is Env first, then the previous result."""
        page = "Env" if k == 1 else f"R{k - 1}"
        text = f", TEXT: {self.value}" if self.op in ("TYPE", "SELECT") else ""
        return f"R{k} = {self.op}({page}, QUERY: {self.target}{text})"


def read_repr(text: str) -> GoldAction:
    """``[button]  Search -> CLICK`` -> GoldAction; ValueError for another shape."""
    m = _REPR.match(" ".join(text.split()))
    if m is None:
        raise ValueError(f"action {text!r} is not '[role] name -> OP: value'")
    role = " ".join(m.group("role").split()) or "element"
    name = " ".join(m.group("name").split())
    original = m.group("op")
    if original not in ("CLICK", "TYPE", "SELECT", "HOVER", "ENTER"):
        raise ValueError(f"unknown web operation {original!r} in {text!r}")
    op = "CLICK" if original in ("HOVER", "ENTER") else original
    return GoldAction(role, name, op, original, " ".join((m.group("value") or "").split()))


def gold_actions(task: Mind2WebTask) -> list[GoldAction]:
    """The task's gold actions, from ``action_reprs`` (with the operation of the recorded action)."""
    out = []
    for step in task.steps:
        gold = read_repr(step.repr)
        if gold.op != step.op:  # the recorded operation is the authority
            gold = GoldAction(gold.role, gold.name, step.op, gold.original_op, step.value)
        out.append(gold)
    return out


def gold_result(task: Mind2WebTask, index: int) -> str:
    """What the planner is told a gold step did (the web prompts show only the subgoal as done)."""
    return f"Done on {task.website or 'the page'}: {task.steps[index].repr}"


def annotation_of(task: Mind2WebTask) -> Annotation:
    """The unverified teacher-free annotation of a task."""
    golds = gold_actions(task)
    return Annotation(
        task=task.task,
        subgoals=[g.subgoal() for g in golds],
        actions=[g.action(k) for k, g in enumerate(golds, 1)],
        results=[gold_result(task, i) for i in range(len(golds))],
        domain="web",
        source="mind2web",
        id=task.annotation_id,
    )


def replay(task: Mind2WebTask, ann: Annotation, ranker: Any = None, top_k: int = 5) -> Annotation:
    """Run each step's actions on its recorded page; the annotation with the pages' results, or
    :class:`ReplayRejected` naming the first step the ranker got wrong."""
    from lumos.domains.web_common.tools import resolve_ranker
    from lumos.tools.base import registry
    from lumos.tools.executor import Executor

    chosen = resolve_ranker(DEFAULT_RANKER if ranker is None else ranker)
    executor = Executor(registry.instantiate("web", ranker=chosen, top_k=top_k))
    results = []
    for i, (step, text) in enumerate(zip(task.steps, ann.actions, strict=True)):
        where = f"step {i + 1} ({step.repr or step.action_uid})"
        if not step.answerable:
            raise ReplayRejected("no_positive", f"{where}: the target was pruned from the candidates")
        page = Mind2WebPage(task, i)
        executor.reset(env=page)
        outcome = executor.execute(parse_actions(text))
        failed = next((r.error for r in outcome if r.error is not None), None)
        if failed is not None:
            raise ReplayRejected("execution_error", f"{where}: {failed.message}")
        taken = page.prediction
        if taken is None or taken.ref not in step.positives:
            got = next((e.describe() for e in page.elements() if taken and e.ref == taken.ref), "nothing")
            raise ReplayRejected("wrong_element", f"{where}: the QUERY picked {got}, not the target")
        if taken.op != step.op or (step.op != "CLICK" and (taken.value or "") != step.value):
            raise ReplayRejected(
                "wrong_action", f"{where}: {taken.op} {taken.value or ''} is not the gold action"
            )
        results.append(next(iter(outcome[-1].outputs.values())))
    return ann.model_copy(update={"results": results})


def annotate_task(task: Mind2WebTask, ranker: Any = None) -> Annotation:
    """Convert and verify one task (raises ReplayRejected, or ValueError for unreadable gold)."""
    return replay(task, annotation_of(task), ranker)


def annotate_tasks(
    tasks: Sequence[Mind2WebTask], ranker: Any = None
) -> Iterator[tuple[Mind2WebTask, Annotation | None, str, str]]:
    """(task, annotation or None, reason, message) for each task."""
    for task in tasks:
        try:
            yield task, annotate_task(task, ranker), "", ""
        except ReplayRejected as exc:
            yield task, None, exc.reason, str(exc)
        except ValueError as exc:
            yield task, None, "unparseable_step", str(exc)


def demo_annotations(ranker: Any = None) -> list[Annotation]:
    """The verified annotations of lumos's Mind2Web demo set."""
    return [a for _, a, _, _ in annotate_tasks(load_tasks(), ranker) if a is not None]


def annotate_demo_set(out_dir: str | Path, ranker: Any = None, progress: bool = False) -> Path:
    """Annotate lumos's Mind2Web demo set into ``out_dir`` as ``lumos annotate`` does (``annotations.jsonl``,
    ``rejected.jsonl`` with reasons; resumable); returns the folder."""
    from lumos.annotate.pipeline import annotate
    from lumos.domains.mind2web.tasks import demo_path

    options = {"ranker": ranker} if ranker is not None else {}
    annotate("web", "mind2web", out_dir, data=demo_path(), progress=progress, convert_options=options)
    return Path(out_dir)


def web_demo_inputs(out: str | Path, ranker: Any = None) -> list[Path]:
    """Annotation folders that ``lumos data build --domain web`` uses when given none: lumos's Mind2Web demo
    set annotated teacher-free (verified by replay) under ``OUT/annotations/mind2web-demo``."""
    return [annotate_demo_set(Path(out) / "annotations" / "mind2web-demo", ranker)]
