"""``lumos train``: supervised fine-tuning of one module, a thin layer over transformers' Trainer and PEFT.

Conversations are rendered with the same chat template the ``hf`` backend uses at inference, tokenised once,
and labelled so that only assistant turns carry loss (their end-of-turn marker included, so the model learns
to stop). The plain Trainer, not TRL's SFTTrainer, because the rows arrive tokenised and labelled and
SFTTrainer's always-on token-accuracy and entropy head made CPU steps 1.5x slower (benchmarks/train_speed.py,
docs/training_speed.md); on CPUs with bfloat16 instructions the forward and backward run under bf16 autocast,
and batches are grouped by length: 2.0x the tokens/s of the SFTTrainer set-up at the same eval loss.
"""

from __future__ import annotations

import json
import logging
import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lumos.errors import ConfigError, require
from lumos.models.base import Message
from lumos.records import jsonl_rows
from lumos.train.config import TrainConfig

logger = logging.getLogger(__name__)


HUB_PREFIX = "hf:"
_ROLES = ("system", "user", "assistant")


def read_conversations(path: str | Path) -> list[list[Message]]:
    """Conversations from a JSONL file of rows with ``messages`` (``lumos data build``'s, or the released
    Lumos annotations' ``{"dataset", "id", "messages"}`` rows, taken as they are), or from the hub's
    ``train`` split of a dataset named ``hf:NAME``."""
    if str(path).startswith(HUB_PREFIX):
        return _hub_conversations(str(path)[len(HUB_PREFIX) :])
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"training data {p} does not exist; make it with `lumos data build`")
    rows = [(f"{p}:{n}", row) for n, row in jsonl_rows(p, "training data (rows with 'messages')")]
    if not rows:
        raise ConfigError(f"{p} holds no conversations")
    return [_checked_messages(where, row) for where, row in rows]


def _hub_conversations(name: str) -> list[list[Message]]:
    datasets = require("datasets", extra="train", purpose="reading training data from the hub")
    try:
        rows = datasets.load_dataset(name, split="train")
    except Exception as exc:  # the hub unreachable, a wrong name: say which, whatever the library raised
        raise ConfigError(f"--data hf:{name}: cannot load the dataset's train split ({exc})") from exc
    return [_checked_messages(f"hf:{name} row {n}", row) for n, row in enumerate(rows, 1)]


def _checked_messages(where: str, row: Any) -> list[Message]:
    messages = row.get("messages") if isinstance(row, dict) else None
    if not isinstance(messages, list):
        raise ConfigError(f"{where}: expected a JSON object with 'messages' (a list of role/content turns)")
    for m in messages:
        if not isinstance(m, dict) or m.get("role") not in _ROLES or not isinstance(m.get("content"), str):
            raise ConfigError(f"{where}: each message needs a role ({', '.join(_ROLES)}) and a content text")
    if not any(m["role"] == "assistant" for m in messages):
        raise ConfigError(f"{where}: the conversation has no assistant turn to learn from")
    return [{"role": m["role"], "content": m["content"]} for m in messages]


def render_with_spans(
    tokenizer: Any, messages: Sequence[Message], template: str
) -> tuple[str, list[tuple[int, int]]]:
    """The whole conversation as text, and the character spans of assistant turns (with their end marker)."""
    from lumos.models.templates import render_conversation

    spans: list[tuple[int, int]] = []
    text = ""
    for i, m in enumerate(messages):
        upto = render_conversation(tokenizer, messages[: i + 1], template, add_generation_prompt=False)
        if m["role"] == "assistant":
            prefix = render_conversation(tokenizer, messages[:i], template, add_generation_prompt=True)
            if not upto.startswith(prefix):
                raise ConfigError(
                    "the chat template does not render conversations incrementally; use --template tulu"
                )
            spans.append((len(prefix), len(upto)))
        text = upto
    return text, spans


def tokenize_conversations(
    tokenizer: Any, conversations: Sequence[Sequence[Message]], template: str, max_length: int
) -> list[dict[str, list[int]]]:
    rows = []
    for messages in conversations:
        text, spans = render_with_spans(tokenizer, messages, template)
        enc = tokenizer(
            text,
            add_special_tokens=False,
            return_offsets_mapping=True,
            truncation=True,
            max_length=max_length,
        )
        labels = [
            tok if any(s <= start < e for s, e in spans) else -100
            for tok, (start, _end) in zip(enc["input_ids"], enc["offset_mapping"], strict=False)
        ]
        if all(label == -100 for label in labels):
            continue  # the assistant turns were cut off by max_length
        rows.append({"input_ids": list(enc["input_ids"]), "labels": labels})
    return rows


