"""GGUF models on the CPU through llama.cpp (``llama-cpp-python``), with batched decoding and prefix sharing.

``LlamaCppModel()`` serves the embedded default SmolLM2-135M-Instruct from its GGUF (no torch): by default
re-quantized once from the shipped 4-bit file to 8 bits (Q8_0), cached, because llama.cpp's 8-bit matrix
kernels make batched decoding and prompt evaluation ~1.6x faster on x86 CPUs (``docs/engines.md``);
``LlamaCppModel("path/to/model.gguf")`` any other GGUF; ``lora=`` lays a LoRA
adapter over it: a GGUF adapter file, or a PEFT adapter folder, converted once into ``adapter.gguf`` next to it
(see :mod:`lumos.models.gguf_lora`).

How a batch is served. llama-cpp-python's high-level ``Llama`` object decodes one sequence at a time, so this
backend drives llama.cpp's C API itself:

* every prompt of a ``generate`` call gets its own KV-cache sequence, and all of them are decoded together,
  one token per sequence per ``llama_decode`` call (a 2-core CPU does ~6x more tokens per second that way than
  one stream at a time, see ``docs/engines.md``);
* prompts are sorted so that shared prefixes are adjacent, and the prefix shared by a group (the task
  instructions and in-context examples every agent prompt starts with) is evaluated once, into a cache
  sequence that the group's sequences then share (``llama_memory_seq_cp`` shares the cells, it copies
  nothing);
* that cache sequence survives between calls, so the next call only evaluates what differs from the last;
* a request's own sequence keeps its prompt and completion after the call (``keep_conversations`` of them),
  so when an agent sends the same conversation again one turn longer, only the new turn is evaluated.

Greedy output does not depend on how prompts are batched (tested): llama.cpp computes every sequence's tokens
with the same kernels whatever else is in the batch.

Prompts are rendered with the same chat-template choice as the ``hf`` backend (Tulu turns for ``ai2lumos/...``
models, else the template stored in the GGUF), so both engines see the same text.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lumos.errors import BackendError, ConfigError, MissingDependencyError
from lumos.models.base import Conversation, Generation, GenerationParams, Model, truncate_at_stop
from lumos.models.default import DEFAULT_MODEL, cache_root, file_lock, find_gguf, is_default_name
from lumos.prompts.templates import render_tulu, uses_tulu_template

logger = logging.getLogger(__name__)

_TEMPLATES = ("auto", "tulu", "native")
_DEFAULT_WEIGHTS = ("q8_0", "shipped", "f32")
_MIN_SHARED = 32  # prompts sharing fewer leading tokens are not worth a cached prefix


def _llama_cpp() -> Any:
    """Import llama_cpp, or raise the error that names the extra to install."""
    try:
        import llama_cpp
    except ImportError as exc:
        raise MissingDependencyError("llama-cpp-python", "llamacpp", "the llamacpp backend") from exc
    except (OSError, RuntimeError) as exc:  # installed, but its compiled library does not load
        raise BackendError(f"llama-cpp-python is installed but does not load: {exc}") from exc
    quiet = logging.getLogger("llama-cpp-python")
    if quiet.level == logging.NOTSET:  # llama.cpp logs every load to stderr unless told otherwise
        quiet.setLevel(logging.ERROR)
    return llama_cpp


def _cpu_count() -> int:
    """Threads to use: ``LUMOS_NUM_THREADS`` if set, else every CPU this process may run on."""
    wanted = os.environ.get("LUMOS_NUM_THREADS", "").strip()
    if wanted:
        try:
            return max(1, int(wanted))
        except ValueError as exc:
            raise ConfigError(f"LUMOS_NUM_THREADS must be a whole number, not {wanted!r}") from exc
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


# -- weights shared by every LlamaCppModel over the same file ---------------------------------------------------


@dataclass
class _Weights:
    path: str
    ptr: Any
    n_gpu_layers: int
    users: int = 0
    adapters: dict[str, Any] = field(default_factory=dict)


_WEIGHTS: dict[tuple[str, int], _Weights] = {}
_WEIGHTS_LOCK = threading.Lock()
_BACKEND_READY = False


def _acquire_weights(lib: Any, path: str, n_gpu_layers: int) -> _Weights:
    global _BACKEND_READY
    key = (os.path.realpath(path), n_gpu_layers)
    with _WEIGHTS_LOCK:
        if not _BACKEND_READY:
            lib.llama_backend_init()
            _BACKEND_READY = True
        weights = _WEIGHTS.get(key)
        if weights is None:
            params = lib.llama_model_default_params()
            params.n_gpu_layers = n_gpu_layers
            ptr = lib.llama_model_load_from_file(path.encode(), params)
            if not ptr:
                raise ConfigError(f"llama.cpp could not load {path!r}: not a GGUF model it supports")
            weights = _WEIGHTS[key] = _Weights(path=path, ptr=ptr, n_gpu_layers=n_gpu_layers)
        weights.users += 1
        return weights


def _adapter(lib: Any, weights: _Weights, path: str) -> Any:
    key = os.path.realpath(path)
    with _WEIGHTS_LOCK:
        if key not in weights.adapters:
            ptr = lib.llama_adapter_lora_init(weights.ptr, path.encode())
            if not ptr:
                raise ConfigError(
                    f"llama.cpp could not load the LoRA adapter {path!r} over {weights.path!r} "
                    "(not a GGUF LoRA adapter, or made for another base model)"
                )
            weights.adapters[key] = ptr
        return weights.adapters[key]


def _release_weights(lib: Any, weights: _Weights) -> None:
    with _WEIGHTS_LOCK:
        weights.users -= 1
        if weights.users > 0:
            return
        for key, value in list(_WEIGHTS.items()):
            if value is weights:
                del _WEIGHTS[key]
        for ptr in weights.adapters.values():
            free = getattr(lib, "llama_adapter_lora_free", None)
            if free is not None:
                free(ptr)
        weights.adapters.clear()
        lib.llama_model_free(weights.ptr)


# -- chat templates -------------------------------------------------------------------------------------------


def render_native(template: str, conversation: Conversation, *, bos_token: str, eos_token: str) -> str:
    """Render a Hugging Face (Jinja) chat template the way ``tokenizer.apply_chat_template`` does."""
    return _compiled(template).render(
        messages=[dict(m) for m in conversation],
        add_generation_prompt=True,
        bos_token=bos_token,
        eos_token=eos_token,
    )


_COMPILED: dict[str, Any] = {}


def _compiled(template: str) -> Any:
    if template not in _COMPILED:
        from jinja2.exceptions import TemplateError
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        def raise_exception(message: str) -> None:
            raise TemplateError(message)

        def tojson(x: Any, ensure_ascii: bool = False, indent: Any = None, separators: Any = None,
                   sort_keys: bool = False) -> str:  # fmt: skip
            return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                              sort_keys=sort_keys)  # fmt: skip

        env = ImmutableSandboxedEnvironment(
            trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
        )
        env.filters["tojson"] = tojson
        env.globals["raise_exception"] = raise_exception
        env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
        _COMPILED[template] = env.from_string(template)
    return _COMPILED[template]


def pick_template(choice: str, names: Sequence[str], has_native: bool) -> str:
    """``"tulu"`` or ``"native"``: the same choice as the ``hf`` backend makes for the same model."""
    if choice not in _TEMPLATES:
        raise ConfigError(f"chat_template must be one of {', '.join(_TEMPLATES)}, not {choice!r}")
    if choice == "tulu":
        return "tulu"
    if choice == "native":
        if not has_native:
            raise ConfigError(
                "chat_template='native' but the GGUF has no chat template; use 'tulu' or 'auto'"
            )
        return "native"
    if any(n and uses_tulu_template(n) for n in names):
        return "tulu"
    return "native" if has_native else "tulu"


# -- the model ------------------------------------------------------------------------------------------------


@dataclass
class EngineStats:
    """What the engine did since it was made: tokens fed to ``llama_decode`` and the time spent in it."""

    decode_calls: int = 0
    decoded_tokens: int = 0  # prompt and generated tokens evaluated, padding included
    decode_seconds: float = 0.0
    prompt_tokens: int = 0  # prompt tokens of all requests
    evaluated_prompt_tokens: int = 0  # of those, evaluated here (the rest came from cached prefixes)
    generated_tokens: int = 0
    generate_seconds: float = 0.0  # wall time inside ``generate``
    step_seconds: float = 0.0  # of which in decoding steps (one new token per request), prompts excluded
    step_tokens: int = 0  # tokens generated by those steps

    @property
    def step_tokens_per_second(self) -> float:
        """Aggregate decode speed: generated tokens per second of decoding steps."""
        return self.step_tokens / self.step_seconds if self.step_seconds else 0.0


@dataclass
class _Prefix:
    """A KV-cache sequence holding a prompt prefix that later requests share."""

    seq: int
    tokens: list[int] = field(default_factory=list)
    used: int = 0  # when it last served a group (a counter), for eviction


@dataclass
class _Stream:
    """One sequence being generated."""

    index: int  # position in the caller's list
    seq: int  # KV-cache sequence id
    pos: int  # position of the next token to feed
    ids: list[int] = field(default_factory=list)
    text: bytearray = field(default_factory=bytearray)
    checked: int = 0  # bytes of ``text`` already searched for stop strings
    done: bool = False
    finish: str = "length"


class LlamaCppModel(Model):
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
        default_weights: for the embedded default only: ``"q8_0"`` (the shipped 4-bit weights re-quantized to
            8 bits once, into the lumos cache: faster batches) or ``"shipped"`` (the 4-bit file as it is:
            faster for a single stream, half the memory) or ``"f32"`` (de-quantized: the weights the ``hf``
            engine computes with, for comparing the engines; slower). Unset: ``LUMOS_DEFAULT_WEIGHTS``, else ``"q8_0"``.

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
    ) -> None:
        default_weights = (
            default_weights or os.environ.get("LUMOS_DEFAULT_WEIGHTS", "").strip().lower() or "q8_0"
        )
        if default_weights not in _DEFAULT_WEIGHTS:
            raise ConfigError(
                f"default_weights (LUMOS_DEFAULT_WEIGHTS) must be one of {', '.join(_DEFAULT_WEIGHTS)}, not {default_weights!r}"
            )
        if chat_template not in _TEMPLATES:
            raise ConfigError(f"chat_template must be one of {', '.join(_TEMPLATES)}, not {chat_template!r}")
        if n_ctx < 16:
            raise ConfigError(f"n_ctx must be at least 16, not {n_ctx}")
        if batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, not {batch_size}")
        if n_threads is not None and n_threads < 1:
            raise ConfigError(f"n_threads must be at least 1, not {n_threads}")
        if prefix_slots < 1:
            raise ConfigError(f"prefix_slots must be at least 1, not {prefix_slots}")
        if keep_conversations < 0:
            raise ConfigError(f"keep_conversations must be 0 or more, not {keep_conversations}")
        lib = _llama_cpp()
        self._lib = lib
        self._ctx: Any = None
        self._batch: Any = None
        self._weights: _Weights | None = None
        path = _resolve_model(lib, model, default_weights)
        adapter_path = _resolve_lora(lora, base_gguf=path) if lora else None
        base_name = DEFAULT_MODEL if is_default_name(model) else str(model)
        self.name = f"{base_name}+{lora}" if lora else base_name
        self.path = path
        self.adapter_path = adapter_path
        self.seed = seed
        self.batch_size = batch_size
        self.prefix_cache = prefix_cache
        self.n_threads = n_threads or _cpu_count()
        self.stats = EngineStats()
        self._lock = threading.Lock()
        self._weights = _acquire_weights(lib, path, n_gpu_layers)
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
        self._prefixes = [_Prefix(seq=i) for i in range(prefix_slots)]
        self.batch_size = min(self.batch_size, max_seq - prefix_slots)
        n_seq = min(prefix_slots + max(self.batch_size, keep), max_seq)
        self._slots = [_Prefix(seq=i) for i in range(prefix_slots, n_seq)]
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
            ptr = _adapter(lib, weights, adapter_path)
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
        self._clock = 0
        self._warned_truncation = False

    # -- prompts ----------------------------------------------------------------------------------------------

    def format_prompt(self, conversation: Conversation) -> str:
        """The exact text the model is given for ``conversation`` (chat template applied)."""
        if self.template == "tulu":
            return render_tulu(conversation, add_generation_prompt=True, eos=self._eos_text or "</s>")
        assert self._native_template is not None
        return render_native(
            self._native_template, conversation, bos_token=self._bos_text, eos_token=self._eos_text
        )

    def tokenize(self, text: str, *, add_special: bool = False) -> list[int]:
        """Token ids of ``text`` (special-token text such as ``<|im_start|>`` is parsed as the token)."""
        self._require_ctx()
        data = text.encode("utf-8")
        size = len(data) + 8
        while True:
            buf = (self._lib.llama_token * size)()
            n = self._lib.llama_tokenize(self._vocab, data, len(data), buf, size, add_special, True)
            if n >= 0:
                return list(buf[:n])
            size = -n

    def encode(self, conversation: Conversation) -> list[int]:
        """Prompt token ids, as the hf backend makes them (a BOS token only with the Tulu template)."""
        return self.tokenize(self.format_prompt(conversation), add_special=self.template == "tulu")

    def detokenize(self, ids: Sequence[int]) -> str:
        """Text of ``ids`` without special tokens (as ``tokenizer.decode(ids, skip_special_tokens=True)``)."""
        return b"".join(self._text_piece(t) for t in ids).decode("utf-8", errors="replace")

    def _piece(self, token: int, *, special: bool) -> bytes:
        size = 32
        while True:
            buf = ctypes.create_string_buffer(size)
            n = self._lib.llama_token_to_piece(self._vocab, token, buf, size, 0, special)
            if n >= 0:
                return buf.raw[:n]
            size = -n

    def _text_piece(self, token: int) -> bytes:
        piece = self._pieces.get(token)
        if piece is None:
            piece = self._pieces[token] = self._piece(token, special=False)
        return piece

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
                for lo, chunk in _chunks(list(ids), 0, self.n_batch):
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
        streams: list[_Stream] = []
        slots: list[_Prefix] = []
        stops = [s for s in params.stop if s]
        longest_stop = max((len(s.encode()) for s in stops), default=0)
        try:
            free = list(self._slots)
            for i in group:
                ids = encoded[i]
                slot, reuse = self._claim(free, ids)
                s = _Stream(index=i, seq=slot.seq, pos=reuse)
                slots.append(slot)
                streams.append(s)
                self.stats.prompt_tokens += len(ids)
                self.stats.evaluated_prompt_tokens += len(ids) - reuse
                # each prompt on its own: how llama.cpp would split a mixed batch would change the arithmetic
                last = 0
                for lo, chunk in _chunks(ids, reuse, self.n_batch):
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

    def _tick(self) -> int:
        self._clock += 1
        return self._clock

    def _claim(self, free: list[_Prefix], ids: list[int]) -> tuple[_Prefix, int]:
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
                (_common(p.tokens, ids), k < len(free), p.used, p)
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

    def _taken(self, free: list[_Prefix], slot: _Prefix, ids: list[int], reuse: int) -> tuple[_Prefix, int]:
        free.remove(slot)
        slot.tokens = ids[:reuse]
        slot.used = self._tick()
        return slot, reuse

    def _cache_prefixes(self, prompts: list[list[int]]) -> None:
        """Cache the prefixes that the group's prompts (sorted) share, so that each is evaluated once.

        Adjacent prompts sharing at least ``_MIN_SHARED`` tokens form a family; the largest families' common
        prefixes go into the prefix sequences (extending or trimming a cached prefix where they overlap). A
        prompt alone is cached when it extends a cached prefix (a conversation that grows call after call).
        """
        families: list[tuple[int, list[int]]] = []  # (tokens saved, prefix)
        start = 0
        for k in range(1, len(prompts) + 1):
            if k == len(prompts) or _common(prompts[k - 1], prompts[k]) < _MIN_SHARED:
                run = prompts[start:k]
                shared = min(_common(run[0], run[-1]), *(len(p) - 2 for p in run))
                if len(run) > 1 and shared >= _MIN_SHARED:
                    families.append(((len(run) - 1) * shared, run[0][:shared]))
                elif len(run) == 1 and shared >= _MIN_SHARED:
                    best = max(self._prefixes, key=lambda p: _common(p.tokens, run[0]))
                    covered = max(_common(p.tokens, run[0]) for p in self._slots)
                    if best.tokens and len(best.tokens) == _common(best.tokens, run[0]) > covered:
                        families.append((0, run[0][:shared]))
                start = k
        families.sort(key=lambda f: f[0], reverse=True)
        for _, prefix in families[: len(self._prefixes)]:
            self._cached_prefix(prefix)

    def _cached_prefix(self, tokens: list[int]) -> _Prefix:
        """A prefix sequence holding ``tokens`` (or all but the last), evaluating only what is not cached."""
        lib, mem = self._lib, self._mem
        self._tick()
        keep, _, best = max(
            ((_common(p.tokens, tokens), p.used, p) for p in self._prefixes), key=lambda m: m[:2]
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
        for lo, chunk in _chunks(tokens, len(target.tokens), self.n_batch):
            self._decode([(target.seq, t, lo + j, False) for j, t in enumerate(chunk)])
            target.tokens.extend(chunk)
            self.stats.evaluated_prompt_tokens += len(chunk)
        return target

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
        self, s: _Stream, tok: int, params: GenerationParams, stops: list[str], longest_stop: int
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
        if len(s.ids) >= params.max_tokens:
            s.done, s.finish = True, "length"

    def _finish(self, s: _Stream, prompt_tokens: int, stops: list[str], seconds: float) -> Generation:
        self.stats.generated_tokens += len(s.ids)
        text, _ = truncate_at_stop(bytes(s.text).decode("utf-8", errors="replace"), stops)
        return Generation(
            text=text,
            prompt_tokens=prompt_tokens,
            completion_tokens=len(s.ids),
            finish_reason=s.finish,  # type: ignore[arg-type]
            seconds=seconds,
        )

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
            _release_weights(lib, weights)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown
            self.close()

    def __repr__(self) -> str:
        state = "closed" if self._ctx is None else f"batch_size={self.batch_size}, n_ctx={self.n_ctx}"
        return f"LlamaCppModel({self.name!r}, {state}, template={getattr(self, 'template', '?')!r})"


def _chunks(ids: list[int], start: int, size: int) -> list[tuple[int, list[int]]]:
    """``ids[start:]`` in pieces of at most ``size`` tokens, none of them a single token (unless it is all)."""
    out = []
    lo = start
    while lo < len(ids):
        n = min(size, len(ids) - lo)
        if len(ids) - lo - n == 1:  # never leave one token for the last piece
            n -= 1
        out.append((lo, ids[lo : lo + n]))
        lo += n
    return out


def _common(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _resolve_model(lib: Any, model: str | None, default_weights: str = "shipped") -> str:
    if is_default_name(model):
        shipped = find_gguf()
        return str(
            shipped if default_weights == "shipped" else requantized_gguf(lib, shipped, default_weights)
        )
    assert model is not None
    path = Path(model).expanduser()
    if path.is_file():
        return str(path)
    if path.is_dir():
        found = sorted(path.glob("*.gguf"))
        if len(found) == 1:
            return str(found[0])
        raise ConfigError(
            f"{model!r} is a folder; the llamacpp backend needs a .gguf file"
            + (f" (it holds several: {', '.join(p.name for p in found)})" if found else "")
            + ". For a transformers model folder use the hf backend."
        )
    raise ConfigError(
        f"GGUF model {model!r} not found. The llamacpp backend takes the path of a .gguf file "
        "(or 'default' for the embedded SmolLM2-135M-Instruct)."
    )


_FTYPES = {"q8_0": "LLAMA_FTYPE_MOSTLY_Q8_0", "f16": "LLAMA_FTYPE_MOSTLY_F16", "bf16": "LLAMA_FTYPE_MOSTLY_BF16",
           "f32": "LLAMA_FTYPE_ALL_F32"}  # fmt: skip


def requantized_gguf(lib: Any, source: Path, kind: str = "q8_0", folder: Path | None = None) -> Path:
    """``source`` re-quantized to ``kind`` (q8_0, f16, bf16, f32) by llama.cpp itself, once, into ``folder``
    (default ``<lumos cache>/models/``).

    The name records the source's size, so a changed source is converted again; the file is written under a
    temporary name and renamed, so a killed conversion never leaves a broken model behind.
    """
    folder = folder or cache_root() / "models"
    target = folder / f"{source.stem}.{source.stat().st_size}.{kind.upper()}.gguf"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with file_lock(folder / f".{target.name}.lock"):
        if target.is_file():
            return target
        for leftover in folder.glob(f".{target.name}.tmp-*"):  # of a killed conversion; we hold the lock
            leftover.unlink(missing_ok=True)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        params = lib.llama_model_quantize_default_params()
        params.ftype = getattr(lib, _FTYPES[kind])
        params.allow_requantize = True
        started = time.perf_counter()
        rc = lib.llama_model_quantize(str(source).encode(), str(tmp).encode(), ctypes.byref(params))
        if rc != 0 or not tmp.is_file():
            tmp.unlink(missing_ok=True)
            raise BackendError(f"llama.cpp could not re-quantize {source} to {kind} (code {rc})")
        os.replace(tmp, target)
        logger.info(
            "lumos: %s re-quantized to %s in %.1f s: %s",
            source.name,
            kind,
            time.perf_counter() - started,
            target,
        )
    return target


def _resolve_lora(lora: str, *, base_gguf: str) -> str:
    path = Path(lora).expanduser()
    if path.is_file():
        return str(path)
    if path.is_dir():
        from lumos.models.gguf_lora import cached_gguf_adapter

        return str(cached_gguf_adapter(path, base_gguf=base_gguf))
    raise ConfigError(f"LoRA adapter {lora!r} not found: give a PEFT adapter folder or a GGUF adapter file")
