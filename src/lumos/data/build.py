"""``lumos data build``: verified annotations -> supervised conversations, one JSONL file per module.

Each line is ``{"messages": [...]}``, TRL's conversational format, built with
:class:`~lumos.prompts.modules.ModulePrompts` (``n_examples=0``), the same builders the agent prompts with at
inference, so training and inference prompts cannot drift apart. Modules: ``plan_iterative``,
``plan_onetime``, ``ground_iterative``, ``ground_onetime`` and the baselines ``cot`` (gold rationale, then
the answer), ``direct`` (the answer only) and ``integrated`` (subgoals and actions from one model), and for
tasks on live pages ``direct_iterative`` (one model writes each next action from the task and the pages so far:
:class:`~lumos.agent.flat.FlatAgent`).

Steps: read the annotations (folders written by ``lumos annotate``, or their ``annotations.jsonl``), drop
duplicates by normalised task text, drop tasks that appear in the evaluation sets given with ``--exclude``
(files, or benchmark names such as ``gsm_symbolic`` for the questions ``lumos eval`` generates; compared by
normalised question text), check that every assistant turn parses back with the core parser, hold out
a seeded fraction of each source, and weight the sources of the training split (a weight of 0.5 keeps about
half of a source's examples, 2 repeats each twice). Output::

    OUT/train/<module>.jsonl     OUT/heldout/<module>.jsonl     OUT/heldout/annotations.jsonl
    OUT/train/annotations.jsonl  OUT/manifest.json (settings and counts)
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lumos.errors import ConfigError, ParseError
from lumos.format.parse import parse_actions, parse_decision, parse_plan
from lumos.format.types import Annotation
from lumos.models.base import Message
from lumos.prompts.modules import ModulePrompts
from lumos.prompts.prompt_styles import PromptStyle
from lumos.records import FIX_LINE, jsonl_rows

MODULES = (
    "plan_iterative",
    "plan_onetime",
    "ground_iterative",
    "ground_onetime",
    "cot",
    "direct",
    "integrated",
    "direct_iterative",
)
DEFAULT_MODULES = MODULES[:-1]
"""What ``build`` writes unless told: every module but the environment-only ``direct_iterative``."""

ALL_DOMAINS = "all"

# Boilerplate that some generators append to questions; ignored when comparing questions.
_BOILERPLATE = [
    re.compile(p, re.I)
    for p in (r"\s*give the result as your final answer\.?\s*do not include units\.?\s*$",)
]


def normalize_question(text: str) -> str:
    """Lower case, letters and digits only, single spaces: the key for dedup and eval overlap."""
    for pattern in _BOILERPLATE:
        text = pattern.sub("", text)
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


# ------------------------------------------------------------------------------------------ input


def annotation_files(inputs: Iterable[str | Path]) -> list[Path]:
    """``annotations.jsonl`` of each input: a file, a folder with one, or a folder of such folders."""
    files = []
    for given in inputs:
        path = Path(given)
        if path.is_file():
            files.append(path)
        elif (path / "annotations.jsonl").is_file():
            files.append(path / "annotations.jsonl")
        elif path.is_dir() and sorted(path.glob("*/annotations.jsonl")):
            files.extend(sorted(path.glob("*/annotations.jsonl")))
        else:
            raise ConfigError(
                f"{path}: no annotations.jsonl there (give a folder written by 'lumos annotate')"
            )
    return files


def read_annotations(files: Iterable[Path]) -> Iterator[Annotation]:
    for f in files:
        for n, row in jsonl_rows(f, "annotation file"):
            try:
                yield Annotation.model_validate(row)
            except ValueError as exc:
                raise ConfigError(f"{f}:{n}: not an annotation ({str(exc)[:200]}): {FIX_LINE}") from exc


_QUESTION_KEYS = ("question", "task", "problem", "confirmed_task", "input", "query")


def _benchmark_records(name: str) -> list[dict[str, Any]]:
    """The questions of an evaluation benchmark of ``lumos eval`` as it draws them by default."""
    from lumos.eval.benchmarks import benchmarks, get_benchmark, load_examples

    if name.split(":")[0] not in benchmarks():
        raise ConfigError(
            f"--exclude {name}: no such file, nor a benchmark of lumos eval "
            f"({', '.join(sorted(benchmarks()))}[:SEED])"
        )
    bench_name, _, seed = name.partition(":")
    examples = load_examples(get_benchmark(bench_name), seed=int(seed or 0))
    return [{"question": ex.question} for ex in examples]


def eval_questions(paths: Iterable[str | Path]) -> set[str]:
    """Normalised question texts of evaluation files (JSONL or JSON lists; SVAMP's Body + Question too), or
    of a benchmark named as ``lumos eval`` draws it (``gsm_symbolic``, ``fanoutqa``, ``NAME:SEED``)."""
    from lumos.annotate.sources import join_body_question, read_records

    found: set[str] = set()
    for given in paths:
        path = Path(given)
        records: Iterable[Any] = read_records(path) if path.exists() else _benchmark_records(str(given))
        for rec in records:
            if not isinstance(rec, dict):
                continue
            texts = [str(rec[k]) for k in _QUESTION_KEYS if isinstance(rec.get(k), str)]
            if isinstance(rec.get("question"), dict):  # PRM800K
                texts.append(str(rec["question"].get("problem", "")))
            if "Body" in rec or "body" in rec:
                body = str(rec.get("Body", rec.get("body", "")))
                question = str(rec.get("Question", rec.get("question", "")))
                texts.append(join_body_question(body, question))
            for t in texts:
                key = normalize_question(t)
                if key:
                    found.add(key)
    return found


# ---------------------------------------------------------------------------------- conversations


def clean_rationale(text: str) -> str:
    """Gold rationale as one paragraph, with GSM8K's ``<<expr=value>>`` markup taken out."""
    text = re.sub(r"<<[^<>]*>>", "", text)
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    return " ".join(line if line[-1] in ".!?:;," else line + "." for line in lines)


class Conversations:
    """Builds the supervised conversation of each module for annotations of any domain."""

    def __init__(self, style: PromptStyle | None = None) -> None:
        self.style = style
        self._prompts: dict[str, ModulePrompts] = {}

    def prompts(self, domain: str) -> ModulePrompts:
        if domain not in self._prompts:
            self._prompts[domain] = ModulePrompts(domain, self.style, n_examples=0)
        return self._prompts[domain]

    def build(self, module: str, a: Annotation) -> list[Message] | None:
        """The conversation, or None when the annotation lacks what the module needs."""
        p = self.prompts(a.domain)
        if module == "plan_iterative":
            if len(a.results) != len(a.subgoals):
                return None
            return p.plan_iterative(a.task, a.subgoals, a.results, final=True, observation=a.observation)
        if module == "plan_onetime":
            return p.plan_onetime(a.task, a.subgoals, observation=a.observation)
        if module == "ground_iterative":
            results = a.results if len(a.results) == len(a.subgoals) else []
            return p.ground_iterative(a.task, a.subgoals, a.actions, results)
        if module == "ground_onetime":
            return p.ground_onetime(a.task, a.subgoals, a.actions)
        if module == "cot":
            rationale = clean_rationale(a.rationale)
            if not rationale or not a.answer.strip():
                return None
            return p.cot(a.task, rationale, a.answer.strip())
        if module == "direct":
            return p.direct(a.task, a.answer.strip()) if a.answer.strip() else None
        if module == "integrated":
            return p.integrated(a.task, a.subgoals, a.actions)
        if module == "direct_iterative":  # environment tasks only: the flat baseline reads the page
            if not a.observation or len(a.results) != len(a.actions):
                return None
            return p.act_iterative(a.task, a.observation, a.actions, a.results, final=True)
        raise ConfigError(f"unknown module {module!r}; choose from: {', '.join(MODULES)}")


def _held_out(a: Annotation) -> str | None:
    """Why the annotation's domain forbids training on it (its ``training_filter`` hook), or None."""
    from lumos.domain import domains, get_domain

    if a.domain not in domains:
        return None
    refuse = get_domain(a.domain).hook("training_filter")
    return refuse(a) if refuse is not None else None


def check_conversation(module: str, messages: Sequence[Message], a: Annotation) -> None:
    """Raise ParseError unless every assistant turn parses back to the annotation with the core parser."""
    said = [m["content"] for m in messages if m["role"] == "assistant"]
    n = len(a.subgoals)
    if module == "plan_iterative":
        if len(said) != n + 1:
            raise ParseError(f"{len(said)} planner turns for {n} subgoals")
        first = parse_plan(said[0])
        if [s.text for s in first] != [a.subgoals[0]]:
            raise ParseError(f"first planner turn reads back as {[s.text for s in first]}")
        for k, turn in enumerate(said[1:-1], 2):
            decision = parse_decision(turn)
            if decision.stop or [s.text for s in decision.subgoals] != [a.subgoals[k - 1]]:
                raise ParseError(f"planner turn {k} reads back wrong: {turn!r}")
        if not parse_decision(said[-1]).stop:
            raise ParseError("the last planner turn does not stop")
    elif module == "plan_onetime":
        if [s.text for s in parse_plan(said[0])] != list(a.subgoals):
            raise ParseError("the one-time plan reads back as different subgoals")
    elif module == "direct_iterative":
        got = [len(parse_actions(t)) for t in said]
        if got != [len(parse_actions(x)) for x in a.actions]:
            raise ParseError(f"action turns read back as {got} actions")
    elif module in ("ground_iterative", "ground_onetime"):
        turns = said if module == "ground_iterative" else ["; ".join(said)]
        expected = [
            len(parse_actions(x))
            for x in (a.actions if module == "ground_iterative" else ["; ".join(a.actions)])
        ]
        got = [len(parse_actions(t)) for t in turns]
        if got != expected:
            raise ParseError(f"grounder turns read back as {got} actions, expected {expected}")
    elif module == "integrated":
        lines = said[0].split("\n")
        if len(lines) != 2 * n:
            raise ParseError(f"integrated answer has {len(lines)} lines for {n} subgoals")
        for k in range(n):
            if [s.text for s in parse_plan(lines[2 * k])] != [a.subgoals[k]]:
                raise ParseError(f"integrated subgoal {k + 1} reads back wrong")
            parse_actions(lines[2 * k + 1])
    elif not said or not said[-1].strip():
        raise ParseError(f"{module}: empty assistant turn")


# ------------------------------------------------------------------------------------------ build


@dataclass
class BuildReport:
    out: Path
    read: int = 0
    duplicates: Counter[str] = field(default_factory=Counter)
    excluded: Counter[str] = field(default_factory=Counter)
    invalid: Counter[str] = field(default_factory=Counter)  # "module: source" -> count
    unsupported: Counter[str] = field(default_factory=Counter)
    other_domain: Counter[str] = field(default_factory=Counter)  # left out by --domain
    held_out: Counter[str] = field(default_factory=Counter)  # refused by the domain's training_filter
    train: Counter[str] = field(default_factory=Counter)  # by source, before weighting
    heldout: Counter[str] = field(default_factory=Counter)
    weighted: Counter[str] = field(default_factory=Counter)  # by source, after weighting
    files: dict[str, int] = field(default_factory=dict)  # "train/plan_iterative.jsonl" -> lines
    messages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "duplicates": dict(self.duplicates),
            "excluded": dict(self.excluded),
            "invalid": dict(self.invalid),
            "unsupported_domain": dict(self.unsupported),
            "other_domain": dict(self.other_domain),
            "held_out_by_domain": dict(self.held_out),
            "train": dict(self.train),
            "heldout": dict(self.heldout),
            "train_weighted": dict(self.weighted),
            "files": self.files,
        }