def _budgeted(rows: list[dict[str, list[int]]], max_tokens: int) -> list[dict[str, list[int]]]:
    """The first rows whose tokens fit the budget (the same budget for every compared method)."""
    if max_tokens <= 0:
        return rows
    out, used = [], 0
    for r in rows:
        if used + len(r["input_ids"]) > max_tokens:
            break
        out.append(r)
        used += len(r["input_ids"])
    return out


def train(cfg: TrainConfig) -> Path:
    """Train one module; returns the directory with the adapter (LoRA) or full model."""
    torch = require("torch", extra="train", purpose="training")
    transformers = require("transformers", extra="train", purpose="training")
    from lumos.models.default import is_default_name, resolve_default
    from lumos.models.templates import pick_template
    from lumos.prompts.prompt_styles import load_style

    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    transformers.set_seed(cfg.seed)  # the LoRA weights' start, the same in every process and every run
    base = str(resolve_default()) if is_default_name(cfg.base) else cfg.base
    tokenizer = transformers.AutoTokenizer.from_pretrained(base)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    template = "tulu" if cfg.style and load_style(cfg.style).template == "tulu" else "auto"
    template = pick_template(template, [cfg.base, base], tokenizer)

    conversations = read_conversations(cfg.data)
    rng = random.Random(cfg.seed)
    if cfg.eval_data:
        train_convs, eval_convs = conversations, read_conversations(cfg.eval_data)
    else:
        shuffled = conversations[:]
        rng.shuffle(shuffled)
        n_eval = max(1, int(len(shuffled) * cfg.eval_fraction)) if len(shuffled) > 1 else 0
        eval_convs, train_convs = shuffled[:n_eval], shuffled[n_eval:]
    train_rows = _budgeted(
        tokenize_conversations(tokenizer, train_convs, template, cfg.max_length), cfg.max_tokens
    )
    eval_rows = tokenize_conversations(tokenizer, eval_convs, template, cfg.max_length)
    if not train_rows:
        raise ConfigError("no training conversation fits --max-length/--max-tokens")
    n_tokens = sum(len(r["input_ids"]) for r in train_rows)
    logger.info("training on %d conversations, %d tokens", len(train_rows), n_tokens)

    on_gpu = torch.cuda.is_available()
    use_bf16 = wants_bf16(cfg.bf16, torch)
    # on a GPU the weights themselves are bf16; on a CPU they stay float32 and only the matmuls run in bf16
    model = transformers.AutoModelForCausalLM.from_pretrained(
        base, dtype=torch.bfloat16 if use_bf16 and on_gpu else torch.float32
    )
    if cfg.lora_r > 0:
        peft = require("peft", extra="train", purpose="LoRA training")
        targets: str | list[str] = (
            cfg.lora_targets if cfg.lora_targets == "all-linear" else cfg.lora_targets.split(",")
        )
        peft_config = peft.LoraConfig(
            r=cfg.lora_r,
            lora_alpha=cfg.lora_alpha,
            lora_dropout=cfg.lora_dropout,
            target_modules=targets,
            task_type="CAUSAL_LM",
        )
        model = peft.get_peft_model(model, peft_config)
    if cfg.gradient_checkpointing:
        model.enable_input_require_grads()
    args = transformers.TrainingArguments(
        output_dir=str(out),
        num_train_epochs=cfg.epochs,
        max_steps=cfg.max_steps,
        learning_rate=cfg.learning_rate,
        per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.grad_accum,
        lr_scheduler_type="cosine",
        warmup_steps=max(1, int(0.03 * math.ceil(len(train_rows) / cfg.batch_size))),
        logging_steps=cfg.logging_steps,
        save_steps=cfg.save_steps,
        save_total_limit=2,
        eval_strategy="epoch" if eval_rows else "no",
        bf16=use_bf16,
        seed=cfg.seed,
        report_to=[],
        disable_tqdm=False,
        use_cpu=not on_gpu,
        gradient_checkpointing=cfg.gradient_checkpointing,
        remove_unused_columns=False,
        **_length_grouping(transformers, cfg.group_by_length),
    )
    trainer = transformers.Trainer(
        model=model,
        args=args,
        train_dataset=train_rows,  # a list of rows is a map-style dataset: no `datasets` needed
        eval_dataset=eval_rows or None,
        data_collator=transformers.DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=-100),
        processing_class=tokenizer,
    )
    main = trainer.is_world_process_zero()  # under DDP only the first process writes files
    if main:
        (out / "lumos_train_config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
    start = last_complete_checkpoint(out) if cfg.resume else None
    result = trainer.train(resume_from_checkpoint=str(start) if start else None)
    metrics: dict[str, Any] = dict(result.metrics)
    if eval_rows:
        metrics.update(trainer.evaluate())  # every process takes part; the metrics are gathered
    final = out / "final"
    if not main:
        return final
    metrics.update(
        {
            "train_conversations": len(train_rows),
            "train_tokens": n_tokens,
            "train_tokens_per_second": round(n_tokens * cfg.epochs / metrics["train_runtime"], 1)
            if cfg.max_steps < 0 and start is None and metrics.get("train_runtime")
            else None,  # a resumed run's runtime covers only its last part
            "bf16": use_bf16,
            "template": template,
            "processes": trainer.args.world_size,
        }
    )
    (out / "log_history.json").write_text(json.dumps(trainer.state.log_history, indent=1))
    trainer.model.save_pretrained(str(final))
    tokenizer.save_pretrained(str(final))
    if cfg.lora_r > 0:
        _record_base(final, cfg.base)
        if cfg.save_half:
            _halve_adapter(final)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, default=str))
    (final / "lumos_module.json").write_text(
        json.dumps(
            {"module": cfg.module, "formulation": cfg.formulation, "base": cfg.base, "template": template}
        )
    )
    return final


