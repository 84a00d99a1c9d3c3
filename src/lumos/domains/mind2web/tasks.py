"""Mind2Web offline: the released data format, candidate elements rendered from the cleaned HTML, and a
replayed page that the web tools act on.

A task (one record of the release) is ``annotation_id, website, domain, subdomain, confirmed_task,
action_reprs, actions``; each action has ``action_uid, cleaned_html, operation {op, original_op, value},
pos_candidates, neg_candidates`` (a candidate carries ``tag``, ``backend_node_id`` and an ``attributes`` JSON
string). HOVER and ENTER (``original_op``) count as CLICK, as in the dataset's ``op``. A step whose target
element was pruned from the candidates (no positive candidate) is kept: it cannot be answered and scores as
wrong.

Evaluation is step-wise with the gold history (the paper's protocol): each step is replayed on its own
recorded page (:class:`Mind2WebPage`), which records the action taken on it instead of changing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from lumos.domains.web_common.page import OPERATIONS, Element, Operation
from lumos.errors import ConfigError, ToolError, require

DEMO_FILE = "mind2web_demo.json"
HUB_NAME = "osunlp/Mind2Web"
DEMO_NOTE = "lumos's hand-written Mind2Web demo set (not the benchmark)"

# attributes worth showing a ranker or a model (Mind2Web keeps ARIA names as aria_label)
USEFUL_ATTRIBUTES = (
    "type", "name", "placeholder", "aria_label", "aria-label", "title", "alt", "value", "role", "label",
)  # fmt: skip
TEXT_CHARS = 120
CONTEXT_DEPTH = 3


@dataclass
class Mind2WebStep:
    """One recorded action: the page it was taken on, what was done, and which candidates are right."""

    action_uid: str
    op: Operation
    value: str
    original_op: str
    cleaned_html: str
    positives: list[str]
    """backend_node_ids of the target (empty: the target was pruned, the step cannot be answered)."""
    candidates: list[dict[str, Any]]
    """Every candidate of the step (positives and negatives, in file order)."""
    repr: str = ""
    """The step's ``action_reprs`` entry (``[button]  Search -> CLICK``)."""

    @property
    def answerable(self) -> bool:
        return bool(self.positives)

    def gold_action(self) -> str:
        """The "OP value" string the action F1 compares with (``CLICK`` alone for clicks)."""
        return action_string(self.op, self.value)


@dataclass
class Mind2WebTask:
    annotation_id: str
    task: str
    website: str
    domain: str = ""
    subdomain: str = ""
    steps: list[Mind2WebStep] = field(default_factory=list)

    @property
    def reprs(self) -> list[str]:
        return [s.repr for s in self.steps]


def action_string(op: str | None, value: str | None) -> str:
    """``CLICK`` / ``TYPE New York`` / ``SELECT 2``: what the action F1 compares."""
    if not op:
        return ""
    op = op.upper()
    return op if op == "CLICK" or not value else f"{op} {value}"


# -------------------------------------------------------------------------------------------- loading


def demo_path() -> Path:
    return Path(str(resources.files("lumos.domains.mind2web").joinpath("data", DEMO_FILE)))


def load_tasks(source: str | Path | None = None, limit: int | None = None) -> list[Mind2WebTask]:
    """Tasks from a JSON file or a folder of JSON files in the released format (the release's
    ``train/train_*.json``, ``test_*/*.json``), from the hub by name (``osunlp/Mind2Web``, or
    ``osunlp/Mind2Web:SPLIT``), or, with no source, lumos's demo set."""
    from lumos.annotate.sources import from_hub, read_records

    records: Iterable[dict[str, Any]]
    where = str(source) if source is not None else DEMO_FILE
    if source is None:
        records = read_records(demo_path())
    elif Path(source).exists():
        records = read_records(Path(source))
    elif str(source).split(":")[0] == HUB_NAME:
        split = str(source).partition(":")[2] or "train"
        records = from_hub("mind2web", (HUB_NAME, None, split), "a Mind2Web JSON file or folder")
    else:
        raise ConfigError(f"Mind2Web data {source} does not exist: give a JSON file or folder, or {HUB_NAME}")
    tasks: list[Mind2WebTask] = []
    for n, rec in enumerate(records):
        if limit is not None and len(tasks) >= limit:
            break
        tasks.append(parse_task(rec, f"{where} record {n + 1}"))
    if not tasks:
        raise ConfigError(f"no Mind2Web tasks in {where}")
    ids = [t.annotation_id for t in tasks]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{where}: annotation_id values are not unique")
    return tasks


def _need(rec: dict[str, Any], key: str, where: str) -> Any:
    if key not in rec or rec[key] is None:
        raise ConfigError(f"{where} has no {key!r} field (is it a Mind2Web file in the released format?)")
    return rec[key]


