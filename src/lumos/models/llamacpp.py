"""GGUF models on the CPU through llama.cpp (``llama-cpp-python``), with batched decoding and prefix sharing.

``LlamaCppModel()`` serves the embedded default SmolLM2-135M-Instruct straight from its 4-bit GGUF (no
de-quantization, no torch); ``LlamaCppModel("path/to/model.gguf")`` any other GGUF; ``lora=`` lays a LoRA
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
* that cache sequence survives between calls, so the next call only evaluates what differs from the last.

Greedy output does not depend on how prompts are batched (tested): llama.cpp computes every sequence's tokens
with the same kernels whatever else is in the batch.

Prompts are rendered with the same chat-template choice as the ``hf`` backend (Tulu turns for ``ai2lumos/...``
models, else the template stored in the GGUF), so both engines see the same text.
"""

from __future__ import annotations

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
from lumos.models.default import DEFAULT_MODEL, find_gguf, is_default_name
from lumos.prompts.templates import render_tulu, uses_tulu_template

logger = logging.getLogger(__name__)

_TEMPLATES = ("auto", "tulu", "native")
_PREFIX_SEQ = 0  # the KV-cache sequence that holds the shared prompt prefix between calls


def _llama_cpp() -> Any:
    """Import llama_cpp, or raise the error that names the extra to install."""
    try:
        import llama_cpp
    except ImportError as exc:
        raise MissingDependencyError("llama-cpp-python", "llamacpp", "the llamacpp backend") from exc
    quiet = logging.getLogger("llama-cpp-python")
    if quiet.level == logging.NOTSET:  # llama.cpp logs every load to stderr unless told otherwise
        quiet.setLevel(logging.ERROR)
    return llama_cpp


def _cpu_count() -> int:
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
            raise ConfigError("chat_template='native' but the GGUF has no chat template; use 'tulu' or 'auto'")
        return "native"
    if any(n and uses_tulu_template(n) for n in names):
        return "tulu"
    return "native" if has_native else "tulu"


# -- the model ------------------------------------------------------------------------------------------------


@dataclass
class _Stream:
    """One sequence being generated."""

    index: int  # position in the caller's list
    slot: int  # KV-cache sequence id
    pos: int  # position of the next token to feed
    ids: list[int] = field(default_factory=list)
    text: bytearray = field(default_factory=bytearray)
    checked: int = 0  # bytes of ``text`` already searched for stop strings
    done: bool = False
    finish: str = "length"
    counted: int = 0


