"""Chat templates that turn a conversation into the text a base model was trained on."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from lumos.errors import ConfigError
from lumos.models.base import Message

TULU_ROLES = {"system": "<|system|>", "user": "<|user|>", "assistant": "<|assistant|>"}

JOINER = "\u200c"  # zero-width non-joiner: invisible, and no tokenizer merges it into a marker
# Turn markers of the common chat templates (ChatML, Tulu, LLaMA-2, Gemma, end-of-text tokens).
_MARKERS = re.compile(r"<\|[^|<>\s]{1,40}\|>|</?s>|\[/?INST\]|<</?SYS>>|<(?:start|end)_of_turn>")


def defuse_markers(messages: Sequence[Message], specials: Iterable[str] = ()) -> list[Message]:
    """The messages with every chat-template marker in their text broken by an invisible joiner after its
    first character, so that a task, a page, an observation or a tool result cannot open or close a turn:
    the marker is then tokenized as plain text. ``specials`` adds a tokenizer's own special-token texts.
    Text without markers is returned unchanged."""
    extra = sorted({t for t in specials if len(t) > 1 and not t.isspace()}, key=len, reverse=True)
    pattern = _MARKERS if not extra else re.compile("|".join([_MARKERS.pattern, *map(re.escape, extra)]))
    defused: list[Message] = []
    for m in messages:
        content = m["content"]
        if pattern.search(content):
            content = pattern.sub(lambda hit: hit.group()[0] + JOINER + hit.group()[1:], content)
            m = {**m, "content": content}
        defused.append(m)
    return defused


def split_continuation(messages: Sequence[Message]) -> tuple[list[Message], str]:
    """A conversation that ends with an assistant message asks for that reply to be continued: the turns
    before it, and the reply's start (``""`` where the conversation ends with another turn)."""
    if messages and messages[-1]["role"] == "assistant":
        return list(messages[:-1]), messages[-1]["content"]
    return list(messages), ""


def render_tulu(messages: Sequence[Message], add_generation_prompt: bool = True, eos: str = "</s>") -> str:
    """Tulu-style turns, as the released Lumos checkpoints were trained: ``<|user|>\\n...\\n<|assistant|>\\n``."""
    parts = []
    for m in defuse_markers(messages, [eos]):
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


def render_prompt(tokenizer: Any, messages: Sequence[Message], template: str) -> str:
    """An inference prompt: the conversation with the assistant's turn opened, or, where the conversation ends
    with an assistant message, that reply's start written after the opened turn (to be continued)."""
    head, start = split_continuation(messages)
    return render_conversation(tokenizer, head, template) + start


def render_conversation(
    tokenizer: Any, messages: Sequence[Message], template: str, add_generation_prompt: bool = True
) -> str:
    """The text a model sees for a conversation: the same function renders inference prompts and training
    conversations, so the two cannot drift apart."""
    if template == "tulu":
        return render_tulu(
            messages, add_generation_prompt=add_generation_prompt, eos=tokenizer.eos_token or "</s>"
        )
    specials = getattr(tokenizer, "all_special_tokens", None) or []
    return str(
        tokenizer.apply_chat_template(
            defuse_markers(messages, specials), add_generation_prompt=add_generation_prompt, tokenize=False
        )
    )
