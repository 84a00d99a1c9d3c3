"""The llama.cpp engine: batched decoding over shared weights, with cached prompt prefixes (see the package
docstring)."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import threading
import time
from collections.abc import Sequence
from typing import Any

from lumos.errors import BackendError, ConfigError
from lumos.models.base import Conversation, Generation, GenerationParams, Model
from lumos.models.default import DEFAULT_MODEL, is_default_name, merges_lora
from lumos.models.llamacpp.decoding import Decoding
from lumos.models.llamacpp.drafts import DRAFT_MAX_ACTIVE, Drafting, draft_tokens_setting
from lumos.models.llamacpp.prefixes import PrefixCache
from lumos.models.llamacpp.state import CachedSequence, EngineStats, Stream, chunks
from lumos.models.llamacpp.templates import CHAT_TEMPLATES, pick_template
from lumos.models.llamacpp.text import TokenText
from lumos.models.llamacpp.weights import (
    SharedWeights,
    acquire_weights,
    import_llama_cpp,
    lora_adapter,
    merged_default,
    release_weights,
    resolve_lora,
    resolve_model,
    thread_count,
)

logger = logging.getLogger(__name__)

_DEFAULT_WEIGHTS = ("q8_0", "shipped", "f32")


# The order of the parts matters: each part's methods come before the stubs that other parts declare for them
# (TokenText before Decoding, Decoding before PrefixCache and Drafting).
class LlamaCppModel(TokenText, Decoding, PrefixCache, Drafting, Model):
    """A GGUF model served in-process by llama.cpp.

    Args:
        model: ``None``/``"default"`` (the embedded SmolLM2-135M-Instruct GGUF) or the path of a ``.gguf`` file.
        lora: a LoRA adapter to lay over ``model``: a GGUF adapter file or a PEFT adapter folder (converted once
            into ``adapter.gguf`` in that folder, again whenever the adapter weights are newer).
        n_ctx: the longest prompt plus completion of one request, in tokens; longer prompts keep their end.
        n_threads: CPU threads; default: every core this process may use. On a machine busy with other work,
            fewer threads than cores is much faster (llama.cpp's threads wait for each other by spinning).
        chat_template: ``"auto"`` (as the hf backend: Tulu for ``ai2lumos/...`` models, else the GGUF's own
            template, else Tulu), ``"tulu"`` or ``"native"``.
        seed: the sampling seed when ``GenerationParams.seed`` is not set (temperature > 0 only).
        batch_size: most requests decoded together.
        prefix_slots: how many shared prompt prefixes stay cached between calls (2: the planner's and the
            grounder's, when one model serves both).
        prefix_cache: reuse cached prefixes at all (off: every prompt is evaluated in full; for measurements).
        keep_conversations: how many finished requests (prompt and completion) stay cached, so that a
            conversation sent again with one more turn is evaluated from where it stopped (at least
            ``batch_size``; set it to the number of tasks an agent runs at once).
        n_gpu_layers: layers to offload when llama.cpp was built with a GPU backend (0: CPU only).
        lora_scale: multiplies the adapter's own scale (``alpha / rank``).
        merge_lora: on the embedded default, lay the adapter into a float32 copy of the weights (once, cached)
            rather than apply it at every step over 8-bit weights: prompts ran 1.5-2x faster here, decoding as
            fast, and the weights are exactly those the adapter was trained over. Other models keep the adapter
            attached. Unset: ``LUMOS_MERGE_LORA`` (0: attach), else merged.
        default_weights: for the embedded default only: ``"q8_0"`` (the shipped 4-bit weights re-quantized to
            8 bits once, into the lumos cache: faster batches) or ``"shipped"`` (the 4-bit file as it is:
            faster for a single stream, half the memory) or ``"f32"`` (de-quantized: the weights the ``hf``
            engine computes with, for comparing the engines; slower). Unset: ``LUMOS_DEFAULT_WEIGHTS``, else ``"q8_0"``.
        draft_tokens: greedy decoding only: while at most ``draft_max_active`` requests are still generating,
            each step also checks this many tokens guessed from the request's own prompt and output
            (:mod:`lumos.models.llamacpp.drafts`); the output is the same, in fewer steps. 0: never. Unset:
            ``LUMOS_DRAFT_TOKENS``, else 3.

    Memory: the KV cache holds ``n_ctx`` tokens for each of ``max(batch_size, keep_conversations) +
    prefix_slots`` sequences, ~23 KB a token for the default model (~1 GB with the defaults).

    ``Generation.seconds`` is the wall time of the group of requests a conversation was decoded with, divided
    by the group's size, so the values add up to the total generation time. ``stats`` counts what the engine
    did (:class:`EngineStats`).
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        lora: str | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        chat_template: str = "auto",
        seed: int = 0,
        batch_size: int = 8,
        prefix_slots: int = 2,
        prefix_cache: bool = True,
        keep_conversations: int = 0,
        n_gpu_layers: int = 0,
        lora_scale: float = 1.0,
        default_weights: str | None = None,
        merge_lora: bool | None = None,
        draft_tokens: int | None = None,
        draft_max_active: int = DRAFT_MAX_ACTIVE,
    ) -> None:
        default_weights = (
            default_weights or os.environ.get("LUMOS_DEFAULT_WEIGHTS", "").strip().lower() or "q8_0"
        )
        if default_weights not in _DEFAULT_WEIGHTS:
            raise ConfigError(
                f"default_weights (LUMOS_DEFAULT_WEIGHTS) must be one of {', '.join(_DEFAULT_WEIGHTS)}, not {default_weights!r}"
            )
        if chat_template not in CHAT_TEMPLATES:
            raise ConfigError(
                f"chat_template must be one of {', '.join(CHAT_TEMPLATES)}, not {chat_template!r}"
            )
        if n_ctx < 16:
            raise ConfigError(f"n_ctx must be at least 16, not {n_ctx}")
        if batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, not {batch_size}")
        if n_threads is not None and n_threads < 1:
            raise ConfigError(f"n_threads must be at least 1, not {n_threads}")
        if prefix_slots < 1:
            raise ConfigError(f"prefix_slots must be at least 1, not {prefix_slots}")
        self.draft_tokens = draft_tokens_setting(draft_tokens)
        if draft_max_active < 1:
            raise ConfigError(f"draft_max_active must be at least 1, not {draft_max_active}")
        self.draft_max_active = draft_max_active
        if keep_conversations < 0:
            raise ConfigError(f"keep_conversations must be 0 or more, not {keep_conversations}")
        lib = import_llama_cpp()
        self._lib = lib
        self._ctx: Any = None
        self._batch: Any = None
        self._weights: SharedWeights | None = None
        path = resolve_model(lib, model, default_weights)
        adapter_path = resolve_lora(lora, base_gguf=path) if lora else None
        if merge_lora is None:
            merge_lora = merges_lora()
        if adapter_path is not None and merge_lora and is_default_name(model):
            path = merged_default(lib, adapter_path, lora_scale)
            adapter_path, lora_scale = None, 1.0
        base_name = DEFAULT_MODEL if is_default_name(model) else str(model)
        self.name = f"{base_name}+{lora}" if lora else base_name
        self.path = path
        self.adapter_path = adapter_path
        self.seed = seed
        self.batch_size = batch_size
        self.prefix_cache = prefix_cache
        self.n_threads = n_threads or thread_count()
        self.stats = EngineStats()
        self._lock = threading.Lock()
        self._weights = acquire_weights(lib, path, n_gpu_layers)
        try:
            self._setup(
                n_ctx=n_ctx,
                prefix_slots=prefix_slots,
                keep=keep_conversations,
                adapter_path=adapter_path,
                lora_scale=lora_scale,
            )
            self.template = pick_template(chat_template, [base_name, lora or ""], bool(self._native_template))
        except BaseException:
            self.close()
            raise

    def _setup(
        self, *, n_ctx: int, prefix_slots: int, keep: int, adapter_path: str | None, lora_scale: float
    ) -> None:
        lib = self._lib
        weights = self._weights
        assert weights is not None
        model = weights.ptr
        self._vocab = lib.llama_model_get_vocab(model)
        self.n_vocab = int(lib.llama_vocab_n_tokens(self._vocab))
        self.n_ctx = min(n_ctx, int(lib.llama_model_n_ctx_train(model)))
        # sequences: the cached prefixes first, then the requests' own (each keeps its last conversation)
        max_seq = int(lib.llama_max_parallel_sequences())
        prefix_slots = min(prefix_slots, max_seq - 1)
        self._prefixes = [CachedSequence(seq=i) for i in range(prefix_slots)]
        self.batch_size = min(self.batch_size, max_seq - prefix_slots)
        n_seq = min(prefix_slots + max(self.batch_size, keep), max_seq)
        self._slots = [CachedSequence(seq=i) for i in range(prefix_slots, n_seq)]
        self.n_batch = max(512, self.batch_size + 1)
        params = lib.llama_context_default_params()
        params.n_ctx = self.n_ctx * n_seq
        params.n_batch = self.n_batch
        params.n_ubatch = self.n_batch  # llama.cpp must not split a call: the split decides the arithmetic
        params.n_seq_max = n_seq
        params.n_threads = self.n_threads
        params.n_threads_batch = self.n_threads
        # Every sequence gets cells of its own, a prompt's tokens in order from cell 0, and attention without
        # flash attention reads exactly those cells: a request's arithmetic does not depend on its batch.
        # (A shared pool of cells would hold a shared prefix once, but places each request's cells wherever
        # there is room, and the float sums of attention then come out differently from batch to batch.)
        params.kv_unified = False
        params.flash_attn_type = 0
        params.no_perf = True
        ctx = lib.llama_init_from_model(model, params)
        if not ctx:
            raise BackendError(
                f"llama.cpp could not create a context of {n_seq} sequences x {self.n_ctx} tokens for {self.path}"
            )
        self._ctx = ctx
        self._mem = lib.llama_get_memory(ctx)
        self._batch = lib.llama_batch_init(self.n_batch, 0, 1)
        if adapter_path is not None:
            ptr = lora_adapter(lib, weights, adapter_path)
            adapters = (lib.llama_adapter_lora_p_ctypes * 1)(ptr)
            scales = (ctypes.c_float * 1)(lora_scale)
            if lib.llama_set_adapters_lora(ctx, adapters, 1, scales):
                raise BackendError(f"llama.cpp could not apply the LoRA adapter {adapter_path}")
        raw = lib.llama_model_chat_template(model, None)
        self._native_template: str | None = raw.decode("utf-8") if raw else None
        self._eos_text = self._piece(int(lib.llama_vocab_eos(self._vocab)), special=True).decode(
            errors="replace"
        )
        self._bos_text = self._piece(int(lib.llama_vocab_bos(self._vocab)), special=True).decode(
            errors="replace"
        )
        self._pieces: dict[int, bytes] = {}
        self._eog = [bool(lib.llama_vocab_is_eog(self._vocab, t)) for t in range(self.n_vocab)]
        self._control_texts = [  # e.g. <|im_start|>: text in a message must not spell one (defuse_markers)
            self._piece(t, special=True).decode(errors="replace")
            for t in range(self.n_vocab)
            if lib.llama_vocab_is_control(self._vocab, t)
        ]
        self._clock = 0
        self._warned_truncation = False

    # -- prompts ----------------------------------------------------------------------------------------------

    def next_token_logits(self, ids: Sequence[int]) -> Any:
        """The logits (a numpy array) of the token after ``ids``, evaluated from scratch in a spare sequence."""
        import numpy as np

        self._require_ctx()
        if len(ids) < 2 or len(ids) > self.n_ctx:
            raise ConfigError(f"next_token_logits needs 2 to n_ctx ({self.n_ctx}) tokens, not {len(ids)}")
        slot = min(self._slots, key=lambda p: p.used)
        seq = slot.seq
        with self._lock:
            self._lib.llama_memory_seq_rm(self._mem, seq, -1, -1)
            slot.tokens = []
            try:
                last = 0
                for lo, chunk in chunks(list(ids), 0, self.n_batch):
                    self._decode([(seq, t, lo + k, lo + k == len(ids) - 1) for k, t in enumerate(chunk)])
                    last = len(chunk) - 1
                return np.ctypeslib.as_array(
                    self._lib.llama_get_logits_ith(self._ctx, last), shape=(self.n_vocab,)
                ).copy()
            finally:
                self._lib.llama_memory_seq_rm(self._mem, seq, -1, -1)

    # -- generation -------------------------------------------------------------------------------------------

    def generate(self, conversations: Sequence[Conversation], params: GenerationParams) -> list[Generation]:
        self._require_ctx()
        if not conversations:
            return []
        started = time.perf_counter()
        encoded = [self.encode(c) for c in conversations]
        if params.max_tokens <= 0:
            return [Generation(text="", prompt_tokens=len(ids), finish_reason="length") for ids in encoded]
        if params.max_tokens > self.n_ctx - 2:
            raise ConfigError(f"max_tokens ({params.max_tokens}) must be below n_ctx ({self.n_ctx}) - 1")
        encoded = [self._fit(ids, params.max_tokens) for ids in encoded]
        rng = None
        if params.temperature > 0:
            import numpy as np

            rng = np.random.default_rng(params.seed if params.seed is not None else self.seed)
        results: list[Generation | None] = [None] * len(encoded)
        # sorted, so that prompts sharing a prefix land in the same group
        order = sorted(range(len(encoded)), key=lambda i: encoded[i])
        with self._lock:
            for lo in range(0, len(order), self.batch_size):
                group = order[lo : lo + self.batch_size]
                for i, gen in zip(group, self._run_group(encoded, group, params, rng), strict=True):
                    results[i] = gen
        self.stats.generate_seconds += time.perf_counter() - started
        return [g for g in results if g is not None]

    def _fit(self, ids: list[int], max_tokens: int) -> list[int]:
        room = self.n_ctx - max_tokens
        if len(ids) <= room:
            return ids
        if not self._warned_truncation:
            logger.warning(
                "%s: a prompt of %d tokens was cut to its last %d to fit n_ctx=%d with max_tokens=%d",
                self.name,
                len(ids),
                room,
                self.n_ctx,
                max_tokens,
            )
            self._warned_truncation = True
        return ids[-room:]

    def _run_group(
        self, encoded: list[list[int]], group: list[int], params: GenerationParams, rng: Any
    ) -> list[Generation]:
        started = time.perf_counter()
        lib, mem = self._lib, self._mem
        if self.prefix_cache:
            self._cache_prefixes([encoded[i] for i in group])
        streams: list[Stream] = []
        slots: list[CachedSequence] = []
        stops = [s for s in params.stop if s]
        longest_stop = max((len(s.encode()) for s in stops), default=0)
        try:
            free = list(self._slots)
            for i in group:
                ids = encoded[i]
                slot, reuse = self._claim(free, ids)
                s = Stream(index=i, seq=slot.seq, pos=reuse)
                slots.append(slot)
                streams.append(s)
                self.stats.prompt_tokens += len(ids)
                self.stats.evaluated_prompt_tokens += len(ids) - reuse
                # each prompt on its own: how llama.cpp would split a mixed batch would change the arithmetic
                last = 0
                for lo, chunk in chunks(ids, reuse, self.n_batch):
                    self._decode([(slot.seq, t, lo + j, lo + j == len(ids) - 1) for j, t in enumerate(chunk)])
                    last = len(chunk) - 1
                s.pos = len(ids)
                self._accept(s, self._pick(last, params, rng), params, stops, longest_stop)
            # one token per unfinished request per step
            stepping = time.perf_counter()
            while True:
                active = [s for s in streams if not s.done]
                if not active:
                    break
                drafts = self._drafts(active, encoded, params)
                if drafts:
                    self._drafted_step(active, drafts, params, stops, longest_stop)
                    continue
                self._decode([(s.seq, s.ids[-1], s.pos, True) for s in active])
                for j, s in enumerate(active):
                    s.pos += 1
                    self._accept(s, self._pick(j, params, rng), params, stops, longest_stop)
                self.stats.step_tokens += len(active)
            self.stats.step_seconds += time.perf_counter() - stepping
            for s, slot in zip(streams, slots, strict=True):
                # what the sequence holds now: the prompt and every generated token but the last (never fed)
                slot.tokens = encoded[s.index] + s.ids[:-1]
                slot.used = self._tick()
            slots = []
        finally:
            for slot in slots:  # interrupted: what these sequences hold is unknown
                lib.llama_memory_seq_rm(mem, slot.seq, -1, -1)
                slot.tokens = []
        seconds = (time.perf_counter() - started) / len(group)
        return [self._finish(s, len(encoded[s.index]), stops, seconds) for s in streams]

    # -- lifetime ---------------------------------------------------------------------------------------------

    def _require_ctx(self) -> Any:
        if self._ctx is None:
            raise BackendError(f"{self.name}: the model was closed")
        return self._ctx

    def close(self) -> None:
        """Free this handle's context; the weights go when no handle uses them any more."""
        lib = self._lib
        if self._batch is not None:
            lib.llama_batch_free(self._batch)
            self._batch = None
        if self._ctx is not None:
            lib.llama_free(self._ctx)
            self._ctx = None
        weights, self._weights = self._weights, None
        if weights is not None:
            release_weights(lib, weights)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown
            self.close()

    def __repr__(self) -> str:
        state = "closed" if self._ctx is None else f"batch_size={self.batch_size}, n_ctx={self.n_ctx}"
        return f"LlamaCppModel({self.name!r}, {state}, template={getattr(self, 'template', '?')!r})"
