"""CPU training speed: ``lumos train`` (TRL's SFTTrainer) against a bare PyTorch loop on the same model, LoRA
set-up and conversations, then the bare loop with bfloat16 autocast, length-grouped batches, packing and
thread counts.

Usage: .venv/bin/python benchmarks/train_speed.py --data runs/data-maths/train/cot.jsonl
       [--steps 8] [--warmup 2] [--batch-size 4] [--max-length 512] [--variants lumos,bare,bf16,...]
       (make the data with the commands at the top of scripts/train_lumos_135m.sh)

Prints one line per variant: tokens/s over the timed steps (tokens that are not padding), seconds per step,
the mean training loss over the timed steps, and the eval loss on held-out conversations afterwards, so a
faster variant can be checked to learn as well. Each variant starts from the same fresh adapter and sees the
same conversations in the same order (packing and grouping rearrange them into other batches).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import tempfile
import time
from contextlib import nullcontext
from typing import Any

import torch

from lumos.models.default import resolve_default
from lumos.models.templates import pick_template
from lumos.train.config import TrainConfig
from lumos.train.trainer import read_conversations, tokenize_conversations, train

VARIANTS = ("lumos", "bare", "bf16", "grouped", "grouped-bf16", "packed-bf16", "bare-1thread", "bf16-1thread")


def lora_model(base: str, dtype: torch.dtype = torch.float32) -> Any:
    import peft
    import transformers

    model = transformers.AutoModelForCausalLM.from_pretrained(base, dtype=dtype)
    config = peft.LoraConfig(r=8, lora_alpha=16, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM")
    torch.manual_seed(0)
    return peft.get_peft_model(model, config)


def padded(rows: list[dict[str, list[int]]], pad_id: int) -> dict[str, torch.Tensor]:
    width = max(len(r["input_ids"]) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), -100, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        n = len(r["input_ids"])
        ids[i, :n] = torch.tensor(r["input_ids"])
        labels[i, :n] = torch.tensor(r["labels"])
        mask[i, :n] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}


def in_batches(rows: list[dict[str, list[int]]], size: int) -> list[list[dict[str, list[int]]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def grouped_batches(rows: list[dict[str, list[int]]], size: int) -> list[list[dict[str, list[int]]]]:
    """Batches of similar lengths (sorted within windows of 8 batches), in a shuffled order."""
    window = size * 8
    batches = []
    for i in range(0, len(rows), window):
        chunk = sorted(rows[i : i + window], key=lambda r: len(r["input_ids"]))
        batches += in_batches(chunk, size)
    random.Random(0).shuffle(batches)
    return batches


def packed_batches(rows: list[dict[str, list[int]]], size: int, length: int) -> list[list[dict[str, list[int]]]]:
    """Conversations laid end to end into rows of ``length`` tokens (attention crosses their borders)."""
    blocks: list[dict[str, list[int]]] = []
    ids: list[int] = []
    labels: list[int] = []
    for r in rows:
        if ids and len(ids) + len(r["input_ids"]) > length:
            blocks.append({"input_ids": ids, "labels": labels})
            ids, labels = [], []
        ids = ids + r["input_ids"]
        labels = labels + r["labels"]
    if ids:
        blocks.append({"input_ids": ids, "labels": labels})
    return in_batches(blocks, size)


def eval_loss(model: Any, rows: list[dict[str, list[int]]], pad_id: int, size: int) -> float:
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in in_batches(rows, size):
            b = padded(batch, pad_id)
            n = int((b["labels"][:, 1:] != -100).sum())
            total += float(model(**b).loss) * n
            count += n
    model.train()
    return total / max(count, 1)


def bare_loop(
    base: str, batches: list[list[dict[str, list[int]]]], eval_rows: list[dict[str, list[int]]], pad_id: int,
    args: argparse.Namespace, autocast: bool,
) -> dict[str, float]:
    model = lora_model(base)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=5e-4)
    context = torch.autocast("cpu", dtype=torch.bfloat16) if autocast else nullcontext()
    timed_tokens, losses, started = 0, [], 0.0
    for step, batch in enumerate(batches[: args.warmup + args.steps]):
        if step == args.warmup:
            started = time.perf_counter()
        b = padded(batch, pad_id)
        with context:
            loss = model(**b).loss
        loss.backward()
        optimiser.step()
        optimiser.zero_grad(set_to_none=True)
        if step >= args.warmup:
            timed_tokens += int(b["attention_mask"].sum())
            losses.append(float(loss))
    seconds = time.perf_counter() - started
    return {
        "tokens_per_s": timed_tokens / seconds,
        "s_per_step": seconds / max(len(losses), 1),
        "train_loss": sum(losses) / max(len(losses), 1),
        "eval_loss": eval_loss(model, eval_rows, pad_id, args.batch_size),
    }


def lumos_train(args: argparse.Namespace, rows: list[dict[str, list[int]]], conversations: list[Any]) -> dict[str, float]:
    """``lumos train`` as the CLI runs it, for one epoch over the same conversations (its runtime includes
    the warm-up steps, which the bare loop leaves out)."""
    with tempfile.TemporaryDirectory() as out:
        data = os.path.join(out, "data.jsonl")
        with open(data, "w") as f:
            f.writelines(json.dumps({"messages": m}) + "\n" for m in conversations)
        held_out = os.path.join(out, "eval.jsonl")
        with open(held_out, "w") as f:
            f.writelines(json.dumps({"messages": m}) + "\n" for m in read_conversations(args.eval_data)[: args.eval_n])
        cfg = TrainConfig(
            module="cot", data=data, eval_data=held_out, out=out, lora_r=8, lora_alpha=16,
            learning_rate=5e-4, batch_size=args.batch_size, max_length=args.max_length,
            save_steps=10_000, logging_steps=1, bf16=args.lumos_bf16,
        )
        train(cfg)
        with open(os.path.join(out, "metrics.json")) as f:
            metrics = json.load(f)
    steps = math.ceil(len(rows) / args.batch_size)
    return {
        "tokens_per_s": sum(len(r["input_ids"]) for r in rows) / metrics["train_runtime"],
        "s_per_step": metrics["train_runtime"] / steps,
        "train_loss": metrics["train_loss"],
        "eval_loss": metrics.get("eval_loss", math.nan),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="runs/data-maths/train/cot.jsonl")
    parser.add_argument("--eval-data", default="", help="held-out conversations (default: the heldout/ twin)")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--eval-n", type=int, default=24)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--lumos-bf16", default="auto", help="the lumos variant's --bf16 setting")
    args = parser.parse_args()
    if not os.path.isfile(args.data):
        raise SystemExit(f"{args.data} does not exist: build it with the data commands in scripts/train_lumos_135m.sh")
    args.eval_data = args.eval_data or args.data.replace("/train/", "/heldout/")

    import transformers

    base = str(resolve_default())
    tokenizer = transformers.AutoTokenizer.from_pretrained(base)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    template = pick_template("auto", ["default", base], tokenizer)
    n_rows = args.batch_size * (args.warmup + args.steps)
    conversations = read_conversations(args.data)[: n_rows * 2]
    rows = tokenize_conversations(tokenizer, conversations, template, args.max_length)
    eval_rows = tokenize_conversations(tokenizer, read_conversations(args.eval_data)[: args.eval_n], template, args.max_length)
    plain = in_batches(rows, args.batch_size)
    grouped = grouped_batches(rows, args.batch_size)
    packed = packed_batches(rows, args.batch_size, args.max_length)
    mean_tokens = sum(len(r["input_ids"]) for r in rows[:n_rows]) / n_rows
    print(
        f"data {args.data}: {len(rows)} conversations, {mean_tokens:.0f} tokens each on average; batch "
        f"{args.batch_size}, {args.warmup} warm-up + {args.steps} timed steps; torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads"
    )
    threads = torch.get_num_threads()
    print(f"{'variant':<14} {'tokens/s':>9} {'s/step':>7} {'train loss':>10} {'eval loss':>9}")
    for name in args.variants.split(","):
        torch.set_num_threads(1 if name.endswith("1thread") else threads)
        if name == "lumos":
            result = lumos_train(args, rows[:n_rows], conversations[:n_rows])
        elif name in ("bare", "bare-1thread"):
            result = bare_loop(base, plain, eval_rows, pad_id, args, autocast=False)
        elif name in ("bf16", "bf16-1thread"):
            result = bare_loop(base, plain, eval_rows, pad_id, args, autocast=True)
        elif name == "grouped":
            result = bare_loop(base, grouped, eval_rows, pad_id, args, autocast=False)
        elif name == "grouped-bf16":
            result = bare_loop(base, grouped, eval_rows, pad_id, args, autocast=True)
        elif name == "packed-bf16":
            result = bare_loop(base, packed, eval_rows, pad_id, args, autocast=True)
        else:
            raise SystemExit(f"unknown variant {name!r}; choose from {', '.join(VARIANTS)}")
        print(
            f"{name:<14} {result['tokens_per_s']:>9.1f} {result['s_per_step']:>7.2f} "
            f"{result['train_loss']:>10.3f} {result['eval_loss']:>9.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
