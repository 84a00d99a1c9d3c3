"""Teacher-free converters: gold reasoning -> annotations in the unified format, by rule.

* GSM8K: each ``<<expr=value>>`` step becomes ``Rk = Calculator(expr)`` with the numbers that earlier steps
  produced replaced by their variables; the step's line, with the markup and the stated result taken out,
  becomes the subgoal (the plan says what to compute; the tool computes it).
* gsm_symbolic (reasoning-gym) and GSM8K lines without markup: the ``12 x 2 = 24`` calculations written in
  the text are found, checked (the expression must give the stated value) and converted the same way.
* SVAMP and ASDiv: the equation becomes one Calculator action per operation, one subgoal each.
* FanOutQA and MuSiQue: each sub-question with an evidence page becomes
  ``R1 = KnowledgeQuery(page); R2 = ParagraphRetrieve(R1, Query: q); R3 = QA([R2], Question: q)``, inner
  questions combine their children with ``QA``, and a last step combines everything (with ``Calculator``
  when the gold answer is the sum, mean or difference of numeric sub-answers).
* Mind2Web: each recorded action becomes one ``CLICK`` / ``TYPE`` / ``SELECT`` whose QUERY names the
  element, kept only when replay on the recorded page picks the target (:mod:`lumos.web.annotate`).

A converter raises :class:`ConversionError` (with a reason code) when the gold data cannot be converted;
it never changes gold data to make it fit. Whether the result is right is for :mod:`lumos.annotate.verify`.
"""

from __future__ import annotations

from collections.abc import Callable

from lumos.annotate.convert.common import ConversionError
from lumos.annotate.convert.complex_qa import convert_fanoutqa, convert_musique
from lumos.annotate.convert.maths import (
    convert_asdiv,
    convert_gsm8k,
    convert_svamp,
    convert_worked_text,
    find_calculations,
)
from lumos.annotate.convert.web import convert_mind2web
from lumos.annotate.sources import SourceItem
from lumos.format.types import Annotation

CONVERTERS: dict[str, Callable[[SourceItem], Annotation]] = {
    "gsm8k": convert_gsm8k,
    "gsm_symbolic": convert_worked_text,
    "svamp": convert_svamp,
    "asdiv": convert_asdiv,
    "fanoutqa": convert_fanoutqa,
    "musique": convert_musique,
    "mind2web": convert_mind2web,
}


def convert(item: SourceItem) -> Annotation:
    """Convert with the teacher-free converter of the item's source."""
    from lumos.errors import ConfigError

    if item.source not in CONVERTERS:
        raise ConfigError(
            f"source {item.source!r} has no teacher-free converter; give a teacher model (--teacher), or use "
            f"one of: {', '.join(sorted(CONVERTERS))}"
        )
    return CONVERTERS[item.source](item)


__all__ = [
    "CONVERTERS",
    "ConversionError",
    "convert",
    "convert_asdiv",
    "convert_fanoutqa",
    "convert_gsm8k",
    "convert_mind2web",
    "convert_musique",
    "convert_svamp",
    "convert_worked_text",
    "find_calculations",
]
