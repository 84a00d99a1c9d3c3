"""Loaders that read benchmarks in their original file formats into :class:`SourceItem` records.

Every loader yields ``(id, task, gold rationale, gold answer)`` plus the structure a teacher-free converter
needs (``meta``: the SVAMP equation, a FanOutQA decomposition tree, MuSiQue's sub-questions, ...).

Where the data come from, in order:

1. ``data``: a file (or folder) the user gives with ``--data``;
2. a copy a Python package ships (the FanOutQA dev set inside ``fanoutqa``) or generates (reasoning-gym's
   ``gsm_symbolic``, seeded);
3. the Hugging Face hub through ``datasets`` (imported lazily) when it is reachable.

Offline, without ``--data``, a source of the third kind raises :class:`ConfigError` saying which file to give.
Ids are the benchmark's own where it has them, else a hash of the question text, so they stay stable when
a run is resumed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lumos.errors import ConfigError


@dataclass
class SourceItem:
    """One benchmark example: the task and its gold reasoning and answer."""

    id: str
    task: str
    rationale: str
    answer: str
    source: str
    domain: str
    meta: dict[str, Any] = field(default_factory=dict)


Loader = Callable[[Path | None, int | None, int], Iterator[SourceItem]]


@dataclass(frozen=True)
class SourceSpec:
    """A benchmark: its domain, its loader, and where it can come from without ``--data``."""

    name: str
    domain: str
    loader: Loader
    description: str
    hub: tuple[str, str | None, str] | None = None  # (dataset path, config, split) on the HF hub
    offline: bool = False  # loads without --data and without the hub


SOURCES: dict[str, SourceSpec] = {}


def source_names(domain: str | None = None) -> list[str]:
    return sorted(n for n, s in SOURCES.items() if domain is None or s.domain == domain)


def get_source(name: str) -> SourceSpec:
    if name not in SOURCES:
        raise ConfigError(f"unknown source {name!r}; known sources: {', '.join(source_names())}")
    return SOURCES[name]


def load_source(
    name: str, data: str | Path | None = None, limit: int | None = None, seed: int = 0
) -> Iterator[SourceItem]:
    """Yield the items of source ``name`` (at most ``limit``)."""
    spec = get_source(name)
    path = Path(data) if data is not None else None
    if path is not None and not path.exists():
        raise ConfigError(f"--data {path} does not exist")
    items = spec.loader(path, limit, seed)
    yield from (items if limit is None else itertools.islice(items, limit))


def _register(
    name: str,
    domain: str,
    description: str,
    hub: tuple[str, str | None, str] | None = None,
    offline: bool = False,
) -> Callable[[Loader], Loader]:
    def wrap(fn: Loader) -> Loader:
        SOURCES[name] = SourceSpec(name, domain, fn, description, hub, offline)
        return fn

    return wrap


# ------------------------------------------------------------------------------------------- helpers


def stable_id(source: str, text: str) -> str:
    digest = hashlib.sha1(" ".join(text.split()).lower().encode()).hexdigest()[:12]
    return f"{source}-{digest}"


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """Records of a JSONL file, a JSON list (or ``{"data": [...]}``), or every such file in a folder."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".json", ".jsonl"))
        if not files:
            raise ConfigError(f"{path} holds no .json or .jsonl file")
        for f in files:
            yield from read_records(f)
        return
    text = path.read_text(encoding="utf-8")
    data: Any = None
    if path.suffix != ".jsonl":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            if not text.lstrip().startswith("{"):
                raise ConfigError(f"{path}: not JSON or JSONL ({exc.msg})") from exc
    if data is None:  # JSON lines
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"{path}:{n}: not a JSON line ({exc.msg})") from exc
        return
    if isinstance(data, dict):
        for key in ("data", "examples", "problems", "questions"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
        else:
            data = [data]
    if not isinstance(data, list):
        raise ConfigError(f"{path}: expected a list of records")
    yield from data


def _from_hub(name: str, hub: tuple[str, str | None, str] | None, what: str) -> Iterator[dict[str, Any]]:
    """Records from the HF hub, or a ConfigError that says which file to pass with --data."""
    if hub is None:
        raise ConfigError(f"source {name!r} needs its data file: pass --data FILE ({what})")
    if os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("HF_DATASETS_OFFLINE") == "1":
        raise ConfigError(
            f"source {name!r} is on the Hugging Face hub ({hub[0]}) and the hub is switched off "
            f"here (HF_HUB_OFFLINE): pass --data FILE ({what})"
        )
    try:
        import datasets
    except ImportError as exc:
        raise ConfigError(
            f"source {name!r}: no --data given, and loading {hub[0]} from the Hugging Face hub needs the "
            f"'datasets' package (pip install 'lumos-agents[train]'); or pass --data FILE ({what})"
        ) from exc
    try:
        ds = datasets.load_dataset(hub[0], hub[1], split=hub[2])
    except Exception as exc:  # offline, unknown dataset, gated, ...
        raise ConfigError(
            f"source {name!r}: could not load {hub[0]} from the Hugging Face hub ({type(exc).__name__}: "
            f"{str(exc)[:200]}); pass --data FILE ({what})"
        ) from exc
    for row in ds:
        yield dict(row)


def _records(name: str, path: Path | None, what: str) -> Iterator[dict[str, Any]]:
    if path is not None:
        return read_records(path)
    return _from_hub(name, SOURCES[name].hub, what)


def format_number(value: float | int | str) -> str:
    """``51.0`` -> ``51``, ``0.50`` -> ``0.5``; text is returned stripped."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


_FINAL = re.compile(r"^\s*####\s*(.+?)\s*$", re.M)


def split_final_answer(solution: str) -> tuple[str, str]:
    """GSM8K-style ``rationale\\n#### answer`` -> (rationale, answer with thousands separators removed)."""
    m = _FINAL.search(solution)
    if m is None:
        return solution.strip(), ""
    answer = m.group(1).replace(",", "").strip()
    return solution[: m.start()].strip(), answer


# ------------------------------------------------------------------------------------------- maths


@_register(
    "gsm8k",
    "maths",
    "GSM8K JSONL: {question, answer} with <<expr=value>> steps and '#### N'",
    hub=("openai/gsm8k", "main", "train"),
)
def load_gsm8k(path: Path | None, limit: int | None, seed: int) -> Iterator[SourceItem]:
    for rec in _records("gsm8k", path, "GSM8K JSONL with question and answer"):
        question = str(rec.get("question", "")).strip()
        rationale, answer = split_final_answer(str(rec.get("answer", "")))
        if not question:
            continue
        yield SourceItem(stable_id("gsm8k", question), question, rationale, answer, "gsm8k", "maths")


@_register(
    "svamp",
    "maths",
    "SVAMP JSON/JSONL: {ID, Body, Question, Equation, Answer}",
    hub=("ChilleD/SVAMP", None, "train"),
)
def load_svamp(path: Path | None, limit: int | None, seed: int) -> Iterator[SourceItem]:
    for rec in _records("svamp", path, "SVAMP JSON with Body, Question, Equation, Answer"):
        body = str(rec.get("Body", "")).strip()
        question = str(rec.get("Question", rec.get("question", ""))).strip()
        task = join_body_question(body, question)
        if not task:
            continue
        equation = str(rec.get("Equation", "")).strip()
        answer = format_number(rec.get("Answer", ""))
        item_id = str(rec.get("ID") or rec.get("id") or stable_id("svamp", task))
        yield SourceItem(
            item_id,
            task,
            f"{equation} = {answer}" if equation else "",
            answer,
            "svamp",
            "maths",
            meta={"equation": equation, "question": question, "body": body},
        )


def join_body_question(body: str, question: str) -> str:
    """``Body Question`` as the evaluation harness poses SVAMP (and ASDiv) tasks."""
    return f"{body.strip()} {question.strip()}".strip()


@_register(
    "asdiv",
    "maths",
    "ASDiv XML (<Problem><Body/><Question/><Answer/><Formula/>) or JSON/JSONL",
    hub=("EleutherAI/asdiv", None, "validation"),
)
def load_asdiv(path: Path | None, limit: int | None, seed: int) -> Iterator[SourceItem]:
    if path is not None and path.suffix == ".xml":
        records: Iterable[dict[str, Any]] = _asdiv_xml(path)
    else:
        records = _records("asdiv", path, "ASDiv.xml or a JSONL with body, question, answer, formula")
    for rec in records:
        body = str(rec.get("Body", rec.get("body", ""))).strip()
        question = str(rec.get("Question", rec.get("question", ""))).strip()
        task = join_body_question(body, question)
        formula = str(rec.get("Formula", rec.get("formula", ""))).strip()
        raw_answer = str(rec.get("Answer", rec.get("answer", ""))).strip()
        answer = re.sub(r"\s*\(.*\)\s*$", "", raw_answer).strip()  # "9 (apples)" -> "9"
        item_id = str(rec.get("ID") or rec.get("id") or stable_id("asdiv", task))
        yield SourceItem(
            item_id,
            task,
            formula,
            answer,
            "asdiv",
            "maths",
            meta={
                "formula": formula,
                "question": question,
                "body": body,
                "type": rec.get("Solution-Type", rec.get("solution_type", "")),
            },
        )


def _asdiv_xml(path: Path) -> Iterator[dict[str, Any]]:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ConfigError(f"{path}: not ASDiv XML ({exc})") from exc
    for prob in root.iter("Problem"):
        rec: dict[str, Any] = {"ID": prob.get("ID", "")}
        for child in prob:
            rec[child.tag] = (child.text or "").strip()
        yield rec


@_register(
    "gsm_symbolic",
    "maths",
    "reasoning-gym's gsm_symbolic generator (seeded; answer_cot worked steps)",
    offline=True,
)
def load_gsm_symbolic(path: Path | None, limit: int | None, seed: int) -> Iterator[SourceItem]:
    if path is not None:
        records: Iterable[dict[str, Any]] = read_records(path)
        prefix = "gsm_symbolic"
    else:
        if importlib.util.find_spec("reasoning_gym") is None:
            raise ConfigError(
                "source 'gsm_symbolic' is generated by reasoning-gym, which is not installed: "
                "pip install reasoning-gym (or pip install 'lumos-agents[eval]')"
            )
        import reasoning_gym

        size = limit if limit is not None else 1000
        records = reasoning_gym.create_dataset("gsm_symbolic", size=size, seed=seed)
        prefix = f"gsm_symbolic-s{seed}"
    for n, rec in enumerate(records):
        meta = dict(rec.get("metadata") or {})
        question = str(rec.get("question", "")).strip()
        rationale, answer = split_final_answer(str(meta.get("answer_cot", "")))
        answer = str(rec.get("answer", answer)).strip() or answer
        item_id = str(rec.get("id") or f"{prefix}-{meta.get('source_index', n)}")
        yield SourceItem(
            item_id,
            question,
            rationale,
            answer,
            "gsm_symbolic",
            "maths",
            meta={"variables": meta.get("variables", {})},
        )


_BOXED = re.compile(r"\\boxed\s*\{")


def last_boxed(text: str) -> str:
    """The content of the last ``\\boxed{...}`` (nested braces allowed), or ''."""
    starts = [m.end() for m in _BOXED.finditer(text)]
    if not starts:
        return ""
    i = start = starts[-1]
    depth = 1
    while i < len(text) and depth:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    return text[start : i - 1].strip() if depth == 0 else ""


@_register(
    "math",
    "maths",
    "MATH ({problem, level, type, solution} with \\boxed{}) or PRM800K JSONL",
    hub=("EleutherAI/hendrycks_math", "algebra", "train"),
)
def load_math(path: Path | None, limit: int | None, seed: int) -> Iterator[SourceItem]:
    for rec in _records("math", path, "MATH JSON files or PRM800K JSONL"):
        if isinstance(rec.get("question"), dict):  # PRM800K: {"question": {...}, "label": {...}}
            q = rec["question"]
            problem = str(q.get("problem", "")).strip()
            solution = str(q.get("ground_truth_solution") or "")
            if not solution:
                steps = [s.get("text", "") for s in (q.get("pre_generated_steps") or [])]
                solution = "\n".join(steps)
            answer = str(q.get("ground_truth_answer") or last_boxed(solution)).strip()
            source = "prm800k"
        else:
            problem = str(rec.get("problem", "")).strip()
            solution = str(rec.get("solution", "")).strip()
            answer = str(rec.get("answer") or last_boxed(solution)).strip()
            source = "math"
        if not problem:
            continue
        item_id = str(rec.get("unique_id") or rec.get("id") or stable_id(source, problem))
        yield SourceItem(
            item_id,
            problem,
            solution,
            answer,
            source,
            "maths",
            meta={"level": rec.get("level", ""), "type": rec.get("type", ""), "format": source},
        )


SOURCES["prm800k"] = SourceSpec("prm800k", "maths", load_math, "PRM800K JSONL (phase1/phase2 files)")


# ------------------------------------------------------------------------------------------ complex QA


def fanoutqa_dev_file() -> Path | None:
    """The FanOutQA dev set inside the installed ``fanoutqa`` package, found without importing it."""
    spec = importlib.util.find_spec("fanoutqa")  # found without importing it (its imports are heavy)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "fanout-final-dev.json"
    return path if path.is_file() else None


def render_answer(answer: Any) -> str:
    """A FanOutQA answer (text, number, list or mapping) as one line of text."""
    if isinstance(answer, dict):
        return "; ".join(f"{k}: {render_answer(v)}" for k, v in answer.items())
    if isinstance(answer, list | tuple):
        return ", ".join(render_answer(v) for v in answer)
    if isinstance(answer, float | int) and not isinstance(answer, bool):
        return format_number(answer)
    return str(answer).strip()


def _fanout_rationale(nodes: list[dict[str, Any]], depth: int = 0) -> list[str]:
    lines = []
    for node in nodes:
        lines.append(f"{'  ' * depth}{node.get('question', '').strip()} {render_answer(node.get('answer'))}")
        lines.extend(_fanout_rationale(node.get("decomposition") or [], depth + 1))
    return lines


@_register(
    "fanoutqa",
    "complex_qa",
    "FanOutQA dev JSON (decomposition trees of sub-questions with evidence pages)",
    offline=True,
)
def load_fanoutqa(path: Path | None, limit: int | None, seed: int) -> Iterator[SourceItem]:
    if path is None:
        path = fanoutqa_dev_file()
        if path is None:
            raise ConfigError(
                "source 'fanoutqa': the dev set ships inside the fanoutqa package, which is not installed "
                "(pip install --no-deps fanoutqa), or pass --data fanout-final-dev.json"
            )
    for rec in read_records(path):
        question = str(rec.get("question", "")).strip()
        if not question:
            continue
        tree = rec.get("decomposition") or []
        yield SourceItem(
            str(rec.get("id") or stable_id("fanoutqa", question)),
            question,
            "\n".join(_fanout_rationale(tree)),
            render_answer(rec.get("answer", "")),
            "fanoutqa",
            "complex_qa",
            meta={"decomposition": tree, "answer": rec.get("answer")},
        )


@_register(
    "musique",
    "complex_qa",
    "MuSiQue JSONL (question_decomposition with supporting paragraphs)",
    hub=("bdsaglam/musique", "answerable", "train"),
)
def load_musique(path: Path | None, limit: int | None, seed: int) -> Iterator[SourceItem]:
    for rec in _records("musique", path, "musique_ans_v1.0_train.jsonl"):
        if rec.get("answerable") is False:
            continue
        question = str(rec.get("question", "")).strip()
        steps = rec.get("question_decomposition") or []
        paragraphs = {p.get("idx"): p for p in rec.get("paragraphs") or []}
        decomposition = []
        for step in steps:
            para = paragraphs.get(step.get("paragraph_support_idx")) or {}
            decomposition.append(
                {
                    "question": str(step.get("question", "")).strip(),
                    "answer": str(step.get("answer", "")).strip(),
                    "title": str(para.get("title", "")).strip(),
                    "paragraph": str(para.get("paragraph_text", "")).strip(),
                }
            )
        rationale = "\n".join(f"{d['question']} {d['answer']}" for d in decomposition)
        yield SourceItem(
            str(rec.get("id") or stable_id("musique", question)),
            question,
            rationale,
            str(rec.get("answer", "")).strip(),
            "musique",
            "complex_qa",
            meta={"decomposition": decomposition, "aliases": rec.get("answer_aliases", [])},
        )


@_register(
    "strategyqa",
    "complex_qa",
    "StrategyQA JSON (question, answer, facts, decomposition, evidence)",
    hub=("ChilleD/StrategyQA", None, "train"),
)
def load_strategyqa(path: Path | None, limit: int | None, seed: int) -> Iterator[SourceItem]:
    for rec in _records("strategyqa", path, "strategyqa_train.json"):
        question = str(rec.get("question", "")).strip()
        if not question:
            continue
        answer = rec.get("answer")
        answer_text = ("yes" if answer else "no") if isinstance(answer, bool) else str(answer or "").strip()
        facts = rec.get("facts") or []
        if isinstance(facts, str):
            facts = [facts]
        decomposition = rec.get("decomposition") or []
        rationale = " ".join(str(f).strip() for f in facts)
        yield SourceItem(
            str(rec.get("qid") or stable_id("strategyqa", question)),
            question,
            rationale,
            answer_text,
            "strategyqa",
            "complex_qa",
            meta={"facts": facts, "decomposition": decomposition, "evidence": rec.get("evidence") or []},
        )


@_register(
    "hotpotqa",
    "complex_qa",
    "HotpotQA JSON (question, answer, supporting_facts, context)",
    hub=("hotpotqa/hotpot_qa", "distractor", "train"),
)
def load_hotpotqa(path: Path | None, limit: int | None, seed: int) -> Iterator[SourceItem]:
    for rec in _records("hotpotqa", path, "hotpot_train_v1.1.json"):
        question = str(rec.get("question", "")).strip()
        if not question:
            continue
        support = rec.get("supporting_facts") or []
        titles = [s[0] for s in support if isinstance(s, list | tuple) and s]
        if isinstance(support, dict):  # the hub's layout: {"title": [...], "sent_id": [...]}
            titles = list(support.get("title") or [])
        yield SourceItem(
            str(rec.get("_id") or rec.get("id") or stable_id("hotpotqa", question)),
            question,
            "",
            str(rec.get("answer", "")).strip(),
            "hotpotqa",
            "complex_qa",
            meta={"titles": list(dict.fromkeys(titles)), "type": rec.get("type", "")},
        )


# ------------------------------------------------------------------------------------------------ web


@_register(
    "mind2web",
    "web",
    "Mind2Web JSON (confirmed_task, action_reprs / actions)",
    hub=("osunlp/Mind2Web", None, "train"),
)
def load_mind2web(path: Path | None, limit: int | None, seed: int) -> Iterator[SourceItem]:
    for rec in _records("mind2web", path, "a Mind2Web train_*.json file"):
        task = str(rec.get("confirmed_task", rec.get("task", ""))).strip()
        if not task:
            continue
        reprs = [str(r) for r in rec.get("action_reprs") or []]
        ops = []
        for act in rec.get("actions") or []:
            op = act.get("operation") or {}
            ops.append({"op": str(op.get("op", "")).upper(), "value": str(op.get("value", ""))})
        website = str(rec.get("website", "")).strip()
        yield SourceItem(
            str(rec.get("annotation_id") or stable_id("mind2web", task)),
            task,
            "\n".join(reprs),
            reprs[-1] if reprs else "",
            "mind2web",
            "web",
            meta={"action_reprs": reprs, "operations": ops, "website": website, "record": rec},
        )
