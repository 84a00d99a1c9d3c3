"""Writing a run set as one self-contained HTML page: data once as JSON, CSS and script inline."""

from __future__ import annotations

import html
import json
import math
import secrets
from pathlib import Path
from typing import Any

from lumos.view.load import RunSet
from lumos.view.static import CSS, ERRORS_JS, JS


def page_data(runs: RunSet) -> dict[str, Any]:
    """The JSON the page reads: runs with their summaries and tasks, alignment, prompt chunks, images."""
    title = " vs ".join(r.label for r in runs.runs)
    return {
        "title": f"lumos view: {title}",
        "runs": [
            {
                "label": r.label,
                "kind": r.kind,
                "path": r.path,
                "summary": r.summary(),
                "config": r.config,
                "common": r.common,
                "tasks": r.tasks,
            }
            for r in runs.runs
        ],
        "rows": runs.aligned() if len(runs.runs) > 1 else None,
        "chunks": runs.prompts.chunks,
        "images": runs.images,
    }


def embed_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element: ``<``, ``>`` and ``&`` escaped, so ``</script>`` or
    ``<!--`` in a trajectory cannot end the element early."""
    try:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str, allow_nan=False)
    except ValueError:  # NaN or infinity (a score of nothing): not JSON, so the page would not parse it
        text = json.dumps(_finite(data), ensure_ascii=False, separators=(",", ":"), default=str)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def render_html(runs: RunSet) -> str:
    data = page_data(runs)
    nonce = secrets.token_urlsafe(16)
    # Only scripts carrying this page's nonce run, and nothing is fetched: defence in depth beside escaping.
    policy = (
        f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; "
        "base-uri 'none'; form-action 'none'"
    )
    compare_select = '<select id="f-cmp" hidden aria-label="compare runs"></select>'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(data["title"])}</title>
<link rel="icon" href="data:,">
<script nonce="{nonce}">{ERRORS_JS}</script>
<style>{CSS}</style>
</head>
<body>
<header><h1>{html.escape(data["title"])}</h1><div class="cards" id="cards"></div></header>
<div class="tools">
<input id="search" type="search" placeholder="search question, answer, steps... ( / )" aria-label="search">
<select id="f-status" aria-label="result"></select>
<select id="f-stop" aria-label="stop reason"></select>
<select id="f-kind" aria-label="error kind"></select>
{compare_select}
<span class="help">j/k or arrows: next/previous, /: search, Esc: clear</span>
<span class="count" id="count"></span>
</div>
<main><div id="list"><div id="spacer"></div></div><div id="detail"></div></main>
<script type="application/json" id="lumos-data">{embed_json(data)}</script>
<script nonce="{nonce}">{JS}</script>
</body>
</html>
"""


def write_view(runs: RunSet, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(runs), encoding="utf-8")
    return out
