"""One ``llama_decode`` call over a batch, the token picked from its logits, and a request's stop and result: a
part of :class:`~lumos.models.llamacpp.engine.LlamaCppModel`."""

from __future__ import annotations

import time
from typing import Any

from lumos.errors import BackendError
from lumos.models.base import Generation, GenerationParams, truncate_at_stop
from lumos.models.llamacpp.state import CachedSequence, EngineStats, Stream


class Decoding:
    """The engine's decoding primitives: feed a batch, pick a token, accept it into its stream, finish."""

    _lib: Any
    _ctx: Any
    _mem: Any
    _batch: Any
    _prefixes: list[CachedSequence]
    _slots: list[CachedSequence]
    _eog: list[bool]
    n_vocab: int
    name: str
    stats: EngineStats

    def _text_piece(self, token: int) -> bytes:
        raise NotImplementedError

    def _decode(self, items: list[tuple[int, int, int, bool]]) -> None:
        """One ``llama_decode`` call over ``(sequence, token, position, wants_logits)`` items.

        A lone token takes another code path in llama.cpp (other rounding), so it gets a companion: a throwaway
        token at the end of a prefix sequence, removed right after.
        """
        pad = None
        if len(items) == 1:
            pad = next((p for p in self._prefixes if p.seq != items[0][0]), None)
            if pad is not None:
                items = [*items, (pad.seq, 0, len(pad.tokens), False)]
        b = self._batch
        for k, (seq, tok, pos, logits) in enumerate(items):
            b.token[k] = tok
            b.pos[k] = pos
            b.n_seq_id[k] = 1
            b.seq_id[k][0] = seq
            b.logits[k] = logits
        b.n_tokens = len(items)
        started = time.perf_counter()
        rc = self._lib.llama_decode(self._ctx, b)
        self.stats.decode_seconds += time.perf_counter() - started
        self.stats.decode_calls += 1
        self.stats.decoded_tokens += len(items)
        if pad is not None:
            self._lib.llama_memory_seq_rm(self._mem, pad.seq, len(pad.tokens), -1)
        if rc != 0:
            # a failed call may leave part of the batch in the cache: forget every cached prefix
            self._lib.llama_memory_clear(self._mem, True)
            for p in [*self._prefixes, *self._slots]:
                p.tokens = []
            raise BackendError(f"{self.name}: llama_decode failed with code {rc}")

    def _pick(self, j: int, params: GenerationParams, rng: Any) -> int:
        import numpy as np

        logits = np.ctypeslib.as_array(self._lib.llama_get_logits_ith(self._ctx, j), shape=(self.n_vocab,))
        if rng is None:
            return int(np.argmax(logits))
        z = logits.astype(np.float64) / params.temperature
        z -= z.max()
        p = np.exp(z)
        p /= p.sum()
        return int(rng.choice(self.n_vocab, p=p))

    def _accept(
        self, s: Stream, tok: int, params: GenerationParams, stops: list[str], longest_stop: int
    ) -> None:
        s.ids.append(tok)
        if self._eog[tok]:  # an end-of-generation token: generated, so counted, but not part of the text
            s.done, s.finish = True, "stop"
            return
        s.text += self._text_piece(tok)
        if stops:
            start = max(0, s.checked - longest_stop + 1)
            tail = bytes(s.text[start:]).decode("utf-8", errors="replace")
            s.checked = len(s.text)
            if any(x in tail for x in stops):
                s.done, s.finish = True, "stop"
                return
        if params.end_check is not None:
            text, _ = truncate_at_stop(bytes(s.text).decode("utf-8", errors="replace"), stops)
            s.cut = params.end_check(text)
            if s.cut is not None:
                s.done, s.finish = True, "end_check"
                return
        if len(s.ids) >= params.max_tokens:
            s.done, s.finish = True, "length"

    def _finish(self, s: Stream, prompt_tokens: int, stops: list[str], seconds: float) -> Generation:
        self.stats.generated_tokens += len(s.ids)
        text, _ = truncate_at_stop(bytes(s.text).decode("utf-8", errors="replace"), stops)
        if s.cut is not None:
            text = text[: s.cut]
        return Generation(
            text=text,
            prompt_tokens=prompt_tokens,
            completion_tokens=len(s.ids),
            finish_reason=s.finish,  # type: ignore[arg-type]
            seconds=seconds,
        )
