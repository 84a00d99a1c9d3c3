"""Draft tokens for the engine's last few generating requests, looked up in their own prompt and output.

An agent's outputs copy long runs of their prompt (a subgoal's question into ``ParagraphRetrieve(R1, Query:
...)``, a paragraph's sentence into a QA answer). When only a few requests of a batch are still generating, a
decoding step is bound by reading the weights, not by the number of tokens in it: checking four tokens of a
request costs about what one does. So the engine guesses the next tokens by finding the request's last few
tokens earlier in its prompt or output and taking what followed them there ("prompt lookup decoding"), feeds
the guesses with the request's last token, and keeps the guesses that match what greedy decoding picks. The
output is token for token what greedy decoding gives without drafts (tested); only the number of steps falls.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from lumos.errors import ConfigError
from lumos.models.base import GenerationParams
from lumos.models.llamacpp.state import EngineStats, Stream

DRAFT_TOKENS = 3
"""Tokens guessed ahead for each request in a drafting step."""
DRAFT_MAX_ACTIVE = 4
"""Drafting steps happen only while at most this many requests are generating: in a fuller batch each token
costs its share of the arithmetic, and wrong guesses are no longer nearly free."""


def draft_tokens_setting(value: int | None) -> int:
    """``value``, else ``LUMOS_DRAFT_TOKENS``, else :data:`DRAFT_TOKENS` (0: no drafting)."""
    if value is None:
        raw = os.environ.get("LUMOS_DRAFT_TOKENS", "").strip()
        try:
            value = int(raw) if raw else DRAFT_TOKENS
        except ValueError:
            raise ConfigError(f"LUMOS_DRAFT_TOKENS must be a whole number of tokens, not {raw!r}") from None
    if value < 0:
        raise ConfigError(f"draft_tokens must be 0 (no drafting) or more, not {value}")
    return value


def lookup_draft(history: Sequence[int], k: int, ngrams: Sequence[int] = (3, 2)) -> list[int]:
    """Up to ``k`` tokens that followed the latest earlier occurrence of ``history``'s last n tokens (the
    longest n of ``ngrams`` that occurs), or ``[]``."""
    if k <= 0:
        return []
    for n in ngrams:
        if len(history) <= n:
            continue
        key = list(history[-n:])
        first = key[0]
        # latest occurrence that ends before the key itself, so that something follows it
        for start in range(len(history) - n - 1, -1, -1):
            if history[start] == first and list(history[start : start + n]) == key:
                return list(history[start + n : start + n + k])
    return []


class Drafting:
    """The engine's drafted decoding steps."""

    _lib: Any
    _mem: Any
    n_ctx: int
    draft_tokens: int
    draft_max_active: int
    stats: EngineStats

    def _decode(self, items: list[tuple[int, int, int, bool]]) -> None:
        raise NotImplementedError

    def _pick(self, j: int, params: GenerationParams, rng: Any) -> int:
        raise NotImplementedError

    def _accept(
        self, s: Stream, tok: int, params: GenerationParams, stops: list[str], longest_stop: int
    ) -> None:
        raise NotImplementedError

    def _drafts(
        self, active: list[Stream], encoded: list[list[int]], params: GenerationParams
    ) -> list[list[int]]:
        """Tokens guessed ahead for each active request, all of one length (a request that found fewer is
        padded with guesses that will simply not be kept), or ``[]`` when this step is an ordinary one."""
        if not self.draft_tokens or params.temperature > 0 or len(active) > self.draft_max_active:
            return []
        k = min(
            self.draft_tokens,
            *(params.max_tokens - len(s.ids) for s in active),  # a guess past the token limit is never kept
            *(self.n_ctx - 1 - s.pos for s in active),
        )
        if k < 1:
            return []
        drafts = [lookup_draft(encoded[s.index] + s.ids, k) for s in active]
        width = max(len(d) for d in drafts)
        if width == 0:
            return []
        # llama.cpp decodes a batch in one piece only when every sequence in it has as many tokens
        return [d + [s.ids[-1]] * (width - len(d)) for d, s in zip(drafts, active, strict=True)]

    def _drafted_step(
        self,
        active: list[Stream],
        drafts: list[list[int]],
        params: GenerationParams,
        stops: list[str],
        longest_stop: int,
    ) -> None:
        """One step that feeds each request's last token and its drafts, and keeps the drafts up to the first
        one greedy decoding would not have picked (its pick replaces it); the cells of the rest are dropped."""
        width = len(drafts[0])
        items = []
        for s, draft in zip(active, drafts, strict=True):
            items += [(s.seq, tok, s.pos + j, True) for j, tok in enumerate([s.ids[-1], *draft])]
        self._decode(items)
        self.stats.draft_steps += 1
        self.stats.drafted_tokens += width * len(active)
        for r, (s, draft) in enumerate(zip(active, drafts, strict=True)):
            start = s.pos
            for j in range(width + 1):
                tok = self._pick(r * (width + 1) + j, params, None)  # greedy: drafting needs temperature 0
                s.pos = start + j + 1
                self._accept(s, tok, params, stops, longest_stop)
                self.stats.step_tokens += 1
                if s.done or j == width or tok != draft[j]:
                    break
                self.stats.accepted_draft_tokens += 1
            self._lib.llama_memory_seq_rm(self._mem, s.seq, s.pos, -1)
