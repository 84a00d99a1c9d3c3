"""Environment benchmarks, task by task: success per task and per group of tasks (a domain's
``task_groups`` hook, e.g. seen / unseen / no solver), with 95 % intervals and paired tests per group."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lumos.eval.stats import paired_test, wilson_interval
from lumos.records import read_jsonl


def _rows(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / "predictions.jsonl"
    if not path.is_file():
        return []
    return list(read_jsonl(path, "a run's predictions"))


def _groups(benchmark: str) -> dict[str, str]:
    """Task -> group name, from the benchmark's domain's ``task_groups`` hook (empty where it has none)."""
    from lumos.domain import domains, get_domain
    from lumos.eval.benchmarks import benchmarks, get_benchmark

    if benchmark not in benchmarks():
        return {}
    domain = get_benchmark(benchmark).domain
    hook = get_domain(domain).hook("task_groups") if domain in domains else None
    if hook is None:
        return {}
    return {task: group for group, tasks in hook().items() for task in tasks}


def task_tables(runs: Sequence[dict[str, Any]], run_dirs: Sequence[Path], labels: Sequence[str], against: str | None = None) -> str:
    """Markdown: success per group (with Wilson intervals, and exact McNemar tests against the run labelled
    ``against`` on the group's episodes), then per task; "" when no run scores episodes by task."""
    per_run = [
        [r for r in _rows(d) if "task" in r and "success_rate" in r.get("scores", {})] for d in run_dirs
    ]
    if not any(per_run):
        return ""
    groups = _groups(runs[0]["benchmark"])
    tasks = sorted({r["task"] for rows in per_run for r in rows})
    group_of = {t: groups.get(t, "other") for t in tasks}
    order = list(dict.fromkeys([*(g for g in dict.fromkeys(groups.values())), "other"]))
    ref = labels.index(against) if against in labels else None

    def scores(rows: list[dict[str, Any]], keep: set[str]) -> dict[str, float]:
        return {r["id"]: float(r["scores"]["success_rate"]) for r in rows if r["task"] in keep}

    out = ["| tasks | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    tests = []
    for group in [*order, "all"]:
        keep = {t for t in tasks if group in ("all", group_of[t])}
        if not keep:
            continue
        cells = []
        for k, rows in enumerate(per_run):
            s = scores(rows, keep)
            if not s:
                cells.append("-")
                continue
            low, high = wilson_interval(int(sum(s.values())), len(s))
            cells.append(f"{100 * sum(s.values()) / len(s):.1f} ({100 * low:.0f}-{100 * high:.0f}), n={len(s)}")
            if ref is not None and k != ref:
                t = paired_test(s, scores(per_run[ref], keep))
                tests.append(
                    f"| {group} ({len(keep)} tasks) | {labels[k]} | {t.n} | {t.only_a} | {t.only_b} | "
                    f"{100 * t.difference:+.1f} | {t.p_value:.3g} |"
                )
        out.append(f"| {group} ({len(keep)} tasks) | " + " | ".join(cells) + " |")
    text = "Success in percent (95% Wilson interval), by group of tasks:\n\n" + "\n".join(out) + "\n"
    if tests:
        text += (
            f"\nPaired by episode (same task and seed) against {against}:\n\n| tasks | run | episodes in "
            f"common | success only here | success only in {against} | difference (points) | p (exact "
            "McNemar) |\n|---|---|---|---|---|---|---|\n" + "\n".join(tests) + "\n"
        )
    by_task: list[dict[str, list[float]]] = []
    for rows in per_run:
        got: dict[str, list[float]] = defaultdict(list)
        for r in rows:
            got[r["task"]].append(float(r["scores"]["success_rate"]))
        by_task.append(got)
    lines = ["| task | group | " + " | ".join(labels) + " |", "|---|---|" + "---|" * len(labels)]
    for t in sorted(tasks, key=lambda t: (order.index(group_of[t]), t)):
        cells = [f"{int(sum(g[t]))}/{len(g[t])}" if g.get(t) else "-" for g in by_task]
        lines.append(f"| {t} | {group_of[t]} | " + " | ".join(cells) + " |")
    return text + "\nSuccesses per task (episodes rewarded / run):\n\n" + "\n".join(lines) + "\n"