def parse_task(rec: dict[str, Any], where: str = "record") -> Mind2WebTask:
    """One released record -> a task; a ConfigError names the record and the field that is wrong."""
    if not isinstance(rec, dict):
        raise ConfigError(f"{where} is not a JSON object")
    annotation_id = str(_need(rec, "annotation_id", where))
    where = f"{where} ({annotation_id})"
    actions = _need(rec, "actions", where)
    reprs = [str(r) for r in rec.get("action_reprs") or []]
    if not isinstance(actions, list) or not actions:
        raise ConfigError(f"{where}: 'actions' must be a non-empty list")
    if reprs and len(reprs) != len(actions):
        raise ConfigError(f"{where}: {len(reprs)} action_reprs for {len(actions)} actions")
    steps = [
        _parse_step(act, reprs[i] if reprs else "", f"{where} action {i + 1}")
        for i, act in enumerate(actions)
    ]
    return Mind2WebTask(
        annotation_id=annotation_id,
        task=str(_need(rec, "confirmed_task", where)).strip(),
        website=str(rec.get("website", "")),
        domain=str(rec.get("domain", "")),
        subdomain=str(rec.get("subdomain", "")),
        steps=steps,
    )


def _parse_step(act: dict[str, Any], repr_: str, where: str) -> Mind2WebStep:
    if not isinstance(act, dict):
        raise ConfigError(f"{where} is not a JSON object")
    operation = _need(act, "operation", where)
    if isinstance(operation, str):
        operation = json.loads(operation)
    op = str(operation.get("op", "")).upper()
    original = str(operation.get("original_op") or op).upper()
    if op not in OPERATIONS:
        if original in ("HOVER", "ENTER") or op in ("HOVER", "ENTER"):
            op = "CLICK"
        else:
            raise ConfigError(f"{where}: operation {op!r} is not one of {', '.join(OPERATIONS)}")
    positives = [_candidate(c, where) for c in _need(act, "pos_candidates", where)]
    negatives = [_candidate(c, where) for c in act.get("neg_candidates") or []]
    return Mind2WebStep(
        action_uid=str(_need(act, "action_uid", where)),
        op=op,  # type: ignore[arg-type]
        value=str(operation.get("value") or ""),
        original_op=original,
        cleaned_html=str(act.get("cleaned_html") or ""),
        positives=[c["backend_node_id"] for c in positives],
        candidates=positives + negatives,
        repr=repr_,
    )


def _candidate(cand: Any, where: str) -> dict[str, Any]:
    """A candidate with ``backend_node_id``, ``tag`` and ``attributes`` as a dict."""
    if isinstance(cand, str):
        cand = json.loads(cand)
    attrs = cand.get("attributes") or {}
    if isinstance(attrs, str):
        try:
            attrs = json.loads(attrs)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: a candidate's attributes are not a JSON string ({exc.msg})") from exc
    node = cand.get("backend_node_id") or attrs.get("backend_node_id")
    if node is None:
        raise ConfigError(f"{where}: a candidate has no backend_node_id")
    return {"backend_node_id": str(node), "tag": str(cand.get("tag") or ""), "attributes": attrs}


# ------------------------------------------------------------------------------------------ rendering


def _parse_html(html: str) -> Any:
    if not html.strip():
        return None
    lxml_html = require("lxml.html", package="lxml", extra="web", purpose="reading Mind2Web pages")
    try:
        return lxml_html.fromstring(html)
    except Exception:  # lxml raises several kinds on broken markup: render from the candidates alone
        return None


