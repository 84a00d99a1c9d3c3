"""The batch-first model interface every backend implements.

A request is a conversation (a list of ``{"role", "content"}`` messages); the backend applies its chat
template. ``generate`` takes many conversations at once and returns one :class:`Generation` each, in order. A
conversation that ends with an assistant message asks for that reply to be continued: the generation is the
text after it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, TypedDict


class Message(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


Conversation = Sequence[Message]


@dataclass
class GenerationParams:
    """Decoding settings shared by all backends."""

    max_tokens: int = 256
    stop: list[str] = field(default_factory=list)
    temperature: float = 0.0
    seed: int | None = None


@dataclass
class Generation:
    """One completion and what it cost."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: Literal["stop", "length", "error"] = "stop"
    seconds: float = 0.0


class Model(ABC):
    """A text generator. Subclasses load their weights once in ``__init__`` (or lazily) and serve batches."""

    name: str = "model"

    @abstractmethod
    def generate(self, conversations: Sequence[Conversation], params: GenerationParams) -> list[Generation]:
        """Generate one completion for every conversation, in the same order."""

    def close(self) -> None:  # noqa: B027 - a no-op by default, not abstract
        """Release resources (servers, sessions)."""


def truncate_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """Cut ``text`` at the first stop string; report whether one was found."""
    cut = len(text)
    for s in stop:
        if s:
            i = text.find(s)
            if i != -1:
                cut = min(cut, i)
    return text[:cut], cut != len(text)
