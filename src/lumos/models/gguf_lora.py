"""Convert a PEFT LoRA adapter (``adapter_config.json`` + ``adapter_model.safetensors``) into a GGUF adapter.

llama.cpp loads LoRA adapters only in GGUF form. The file written here follows llama.cpp's own
``convert_lora_to_gguf.py``:

* metadata ``general.architecture`` (the base model's), ``general.type = "adapter"``, ``adapter.type = "lora"``
  and ``adapter.lora.alpha``;
* per adapted weight ``W`` (GGUF name, e.g. ``blk.3.attn_q.weight``) two float32 tensors ``W.lora_a`` (PEFT's
  ``lora_A``, numpy shape ``(rank, in)``) and ``W.lora_b`` (``lora_B``, ``(out, rank)``); llama.cpp computes
  ``W x + alpha / rank * B (A x)``;
* the Llama architecture's GGUF stores ``q_proj``/``k_proj`` with their rows permuted (``convert_hf_to_gguf``
  reorders the rotary halves), so ``lora_B`` of those two gets the same row permutation, or the adapter would
  add its update to the wrong rows.

PEFT scalings that a single ``alpha`` cannot express (``use_rslora``, ``alpha_pattern``) are folded into
``lora_B``. DoRA, LoRA biases, embedding adapters and ``modules_to_save`` have no llama.cpp counterpart and
are refused with a message.

Needs ``numpy`` and ``gguf``; a ``.bin`` adapter (instead of safetensors) also needs ``torch``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import struct
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lumos.errors import ConfigError, require

logger = logging.getLogger(__name__)

PEFT_TO_GGUF = {
    "q_proj": "attn_q",
    "k_proj": "attn_k",
    "v_proj": "attn_v",
    "o_proj": "attn_output",
    "gate_proj": "ffn_gate",
    "up_proj": "ffn_up",
    "down_proj": "ffn_down",
}
"""PEFT target module -> llama.cpp tensor name (Llama-family layers)."""

CACHE_FILE = "adapter.gguf"
_WEIGHT_FILES = ("adapter_model.safetensors", "adapter_model.bin")
_KEY = re.compile(
    r"layers\.(?P<layer>\d+)\.(?:self_attn|mlp)\.(?P<module>\w+?)\.lora_(?P<part>[AB])(?:\.[\w-]+)?\.weight$"
)
_PERMUTED_ARCHS = frozenset({"llama"})  # convert_hf_to_gguf permutes q/k rows for LlamaModel and its kin
_HF_ARCH = {"llama": "llama", "mistral": "llama"}  # HF model_type -> GGUF architecture


@dataclass(frozen=True)
class BaseInfo:
    """What the conversion needs to know about the base model."""

    arch: str
    n_head: int
    n_head_kv: int
    shapes: dict[str, tuple[int, ...]] | None = None  # GGUF tensor name -> ne (``[in, out]`` for a matrix)

    @property
    def permutes_qk(self) -> bool:
        return self.arch in _PERMUTED_ARCHS


def convert_peft_to_gguf(
    adapter_dir: str | Path, out_file: str | Path, base_gguf: str | Path | None = None
) -> Path:
    """Write ``adapter_dir``'s PEFT LoRA adapter as a GGUF LoRA adapter to ``out_file``; return its path.

    ``base_gguf`` is the GGUF base model the adapter will be used with (its architecture, head counts and tensor
    shapes are read from it, and every adapted tensor is checked against it). Without it, the base is found from
    ``base_model_name_or_path`` in ``adapter_config.json``: the embedded default model, or a local folder with a
    ``config.json``.
    """
    np = require("numpy", extra="llamacpp", purpose="converting LoRA adapters to GGUF")
    gguf = require("gguf", extra="llamacpp", purpose="converting LoRA adapters to GGUF")
    folder = Path(adapter_dir).expanduser()
    config = _read_config(folder)
    base = base_info(base_gguf) if base_gguf is not None else _base_from_config(config, folder)
    tensors = load_adapter_weights(folder)
    pairs = _pair_tensors(tensors, folder)
    alpha = float(config.get("lora_alpha") or 0.0)
    rslora = bool(config.get("use_rslora"))
    alpha_pattern: dict[str, float] = dict(config.get("alpha_pattern") or {})

    out_tensors: list[tuple[str, Any]] = []
    for (layer, module), (a, b) in sorted(pairs.items()):
        a = np.asarray(a, dtype=np.float32)
        b = np.asarray(b, dtype=np.float32)
        rank = a.shape[0]
        if a.ndim != 2 or b.ndim != 2 or b.shape[1] != rank:
            raise ConfigError(
                f"{folder}: layer {layer} {module}: lora_A {a.shape} and lora_B {b.shape} do not fit together"
            )
        name = f"blk.{layer}.{PEFT_TO_GGUF[module]}.weight"
        if base.shapes is not None:
            want = base.shapes.get(name)
            if want is None:
                raise ConfigError(f"{folder}: the base model has no tensor {name} to adapt")
            if tuple(want[:2]) != (a.shape[1], b.shape[0]):
                raise ConfigError(
                    f"{folder}: {name} is {want[0]} in x {want[1]} out in the base model, but the adapter "
                    f"maps {a.shape[1]} -> {b.shape[0]}: the adapter was trained on another model"
                )
        # fold what a single alpha cannot say into B: PEFT's scale for this module vs llama.cpp's alpha / rank
        module_alpha = float(_match_pattern(alpha_pattern, f"model.layers.{layer}.{module}", alpha))
        peft_scale = module_alpha / (math.sqrt(rank) if rslora else rank)
        gguf_scale = alpha / rank if alpha else 1.0
        if not math.isclose(peft_scale, gguf_scale, rel_tol=1e-7):
            b = b * np.float32(peft_scale / gguf_scale)
        if base.permutes_qk and module in ("q_proj", "k_proj"):
            heads = base.n_head if module == "q_proj" else base.n_head_kv
            b = permute_rows(b, heads)
        out_tensors.append((f"{name}.lora_a", np.ascontiguousarray(a)))
        out_tensors.append((f"{name}.lora_b", np.ascontiguousarray(b)))

    out = Path(out_file).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        writer = gguf.GGUFWriter(str(tmp), base.arch)
        writer.add_type(gguf.GGUFType.ADAPTER)
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
        for name, array in out_tensors:
            writer.add_tensor(name, array)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    logger.info("converted the LoRA adapter %s (%d tensors) into %s", folder, len(out_tensors), out)
    return out


def cached_gguf_adapter(adapter_dir: str | Path, base_gguf: str | Path | None = None) -> Path:
    """The GGUF form of a PEFT adapter, converted on first use and again whenever the adapter is newer.

    It is kept as ``adapter.gguf`` inside the adapter folder, or in lumos' cache (``$LUMOS_CACHE/lora/...``)
    where that folder is read-only or part of the installed lumos package (the shipped adapters).
    """
    folder = Path(adapter_dir).expanduser().resolve()
    sources = [folder / "adapter_config.json", _weights_file(folder)]
    newest = max(p.stat().st_mtime for p in sources)
    for candidate in (folder / CACHE_FILE, _fallback_cache(folder)):
        if candidate.is_file() and candidate.stat().st_mtime >= newest:
            return candidate
    package = Path(__file__).resolve().parents[1]
    target = folder / CACHE_FILE
    if not os.access(folder, os.W_OK) or folder.is_relative_to(package):
        target = _fallback_cache(folder)
    return convert_peft_to_gguf(folder, target, base_gguf=base_gguf)


def _fallback_cache(folder: Path) -> Path:
    from lumos.models.default import cache_root

    digest = hashlib.sha1(str(folder).encode()).hexdigest()[:16]
    return cache_root() / "lora" / digest / CACHE_FILE


# -- the base model ---------------------------------------------------------------------------------------------


def base_info(base_gguf: str | Path) -> BaseInfo:
    """Architecture, head counts and tensor shapes of a GGUF model file."""
    gguf = require("gguf", extra="llamacpp", purpose="converting LoRA adapters to GGUF")
    path = Path(base_gguf).expanduser()
    if not path.is_file():
        raise ConfigError(f"base GGUF {str(base_gguf)!r} not found")
    reader = gguf.GGUFReader(str(path))

    def field(key: str) -> Any:
        f = reader.fields.get(key)
        return None if f is None else f.contents()

    arch = field("general.architecture")
    if not arch:
        raise ConfigError(f"{path} has no general.architecture: not a GGUF model")
    n_head = field(f"{arch}.attention.head_count")
    n_head_kv = field(f"{arch}.attention.head_count_kv") or n_head
    if isinstance(n_head, list) or isinstance(n_head_kv, list):  # per-layer head counts: not a Llama layout
        raise ConfigError(f"{path}: per-layer head counts are not supported by the LoRA converter")
    shapes = {t.name: tuple(int(x) for x in t.shape) for t in reader.tensors}
    return BaseInfo(arch=str(arch), n_head=int(n_head or 0), n_head_kv=int(n_head_kv or 0), shapes=shapes)


def _base_from_config(config: dict[str, Any], folder: Path) -> BaseInfo:
    from lumos.models.default import default_cache_dir, find_gguf, is_default_name

    name = str(config.get("base_model_name_or_path") or "")
    local = Path(name).expanduser() if name else None
    if is_default_name(name) or (
        local is not None and local.exists() and local.resolve() == default_cache_dir().resolve()
    ):
        return base_info(find_gguf())
    if local is not None and (local / "config.json").is_file():
        hf = json.loads((local / "config.json").read_text())
        model_type = str(hf.get("model_type", ""))
        n_head = int(hf.get("num_attention_heads", 0))
        return BaseInfo(
            arch=_HF_ARCH.get(model_type, model_type),
            n_head=n_head,
            n_head_kv=int(hf.get("num_key_value_heads") or n_head),
        )
    raise ConfigError(
        f"{folder}: cannot tell which model the adapter was trained on (base_model_name_or_path={name!r} is "
        "neither the embedded default nor a local model folder); pass base_gguf=the GGUF base model"
    )


# -- the adapter --------------------------------------------------------------------------------------------


def _read_config(folder: Path) -> dict[str, Any]:
    path = folder / "adapter_config.json"
    if not path.is_file():
        raise ConfigError(f"{folder} is not a PEFT adapter folder (no adapter_config.json)")
    config: dict[str, Any] = json.loads(path.read_text())
    kind = str(config.get("peft_type", "LORA")).upper()
    if kind != "LORA":
        raise ConfigError(f"{folder}: only LoRA adapters convert to GGUF, not {kind}")
    if config.get("use_dora"):
        raise ConfigError(
            f"{folder}: DoRA adapters (use_dora) have no llama.cpp counterpart; merge it instead"
        )
    if config.get("lora_bias"):
        raise ConfigError(f"{folder}: LoRA biases (lora_bias) have no llama.cpp counterpart")
    if config.get("modules_to_save"):
        raise ConfigError(
            f"{folder}: modules_to_save {config['modules_to_save']} are full weights, not LoRA; "
            "llama.cpp adapters cannot carry them"
        )
    return config


def _weights_file(folder: Path) -> Path:
    for name in _WEIGHT_FILES:
        if (folder / name).is_file():
            return folder / name
    raise ConfigError(f"{folder} has no adapter weights ({' or '.join(_WEIGHT_FILES)})")


def load_adapter_weights(folder: str | Path) -> dict[str, Any]:
    """The adapter's tensors as float32 numpy arrays (safetensors read directly; ``.bin`` needs torch)."""
    path = _weights_file(Path(folder))
    if path.suffix == ".safetensors":
        return read_safetensors(path)
    torch = require("torch", extra="hf", purpose="reading a .bin LoRA adapter")
    state = torch.load(path, map_location="cpu", weights_only=True)
    return {k: v.float().numpy() for k, v in state.items()}


_DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "BF16": "bf16"}


def read_safetensors(path: str | Path) -> dict[str, Any]:
    """Read a safetensors file into float32 numpy arrays (bf16 included, which numpy cannot hold)."""
    np = require("numpy", extra="llamacpp", purpose="reading LoRA adapters")
    data = Path(path).read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    start = 8 + size
    out: dict[str, Any] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            raise ConfigError(f"{path}: tensor {name} has dtype {info['dtype']}; expected a float type")
        lo, hi = info["data_offsets"]
        raw = data[start + lo : start + hi]
        shape = tuple(info["shape"])
        if dtype == "bf16":
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            array = bits.view(np.float32)
        else:
            array = np.frombuffer(raw, dtype=dtype).astype(np.float32)
        out[name] = array.reshape(shape)
    return out


def _pair_tensors(tensors: dict[str, Any], folder: Path) -> dict[tuple[int, str], tuple[Any, Any]]:
    parts: dict[tuple[int, str], dict[str, Any]] = {}
    unsupported = []
    for key, value in tensors.items():
        m = _KEY.search(key)
        if m is None or m["module"] not in PEFT_TO_GGUF:
            unsupported.append(key)
            continue
        parts.setdefault((int(m["layer"]), m["module"]), {})[m["part"]] = value
    if unsupported:
        raise ConfigError(
            f"{folder}: tensors llama.cpp adapters cannot hold: {', '.join(sorted(unsupported)[:5])}"
            + (" ..." if len(unsupported) > 5 else "")
            + f" (supported: LoRA on {', '.join(PEFT_TO_GGUF)} of the decoder layers)"
        )
    if not parts:
        raise ConfigError(f"{folder}: the adapter holds no LoRA weights")
    pairs: dict[tuple[int, str], tuple[Any, Any]] = {}
    for where, ab in parts.items():
        if set(ab) != {"A", "B"}:
            raise ConfigError(f"{folder}: layer {where[0]} {where[1]} lacks lora_{'B' if 'A' in ab else 'A'}")
        pairs[where] = (ab["A"], ab["B"])
    return pairs


def _match_pattern(pattern: dict[str, float], module: str, default: float) -> float:
    """PEFT's ``alpha_pattern`` lookup: a key matches the end of the module's dotted name (regex allowed)."""
    for key, value in pattern.items():
        if re.fullmatch(rf"(.*\.)?(?:{key})", module):
            return value
    return default


def permute_rows(weight: Any, n_head: int) -> Any:
    """The row order ``convert_hf_to_gguf`` gives Llama's q/k projections (rotary halves interleaved).

    Rows ``[h, 2, d/2]`` become ``[h, d/2, 2]``: for every head, the two halves of the rotary dimension are
    interleaved, which is the layout llama.cpp's RoPE expects.
    """
    rows = weight.shape[0]
    if n_head <= 0 or rows % (2 * n_head):
        raise ConfigError(f"cannot permute {rows} rows for {n_head} heads")
    return (
        weight.reshape(n_head, 2, rows // n_head // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)
    )
