import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from annotate_fixtures import GSM8K_ROWS

from lumos.annotate.pipeline import annotate, done_ids, repair_jsonl
from lumos.errors import ConfigError


def _ids(path: Path) -> list[str]:
    return (
        [json.loads(line)["id"] for line in path.read_text().splitlines() if line.strip()]
        if path.exists()
        else []
    )


def test_teacher_free_run_writes_kept_and_rejected(tmp_path, svamp_sample):
    out = tmp_path / "svamp"
    summary = annotate("maths", "svamp", out, data=svamp_sample, limit=40, progress=False)
    assert summary.kept == 40 and summary.rejected == 0
    rec = json.loads((out / "annotations.jsonl").read_text().splitlines()[0])
    assert set(rec) >= {"task", "answer", "subgoals", "actions", "results", "source", "id"}
    assert len(rec["results"]) == len(rec["subgoals"])
    saved = json.loads((out / "summary.json").read_text())
    assert saved["total_kept"] == 40 and saved["kept_fraction"] == 1.0


def test_rejections_are_written_with_reasons(tmp_path, gsm8k_sample):
    out = tmp_path / "gsm8k"
    summary = annotate("maths", "gsm8k", out, data=gsm8k_sample, progress=False)
    assert summary.kept + summary.rejected == 300
    rows = [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]
    assert len(rows) == summary.rejected
    assert all(r["reason"] and r["message"] and r["id"] for r in rows)
    assert {r["reason"] for r in rows} <= {"no_steps", "wrong_answer", "unparseable_step", "execution_error"}


def test_resume_after_an_interruption(tmp_path, gsm8k_small):
    out = tmp_path / "run"
    calls = []

    def stop_after_five(kind, item_id):
        calls.append(item_id)
        if len(calls) == 5:
            raise RuntimeError("stopped")

    with pytest.raises(RuntimeError):
        annotate("maths", "gsm8k", out, data=gsm8k_small, progress=False, on_item=stop_after_five)
    assert len(done_ids(out)) == 5
    summary = annotate("maths", "gsm8k", out, data=gsm8k_small, progress=False)
    assert summary.skipped == 5 and summary.kept == len(GSM8K_ROWS) - 5
    ids = _ids(out / "annotations.jsonl") + _ids(out / "rejected.jsonl")
    assert len(ids) == len(set(ids)) == len(GSM8K_ROWS)
    again = annotate("maths", "gsm8k", out, data=gsm8k_small, progress=False)
    assert again.kept == 0 and again.skipped == len(GSM8K_ROWS)


def test_killed_process_resumes_without_duplicates(tmp_path, gsm8k_small):
    """A real SIGKILL in the middle of a run, then a restart."""
    out = tmp_path / "killed"
    script = textwrap.dedent(f"""
        import os, signal
        from lumos.annotate.pipeline import annotate
        n = 0
        def hook(kind, item_id):
            global n
            n += 1
            if n == 7:
                os.kill(os.getpid(), signal.SIGKILL)
        annotate("maths", "gsm8k", {str(out)!r}, data={str(gsm8k_small)!r}, progress=False, on_item=hook)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    assert len(_ids(out / "annotations.jsonl")) == 7
    # a line cut short by a kill is dropped on restart
    with (out / "annotations.jsonl").open("a") as f:
        f.write('{"task": "half a li')
    summary = annotate("maths", "gsm8k", out, data=gsm8k_small, progress=False)
    assert summary.skipped == 7
    ids = _ids(out / "annotations.jsonl")
    assert len(ids) == len(set(ids)) == len(GSM8K_ROWS)


def test_repair_jsonl(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": 1}\n{"id": 2}\n{"id"')
    repair_jsonl(path)
    assert path.read_text() == '{"id": 1}\n{"id": 2}\n'
    path.write_text('{"id"')
    repair_jsonl(path)
    assert path.read_text() == ""
    repair_jsonl(tmp_path / "missing.jsonl")


def test_configuration_errors(tmp_path, gsm8k_small):
    with pytest.raises(ConfigError, match="no teacher-free converter"):
        annotate("complex_qa", "strategyqa", tmp_path / "x", data=gsm8k_small, progress=False)
    with pytest.raises(ConfigError, match="maths domain"):
        annotate("complex_qa", "gsm8k", tmp_path / "x", data=gsm8k_small, progress=False)
    with pytest.raises(ConfigError, match="unknown source"):
        annotate("maths", "nope", tmp_path / "x", progress=False)


def test_fanoutqa_teacher_free(tmp_path, fanout_file):
    summary = annotate("complex_qa", "fanoutqa", tmp_path / "f", data=fanout_file, progress=False)
    assert (summary.kept, summary.rejected, dict(summary.reasons)) == (2, 1, {"no_evidence": 1})


@pytest.mark.skipif(os.environ.get("LUMOS_SKIP_SLOW") == "1", reason="slow tests switched off")
def test_progress_bar_runs(tmp_path, gsm8k_small):
    summary = annotate("maths", "gsm8k", tmp_path / "p", data=gsm8k_small, progress=True)
    assert summary.kept == len(GSM8K_ROWS)
