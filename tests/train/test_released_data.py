"""`lumos train --data` takes the released Lumos annotations' rows ({"dataset", "id", "messages"}) as they
are, in the reference style's Tulu turns."""

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")
transformers = pytest.importorskip("transformers")

from typer.testing import CliRunner  # noqa: E402

from lumos.cli.main import app  # noqa: E402
from lumos.errors import ConfigError  # noqa: E402
from lumos.train.trainer import read_conversations, tokenize_conversations  # noqa: E402

PLAN = "Please provide a reasonable subgoal-based plan to solve the given task.\nTask: Add 1 and 2.; "


def released_rows(n: int = 6) -> list[dict]:
    """Rows as the ai2lumos annotation datasets hold them."""
    return [
        {
            "dataset": "gsm8k",
            "id": f"gsm8k_{i}",
            "messages": [
                {"role": "user", "content": PLAN + "Initial Environment Description: None."},
                {"role": "assistant", "content": "Subgoal 1: Add 1 and 2."},
                {"role": "user", "content": "The executed result for Subgoal 1 is 3. Should we stop planning?"},
                {"role": "assistant", "content": "Yes, I will stop planning."},
            ],
        }
        for i in range(n)
    ]


def write(tmp_path, rows) -> str:
    path = tmp_path / "released.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_released_rows_are_read_as_they_are(tmp_path) -> None:
    convs = read_conversations(write(tmp_path, released_rows(2)))
    assert convs == [r["messages"] for r in released_rows(2)]


def test_tulu_labels_only_the_assistant_turns(tiny_base, tmp_path) -> None:
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_base)
    convs = read_conversations(write(tmp_path, released_rows(1)))
    (row,) = tokenize_conversations(tokenizer, convs, "tulu", 512)
    labelled = tokenizer.decode([t for t in row["labels"] if t != -100])
    assert labelled.startswith("Subgoal 1 : Add 1") and labelled.count("<|im_end|>") == 2
    assert "Task" not in labelled and "Should" not in labelled


def test_a_malformed_row_names_itself(tmp_path) -> None:
    rows = released_rows(2)
    rows[1]["messages"][0] = {"role": "human", "content": "hi"}
    with pytest.raises(ConfigError, match=r"released.jsonl:2: each message needs a role"):
        read_conversations(write(tmp_path, rows))


def test_lumos_train_takes_a_released_file_in_the_reference_style(tiny_base, tmp_path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "train", "--module", "plan", "--base", str(tiny_base), "--data", write(tmp_path, released_rows()),
        "--style", "reference", "--out", str(out), "--max-steps", "1", "--batch-size", "2", "--lora-r", "4",
    ])
    assert result.exit_code == 0, result.output
    assert (out / "final" / "adapter_config.json").is_file() or any(out.rglob("adapter_config.json"))
    assert json.loads((out / "lumos_train_config.json").read_text())["style"] == "reference"
