"""The domain's data: its benchmark rows, its annotation source and that source's teacher-free converter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lumos.annotate.sources import SourceItem, register_source
from lumos.format.types import Annotation

WORDS = [("stressed", "desserts"), ("drawer", "reward"), ("live", "evil"), ("stops", "spots")]


def benchmark_rows(bench: Any, seed: int, limit: int | None) -> Iterator[dict[str, Any]]:
    for k, (word, answer) in enumerate(WORDS[:2]):
        yield {"id": f"reverse-{k}", "question": f"Reverse the word {word}.", "answer": answer}


@register_source(
    "strings_reverse", "strings", "generated word reversals", offline=True, converter="lumos_strings.data:convert"
)
def load(path: Path | None, limit: int | None, seed: int) -> Iterator[SourceItem]:
    for word, answer in WORDS[2:]:
        yield SourceItem(f"reverse-{word}", f"Reverse the word {word}.", f"{word} backwards", answer,
                         "strings_reverse", "strings", meta={"word": word})


def convert(item: SourceItem) -> Annotation:
    return Annotation(
        task=item.task,
        subgoals=["Reverse the word."],
        actions=[f"R1 = Reverse({item.meta['word']})"],
        answer=item.answer,
        domain="strings",
        source=item.source,
        id=item.id,
    )
