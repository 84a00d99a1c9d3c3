"""Fine-tune one module (plan, ground, or a baseline) with LoRA or full training, over transformers and PEFT."""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import Annotated, Optional

import typer


def command(
    module: Annotated[Optional[str], typer.Option(help="plan, ground, cot, direct or integrated")] = None,
    formulation: Annotated[Optional[str], typer.Option(help="iterative or onetime (plan/ground)")] = None,
    base: Annotated[
        Optional[str], typer.Option(help="base model: 'default' (embedded SmolLM2-135M), hub name or path")
    ] = None,
    data: Annotated[
        Optional[str],
        typer.Option(
            help="conversations JSONL (from `lumos data build`, or released Lumos annotation rows), or hf:NAME"
        ),
    ] = None,
    style: Annotated[
        Optional[str],
        typer.Option(help="style the data is in: reference (trained on Tulu turns) or lumos (default)"),
    ] = None,
    eval_data: Annotated[
        Optional[str], typer.Option(help="held-out conversations (default: a split of --data)")
    ] = None,
    out: Annotated[Optional[str], typer.Option(help="output directory")] = None,
    lora_r: Annotated[Optional[int], typer.Option(help="LoRA rank; 0 = full fine-tuning")] = None,
    lora_alpha: Annotated[Optional[int], typer.Option(help="LoRA alpha")] = None,
    epochs: Annotated[Optional[float], typer.Option(help="passes over the data")] = None,
    max_steps: Annotated[Optional[int], typer.Option(help="stop after N optimiser steps")] = None,
    max_tokens: Annotated[Optional[int], typer.Option(help="token budget of training data")] = None,
    learning_rate: Annotated[Optional[float], typer.Option(help="peak learning rate")] = None,
    batch_size: Annotated[Optional[int], typer.Option(help="conversations per step")] = None,
    grad_accum: Annotated[Optional[int], typer.Option(help="gradient accumulation steps")] = None,
    max_length: Annotated[Optional[int], typer.Option(help="longest conversation in tokens")] = None,
    seed: Annotated[Optional[int], typer.Option(help="random seed")] = None,
    resume: Annotated[Optional[bool], typer.Option(help="resume from the last checkpoint in --out")] = None,
    bf16: Annotated[
        Optional[str], typer.Option(help="bf16 mixed precision: auto (where GPU or CPU has it), true, false")
    ] = None,
    group_by_length: Annotated[
        Optional[bool], typer.Option(help="batch conversations of similar length together")
    ] = None,
    num_processes: Annotated[
        Optional[int],
        typer.Option(help="train on N processes together (DDP through accelerate launch: GPUs, or CPU with gloo)"),
    ] = None,
    config: Annotated[
        Optional[Path], typer.Option(help="YAML file of TrainConfig settings; flags override it")
    ] = None,
) -> None:
    from lumos.train.config import TrainConfig
    from lumos.train.trainer import train

    given = dict(locals())
    overrides = {f.name: given.get(f.name) for f in fields(TrainConfig) if f.name in given}
    cfg = TrainConfig.from_sources(config, overrides)
    if not cfg.data:
        raise typer.BadParameter("--data is required (a conversations file from `lumos data build`)")
    if cfg.num_processes > 1 and not _launched():
        from lumos.train.launch import relaunch

        raise typer.Exit(relaunch(cfg))
    final = train(cfg)
    if not _launched() or os.environ.get("RANK", "0") == "0":
        print(f"saved {final}")


def _launched() -> bool:
    """Whether this process is one of a distributed launch (accelerate or torchrun set WORLD_SIZE)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def merge_command(
    adapter: Annotated[Path, typer.Argument(help="LoRA adapter directory")],
    out: Annotated[Path, typer.Option(help="where to save the merged model")],
    base: Annotated[
        Optional[str], typer.Option(help="base model (default: the one recorded in the adapter)")
    ] = None,
) -> None:
    """Fold a LoRA adapter into its base model and save the full model."""
    from lumos.train.trainer import merge

    print(f"saved {merge(adapter, out, base)}")
