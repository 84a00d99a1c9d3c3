"""Chat templates that turn a conversation into the text a base model was trained on."""

from __future__ import annotations

from collections.abc import Sequence

from lumos.models.base import Message

TULU_ROLES = {"system": "<|system|>", "user": "<|user|>", "assistant": "<|assistant|>"}


def render_tulu(messages: Sequence[Message], add_generation_prompt: bool = True, eos: str = "</s>") -> str:
    """Tulu-style turns, as the released Lumos checkpoints were trained: ``<|user|>\\n...\\n<|assistant|>\\n``."""
    parts = []
    for m in messages:
        end = eos if m["role"] == "assistant" else ""
        parts.append(f"{TULU_ROLES[m['role']]}\n{m['content'].strip()}{end}\n")
    if add_generation_prompt:
        parts.append(TULU_ROLES["assistant"] + "\n")
    return "".join(parts)


def uses_tulu_template(model_name: str) -> bool:
    """The released Lumos checkpoints (``ai2lumos/...``) expect Tulu turns whatever their tokenizer says."""
    return model_name.lower().startswith("ai2lumos/") or "lumos_" in model_name.lower()