def last_complete_checkpoint(out: Path) -> Path | None:
    """The newest ``checkpoint-N`` in ``out`` that was written to the end (the trainer writes its
    ``trainer_state.json`` after the weights and optimizer state), so that a run stopped while saving resumes
    from the checkpoint before."""
    done = [p for p in out.glob("checkpoint-*") if p.name[11:].isdigit() and (p / "trainer_state.json").is_file()]
    return max(done, key=lambda p: int(p.name[11:]), default=None)


def _length_grouping(transformers: Any, on: bool) -> dict[str, Any]:
    """The length-grouped sampler under whichever name this transformers version gives it."""
    import inspect

    if "train_sampling_strategy" in inspect.signature(transformers.TrainingArguments).parameters:
        return {"train_sampling_strategy": "group_by_length" if on else "random"}
    return {"group_by_length": on}


def wants_bf16(setting: str, torch: Any) -> bool:
    """``--bf16``: true/false as said; auto where the GPU, or without one the CPU, computes in bfloat16."""
    if setting != "auto":
        return setting == "true"
    if torch.cuda.is_available():
        return bool(torch.cuda.is_bf16_supported())
    return cpu_has_bf16(torch)


def cpu_has_bf16(torch: Any) -> bool:
    """Whether oneDNN runs bfloat16 natively here (AVX-512 BF16 or AMX); elsewhere autocast would be slower."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def _record_base(folder: Path, base: str) -> None:
    """Name the base by what it is, not by this machine's cache path, so the adapter loads elsewhere."""
    from lumos.models.default import HUB_NAME, is_default_name

    path = folder / "adapter_config.json"
    config = json.loads(path.read_text())
    config["base_model_name_or_path"] = HUB_NAME if is_default_name(base) else base
    path.write_text(json.dumps(config, indent=2))


def _halve_adapter(folder: Path) -> None:
    """Store LoRA weights in float16: half the size, and the loaded adapter is cast back to the base dtype."""
    from safetensors.torch import load_file, save_file

    path = folder / "adapter_model.safetensors"
    if path.is_file():
        tensors = {k: v.half().contiguous() for k, v in load_file(str(path)).items()}
        save_file(tensors, str(path), metadata={"format": "pt"})


def merge(adapter: str | Path, out: str | Path, base: str | None = None) -> Path:
    """Fold a LoRA adapter into its base model and save the full model (``lumos merge``)."""
    peft = require("peft", extra="train", purpose="merging an adapter")
    transformers = require("transformers", extra="train")
    from lumos.models.default import is_default_name, resolve_default

    adapter = Path(adapter)
    info = (
        json.loads((adapter / "adapter_config.json").read_text())
        if (adapter / "adapter_config.json").is_file()
        else None
    )
    if info is None:
        raise ConfigError(f"{adapter} is not a LoRA adapter directory (no adapter_config.json)")
    name = base or info.get("base_model_name_or_path") or "default"
    base_path = str(resolve_default()) if is_default_name(name) else name
    model = transformers.AutoModelForCausalLM.from_pretrained(base_path)
    merged = peft.PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    out = Path(out)
    merged.save_pretrained(str(out))
    transformers.AutoTokenizer.from_pretrained(base_path).save_pretrained(str(out))
    return out
