"""The batch-first model interface every backend implements.

A request is a conversation (a list of ``{"role", "content"}`` messages); the backend applies its chat
template. ``generate`` takes many conversations at once and returns one :class:`Generation` each, in order. A
conversation that ends with an assistant message asks for that reply to be continued: the generation is the
text after it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypedDict


class Message(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


Conversation = Sequence[Message]

EndCheck = Callable[[str], "int | None"]
"""Given the text generated so far, where it should end (a character index), or None to go on."""


@dataclass
class GenerationParams:
    """Decoding settings shared by all backends."""

    max_tokens: int = 256
    stop: list[str] = field(default_factory=list)
    temperature: float = 0.0
    seed: int | None = None
    end_check: EndCheck | None = field(default=None, compare=False)
    """Ends a generation early where it returns an index, the text cut there (``finish_reason`` "end_check"):
    engines that generate step by step ask it after each new piece and stop at once; the others apply it to
    the finished text (:func:`apply_end_check`), which gives the same text."""


@dataclass
class Generation:
    """One completion and what it cost."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: Literal["stop", "length", "error", "end_check"] = "stop"
    seconds: float = 0.0


class Model(ABC):
    """A text generator. Subclasses load their weights once in ``__init__`` (or lazily) and serve batches."""

    name: str = "model"

    @abstractmethod
    def generate(self, conversations: Sequence[Conversation], params: GenerationParams) -> list[Generation]:
        """Generate one completion for every conversation, in the same order."""

    def close(self) -> None:  # noqa: B027 - a no-op by default, not abstract
        """Release resources (servers, sessions)."""

    def prompt_room(self, max_tokens: int) -> int | None:
        """The most prompt tokens a request for ``max_tokens`` new tokens can hold (longer prompts are cut at
        their start), or None where the backend does not know (a server)."""
        return None

    def count_tokens(self, conversation: Conversation) -> int:
        """The prompt tokens of ``conversation``; only asked where :meth:`prompt_room` is not None."""
        raise NotImplementedError(f"{type(self).__name__} does not count tokens")


def truncate_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """Cut ``text`` at the first stop string; report whether one was found."""
    cut = len(text)
    for s in stop:
        if s:
            i = text.find(s)
            if i != -1:
                cut = min(cut, i)
    return text[:cut], cut != len(text)


def apply_end_check(text: str, check: EndCheck | None) -> tuple[str, bool]:
    """``text`` cut where ``check`` ends it; whether it did."""
    at = None if check is None else check(text)
    return (text, False) if at is None else (text[:at], True)
