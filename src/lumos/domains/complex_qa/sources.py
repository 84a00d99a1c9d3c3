"""Annotation sources of the complex-QA domain: FanOutQA, MuSiQue, StrategyQA, HotpotQA."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lumos.annotate.sources import (
    SourceItem,
    format_number,
    read_records,
    register_source,
    source_records,
    stable_id,
)
from lumos.errors import ConfigError


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


@register_source(
    "fanoutqa",
    "complex_qa",
    "FanOutQA dev JSON (decomposition trees of sub-questions with evidence pages)",
    offline=True,
    converter="lumos.domains.complex_qa.convert:convert_fanoutqa",
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


@register_source(
    "musique",
    "complex_qa",
    "MuSiQue JSONL (question_decomposition with supporting paragraphs)",
    hub=("bdsaglam/musique", "answerable", "train"),
    converter="lumos.domains.complex_qa.convert:convert_musique",
)
def load_musique(path: Path | None, limit: int | None, seed: int) -> Iterator[SourceItem]:
    for rec in source_records("musique", path, "musique_ans_v1.0_train.jsonl"):
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


@register_source(
    "strategyqa",
    "complex_qa",
    "StrategyQA JSON (question, answer, facts, decomposition, evidence)",
    hub=("ChilleD/StrategyQA", None, "train"),
)
def load_strategyqa(path: Path | None, limit: int | None, seed: int) -> Iterator[SourceItem]:
    for rec in source_records("strategyqa", path, "strategyqa_train.json"):
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


@register_source(
    "hotpotqa",
    "complex_qa",
    "HotpotQA JSON (question, answer, supporting_facts, context)",
    hub=("hotpotqa/hotpot_qa", "distractor", "train"),
)
def load_hotpotqa(path: Path | None, limit: int | None, seed: int) -> Iterator[SourceItem]:
    for rec in source_records("hotpotqa", path, "hotpot_train_v1.1.json"):
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
