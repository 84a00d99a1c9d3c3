"""Environment benchmarks, task by task: success per task and per group of tasks (a domain's
``task_groups`` hook, e.g. seen / unseen / no solver), with 95 % intervals and paired tests per group."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lumos.eval.stats import interval, sign_test
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
    ``against`` on the group's episodes), the same for every other per-episode score that is not 0/1 (a
    ScienceWorld score, a MiniWoB++ reward: bootstrap intervals, exact sign tests), then success per task;
    "" when no run scores episodes by task."""
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
    graded = sorted(
        {m for rows in per_run for r in rows for m, v in r["scores"].items() if v not in (0, 1, 0.0, 1.0)}
    )
    text = ""
    for metric in ["success_rate", *graded]:
        table, tests = _by_group(metric, per_run, labels, tasks, group_of, order, ref)
        binary = metric == "success_rate"
        what = "Success in percent (95% Wilson interval)" if binary else f"Mean {metric} (95% bootstrap interval)"
        text += f"{what}, by group of tasks:\n\n" + "\n".join(table) + "\n"
        if tests:
            higher, test = ("success only", "exact McNemar") if binary else (f"higher {metric}", "exact sign test")
            scale = "points" if binary else metric
            text += (
                f"\nPaired by episode (same task and seed) against {against}:\n\n| tasks | run | episodes in "
                f"common | {higher} here | {higher} in {against} | difference ({scale}) | p ({test}) |\n"
                "|---|---|---|---|---|---|---|\n" + "\n".join(tests) + "\n"
            )
        text += "\n"
    text = text.rstrip("\n") + "\n"
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


def _by_group(
    metric: str,
    per_run: list[list[dict[str, Any]]],
    labels: Sequence[str],
    tasks: list[str],
    group_of: dict[str, str],
    order: list[str],
    ref: int | None,
) -> tuple[list[str], list[str]]:
    """The rows of one metric's table by group of tasks, and of its paired tests against run ``ref``."""
    binary = metric == "success_rate"
    scale = 100.0 if binary else 1.0

    def scores(rows: list[dict[str, Any]], keep: set[str]) -> dict[str, float]:
        return {r["id"]: float(r["scores"][metric]) for r in rows if r["task"] in keep and metric in r["scores"]}

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
            low, high = interval(list(s.values()))
            mean = sum(s.values()) / len(s)
            if binary:
                cells.append(f"{scale * mean:.1f} ({scale * low:.0f}-{scale * high:.0f}), n={len(s)}")
            else:
                cells.append(f"{mean:.3g} ({low:.3g} to {high:.3g}), n={len(s)}")
            other = scores(per_run[ref], keep) if ref is not None and k != ref else {}
            if other and set(s) & set(other):
                t = sign_test(s, other)  # on 0/1 scores: the exact McNemar test
                common = sorted(set(s) & set(other))
                diff = sum(s[i] - other[i] for i in common) / len(common)
                tests.append(
                    f"| {group} ({len(keep)} tasks) | {labels[k]} | {t.n} | {t.only_a} | {t.only_b} | "
                    f"{scale * diff:+.{1 if binary else 3}f} | {t.p_value:.3g} |"
                )
        out.append(f"| {group} ({len(keep)} tasks) | " + " | ".join(cells) + " |")
    return out, tests