MAX_WEIGHT = 1000
"""The largest ``--weight``: each annotation of the source is repeated at most this often."""


def parse_weights(specs: Iterable[str]) -> dict[str, float]:
    """``["gsm8k=2", "svamp=0.5"]`` -> {"gsm8k": 2.0, "svamp": 0.5}."""
    weights = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        try:
            weight = float(value)
        except ValueError:
            weight = -1.0
        if not sep or not name.strip() or not 0 <= weight <= MAX_WEIGHT:  # NaN fails too
            raise ConfigError(
                f"--weight {spec!r}: write SOURCE=WEIGHT with a weight from 0 to {MAX_WEIGHT}, e.g. gsm8k=0.5"
            )
        weights[name.strip()] = weight
    return weights


def build(
    inputs: Sequence[str | Path],
    out: str | Path,
    *,
    weights: dict[str, float] | None = None,
    exclude: Sequence[str | Path] = (),
    heldout: float = 0.05,
    seed: int = 0,
    modules: Sequence[str] = DEFAULT_MODULES,
    style: PromptStyle | None = None,
    on_item: Callable[[Annotation], None] | None = None,
    domain: str = ALL_DOMAINS,
) -> BuildReport:
    """Build the module files into ``out`` (see the module doc). ``domain``: keep that domain's annotations
    only; ``all``: every domain in one file per module (one planner and one grounder for all, as
    Lumos-unified). Rows are ``{"messages"}``, or the released format when the style says so."""
    if not 0 <= heldout < 1:
        raise ConfigError(f"--heldout must be in [0, 1), not {heldout}")
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        raise ConfigError(f"unknown modules {unknown}; choose from: {', '.join(MODULES)}")
    wanted: tuple[str, ...] = ()
    if domain != ALL_DOMAINS:  # a domain's data also takes the domains it names (e.g. web: MiniWoB++'s, same tools)
        from lumos.domain import get_domain

        wanted = (domain, *get_domain(domain).data_domains)
    weights = dict(weights or {})
    out_dir = Path(out)
    report = BuildReport(out_dir)
    excluded_keys = eval_questions(exclude)
    conv = Conversations(style)
    released = (style or PromptStyle()).data_format == "released"

    def row(a: Annotation, messages: list[Message]) -> dict[str, Any]:
        if released:
            return {"dataset": a.source or a.domain, "id": a.id, "messages": messages}
        return {"messages": messages}

    seen: set[str] = set()
    kept: dict[str, list[tuple[Annotation, dict[str, list[Message]]]]] = defaultdict(list)
    for a in read_annotations(annotation_files(inputs)):
        report.read += 1
        if domain != ALL_DOMAINS and a.domain not in wanted:
            report.other_domain[a.domain] += 1
            continue
        reason = _held_out(a)
        if reason:
            report.held_out[a.source] += 1
            continue
        # a live environment's task may read the same over episodes whose first pages differ, or whose first
        # observations are the same and whose later ones differ (a simulated world's variations): such an
        # episode is told apart by its observations, a text task by its text alone
        key = normalize_question(" ".join([a.task, a.observation, *(a.results if a.observation else [])]))
        if key in seen:
            report.duplicates[a.source] += 1
            continue
        seen.add(key)
        if normalize_question(a.task) in excluded_keys:
            report.excluded[a.source] += 1
            continue
        try:
            conv.prompts(a.domain)
        except ConfigError:
            report.unsupported[a.domain] += 1
            continue
        built: dict[str, list[Message]] = {}
        bad = False
        for module in modules:
            messages = conv.build(module, a)
            if messages is None:
                continue
            try:
                check_conversation(module, messages, a)
            except ParseError as exc:
                report.invalid[f"{module}: {a.source}"] += 1
                report.messages.append(f"{a.source} {a.id} {module}: {exc}")
                bad = module in ("plan_iterative", "plan_onetime", "ground_iterative", "ground_onetime")
                if bad:
                    break
                continue
            built[module] = messages
        if bad:
            continue
        if on_item is not None:
            on_item(a)
        kept[a.source].append((a, built))
    rng = random.Random(seed)
    train: list[tuple[Annotation, dict[str, list[Message]]]] = []
    held: list[tuple[Annotation, dict[str, list[Message]]]] = []
    for source in sorted(kept):
        items = kept[source]
        rng.shuffle(items)
        n_held = round(len(items) * heldout)
        held.extend(items[:n_held])
        report.heldout[source] = n_held
        report.train[source] = len(items) - n_held
        weight = weights.get(source, 1.0)
        for entry in items[n_held:]:
            copies = int(weight) + (1 if rng.random() < weight - int(weight) else 0)
            train.extend([entry] * copies)
            report.weighted[source] += copies
    missing = sorted(set(weights) - set(kept))
    if missing:
        report.messages.append(f"weights given for sources with no annotation: {', '.join(missing)}")
    rng.shuffle(train)
    for split, entries in (("train", train), ("heldout", held)):
        folder = out_dir / split
        folder.mkdir(parents=True, exist_ok=True)
        for module in modules:
            name = f"{split}/{module}.jsonl"
            report.files[name] = _write(
                folder / f"{module}.jsonl", (row(a, b[module]) for a, b in entries if module in b)
            )
        unique = list({a.id + a.source: a for a, _ in entries}.values())
        report.files[f"{split}/annotations.jsonl"] = _write(
            folder / "annotations.jsonl", (a.model_dump() for a in unique)
        )
    manifest = {
        "inputs": [str(i) for i in inputs],
        "exclude": [str(e) for e in exclude],
        "heldout_fraction": heldout,
        "seed": seed,
        "weights": weights,
        "modules": list(modules),
        "domain": domain,
        "style": (style or PromptStyle()).name,
        **report.as_dict(),
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return report


def _write(path: Path, records: Iterable[dict[str, Any]]) -> int:
    n = 0
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    tmp.replace(path)
    return n
