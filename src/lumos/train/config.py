"""Training settings: one dataclass with help text, loadable from ``--config train.yaml``; flags override."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from lumos.errors import ConfigError
from lumos.records import check_keys, read_yaml

MODULES = ("plan", "ground", "cot", "direct", "integrated")


@dataclass
class TrainConfig:
    module: Literal["plan", "ground", "cot", "direct", "integrated"] = field(
        default="plan", metadata={"help": "which module's conversations to train on"}
    )
    formulation: Literal["iterative", "onetime"] = field(
        default="iterative", metadata={"help": "plan/ground: Lumos-I or Lumos-O conversations"}
    )
    base: str = field(
        default="default",
        metadata={"help": "base model: 'default' (embedded SmolLM2-135M), a hub name or a path"},
    )
    data: str = field(
        default="",
        metadata={
            "help": "training conversations: JSONL of {'messages': [...]} (from `lumos data build`, or the "
            "released Lumos annotations' {'dataset', 'id', 'messages'} rows as they are), or hf:NAME"
        },
    )
    style: str = field(
        default="",
        metadata={
            "help": "prompt style the data is written in: reference (Tulu turns, as the released Lumos "
            "models) or lumos; empty: the base model's own template (Tulu for ai2lumos/*)"
        },
    )
    eval_data: str = field(
        default="", metadata={"help": "held-out conversations for eval loss (default: a split of --data)"}
    )
    eval_fraction: float = field(
        default=0.05, metadata={"help": "share of --data held out when --eval-data is not given"}
    )
    out: str = field(
        default="runs/train", metadata={"help": "output directory (adapter or model, checkpoints, config)"}
    )
    lora_r: int = field(default=16, metadata={"help": "LoRA rank; 0 trains all weights (full fine-tuning)"})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA scaling"})
    lora_dropout: float = field(default=0.05, metadata={"help": "LoRA dropout"})
    lora_targets: str = field(
        default="all-linear", metadata={"help": "modules LoRA adapts ('all-linear' or comma list)"}
    )
    epochs: float = field(default=1.0, metadata={"help": "passes over the data"})
    max_steps: int = field(
        default=-1, metadata={"help": "stop after this many optimiser steps (-1: use epochs)"}
    )
    max_tokens: int = field(
        default=0, metadata={"help": "token budget: stop after about this many training tokens (0: none)"}
    )
    learning_rate: float = field(default=2e-4, metadata={"help": "peak learning rate"})
    batch_size: int = field(default=8, metadata={"help": "conversations per device step"})
    grad_accum: int = field(default=1, metadata={"help": "gradient accumulation steps"})
    max_length: int = field(
        default=768, metadata={"help": "longest tokenised conversation kept (longer ones are cut)"}
    )
    bf16: str = field(
        default="auto",
        metadata={
            "help": "bf16 mixed precision: auto (where the GPU, or the CPU's instructions, have it), true, false"
        },
    )
    group_by_length: bool = field(
        default=True, metadata={"help": "batch conversations of similar length together (less padding)"}
    )
    seed: int = field(default=0, metadata={"help": "random seed"})
    save_steps: int = field(default=200, metadata={"help": "checkpoint every N steps (for --resume)"})
    logging_steps: int = field(default=10, metadata={"help": "log the loss every N steps"})
    gradient_checkpointing: bool = field(
        default=False, metadata={"help": "recompute activations to save memory (slower; for large models)"}
    )
    resume: bool = field(default=False, metadata={"help": "resume from the last checkpoint in --out"})
    num_processes: int = field(
        default=1,
        metadata={
            "help": "processes to train on together (DDP, re-launched through accelerate): one a GPU, or CPU "
            "processes talking gloo; batch_size is per process"
        },
    )
    save_half: bool = field(
        default=True, metadata={"help": "save the final adapter in half precision (smaller files)"}
    )

    def __post_init__(self) -> None:
        if self.num_processes < 1:
            raise ConfigError(f"--num-processes must be at least 1, not {self.num_processes}")
        if self.module not in MODULES:
            raise ConfigError(f"--module must be one of {', '.join(MODULES)}, not {self.module!r}")
        if self.formulation not in ("iterative", "onetime"):
            raise ConfigError("--formulation must be iterative or onetime")
        if self.bf16 not in ("auto", "true", "false"):
            raise ConfigError("--bf16 must be auto, true or false")

    @classmethod
    def from_sources(cls, config_file: Path | None, overrides: dict[str, Any]) -> TrainConfig:
        values: dict[str, Any] = {}
        if config_file is not None:
            loaded = read_yaml(config_file, "--config file (a mapping of setting: value)", expect=dict) or {}
            check_keys(config_file, loaded, [f.name for f in fields(cls)], "the --config file")
            values.update(loaded)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
