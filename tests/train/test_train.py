"""One real training step on a tiny model on the CPU: parameters change and a loadable adapter is written."""

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")
transformers = pytest.importorskip("transformers")

from train_fixtures import tiny_data as _data  # noqa: E402

from lumos.errors import ConfigError  # noqa: E402
from lumos.train.config import TrainConfig  # noqa: E402
from lumos.train.trainer import (  # noqa: E402
    last_complete_checkpoint,
    read_conversations,
    tokenize_conversations,
    train,
)


def _tiny_config(tiny_base, tmp_path, **settings):
    """A quick LoRA run on the tiny model (large learning rate, so a few steps move the weights)."""
    base = dict(base=str(tiny_base), out=str(tmp_path / "out"), batch_size=4, lora_r=4, learning_rate=5e-2)
    return TrainConfig(module="plan", save_steps=1000, logging_steps=1, **{**base, **settings})


def test_only_assistant_turns_carry_loss(tiny_base, tmp_path):
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_base)
    convs = read_conversations(_data(tmp_path, 1))
    (row,) = tokenize_conversations(tokenizer, convs, "native", 512)
    labelled = tokenizer.decode([t for t in row["labels"] if t != -100])
    assert "Subgoal" in labelled and "user" not in labelled
    assert row["labels"][0] == -100


def test_one_lora_step_changes_weights_and_saves_a_loadable_adapter(tiny_base, tmp_path):
    peft = pytest.importorskip("peft")
    final = train(_tiny_config(tiny_base, tmp_path, data=str(_data(tmp_path)), max_steps=2))
    assert (final / "adapter_config.json").is_file() and (final / "adapter_model.safetensors").is_file()
    base = transformers.AutoModelForCausalLM.from_pretrained(tiny_base)
    before = {k: v.clone() for k, v in base.state_dict().items()}
    loaded = peft.PeftModel.from_pretrained(base, str(final))
    merged = loaded.merge_and_unload()
    changed = [k for k, v in merged.state_dict().items() if k in before and not torch.equal(v, before[k])]
    assert changed, "training left every weight as it was"
    meta = json.loads((final / "lumos_module.json").read_text())
    assert meta["module"] == "plan"
    assert (tmp_path / "out" / "lumos_train_config.json").is_file()


def test_bad_data_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "no messages"}\n')
    with pytest.raises(ConfigError, match="messages"):
        read_conversations(bad)
    with pytest.raises(ConfigError, match="lumos data build"):
        read_conversations(tmp_path / "missing.jsonl")
    with pytest.raises(ConfigError, match="module"):
        TrainConfig(module="everything")  # type: ignore[arg-type]


def test_bf16_setting_follows_the_hardware_unless_forced():
    from lumos.train.trainer import cpu_has_bf16, wants_bf16

    assert wants_bf16("true", torch) and not wants_bf16("false", torch)
    if not torch.cuda.is_available():
        assert wants_bf16("auto", torch) == cpu_has_bf16(torch)


def test_training_under_bf16_autocast_on_cpu_learns(tiny_base, tmp_path):
    """bf16 autocast with float32 weights (what `auto` picks on CPUs with bf16 instructions) lowers the loss."""
    held_out = tmp_path / "held_out"
    held_out.mkdir()
    cfg = _tiny_config(
        tiny_base, tmp_path, data=str(_data(tmp_path, 16)), eval_data=str(_data(held_out, 4)), epochs=3, bf16="true"
    )
    final = train(cfg)
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["bf16"] is True and metrics["train_tokens_per_second"] > 0
    (state,) = (tmp_path / "out").glob("checkpoint-*/trainer_state.json")
    logged = json.loads(state.read_text())["log_history"]
    losses = [entry["loss"] for entry in logged if "loss" in entry]
    assert losses[-1] < losses[0]
    assert (final / "adapter_model.safetensors").is_file()


def test_resume_skips_a_checkpoint_left_half_written(tmp_path):
    assert last_complete_checkpoint(tmp_path) is None
    for step, complete in ((5, True), (10, True), (15, False)):  # stopped while writing checkpoint-15
        folder = tmp_path / f"checkpoint-{step}"
        folder.mkdir()
        (folder / "adapter_model.safetensors").write_bytes(b"")
        if complete:
            (folder / "trainer_state.json").write_text("{}")
    (tmp_path / "checkpoint-x").mkdir()
    assert last_complete_checkpoint(tmp_path) == tmp_path / "checkpoint-10"