def _words(text: str | None, limit: int = TEXT_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _label(node: Any) -> str:
    """A short name of an ancestor: its ARIA name, title or id, else its own short text."""
    for key in ("aria_label", "aria-label", "title", "name", "id"):
        value = node.get(key)
        if value:
            return _words(value, 40)
    own = _words(node.text, 40)
    return own


def render_candidates(html: str, candidates: Sequence[dict[str, Any]]) -> list[Element]:
    """The candidates as elements in page order: tag, text and useful attributes from the cleaned HTML (the
    candidate's own attributes where the HTML lacks the node), ancestors as context."""
    root = _parse_html(html)
    nodes: dict[str, Any] = {}
    order: dict[str, int] = {}
    if root is not None:
        for i, node in enumerate(root.iter()):
            key = node.get("backend_node_id") if isinstance(node.tag, str) else None
            if key is not None:
                nodes[str(key)] = node
                order[str(key)] = i
    elements: list[Element] = []
    seen: set[str] = set()
    for cand in candidates:
        ref = cand["backend_node_id"]
        if ref in seen:
            continue
        seen.add(ref)
        node = nodes.get(ref)
        attrs = {**{k: str(v) for k, v in cand["attributes"].items()}}
        if node is not None:
            attrs.update({k: str(v) for k, v in node.attrib.items()})
            tag, text = str(node.tag), _words(" ".join(node.itertext()))  # option texts stay apart
            context: list[str] = []
            for parent in node.iterancestors():
                if len(context) >= CONTEXT_DEPTH or parent.tag in ("body", "html"):
                    break
                label = _label(parent)
                context.append(f"{parent.tag} {label}".strip())
            ctx_text = " < ".join(context)
        else:
            tag, text, ctx_text = cand["tag"] or "element", _words(attrs.get("text", "")), ""
        shown = {k: _words(attrs[k], 60) for k in USEFUL_ATTRIBUTES if attrs.get(k)}
        elements.append(Element(ref=ref, tag=tag, text=text, attributes=shown, context=ctx_text))
    far = len(order) + 1
    return sorted(elements, key=lambda e: (order.get(e.ref, far), _numeric(e.ref)))


def _numeric(ref: str) -> tuple[int, str]:
    return (int(ref), "") if ref.isdigit() else (1 << 62, ref)


# ------------------------------------------------------------------------------------------------ page


@dataclass
class Taken:
    """An action the agent took on a replayed page."""

    op: Operation
    ref: str
    value: str | None


class Mind2WebPage:
    """One recorded step's page: the candidates to act on; acting records the action (the page does not
    change: the next step is replayed on its own recorded page, with the gold history)."""

    def __init__(self, task: Mind2WebTask, index: int) -> None:
        self.task = task
        self.index = index
        self.step = task.steps[index]
        self._elements: list[Element] | None = None
        self.taken: list[Taken] = []
        self.meta = {
            "annotation_id": task.annotation_id,
            "action_uid": self.step.action_uid,
            "website": task.website,
            "step": index + 1,
        }

    def elements(self) -> list[Element]:
        if self._elements is None:
            self._elements = render_candidates(self.step.cleaned_html, self.step.candidates)
        return list(self._elements)

    def act(self, op: Operation, element: Element, value: str | None = None) -> str:
        if element.ref not in {e.ref for e in self.elements()}:
            raise ToolError(f"element {element.ref} is not on this page")
        self.taken.append(Taken(op, element.ref, value))
        done = f"{op} {element.describe()}" + (f" with {value!r}" if value else "")
        return f"Done on {self.task.website or 'the page'}: {_words(done, 300)}"

    def observation(self) -> str:
        return "\n".join(e.describe() for e in self.elements())

    @property
    def prediction(self) -> Taken | None:
        """The step's predicted action: the first one taken (a step is one action)."""
        return self.taken[0] if self.taken else None


def find_task(tasks: Sequence[Mind2WebTask], task_id: str) -> Mind2WebTask:
    """A task by annotation_id, or by its position (``0``, ``1``...) in the file."""
    for t in tasks:
        if t.annotation_id == task_id:
            return t
    if re.fullmatch(r"\d+", task_id) and int(task_id) < len(tasks):
        return tasks[int(task_id)]
    shown = ", ".join(t.annotation_id for t in tasks[:10]) + (" ..." if len(tasks) > 10 else "")
    raise ConfigError(f"no Mind2Web task {task_id!r} (annotation_ids: {shown}; or a position from 0)")


class Mind2WebReplay:
    """A whole task replayed for ``lumos run``: each action is taken on the current step's recorded page and
    moves on to the next recorded page (the site itself is not there, so the pages follow the recording
    whatever was done); :meth:`summary` says which steps matched the gold actions."""

    def __init__(self, task: Mind2WebTask) -> None:
        self.task = task
        self.pages = [Mind2WebPage(task, i) for i in range(len(task.steps))]
        self.index = 0
        self.meta = {"annotation_id": task.annotation_id, "website": task.website, "steps": len(task.steps)}

    @property
    def page(self) -> Mind2WebPage | None:
        return self.pages[self.index] if self.index < len(self.pages) else None

    def elements(self) -> list[Element]:
        return self.page.elements() if self.page is not None else []

    def act(self, op: Operation, element: Element, value: str | None = None) -> str:
        if self.page is None:
            raise ToolError("the recorded task has no more pages")
        done = self.page.act(op, element, value)
        self.index += 1
        after = "the recorded task ends here" if self.page is None else f"recorded page {self.index + 1}"
        return f"{done}; now on {after}"

    def observation(self) -> str:
        return self.page.observation() if self.page is not None else ""


def replay_task(data: str | Path | None, task_id: str, named: str | None = None) -> tuple[str, Mind2WebReplay]:
    """(instruction, environment) of one task for ``lumos run --domain web``: the task ``--task-id`` names, or
    the one TASK (``named``) names by id, position or its exact instruction. Pages are recorded, so a new task
    text cannot be run: it is refused, naming what to pass."""
    tasks = load_tasks(data)
    if named is None:
        task = find_task(tasks, task_id)
    elif task_id != "0":
        raise ConfigError("give the Mind2Web task either as TASK or as --task-id, not both")
    else:
        task = _named_task(tasks, named.strip())
    return task.task, Mind2WebReplay(task)


def _named_task(tasks: Sequence[Mind2WebTask], named: str) -> Mind2WebTask:
    by_text = [t for t in tasks if t.task.strip().casefold() == named.casefold()]
    if by_text:
        return by_text[0]
    try:
        return find_task(tasks, named)
    except ConfigError:
        shown = ", ".join(t.annotation_id for t in tasks[:10]) + (" ..." if len(tasks) > 10 else "")
        raise ConfigError(
            f"the web domain replays recorded Mind2Web tasks, so it cannot run a new task text ({named[:80]!r}): "
            f"give a recorded task's annotation_id, position from 0 or exact instruction as TASK, or leave TASK out "
            f"and pass --task-id ID (annotation_ids: {shown})"
        ) from None
