"""Chat templates that turn a conversation into the text a base model was trained on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lumos.errors import ConfigError
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


def pick_template(choice: str, names: Sequence[str | None], tokenizer: Any) -> str:
    """Which template a tokenizer gets: ``tulu`` or ``native`` (its own chat template).

    ``auto`` picks tulu for the released Lumos checkpoints, else the tokenizer's template when it has one.
    """
    if choice == "tulu":
        return "tulu"
    has_native = bool(getattr(tokenizer, "chat_template", None))
    if choice == "native":
        if not has_native:
            raise ConfigError(
                "chat_template='native' but the tokenizer has no chat template; use 'tulu' or 'auto'"
            )
        return "native"
    if choice != "auto":
        raise ConfigError(f"chat_template must be auto, tulu or native, not {choice!r}")
    if any(n and uses_tulu_template(n) for n in names):
        return "tulu"
    return "native" if has_native else "tulu"


def render_conversation(
    tokenizer: Any, messages: Sequence[Message], template: str, add_generation_prompt: bool = True
) -> str:
    """The text a model sees for a conversation: the same function renders inference prompts and training
    conversations, so the two cannot drift apart."""
    if template == "tulu":
        return render_tulu(
            messages, add_generation_prompt=add_generation_prompt, eos=tokenizer.eos_token or "</s>"
        )
    return str(
        tokenizer.apply_chat_template(
            list(messages), add_generation_prompt=add_generation_prompt, tokenize=False
        )
    )
