"""Teacher conversion: a strong model turns (task, gold reasoning) into a subgoal plan with grounded actions.

The teacher is any :class:`~lumos.models.base.Model` (an OpenAI-compatible server through
:class:`~lumos.models.openai.OpenAIModel`, which retries 429/5xx/time-outs itself, or the hf backend). It
is shown the domain's tools, a few worked conversions written for lumos (``teacher_examples.yaml``: those
of the same source first, then others of the domain) and the item, and answers in a plain text format::

    Subgoal 1: Calculate how much Leah spent on the milkshake.
    R1 = Calculator(28 * 1/7)

    Subgoal 2: ...
    R2 = Calculator(28 - R1)

(complex QA adds a ``Result: ...`` line per subgoal: what the gold reasoning says it finds).
:func:`parse_teacher_output` reads that back. Calls are cached in a SQLite file keyed by a hash of the
request, so a re-run costs nothing; tokens and cost (per 1M tokens, configurable) are counted.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import yaml

from lumos.annotate.convert import ConversionError
from lumos.annotate.sources import SourceItem
from lumos.domain import get_domain
from lumos.errors import ParseError
from lumos.format.parse import parse_actions
from lumos.format.types import Annotation
from lumos.models.base import GenerationParams, Message, Model

# ------------------------------------------------------------------------------------- examples


@dataclass(frozen=True)
class TeacherExample:
    domain: str
    sources: tuple[str, ...]
    task: str
    rationale: str
    answer: str
    output: str


@cache
def load_teacher_examples() -> tuple[TeacherExample, ...]:
    path = resources.files("lumos.annotate").joinpath("teacher_examples.yaml")
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return tuple(
        TeacherExample(
            i["domain"],
            tuple(i.get("sources") or ()),
            i["task"],
            i["rationale"],
            str(i["answer"]),
            i["output"].strip(),
        )
        for i in items
    )


def pick_examples(domain: str, source: str, n: int) -> list[TeacherExample]:
    """Up to ``n`` examples of ``domain``: those written for ``source`` first."""
    pool = [e for e in load_teacher_examples() if e.domain == domain]
    pool.sort(key=lambda e: source not in e.sources)
    return pool[:n]


def _tool_text(domain: str) -> tuple[str, str]:
    from lumos.prompts.modules import tool_descriptions

    return tool_descriptions(domain)


SYSTEM = (
    "You convert worked solutions into plans for a modular agent. Given a task, its gold reasoning and its "
    "answer, write the subgoals that solve the task, each followed by the actions that carry it out.\n"
    "Format, exactly:\n"
    "Subgoal 1: <one sentence saying what to find or do, without stating its result>\n"
    "R1 = Tool(arguments)\n"
    "(more actions of this subgoal, one per line)\n"
    "{result_line}"
    "(a blank line, then Subgoal 2, and so on)\n"
    "Rules: number result variables R1, R2, ... across the whole plan and use an earlier variable instead of "
    "copying its value; use only these tools: {tool_names}.\n{tool_lines}\n"
    "Follow the gold reasoning; the last action must compute the final answer. Write nothing else."
)
RESULT_LINE = "Result: <what this subgoal finds according to the gold reasoning>\n"


def _user_turn(task: str, rationale: str, answer: str) -> str:
    return f"Task: {task.strip()}\nGold reasoning: {rationale.strip() or '(none)'}\nGold answer: {answer.strip()}"


def build_conversation(item: SourceItem, n_examples: int = 2) -> list[Message]:
    names, lines = _tool_text(item.domain)
    result_line = RESULT_LINE if get_domain(item.domain).teacher_results else ""
    msgs: list[Message] = [
        {
            "role": "system",
            "content": SYSTEM.format(tool_names=names, tool_lines=lines, result_line=result_line),
        }
    ]
    for ex in pick_examples(item.domain, item.source, n_examples):
        msgs.append({"role": "user", "content": _user_turn(ex.task, ex.rationale, ex.answer)})
        msgs.append({"role": "assistant", "content": ex.output})
    msgs.append({"role": "user", "content": _user_turn(item.task, item.rationale, item.answer)})
    return msgs


# ---------------------------------------------------------------------------------------- parsing

_SUBGOAL_LINE = re.compile(r"^\s*[*#>\-\s]*\**\s*subgoal\s*(\d+)\s*\**\s*[:.]\s*\**\s*(.*?)\s*\**\s*$", re.I)
_RESULT_LINE = re.compile(r"^\s*\**\s*result\s*\**\s*:\s*(.*?)\s*$", re.I)


def parse_teacher_output(text: str, item: SourceItem) -> Annotation:
    """The teacher's text -> an annotation; :class:`ConversionError` ``teacher_output`` when it is not usable."""
    text = re.sub(r"```[a-zA-Z]*", "", text)
    subgoals: list[str] = []
    action_lines: list[list[str]] = []
    results: list[str | None] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        m = _SUBGOAL_LINE.match(line)
        if m:
            if not m.group(2):
                raise ConversionError("teacher_output", f"subgoal {m.group(1)} is empty")
            subgoals.append(" ".join(m.group(2).split()))
            action_lines.append([])
            results.append(None)
            continue
        if not subgoals:
            continue  # prose before the plan
        r = _RESULT_LINE.match(line)
        if r:
            results[-1] = r.group(1)
            continue
        action_lines[-1].append(line)
    if not subgoals:
        raise ConversionError(
            "teacher_output", f"no 'Subgoal 1: ...' line in the teacher's answer: {text[:200]!r}"
        )
    actions = []
    for k, lines in enumerate(action_lines, 1):
        if not lines:
            raise ConversionError("teacher_output", f"subgoal {k} has no action")
        try:
            parse_actions("\n".join(lines))
        except ParseError as exc:
            raise ConversionError("teacher_output", f"subgoal {k}: {exc}") from exc
        actions.append("; ".join(line.rstrip(";").strip() for line in lines))
    filled = [r for r in results if r is not None]
    return Annotation(
        task=item.task,
        answer=item.answer,
        subgoals=subgoals,
        actions=actions,
        results=filled if len(filled) == len(subgoals) else [],
        rationale=item.rationale,
        domain=item.domain,
        source=item.source,
        id=item.id,
    )


