"""Several runs side by side: a markdown table (methods x benchmarks) and a PNG chart."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lumos.errors import ConfigError
from lumos.records import read_json


def load_runs(run_dirs: Sequence[Path]) -> list[dict[str, Any]]:
    runs = []
    for d in run_dirs:
        path = d / "metrics.json"
        if not path.is_file():
            raise ConfigError(f"{d} has no metrics.json: is it a finished `lumos eval` run directory?")
        metrics = read_json(path, "a run's metrics", expect=dict)
        missing = [key for key in ("benchmark", "method") if not isinstance(metrics.get(key), str)]
        if missing:
            raise ConfigError(f"{path} has no {' or '.join(missing)}: is it a `lumos eval` run's metrics.json?")
        runs.append(_with_record_totals(metrics, d / "predictions.jsonl"))
    return runs


def _with_record_totals(metrics: dict[str, Any], predictions: Path) -> dict[str, Any]:
    """Token totals, stop reasons and failures counted from the run's records where its metrics lack them
    (an environment benchmark's runner writes its own metrics)."""
    if "tokens" in metrics or not predictions.is_file():
        return metrics
    from collections import Counter

    from lumos.records import read_jsonl, skip_with_note

    records = list(read_jsonl(predictions, "a run's predictions", on_bad=skip_with_note))
    return {
        **metrics,
        "tokens": {
            "prompt": sum(_record_tokens(r, "prompt_tokens") for r in records),
            "completion": sum(_record_tokens(r, "completion_tokens") for r in records),
        },
        "stop_reasons": metrics.get("stop_reasons")
        or dict(Counter(r["stop_reason"] for r in records if r.get("stop_reason"))),
        "failures": metrics.get("failures") or dict(Counter(r["error_kind"] for r in records if r.get("error_kind"))),
    }


def _record_tokens(record: dict[str, Any], key: str) -> int:
    """A record's tokens: its own total, else the sum over the model calls of its trace's steps."""
    if record.get(key) is not None:
        return int(record[key] or 0)
    trace = record.get("trace")
    steps = trace.get("steps") if isinstance(trace, dict) else None
    calls = [c for s in steps or [] if isinstance(s, dict) for c in s.get("calls") or [] if isinstance(c, dict)]
    return sum(int(c.get(key) or 0) for c in calls)


def run_label(run: dict[str, Any]) -> str:
    """How a run is named in reports (and by ``--paired-against``): ``method (model)``."""
    model = run.get("model") or run.get("model_label")
    return run["method"] if not model else f"{run['method']} ({model})"



def comparison_table(runs: Sequence[dict[str, Any]]) -> str:
    """Rows: method (and model); columns: benchmark; cells: the primary metric in percent (then F1 and the
    judge's accuracy where a run of that benchmark has them; '-' where another run lacks one), with n."""
    benchmarks = sorted({r["benchmark"] for r in runs})
    shown: dict[str, list[str]] = {}  # per benchmark, every metric any of its runs has, primary first
    for r in runs:
        known = shown.setdefault(r["benchmark"], [])
        for m in _shown_metrics(r):
            if m not in known:
                known.append(m)
    rows: dict[str, dict[str, str]] = {}
    for r in runs:
        values = " / ".join(f"{100 * r[m]:.1f}" if m in r else "-" for m in shown[r["benchmark"]])
        rows.setdefault(run_label(r), {})[r["benchmark"]] = f"{values} (n={r['n']})"
    header = "| method | " + " | ".join(benchmarks) + " |"
    lines = [header, "|" + "---|" * (len(benchmarks) + 1)]
    for label, cells in rows.items():
        lines.append(f"| {label} | " + " | ".join(cells.get(b, "-") for b in benchmarks) + " |")
    legend = [f"{b}: {' / '.join(shown[b])}" for b in benchmarks]
    return "\n".join(lines) + "\n\nCells: " + "; ".join(legend) + " (percent).\n"


def _shown_metrics(run: dict[str, Any]) -> list[str]:
    """The primary metric, then the run's other scores (F1 beside EM, the judge's accuracy)."""
    primary = run["primary_metric"]
    others = [m for m in ("f1", "llm_accuracy", "strict_accuracy") if m in run and m != primary]
    return [primary, *others]


def speed_table(runs: Sequence[dict[str, Any]]) -> str:
    """One row per run: examples/s, the share of wall time outside model calls, tokens, failures and how the
    tasks stopped."""
    lines = [
        "| benchmark | method | n | examples/s | outside model calls | prompt tok/example | completion tok/example "
        "| failures | stopped by |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        n = max(1, r["n"])
        speed = r.get("examples_per_second")
        share = r.get("outside_model_share")
        tokens = r.get("tokens")
        failures = ", ".join(f"{k} {v}" for k, v in sorted(r.get("failures", {}).items())) or "-"
        stops = ", ".join(f"{k} {v}" for k, v in sorted(r.get("stop_reasons", {}).items())) or "-"
        lines.append(
            f"| {r['benchmark']} | {run_label(r)} | {r['n']} | {speed if speed is not None else '-'} | "
            f"{f'{100 * share:.2f}%' if share is not None else '-'} | {_per(tokens, 'prompt', n)} | "
            f"{_per(tokens, 'completion', n)} | {failures} | {stops} |"
        )
    return "\n".join(lines) + "\n"


def _per(tokens: dict[str, int] | None, kind: str, n: int) -> str:
    return f"{tokens.get(kind, 0) / n:.0f}" if tokens is not None else "-"


def time_table(runs: Sequence[dict[str, Any]]) -> str:
    """One row per run that recorded its stages: the share of task time in planning, grounding, tools (the
    largest named), and waiting on the rest of the batch, with the tasks' median and 95th-percentile time."""
    rows = [r for r in runs if r.get("stages")]
    if not rows:
        return ""
    lines = [
        "| benchmark | method | plan | ground | tools | largest tool | wait | task s p50 | task s p95 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        stages: dict[str, dict[str, float]] = r["stages"]
        share = {k: v.get("share", 0.0) for k, v in stages.items()}
        tools = {k[len("tool:") :]: v for k, v in share.items() if k.startswith("tool:")}
        top = max(tools.items(), key=lambda kv: kv[1]) if tools else None
        task = r.get("task_seconds") or {}
        lines.append(
            f"| {r['benchmark']} | {run_label(r)} | {100 * share.get('plan', 0):.1f}% | "
            f"{100 * share.get('ground', 0):.1f}% | {100 * sum(tools.values()):.1f}% | "
            f"{f'{top[0]} {100 * top[1]:.1f}%' if top else '-'} | {100 * share.get('wait', 0):.1f}% | "
            f"{task.get('p50', '-')} | {task.get('p95', '-')} |"
        )
    return "\n".join(lines) + "\n"


def views_section(runs: Sequence[dict[str, Any]], pages: Sequence[Path], base: Path | None = None) -> str:
    """Markdown links to each run's trajectory view (``lumos view``), relative to ``base`` when given."""
    lines = []
    for run, page in zip(runs, pages, strict=True):
        target = Path(os.path.relpath(page.resolve(), base.resolve())) if base is not None else page
        lines.append(f"- [{run['benchmark']}: {run_label(run)}]({target.as_posix()})")
    return "Trajectories of each run (`lumos view`):\n\n" + "\n".join(lines) + "\n"


def comparison_chart(runs: Sequence[dict[str, Any]], path: Path) -> Path:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ConfigError(
            "the chart needs matplotlib: pip install 'lumos-agents[eval]' (or pass --no-chart)"
        ) from exc
    benchmarks = sorted({r["benchmark"] for r in runs})
    methods = list(dict.fromkeys(run_label(r) for r in runs))
    width = 0.8 / max(1, len(methods))
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(benchmarks) * len(methods) / 2), 4.2))
    for i, m in enumerate(methods):
        values = []
        for b in benchmarks:
            match = [r for r in runs if run_label(r) == m and r["benchmark"] == b]
            values.append(
                100 * match[0][match[0]["primary_metric"]] if match else float("nan")
            )  # nan: no bar
        xs = [j + i * width for j in range(len(benchmarks))]
        bars = ax.bar(xs, values, width, label=m)
        ax.bar_label(bars, labels=[f"{v:.0f}" if v == v else "" for v in values], fontsize=7)
    ax.set_xticks([j + width * (len(methods) - 1) / 2 for j in range(len(benchmarks))], benchmarks)
    ax.set_ylabel("score (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=7, ncols=min(3, len(methods)))
    ax.set_title("primary metric by method and benchmark")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def intervals_table(runs: Sequence[dict[str, Any]], run_dirs: Sequence[Path]) -> str:
    """Each run's primary score with its 95 % interval (Wilson for 0/1 scores, bootstrap otherwise)."""
    from lumos.eval.stats import example_scores, interval

    lines = ["| benchmark | method | n | score | 95% interval |", "|---|---|---|---|---|"]
    for r, d in zip(runs, run_dirs, strict=True):
        scores = list(example_scores(d, r["primary_metric"]).values())
        if not scores:
            continue
        low, high = interval(scores)
        mean = sum(scores) / len(scores)
        lines.append(
            f"| {r['benchmark']} | {run_label(r)} | {len(scores)} | {100 * mean:.1f} | "
            f"{100 * low:.1f}-{100 * high:.1f} |"
        )
    return "\n".join(lines) + "\n"


def paired_table(runs: Sequence[dict[str, Any]], run_dirs: Sequence[Path], against: str) -> str:
    """Every run against the run labelled ``against`` on the same benchmark: an exact McNemar test on the
    examples both scored (0/1 primary metrics only)."""
    from lumos.eval.stats import example_scores, paired_test

    labels = {run_label(r) for r in runs} | {r["method"] for r in runs}
    if against not in labels:
        raise ConfigError(f"--paired-against {against!r} names no run; the runs are: {sorted(labels)}")
    references = {
        r["benchmark"]: d for r, d in zip(runs, run_dirs, strict=True) if against in (run_label(r), r["method"])
    }
    lines = [
        f"| benchmark | method | examples in common | right only here | right only in {against} "
        "| difference (points) | p (exact McNemar) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r, d in zip(runs, run_dirs, strict=True):
        ref = references.get(r["benchmark"])
        if ref is None or ref == d:
            continue
        metric = r["primary_metric"]
        test = paired_test(example_scores(d, metric), example_scores(ref, metric))
        lines.append(
            f"| {r['benchmark']} | {run_label(r)} | {test.n} | {test.only_a} | {test.only_b} | "
            f"{100 * test.difference:+.1f} | {test.p_value:.3g} |"
        )
    return "\n".join(lines) + "\n"