class LlamaCppModel(Model):
    """A GGUF model served in-process by llama.cpp.

    Args:
        model: ``None``/``"default"`` (the embedded SmolLM2-135M-Instruct GGUF) or the path of a ``.gguf`` file.
        lora: a LoRA adapter to lay over ``model``: a GGUF adapter file or a PEFT adapter folder (converted once
            into ``adapter.gguf`` in that folder, again whenever the adapter weights are newer).
        n_ctx: KV-cache cells shared by all sequences of a batch (a prefix shared by a batch counts once).
            Batches are split so that they fit.
        n_threads: CPU threads; default: every core this process may use.
        chat_template: ``"auto"`` (as the hf backend: Tulu for ``ai2lumos/...`` models, else the GGUF's own
            template, else Tulu), ``"tulu"`` or ``"native"``.
        seed: the sampling seed when ``GenerationParams.seed`` is not set (temperature > 0 only).
        batch_size: most sequences decoded together.
        flash_attn: llama.cpp's flash attention (``None``: llama.cpp decides). On the CPU it skips the masked
            cells of the other sequences of a batch.
        n_gpu_layers: layers to offload when llama.cpp was built with a GPU backend (0: CPU only).
        lora_scale: multiplies the adapter's own scale (``alpha / rank``).

    ``Generation.seconds`` is the wall time of the group of sequences a conversation was decoded with, divided
    by the group's size, so the values add up to the total generation time.
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
        batch_size: int = 16,
        flash_attn: bool | None = None,
        n_gpu_layers: int = 0,
        lora_scale: float = 1.0,
    ) -> None:
        if chat_template not in _TEMPLATES:
            raise ConfigError(f"chat_template must be one of {', '.join(_TEMPLATES)}, not {chat_template!r}")
        if n_ctx < 16:
            raise ConfigError(f"n_ctx must be at least 16, not {n_ctx}")
        if batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, not {batch_size}")
        if n_threads is not None and n_threads < 1:
            raise ConfigError(f"n_threads must be at least 1, not {n_threads}")
        lib = _llama_cpp()
        self._lib = lib
        path = _resolve_model(model)
        adapter_path = _resolve_lora(lora, base_gguf=path) if lora else None
        base_name = DEFAULT_MODEL if is_default_name(model) else str(model)
        self.name = f"{base_name}+{lora}" if lora else base_name
        self.path = path
        self.adapter_path = adapter_path
        self.seed = seed
        self.batch_size = batch_size
        self.n_threads = n_threads or _cpu_count()
        self._lock = threading.Lock()
        self._weights: _Weights | None = _acquire_weights(lib, path, n_gpu_layers)
        self._ctx: Any = None
        self._batch: Any = None
        try:
            self._setup(n_ctx, flash_attn, adapter_path, lora_scale)
            self.template = pick_template(chat_template, [base_name, lora or ""], bool(self._native_template))
        except BaseException:
            self.close()
            raise

    def _setup(self, n_ctx: int, flash_attn: bool | None, adapter_path: str | None, lora_scale: float) -> None:
        lib = self._lib
        assert self._weights is not None
        model = self._weights.ptr
        self._vocab = lib.llama_model_get_vocab(model)
        self.n_vocab = int(lib.llama_vocab_n_tokens(self._vocab))
        self.n_ctx_train = int(lib.llama_model_n_ctx_train(model))
        self.n_seq = min(self.batch_size + 1, int(lib.llama_max_parallel_sequences()))
        self.n_ctx = min(n_ctx, self.n_ctx_train * self.n_seq)
        self.n_batch = max(512, self.n_seq)
        params = lib.llama_context_default_params()
        params.n_ctx = self.n_ctx
        params.n_batch = self.n_batch
        params.n_ubatch = 512
        params.n_seq_max = self.n_seq
        params.n_threads = self.n_threads
        params.n_threads_batch = self.n_threads
        params.kv_unified = True  # one pool of cells: a shared prefix is stored once
        params.no_perf = True
        if flash_attn is not None and hasattr(params, "flash_attn_type"):
            params.flash_attn_type = 1 if flash_attn else 0
        ctx = lib.llama_init_from_model(model, params)
        if not ctx:
            raise BackendError(f"llama.cpp could not create a context of {self.n_ctx} cells for {self.path}")
        self._ctx = ctx
        self._mem = lib.llama_get_memory(ctx)
        self._batch = lib.llama_batch_init(self.n_batch, 0, 1)
        if adapter_path is not None:
            assert self._weights is not None
            ptr = _adapter(lib, self._weights, adapter_path)
            adapters = (lib.llama_adapter_lora_p_ctypes * 1)(ptr)
            scales = (ctypes.c_float * 1)(lora_scale)
            if lib.llama_set_adapters_lora(ctx, adapters, 1, scales):
                raise BackendError(f"llama.cpp could not apply the LoRA adapter {adapter_path}")
        raw = lib.llama_model_chat_template(model, None)
        self._native_template: str | None = raw.decode("utf-8") if raw else None
        self._eos_text = self._piece(int(lib.llama_vocab_eos(self._vocab)), special=True).decode(errors="replace")
        self._bos_text = self._piece(int(lib.llama_vocab_bos(self._vocab)), special=True).decode(errors="replace")
        self._pieces: dict[int, bytes] = {}
        self._eog = [False] * self.n_vocab
        for t in range(self.n_vocab):
            if lib.llama_vocab_is_eog(self._vocab, t):
                self._eog[t] = True
        self._prefix: list[int] = []  # the tokens held by the prefix sequence
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

    # -- generation -------------------------------------------------------------------------------------------

    def generate(self, conversations: Sequence[Conversation], params: GenerationParams) -> list[Generation]:
        self._require_ctx()
        if not conversations:
            return []
        encoded = [self.encode(c) for c in conversations]
        if params.max_tokens <= 0:
            return [Generation(text="", prompt_tokens=len(ids), finish_reason="length") for ids in encoded]
        if params.max_tokens >= self.n_ctx:
            raise ConfigError(f"max_tokens ({params.max_tokens}) must be below n_ctx ({self.n_ctx})")
        encoded = [self._fit(ids, params.max_tokens) for ids in encoded]
        rng = None
        if params.temperature > 0:
            import numpy as np

            rng = np.random.default_rng(params.seed if params.seed is not None else self.seed)
        results: list[Generation | None] = [None] * len(encoded)
        with self._lock:
            for group in self._groups(encoded, params.max_tokens):
                for i, gen in zip(group, self._run_group(encoded, group, params, rng), strict=True):
                    results[i] = gen
        return [g for g in results if g is not None]

    def _fit(self, ids: list[int], max_tokens: int) -> list[int]:
        room = min(self.n_ctx, self.n_ctx_train) - max_tokens
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

    def _groups(self, encoded: list[list[int]], max_tokens: int) -> list[list[int]]:
        """Split the requests into groups decoded together: shared prefixes adjacent, each group fits the cache."""
        order = sorted(range(len(encoded)), key=lambda i: encoded[i])
        groups: list[list[int]] = []
        current: list[int] = []
        for i in order:
            trial = [*current, i]
            if current and (len(trial) > self.n_seq - 1 or self._cells(encoded, trial, max_tokens) > self.n_ctx):
                groups.append(current)
                trial = [i]
            current = trial
        if current:
            groups.append(current)
        return groups

    @staticmethod
    def _shared(encoded: list[list[int]], group: list[int]) -> int:
        """Length of the prefix shared by every prompt of ``group`` (sorted), leaving each one token to feed."""
        first, last = encoded[group[0]], encoded[group[-1]]
        n = _common(first, last)
        return max(0, min(n, *(len(encoded[i]) - 1 for i in group)))

    def _cells(self, encoded: list[list[int]], group: list[int], max_tokens: int) -> int:
        shared = self._shared(encoded, group)
        return shared + sum(len(encoded[i]) - shared + max_tokens for i in group)

    def _run_group(
        self, encoded: list[list[int]], group: list[int], params: GenerationParams, rng: Any
    ) -> list[Generation]:
        started = time.perf_counter()
        lib, mem = self._lib, self._mem
        shared = self._shared(encoded, group)
        self._fill_prefix(encoded[group[0]][:shared])
        streams = []
        for slot, i in enumerate(group, start=1):
            lib.llama_memory_seq_rm(mem, slot, -1, -1)
            if shared:
                lib.llama_memory_seq_cp(mem, _PREFIX_SEQ, slot, -1, -1)
            streams.append(_Stream(index=i, slot=slot, pos=shared))
        stops = [s for s in params.stop if s]
        longest_stop = max((len(s.encode()) for s in stops), default=0)
        try:
            # 1. the prompts' own tokens, packed into as few llama_decode calls as the batch allows
            pending = [(s, encoded[s.index][shared:]) for s in streams]
            queue: list[tuple[_Stream, int, bool]] = [
                (s, tok, k == len(toks) - 1) for s, toks in pending for k, tok in enumerate(toks)
            ]
            for lo in range(0, len(queue), self.n_batch):
                chunk = queue[lo : lo + self.n_batch]
                self._decode([(s.slot, tok, s.pos + k_pos, last) for (s, tok, last), k_pos in _positions(chunk)])
                for j, (s, _tok, last) in enumerate(chunk):
                    if last:
                        self._accept(s, self._pick(j, params, rng), params, stops, longest_stop)
                for s, _tok, _last in chunk:
                    s.pos += 1
            # 2. one token per unfinished sequence per step
            while True:
                active = [s for s in streams if not s.done]
                if not active:
                    break
                self._decode([(s.slot, s.ids[-1], s.pos, True) for s in active])
                for j, s in enumerate(active):
                    s.pos += 1
                    self._accept(s, self._pick(j, params, rng), params, stops, longest_stop)
        finally:
            for s in streams:
                lib.llama_memory_seq_rm(mem, s.slot, -1, -1)
        seconds = (time.perf_counter() - started) / len(group)
        return [self._finish(s, len(encoded[s.index]), stops, seconds) for s in streams]

    def _fill_prefix(self, tokens: list[int]) -> None:
        """Make the prefix sequence hold exactly ``tokens``, evaluating only what it does not hold yet."""
        keep = _common(self._prefix, tokens)
        if keep < len(self._prefix):
            self._lib.llama_memory_seq_rm(self._mem, _PREFIX_SEQ, keep, -1)
            self._prefix = self._prefix[:keep]
        for lo in range(keep, len(tokens), self.n_batch):
            chunk = tokens[lo : lo + self.n_batch]
            self._decode([(_PREFIX_SEQ, tok, lo + k, False) for k, tok in enumerate(chunk)])
            self._prefix.extend(chunk)

    def _decode(self, items: list[tuple[int, int, int, bool]]) -> None:
        """One ``llama_decode`` call over ``(sequence, token, position, wants_logits)`` items."""
        b = self._batch
        for k, (seq, tok, pos, logits) in enumerate(items):
            b.token[k] = tok
            b.pos[k] = pos
            b.n_seq_id[k] = 1
            b.seq_id[k][0] = seq
            b.logits[k] = logits
        b.n_tokens = len(items)
        rc = self._lib.llama_decode(self._ctx, b)
        if rc != 0:
            # a failed call may leave part of the batch in the cache: the prefix sequence is no longer known
            self._lib.llama_memory_clear(self._mem, True)
            self._prefix = []
            if rc == 1:
                raise BackendError(
                    f"{self.name}: the KV cache is full (n_ctx={self.n_ctx}); pass a larger n_ctx or batch_size"
                )
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
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def __repr__(self) -> str:
        state = "closed" if self._ctx is None else f"n_ctx={self.n_ctx}, batch_size={self.batch_size}"
        return f"LlamaCppModel({self.name!r}, {state}, template={getattr(self, 'template', '?')!r})"


def _positions(chunk: list[tuple[_Stream, int, bool]]) -> list[tuple[tuple[_Stream, int, bool], int]]:
    """Pair each queued prompt token with its offset from its stream's current position within ``chunk``."""
    seen: dict[int, int] = {}
    out = []
    for item in chunk:
        k = seen.get(id(item[0]), 0)
        seen[id(item[0])] = k + 1
        out.append((item, k))
    return out


def _common(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _resolve_model(model: str | None) -> str:
    if is_default_name(model):
        return str(find_gguf())
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


def _resolve_lora(lora: str, *, base_gguf: str) -> str:
    path = Path(lora).expanduser()
    if path.is_file():
        return str(path)
    if path.is_dir():
        from lumos.models.gguf_lora import cached_gguf_adapter

        return str(cached_gguf_adapter(path, base_gguf=base_gguf))
    raise ConfigError(f"LoRA adapter {lora!r} not found: give a PEFT adapter folder or a GGUF adapter file")
