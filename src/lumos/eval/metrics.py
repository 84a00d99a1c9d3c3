"""The paper's metrics, plus FanOutQA's own.

* GSM8K, SVAMP: accuracy on the numeric answer (``$``, commas, units and ``18.0`` vs ``18`` tolerated).
* StrategyQA: accuracy on yes/no.
* HotpotQA: exact match and F1 after SQuAD answer normalisation; "LLM accuracy" from an optional judge.
* FanOutQA: its published string accuracy: every reference answer string is looked for, normalised, in the
  normalised prediction; "loose" is the share found, "strict" is 1 only when all are found
  (Zhu et al. 2024, "FanOutQA", section 4; the ``fanoutqa.eval`` accuracy measure).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?|-?\.\d+")


# --------------------------------------------------------------------------------------- numbers


def parse_number(text: str | float | int | None) -> Fraction | None:
    """The number a text states: '$1,200.50' -> 1200.5; '18.0' -> 18; '3/4' -> 0.75; the last number in
    a sentence ('so she has 12 apples' -> 12). None when there is none."""
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return Fraction(text).limit_denominator(10**9)
    matches = _NUMBER.findall(str(text).replace("−", "-"))
    if not matches:
        return None
    raw = matches[-1].replace(",", "")
    try:
        return Fraction(raw).limit_denominator(10**9)
    except (ValueError, ZeroDivisionError):
        return None


def numeric_match(prediction: str | None, gold: str | float | int, rel_tol: float = 1e-4) -> bool:
    """True when the prediction's number equals the gold number (within a relative tolerance, so that a
    rounded 0.333333 matches 1/3)."""
    p, g = parse_number(prediction), parse_number(gold)
    if p is None or g is None:
        return False
    if p == g:
        return True
    return abs(float(p) - float(g)) <= rel_tol * max(1.0, abs(float(g)))


# ---------------------------------------------------------------------------------------- yes/no


def parse_yes_no(text: str | bool | None) -> bool | None:
    if isinstance(text, bool):
        return text
    if text is None:
        return None
    words = re.findall(r"[a-z]+", str(text).lower())
    for w in words:
        if w in ("yes", "true", "correct"):
            return True
        if w in ("no", "false", "incorrect", "not"):
            return False
    return None


def yes_no_match(prediction: str | None, gold: str | bool) -> bool:
    p, g = parse_yes_no(prediction), parse_yes_no(gold)
    return p is not None and p == g


# ------------------------------------------------------------------------------------ SQuAD text


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str | None, gold: str) -> float:
    return float(normalize_answer(prediction or "") == normalize_answer(gold))


def f1_score(prediction: str | None, gold: str) -> float:
    pred_tokens = normalize_answer(prediction or "").split()
    gold_tokens = normalize_answer(gold).split()
    # SQuAD's rule for yes/no/noanswer: only an exact match counts
    specials = {"yes", "no", "noanswer"}
    if (set(pred_tokens) & specials or set(gold_tokens) & specials) and pred_tokens != gold_tokens:
        return 0.0
    common = Counter(pred_tokens) & Counter(gold_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_tokens), same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


# ------------------------------------------------------------------------------------- FanOutQA


def _fanout_normalize(text: str) -> str:
    text = normalize_answer(text)
    return re.sub(r"(\d),(\d)", r"\1\2", text)


def fanout_accuracy(prediction: str | None, gold_answers: Sequence[str]) -> tuple[float, float]:
    """(loose, strict) string accuracy of FanOutQA: share of the reference strings found in the answer."""
    if not gold_answers:
        return 0.0, 0.0
    pred = _fanout_normalize(prediction or "")
    found = [_fanout_normalize(str(g)) in pred for g in gold_answers]
    loose = sum(found) / len(found)
    return loose, float(all(found))


def flatten_answers(answer: object) -> list[str]:
    """FanOutQA answers are strings, numbers, lists or dicts of them: every leaf string."""
    if isinstance(answer, dict):
        return [s for v in answer.values() for s in flatten_answers(v)]
    if isinstance(answer, (list, tuple)):
        return [s for v in answer for s in flatten_answers(v)]
    return [str(answer)]


# ---------------------------------------------------------------------------------------- judge

JUDGE_PROMPT = (
    "Question: {question}\nReference answer: {gold}\nProposed answer: {prediction}\n"
    "Does the proposed answer mean the same as the reference answer? Reply with one word: CORRECT or INCORRECT."
)


def parse_judgement(text: str) -> bool:
    """CORRECT/INCORRECT from a judge model's reply ('INCORRECT' contains 'CORRECT', so check it first)."""
    upper = text.upper()
    if "INCORRECT" in upper or "NOT CORRECT" in upper:
        return False
    return "CORRECT" in upper
