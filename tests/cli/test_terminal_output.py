"""Issue 27, group 6: text from models, users, files and pages reaches a terminal shown, never obeyed. Every
human-readable path writes control characters out as escapes; JSON output stays exact."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from lumos.cli.main import main
from lumos.format.types import Trajectory
from lumos.terminal import printable, safe_json

HOSTILE = "\x1b[2J\x1b]0;owned\x07\x00\x9b31m\u202e[/bold]"
RAW = ("\x1b", "\x07", "\x00", "\x9b", "\u202e")
IN_A_NAME = HOSTILE.replace("\x00", "").replace("/", "")  # what a file name can hold


def lumos(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """Run the ``lumos`` command in this process: (exit code, stdout, stderr)."""
    argv = sys.argv
    sys.argv = ["lumos", *map(str, args)]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = argv
    out = capsys.readouterr()
    return code, out.out, out.err


def strings(value: object) -> list[str]:
    """Every string inside a JSON value."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


def assert_shown_not_obeyed(text: str) -> None:
    assert not [c for c in RAW if c in text], repr(text[:300])
    assert "\\x1b[2J" in text and "\\x1b]0;owned\\x07" in text, repr(text[:300])


def test_printable_writes_controls_out_and_keeps_newlines_tabs_and_letters() -> None:
    assert printable(HOSTILE) == "\\x1b[2J\\x1b]0;owned\\x07\\x00\\x9b31m\\u202e[/bold]"
    assert printable("a\tb\nc é 中") == "a\tb\nc é 中"


def test_safe_json_is_exact_and_holds_no_raw_control() -> None:
    value = {"answer": HOSTILE, "n": [1, "é"]}
    text = safe_json(value)
    assert not [c for c in RAW if c in text] and "é" in text
    assert json.loads(text) == value


def test_run_shows_an_environment_s_steps_and_outcome_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    from lumos.cli.run import _show

    traj = Trajectory(task="t", answer="a", meta={"steps_taken": [f"step 1: {HOSTILE}"], "reward": 1.0,
                                                  "outcome": HOSTILE})
    _show([traj], json_out=False)
    out = capsys.readouterr().out
    assert_shown_not_obeyed(out)
    assert "step 1: " in out and "reward: 1.000" in out


def test_run_model_text_escaped_and_json_exact(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    model = tmp_path / "model.json"
    model.write_text(json.dumps({"responses": [], "default": f"The answer is {HOSTILE}"}))
    run = ["run", "--backend", "fake", "--model", model, "--formulation", "onetime", "Add 2 and 2."]
    code, out, err = lumos(capsys, *run)
    assert code == 0, err
    assert_shown_not_obeyed(out + err)
    code, out, err = lumos(capsys, *run, "--json")
    assert code == 0, err
    assert any(HOSTILE in s for s in strings(json.loads(out)))  # the trajectory keeps the exact text


def test_an_error_line_quoting_a_hostile_name_is_escaped(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = lumos(capsys, "run", "--backend", "fake", "--config", tmp_path / f"{IN_A_NAME}.yaml", "Add.")
    assert code == 2 and err.startswith("error: ")
    assert_shown_not_obeyed(err)


def test_exec_json_lines_are_exact_and_hold_no_raw_control(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "actions.jsonl"
    source.write_text(json.dumps({"id": HOSTILE, "actions": ["R1 = Calculator(2 + 3)"]}) + "\n")
    code, out, err = lumos(capsys, "exec", source)
    assert code == 0, err
    assert not [c for c in RAW if c in out]
    record = json.loads(out)
    assert record["id"] == HOSTILE and record["output"] == "5"


@pytest.fixture
def hostile_run(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> tuple[Path, str]:
    """An eval run whose label and answers are hostile; (run folder, what ``lumos eval`` printed)."""
    data = tmp_path / "gsm8k.jsonl"
    data.write_text(json.dumps({"question": f"What is 2 + 2? {HOSTILE}", "answer": "#### 4"}) + "\n")
    model = tmp_path / "model.json"
    model.write_text(json.dumps({"responses": [], "default": f"The answer is 4. {HOSTILE}"}))
    out = tmp_path / "run"
    args = ["eval", "gsm8k", "--data", data, "--backend", "fake", "--model", model, "--method", "direct"]
    code, stdout, err = lumos(capsys, *args, "--label", HOSTILE, "--no-progress", "--out", out)
    assert code == 0, err
    return out, stdout + err


def test_eval_summary_escapes_the_label(hostile_run: tuple[Path, str]) -> None:
    _, printed = hostile_run
    assert_shown_not_obeyed(printed)
    assert "[/bold]" in printed  # the label's markup is text


def test_report_to_the_terminal_is_escaped(capsys: pytest.CaptureFixture[str], hostile_run: tuple[Path, str]) -> None:
    run, _ = hostile_run
    code, out, err = lumos(capsys, "report", run, "--no-chart", "--no-views")
    assert code == 0, err
    assert_shown_not_obeyed(out + err)


def test_view_names_its_page_escaped(capsys: pytest.CaptureFixture[str], hostile_run: tuple[Path, str]) -> None:
    run, _ = hostile_run
    page = run.parent / f"view{IN_A_NAME}.html"
    code, out, err = lumos(capsys, "view", run, "--out", page)
    assert code == 0, err
    assert page.is_file() and out.startswith("view: ")
    assert_shown_not_obeyed(out + err)


def test_data_show_escapes_conversations(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    file = tmp_path / "plan.jsonl"
    messages = [{"role": "user", "content": HOSTILE}, {"role": "assistant", "content": "x" * 50_000}]
    file.write_text(json.dumps({"messages": messages}) + "\n")
    code, out, err = lumos(capsys, "data", "show", file)
    assert code == 0, err
    assert_shown_not_obeyed(out)


def test_prompt_render_escapes_the_task(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["prompt", "render", "--domain", "maths", "--module", "plan", "--task", HOSTILE]
    code, out, err = lumos(capsys, *args)
    assert code == 0, err
    assert_shown_not_obeyed(out)
    code, out, err = lumos(capsys, *args, "--json")
    assert code == 0, err
    assert not [c for c in RAW if c in out] and any(HOSTILE in s for s in strings(json.loads(out)))


def test_long_words_skip_the_quadratic_highlighter(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Group 4: rich's highlighter takes time quadratic in a word's length; no console of lumos runs it
    (benchmarks/print_speed.py has the timings)."""
    from rich.highlighter import ReprHighlighter

    def refuse(self: object, text: object) -> None:
        raise AssertionError("the highlighter ran")

    monkeypatch.setattr(ReprHighlighter, "highlight", refuse)
    file = tmp_path / "plan.jsonl"
    file.write_text(json.dumps({"messages": [{"role": "assistant", "content": "x" * 100_000}]}) + "\n")
    code, out, err = lumos(capsys, "data", "show", file)
    assert code == 0, err
    assert out.count("x") >= 100_000
