"""``lumos data build --domain web`` takes MiniWoB++ demonstrations beside Mind2Web's."""

from __future__ import annotations

import json
from pathlib import Path

from lumos.data.build import build
from lumos.prompts.modules import load_examples


def test_web_build_takes_miniwob_demonstrations(tmp_path: Path) -> None:
    demos = load_examples("miniwob")
    folder = tmp_path / "miniwob"
    folder.mkdir()
    (folder / "annotations.jsonl").write_text(
        "".join(json.dumps({**d.model_dump(), "source": "miniwob-solver"}) + "\n" for d in demos)
    )
    report = build([folder], tmp_path / "out", domain="web", heldout=0.0, modules=["ground_iterative"])
    assert not report.other_domain and not report.invalid
    rows = (tmp_path / "out" / "train" / "ground_iterative.jsonl").read_text().splitlines()
    assert len(rows) == len(demos)  # one conversation per task
    assert "CLICK(" in rows[0]

    math_only = build([folder], tmp_path / "out2", domain="maths", heldout=0.0, modules=["ground_iterative"])
    assert math_only.other_domain == {"miniwob": len(demos)}
