"""Which KV-cache sequence a prompt is evaluated in, and the cached prefixes its batch shares (see the package
docstring): a part of :class:`~lumos.models.llamacpp.engine.LlamaCppModel`."""

from __future__ import annotations

from typing import Any

from lumos.models.llamacpp.state import CachedSequence, EngineStats, chunks, common_prefix

MIN_SHARED = 32
"""Prompts sharing fewer leading tokens are not worth a cached prefix."""


class PrefixCache:
    """The engine's prefix and request sequences: claimed for prompts, cached for families of prompts."""

    _lib: Any
    _mem: Any
    _prefixes: list[CachedSequence]
    _slots: list[CachedSequence]
    _clock: int
    prefix_cache: bool
    n_batch: int
    stats: EngineStats

    def _decode(self, items: list[tuple[int, int, int, bool]]) -> None:
        raise NotImplementedError

    def _tick(self) -> int:
        self._clock += 1
        return self._clock

    def _claim(self, free: list[CachedSequence], ids: list[int]) -> tuple[CachedSequence, int]:
        """Take the request sequence to evaluate ``ids`` in, and how many of its leading tokens are cached.

        A sequence whose whole content the prompt continues (the same conversation, one turn longer) is used
        as it is. Otherwise the least recently used sequence starts as a copy of the cached prefix or kept
        conversation that covers most of the prompt, so no other conversation is cut short. At least two
        prompt tokens are always left to evaluate.
        """
        lib, mem = self._lib, self._mem
        cap = len(ids) - 2
        reuse, source = 0, None
        if self.prefix_cache:
            scored = [
                (common_prefix(p.tokens, ids), k < len(free), p.used, p)
                for k, p in enumerate([*free, *self._prefixes])
            ]
            common, _, _, source = max(scored, key=lambda m: m[:3])
            reuse = min(common, cap)
            if source in free and common >= min(len(source.tokens), cap) and reuse >= 2:
                lib.llama_memory_seq_rm(mem, source.seq, reuse, -1)
                return self._taken(free, source, ids, reuse)
        slot = min(free, key=lambda p: p.used)
        if reuse >= 2 and source is slot:
            lib.llama_memory_seq_rm(mem, slot.seq, reuse, -1)
        else:
            lib.llama_memory_seq_rm(mem, slot.seq, -1, -1)
            if reuse >= 2 and source is not None:
                lib.llama_memory_seq_cp(mem, source.seq, slot.seq, -1, -1)  # a whole-sequence copy
                lib.llama_memory_seq_rm(mem, slot.seq, reuse, -1)
            else:
                reuse = 0
        return self._taken(free, slot, ids, reuse)

    def _taken(
        self, free: list[CachedSequence], slot: CachedSequence, ids: list[int], reuse: int
    ) -> tuple[CachedSequence, int]:
        free.remove(slot)
        slot.tokens = ids[:reuse]
        slot.used = self._tick()
        return slot, reuse

    def _cache_prefixes(self, prompts: list[list[int]]) -> None:
        """Cache the prefixes that the group's prompts (sorted) share, so that each is evaluated once.

        Adjacent prompts sharing at least ``MIN_SHARED`` tokens form a family; the largest families' common
        prefixes go into the prefix sequences (extending or trimming a cached prefix where they overlap). A
        prompt alone is cached when it extends a cached prefix (a conversation that grows call after call).
        """
        families: list[tuple[int, list[int]]] = []  # (tokens saved, prefix)
        start = 0
        for k in range(1, len(prompts) + 1):
            if k == len(prompts) or common_prefix(prompts[k - 1], prompts[k]) < MIN_SHARED:
                run = prompts[start:k]
                shared = min(common_prefix(run[0], run[-1]), *(len(p) - 2 for p in run))
                if len(run) > 1 and shared >= MIN_SHARED:
                    families.append(((len(run) - 1) * shared, run[0][:shared]))
                elif len(run) == 1 and shared >= MIN_SHARED:
                    best = max(self._prefixes, key=lambda p: common_prefix(p.tokens, run[0]))
                    covered = max(common_prefix(p.tokens, run[0]) for p in self._slots)
                    if best.tokens and len(best.tokens) == common_prefix(best.tokens, run[0]) > covered:
                        families.append((0, run[0][:shared]))
                start = k
        families.sort(key=lambda f: f[0], reverse=True)
        for _, prefix in families[: len(self._prefixes)]:
            self._cached_prefix(prefix)

    def _cached_prefix(self, tokens: list[int]) -> CachedSequence:
        """A prefix sequence holding ``tokens`` (or all but the last), evaluating only what is not cached."""
        lib, mem = self._lib, self._mem
        self._tick()
        keep, _, best = max(
            ((common_prefix(p.tokens, tokens), p.used, p) for p in self._prefixes), key=lambda m: m[:2]
        )
        target = best
        if best.tokens and keep < len(best.tokens) // 2:
            # another family of prompts: leave ``best`` to it and use the least recently used slot
            others = [p for p in self._prefixes if p is not best]
            if others:
                target = min(others, key=lambda p: p.used)
                lib.llama_memory_seq_rm(mem, target.seq, -1, -1)
                target.tokens = []
                if keep >= 2:  # start from the part it shares with ``best`` rather than evaluate it again
                    lib.llama_memory_seq_cp(mem, best.seq, target.seq, -1, -1)
                    target.tokens = list(best.tokens)
        if keep < len(target.tokens):
            lib.llama_memory_seq_rm(mem, target.seq, keep, -1)
            del target.tokens[keep:]
        target.used = self._clock
        if len(tokens) - len(target.tokens) == 1:  # a lone token would be computed another way: leave it out
            tokens = tokens[:-1]
        for lo, chunk in chunks(tokens, len(target.tokens), self.n_batch):
            self._decode([(target.seq, t, lo + j, False) for j, t in enumerate(chunk)])
            target.tokens.extend(chunk)
            self.stats.evaluated_prompt_tokens += len(chunk)
        return target
