"""`lumos train --num-processes 2`: two CPU processes (DDP over gloo, launched by accelerate) with the same
global batch follow the one-process loss curve, write one adapter that loads and runs, and resume."""

import json
import subprocess
import sys

import pytest
import yaml
from train_fixtures import tiny_data

torch = pytest.importorskip("torch")
peft = pytest.importorskip("peft")
transformers = pytest.importorskip("transformers")
pytest.importorskip("accelerate")

TOLERANCE = 1e-4
"""Largest relative difference allowed between the two curves' losses at a step. The arithmetic is the same
(the loss is normalised by the tokens of the whole global batch), so only the order of the sums differs:
measured here, 2.4e-7 at most."""


def train(tiny_base, data, out, *, processes, batch, steps, resume=False):
    settings = dict(
        module="plan", base=str(tiny_base), data=str(data), out=str(out), batch_size=batch, lora_r=4,
        learning_rate=5e-2, lora_dropout=0.0, max_steps=steps, logging_steps=1, save_steps=2, bf16="false",
        num_processes=processes, resume=resume, eval_fraction=0.1,
    )  # fmt: skip
    config = out.parent / f"{out.name}-{steps}.yaml"
    config.write_text(yaml.safe_dump(settings))
    done = subprocess.run(
        [sys.executable, "-m", "lumos.cli.main", "train", "--config", str(config)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    history = json.loads((out / "log_history.json").read_text())
    return {row["step"]: row["loss"] for row in history if "loss" in row}, done.stdout


@pytest.mark.slow
def test_two_cpu_processes_follow_the_one_process_curve_and_resume(tiny_base, tmp_path):
    data = tiny_data(tmp_path, 21)  # 19 to train on after the eval split: 4 full global batches of 4
    one, _ = train(tiny_base, data, tmp_path / "one", processes=1, batch=4, steps=4)
    two, printed = train(tiny_base, data, tmp_path / "two", processes=2, batch=2, steps=4)
    assert sorted(one) == sorted(two) == [1, 2, 3, 4]
    for step in one:
        assert two[step] == pytest.approx(one[step], rel=TOLERANCE), (step, one, two)
    assert len({round(loss, 3) for loss in one.values()}) > 1  # the weights moved
    assert printed.count("saved ") == 1  # only the first process reports (and writes)
    metrics = json.loads((tmp_path / "two" / "metrics.json").read_text())
    assert metrics["processes"] == 2

    final = tmp_path / "two" / "final"
    base = transformers.AutoModelForCausalLM.from_pretrained(tiny_base)
    model = peft.PeftModel.from_pretrained(base, str(final))
    ids = torch.tensor([[2, 4, 6, 16, 3]])
    assert model(input_ids=ids).logits.shape == (1, 5, base.config.vocab_size)

    resumed, _ = train(tiny_base, data, tmp_path / "two", processes=2, batch=2, steps=6, resume=True)
    assert sorted(resumed) == [1, 2, 3, 4, 5, 6]  # steps 1-4 from the checkpoint, then 5 and 6
    assert all(resumed[s] == two[s] for s in (1, 2, 3, 4))


@pytest.mark.parametrize("stage", [2, 3])
def test_the_zero_configs_pass_accelerates_own_parser(stage):
    from importlib import resources

    from accelerate.commands.config.config_args import load_config_from_file
    from accelerate.utils import DistributedType

    path = resources.files("lumos.train").joinpath("configs", f"accelerate_zero{stage}.yaml")
    config = load_config_from_file(str(path))
    assert config.distributed_type == DistributedType.DEEPSPEED
    assert config.deepspeed_config["zero_stage"] == stage


def test_a_config_accelerate_does_not_know_is_refused(tmp_path):
    from accelerate.commands.config.config_args import load_config_from_file

    bad = tmp_path / "bad.yaml"
    bad.write_text("compute_environment: LOCAL_MACHINE\ndistributed_type: DEEPSPEED\nzero_stagee: 2\n")
    with pytest.raises(ValueError, match="zero_stagee"):
        load_config_from_file(str(bad))


def test_the_relaunch_command(tmp_path):
    from lumos.train.config import TrainConfig
    from lumos.train.launch import launch_command

    cfg = TrainConfig(data="d.jsonl", out=str(tmp_path), num_processes=4)
    command = launch_command(cfg, tmp_path / "settings.yaml")
    assert command[1:3] == ["-m", "accelerate.commands.launch"]
    assert command[command.index("--num_processes") + 1] == "4"
    assert command[-3:] == ["train", "--config", str(tmp_path / "settings.yaml")]
