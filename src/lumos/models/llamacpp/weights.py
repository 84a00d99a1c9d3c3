"""Loading llama.cpp and its weights: one copy of a GGUF model (and of each LoRA adapter) per process,
shared by every model object over it; re-quantized copies of the default model; where a model or adapter
named by the user is."""

from __future__ import annotations

import ctypes
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lumos.errors import BackendError, ConfigError, MissingDependencyError
from lumos.models.default import cache_root, find_gguf, is_default_name, write_once

logger = logging.getLogger(__name__)


def import_llama_cpp() -> Any:
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


def thread_count() -> int:
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
class SharedWeights:
    path: str
    ptr: Any
    n_gpu_layers: int
    users: int = 0
    adapters: dict[str, Any] = field(default_factory=dict)


_WEIGHTS: dict[tuple[str, int], SharedWeights] = {}
_WEIGHTS_LOCK = threading.Lock()
_BACKEND_READY = False


def acquire_weights(lib: Any, path: str, n_gpu_layers: int) -> SharedWeights:
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
            weights = _WEIGHTS[key] = SharedWeights(path=path, ptr=ptr, n_gpu_layers=n_gpu_layers)
        weights.users += 1
        return weights


def lora_adapter(lib: Any, weights: SharedWeights, path: str) -> Any:
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


def release_weights(lib: Any, weights: SharedWeights) -> None:
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


def resolve_model(lib: Any, model: str | None, default_weights: str = "shipped") -> str:
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
    started = time.perf_counter()
    if write_once(target, lambda tmp: quantize(lib, source, tmp, kind)):
        logger.info(
            "lumos: %s re-quantized to %s in %.1f s: %s",
            source.name,
            kind,
            time.perf_counter() - started,
            target,
        )
    return target


def quantize(lib: Any, source: Path, target: Path, kind: str) -> None:
    """Write ``source`` as a ``kind`` (q8_0, f16, bf16, f32) model file ``target``, by llama.cpp itself."""
    params = lib.llama_model_quantize_default_params()
    params.ftype = getattr(lib, _FTYPES[kind])
    params.allow_requantize = True
    rc = lib.llama_model_quantize(str(source).encode(), str(target).encode(), ctypes.byref(params))
    if rc != 0 or not target.is_file():
        target.unlink(missing_ok=True)
        raise BackendError(f"llama.cpp could not re-quantize {source} to {kind} (code {rc})")


def merged_default(lib: Any, adapter_path: str, lora_scale: float) -> str:
    """The embedded default with the GGUF adapter laid into its weights (:mod:`lumos.models.llamacpp.merge`), in
    float32: exactly the weights the adapter was trained over (the de-quantized 4-bit model) plus its update.
    An 8-bit copy would round most of the update away (it is small beside the weights' 8-bit steps)."""
    from lumos.models.llamacpp.merge import merged_gguf

    base_f32 = requantized_gguf(lib, find_gguf(), "f32")
    return str(merged_gguf(lib, base_f32, Path(adapter_path), lora_scale, "f32", quantize))


def resolve_lora(lora: str, *, base_gguf: str) -> str:
    path = Path(lora).expanduser()
    if path.is_file():
        return str(path)
    if path.is_dir():
        from lumos.models.gguf_lora import cached_gguf_adapter

        return str(cached_gguf_adapter(path, base_gguf=base_gguf))
    raise ConfigError(f"LoRA adapter {lora!r} not found: give a PEFT adapter folder or a GGUF adapter file")
