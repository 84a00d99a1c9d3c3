"""The ScienceWorld annotation source: gold paths of the *train* variations of the *seen* task types,
converted teacher-free (:mod:`lumos.domains.scienceworld.annotate`) and verified by replay.

``lumos annotate --source scienceworld --out DIR [--limit N]``: items go round the seen task types (every
type's first train variation, then every type's second...), so a ``--limit`` covers all of them; unseen task
types (:data:`~lumos.domains.scienceworld.tasks.UNSEEN`) and dev / test variations are never annotated.
``--data`` may name a file of ``TASK-vN`` ids, one a line, to annotate those instead (still train variations
of seen types only). One simulator serves the whole run and is killed at exit.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lumos.annotate.convert.common import ConversionError
from lumos.annotate.sources import SourceItem, register_source
from lumos.format.types import Annotation

_SIMULATOR: list[Any] = []


def train_items(order: list[tuple[str, int]] | None = None) -> Iterator[tuple[str, int]]:
    """(task type, train variation) round the seen task types, or the ``order`` given, refused where held out."""
    from lumos.domains.scienceworld.tasks import held_out_reason, seen_tasks, task_types

    if order is None:
        ranges = {t: task_types()[t].train for t in seen_tasks()}
        longest = max(len(r) for r in ranges.values())
        order = [(t, r[k]) for k in range(longest) for t, r in ranges.items() if k < len(r)]
    for task, variation in order:
        probe = SourceItem(f"{task}-v{variation}", "", "", "", "scienceworld", "scienceworld")
        if held_out_reason(probe) is None:
            yield task, variation


@register_source(
    "scienceworld",
    "scienceworld",
    "ScienceWorld gold paths of train variations (the simulator makes them; no file needed)",
    offline=True,
    converter="lumos.domains.scienceworld.sources:convert_scienceworld",
)
def load_scienceworld(path: Path | None, limit: int | None, seed: int) -> Iterator[SourceItem]:
    from lumos.domains.scienceworld.tasks import episode_id, parse_episode_id

    order = None
    if path is not None:
        order = [parse_episode_id(line.strip()) for line in path.read_text().splitlines() if line.strip()]
    for task, variation in train_items(order):
        yield SourceItem(episode_id(task, variation), task, "", "", "scienceworld", "scienceworld",
                         meta={"task": task, "variation": variation})


def shared_simulator() -> Any:
    """One simulator for a whole annotation run (a new one after a crash)."""
    from lumos.domains.scienceworld.simulator import Simulator

    if not _SIMULATOR or not _SIMULATOR[0].alive():
        _SIMULATOR[:] = [Simulator()]
    return _SIMULATOR[0]


def convert_scienceworld(item: SourceItem) -> Annotation:
    """The gold path of ``item``'s variation as a replay-verified annotation; ConversionError naming why not."""
    from lumos.domains.scienceworld.annotate import Rejected, annotate_variation

    try:
        return annotate_variation(shared_simulator(), item.meta["task"], int(item.meta["variation"]))
    except Rejected as exc:
        raise ConversionError(exc.reason, str(exc)) from exc
