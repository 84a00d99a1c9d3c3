"""``lumos train --num-processes N``: the same run re-launched as N processes by ``accelerate launch``.

accelerate starts the processes (through torchrun) and the Trainer joins them into one DDP group: NCCL on
GPUs, gloo on a CPU. The resolved settings travel as a YAML file in the output folder, so every process trains
exactly what the first command was given. For DeepSpeed ZeRO, call accelerate yourself with one of the shipped
configs: ``accelerate launch --config_file src/lumos/train/configs/accelerate_zero2.yaml -m lumos.cli.main
train ...``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from lumos.errors import require
from lumos.train.config import TrainConfig

LAUNCH_FILE = "lumos_launch_config.yaml"


def launch_command(cfg: TrainConfig, settings: Path) -> list[str]:
    """The ``accelerate launch`` command line that trains ``settings`` on ``cfg.num_processes`` processes."""
    return [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--multi_gpu",  # accelerate's name for "several processes through torchrun"; on a CPU they use gloo
        "--num_processes",
        str(cfg.num_processes),
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",  # the Trainer sets bf16 itself (TrainConfig.bf16)
        "--dynamo_backend",
        "no",
        "-m",
        "lumos.cli.main",
        "train",
        "--config",
        str(settings),
    ]


def relaunch(cfg: TrainConfig) -> int:
    """Run the training as ``cfg.num_processes`` processes and wait; their exit status."""
    require("accelerate", extra="train", purpose="training on several processes")
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    settings = out / LAUNCH_FILE
    settings.write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    return subprocess.call(launch_command(cfg, settings))