# ------------------------------------------------------------------------------------------ cache


class ReplyCache(Protocol):
    """Where a teacher keeps its replies by request key (:class:`TeacherCache`, or a Ray worker's)."""

    def get(self, key: str) -> tuple[str, int, int] | None: ...

    def put(self, key: str, text: str, prompt_tokens: int, completion_tokens: int, model: str) -> None: ...

    def close(self) -> None: ...


class TeacherCache:
    """Teacher replies by request hash, in a SQLite file (safe across threads and re-runs)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS calls (key TEXT PRIMARY KEY, text TEXT NOT NULL, prompt_tokens INTEGER, "
            "completion_tokens INTEGER, model TEXT, created REAL)"
        )
        self._db.commit()

    @staticmethod
    def key(model: str, conversation: Sequence[Message], params: GenerationParams) -> str:
        blob = json.dumps(
            {
                "model": model,
                "messages": list(conversation),
                "max_tokens": params.max_tokens,
                "temperature": params.temperature,
                "stop": params.stop,
                "seed": params.seed,
            },
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(blob.encode()).hexdigest()

    def get(self, key: str) -> tuple[str, int, int] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT text, prompt_tokens, completion_tokens FROM calls WHERE key = ?", (key,)
            ).fetchone()
        return None if row is None else (row[0], int(row[1] or 0), int(row[2] or 0))

    def put(self, key: str, text: str, prompt_tokens: int, completion_tokens: int, model: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO calls VALUES (?, ?, ?, ?, ?, ?)",
                (key, text, prompt_tokens, completion_tokens, model, time.time()),
            )
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM calls").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


# ---------------------------------------------------------------------------------------- teacher


@dataclass
class Usage:
    """Tokens and money spent by the teacher (cached replies cost nothing)."""

    calls: int = 0
    cached: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    input_cost: float = 0.0  # per 1M prompt tokens
    output_cost: float = 0.0  # per 1M completion tokens

    @property
    def cost(self) -> float:
        return (self.prompt_tokens * self.input_cost + self.completion_tokens * self.output_cost) / 1e6

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "cached": self.cached,
            "failed": self.failed,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost": round(self.cost, 6),
        }


class TeacherError(Exception):
    """The teacher could not answer (the server failed after its retries); the item may be retried later."""


@dataclass
class TeacherReply:
    item: SourceItem
    text: str = ""
    error: str | None = None
    cached: bool = False


@dataclass
class TeacherConfig:
    n_examples: int = 2
    max_tokens: int = 1024
    temperature: float = 0.0
    concurrency: int = 8
    batch: int = 1  # conversations per generate() call (1 for servers; more for the hf backend)
    input_cost: float = 0.0
    output_cost: float = 0.0


@dataclass
class Teacher:
    """A teacher model with its cache and accounting. ``ask_all`` yields replies as they arrive."""

    model: Model
    config: TeacherConfig = field(default_factory=TeacherConfig)
    cache: ReplyCache | None = None
    model_name: str = ""
    usage: Usage = field(default_factory=Usage)

    def __post_init__(self) -> None:
        self.model_name = self.model_name or getattr(self.model, "name", "") or type(self.model).__name__
        self.usage.input_cost = self.config.input_cost
        self.usage.output_cost = self.config.output_cost
        self._lock = threading.Lock()

    @property
    def params(self) -> GenerationParams:
        return self.request_params(self.config)

    @staticmethod
    def request_params(config: TeacherConfig) -> GenerationParams:
        """The generation settings of every teacher request (part of its cache key)."""
        return GenerationParams(max_tokens=config.max_tokens, temperature=config.temperature)

    def _ask_batch(self, items: list[SourceItem]) -> list[TeacherReply]:
        params = self.params
        convs = [build_conversation(i, self.config.n_examples) for i in items]
        keys = [TeacherCache.key(self.model_name, c, params) for c in convs]
        replies: list[TeacherReply | None] = [None] * len(items)
        todo = []
        for n, key in enumerate(keys):
            hit = self.cache.get(key) if self.cache is not None else None
            if hit is not None:
                replies[n] = TeacherReply(items[n], hit[0], cached=True)
                with self._lock:
                    self.usage.cached += 1
            else:
                todo.append(n)
        if todo:
            try:
                gens = self.model.generate([convs[n] for n in todo], params)
            except Exception as exc:  # the backend gave up (after its own retries)
                with self._lock:
                    self.usage.failed += len(todo)
                for n in todo:
                    replies[n] = TeacherReply(items[n], error=f"{type(exc).__name__}: {exc}")
                gens = []
            for n, gen in zip(todo, gens, strict=False):
                with self._lock:
                    self.usage.calls += 1
                    self.usage.prompt_tokens += gen.prompt_tokens
                    self.usage.completion_tokens += gen.completion_tokens
                if gen.finish_reason == "error":
                    with self._lock:
                        self.usage.failed += 1
                    replies[n] = TeacherReply(items[n], error=gen.text or "the teacher request failed")
                    continue
                if self.cache is not None:
                    self.cache.put(
                        keys[n], gen.text, gen.prompt_tokens, gen.completion_tokens, self.model_name
                    )
                replies[n] = TeacherReply(items[n], gen.text)
        return [r for r in replies if r is not None]

    def ask_all(self, items: Iterable[SourceItem]) -> Iterator[TeacherReply]:
        """Ask about every item, ``concurrency`` requests at a time; yield each reply as it arrives.

        Closing the generator early (an exception in the caller) cancels the requests not yet sent.
        """
        cfg = self.config
        batch = max(1, cfg.batch)
        workers = max(1, cfg.concurrency if batch == 1 else 1)
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="teacher")
        pending: set[Future[list[TeacherReply]]] = set()
        source = iter(items)
        exhausted = False
        try:
            while True:
                while not exhausted and len(pending) < workers * 2:
                    chunk = list(itertools.islice(source, batch))
                    if not chunk:
                        exhausted = True
                        break
                    pending.add(pool.submit(self._ask_batch, chunk))
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield from fut.result()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()


def to_annotation(reply: TeacherReply) -> Annotation:
    """The annotation in a reply; ConversionError when it cannot be read, TeacherError when it failed."""
    if reply.error is not None:
        raise TeacherError(reply.error)
    return parse_teacher_output(reply.text, reply.item)
