"""A scripted model for tests and examples (like simonw/llm's ``MockModel``).

    model = FakeModel(["Subgoal 1: ...", "Subgoal 2: ..."])
    model.enqueue("one more reply")
    model.generate([[{"role": "user", "content": "hi"}]], GenerationParams())

Replies come, in order of preference, from the queue (``responses`` and :meth:`FakeModel.enqueue`), then from
``responder(conversation)``, then ``default``. Tokens are whitespace-separated words, so ``max_tokens`` and the
token counts are easy to reason about. Every conversation received is recorded in :attr:`FakeModel.calls`.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from lumos.errors import BackendError, ConfigError
from lumos.models.base import (
    Conversation,
    Generation,
    GenerationParams,
    Message,
    Model,
    apply_end_check,
    truncate_at_stop,
)

Responder = Callable[[Conversation], str]

_WORD = re.compile(r"\S+")


def count_words(text: str) -> int:
    """The fake tokenizer: one token per whitespace-separated word."""
    return len(text.split())


def first_words(text: str, n: int) -> str:
    """``text`` cut after its ``n``-th word, keeping the original spacing before it."""
    if n <= 0:
        return ""
    for i, match in enumerate(_WORD.finditer(text), start=1):
        if i == n:
            return text[: match.end()]
    return text


class FakeModel(Model):
    """Scripted replies; no weights, no network.

    Args:
        responses: replies served first, one per conversation, in order.
        default: the reply once the queue is empty (and no responder).
        responder: a function from the conversation to the reply, used once the queue is empty.
        latency: seconds slept once per :meth:`generate` call (not per conversation), so batching shows in
            wall time.
        name: the model name reported in logs and results.
        context: a context length in words (prompt and reply), for tests of what does not fit; None: unbounded.

    With neither a queued reply, a responder nor a default, :meth:`generate` raises :class:`BackendError`.
    """

    def __init__(
        self,
        responses: Sequence[str] | None = None,
        *,
        default: str | None = None,
        responder: Responder | None = None,
        latency: float = 0.0,
        name: str = "fake",
        context: int | None = None,
    ) -> None:
        if isinstance(responses, str):
            raise ConfigError("FakeModel(responses=...) takes a list of replies, not one string")
        if latency < 0:
            raise ConfigError(f"latency must be >= 0, not {latency}")
        if responses is None and name.endswith((".json", ".yaml", ".yml")):
            responses, default, latency = _script(name, default, latency)
        self.name = name
        self.context = context
        self.default = default
        self.responder = responder
        self.latency = latency
        self._queue: deque[str] = deque(responses or [])
        self._lock = threading.Lock()
        self.calls: list[list[Message]] = []
        """Every conversation received, in order (copies, so later edits by the caller do not show)."""
        self.batches: list[int] = []
        """The size of each :meth:`generate` call."""
        self.params: list[GenerationParams] = []
        """The parameters of each :meth:`generate` call."""

    def enqueue(self, *texts: str) -> FakeModel:
        """Add replies to the end of the queue; returns ``self`` for chaining."""
        with self._lock:
            self._queue.extend(texts)
        return self

    @property
    def remaining(self) -> int:
        """How many queued replies are left."""
        return len(self._queue)

    @property
    def last_conversation(self) -> list[Message]:
        if not self.calls:
            raise BackendError(f"{self.name}: no conversation received yet")
        return self.calls[-1]

    def reset(self) -> None:
        """Forget the queue and the recorded calls."""
        with self._lock:
            self._queue.clear()
            self.calls.clear()
            self.batches.clear()
            self.params.clear()

    def generate(self, conversations: Sequence[Conversation], params: GenerationParams) -> list[Generation]:
        if self.latency and conversations:
            time.sleep(self.latency)
        with self._lock:
            self.batches.append(len(conversations))
            self.params.append(params)
        out = []
        for conversation in conversations:
            started = time.perf_counter()
            text = _continuation(self._next_reply(conversation), conversation)
            share = self.latency / len(conversations)
            out.append(self._shape(text, conversation, params, share + time.perf_counter() - started))
        return out

    def prompt_room(self, max_tokens: int) -> int | None:
        return None if self.context is None else max(0, self.context - max_tokens)

    def count_tokens(self, conversation: Conversation) -> int:
        return sum(count_words(m["content"]) for m in conversation)

    def _next_reply(self, conversation: Conversation) -> str:
        with self._lock:
            self.calls.append([Message(role=m["role"], content=m["content"]) for m in conversation])
            index = len(self.calls)
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            reply = self.responder(conversation)
            if not isinstance(reply, str):
                raise BackendError(f"{self.name}: responder returned {type(reply).__name__}, not str")
            return reply
        if self.default is not None:
            return self.default
        raise BackendError(
            f"{self.name}: no scripted reply left for conversation #{index}; "
            "queue more with .enqueue(...), or pass default= or responder= to FakeModel"
        )

    def _shape(
        self, text: str, conversation: Conversation, params: GenerationParams, seconds: float
    ) -> Generation:
        text, _ = truncate_at_stop(text, params.stop)
        length = count_words(text) > params.max_tokens
        if length:
            text = first_words(text, params.max_tokens)
        text, ended = apply_end_check(text, params.end_check)
        return Generation(
            text=text,
            prompt_tokens=sum(count_words(m["content"]) for m in conversation),
            completion_tokens=count_words(text),
            finish_reason="end_check" if ended else "length" if length else "stop",
            seconds=seconds,
        )


def _continuation(reply: str, conversation: Conversation) -> str:
    """A scripted reply to a conversation that asks for its final assistant message to be continued: written
    whole, it is cut to the part after that start, as a real model would write only that part."""
    if conversation and conversation[-1]["role"] == "assistant":
        start = conversation[-1]["content"]
        if start and reply.startswith(start):
            return reply[len(start) :]
    return reply


def _script(path: str, default: str | None, latency: float) -> tuple[list[str], str | None, float]:
    """Replies from a script file, so the CLI can drive the fake backend: ``--plan-model plan.json``.

    The file holds a list of replies, or ``{"responses": [...], "default": "...", "latency": SECONDS}``
    (``latency``: seconds each generate call takes, a stand-in for a model's time in benchmarks)."""
    from pathlib import Path

    from lumos.records import read_yaml

    data = read_yaml(Path(path), "the fake backend's script file")  # JSON is YAML too
    if isinstance(data, list):
        return [str(x) for x in data], default, latency
    if isinstance(data, dict) and isinstance(data.get("responses", []), list):
        fallback = data.get("default", default)
        seconds = data.get("latency", latency)
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise ConfigError(
                f"fake backend: {path}: latency must be a number of seconds >= 0, not {seconds!r}"
            )
        return (
            [str(x) for x in data.get("responses", [])],
            None if fallback is None else str(fallback),
            float(seconds),
        )
    raise ConfigError(
        f"fake backend: {path} must hold a list of replies or {{'responses': [...], 'default': ..., 'latency': ...}}"
    )
