"""LoRA adapters laid into a copy of the embedded model's weights, once, for the llama.cpp engine.

llama.cpp applies an attached adapter at every step as two extra small matrix products per adapted weight; on
this project's CPU prompts then ran 1.5-2x slower than over a merged float32 copy (``W + scale * B A``), and
decoding no faster (docs/engines.md). The float32 copy holds exactly the weights the adapter was trained over
(the de-quantized 4-bit model) plus its update; an 8-bit copy would round most of the small update away. It is
written once per adapter file and scale into the lumos cache (``models/``), under a temporary name and renamed,
so a killed merge never leaves a broken model behind.

The attached path computes over 8-bit weights, so a few greedy choices differ between the two
(``merge_lora=False`` or ``LUMOS_MERGE_LORA=0`` keeps the adapter attached).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path
from typing import Any

from lumos.errors import BackendError, require
from lumos.models.default import cache_root, write_once

logger = logging.getLogger(__name__)

KEEP_MERGED = 4
"""Merged copies kept in the cache (540 MB each for the default model in float32); the least recently used go."""


def merged_gguf(lib: Any, base_f32: Path, adapter_gguf: Path, scale: float, kind: str, quantize: Any) -> Path:
    """The float32 model ``base_f32`` with the GGUF LoRA ``adapter_gguf`` (times ``scale``) added into its
    weights, as a ``kind`` model file (``quantize(lib, source, target, kind)`` writes it)."""
    digest = hashlib.sha256()
    digest.update(adapter_gguf.read_bytes())
    digest.update(f"{base_f32.name}:{base_f32.stat().st_size}:{scale!r}".encode())
    folder = cache_root() / "models"
    target = folder / f"{base_f32.stem}.lora-{digest.hexdigest()[:16]}.{kind.upper()}.gguf"

    def write(tmp: Path) -> None:
        if kind == "f32":
            write_merged(base_f32, adapter_gguf, scale, tmp)
            return
        merged_f32 = tmp.with_name(tmp.name + ".f32")
        try:
            write_merged(base_f32, adapter_gguf, scale, merged_f32)
            quantize(lib, merged_f32, tmp, kind)
        finally:
            merged_f32.unlink(missing_ok=True)

    started = time.perf_counter()
    if write_once(target, write):
        logger.info("lumos: %s merged into %s in %.1f s", adapter_gguf, target, time.perf_counter() - started)
        _prune(folder, f"{base_f32.stem}.lora-*.gguf", KEEP_MERGED)
    else:
        os.utime(target)  # recently used: kept by the pruning
    return target


def _prune(folder: Path, pattern: str, keep: int) -> None:
    """Delete all but the ``keep`` most recently used files matching ``pattern`` (with their lock files)."""
    found = sorted(folder.glob(pattern), key=lambda f: f.stat().st_mtime, reverse=True)
    for old in found[keep:]:
        old.unlink(missing_ok=True)
        (folder / f".{old.name}.lock").unlink(missing_ok=True)


def write_merged(base_f32: Path, adapter_gguf: Path, scale: float, out: Path) -> int:
    """Write ``base_f32`` with every weight the adapter adapts replaced by ``W + scale * alpha / rank * B A``
    to ``out``; returns how many weights were changed."""
    gguf = require("gguf", extra="hf", purpose="merging a LoRA adapter into the model")
    np = require("numpy", extra="hf", purpose="merging a LoRA adapter into the model")

    base = gguf.GGUFReader(base_f32)
    adapter = gguf.GGUFReader(adapter_gguf)
    alpha_field = adapter.fields.get("adapter.lora.alpha")
    if alpha_field is None:
        raise BackendError(f"{adapter_gguf} has no adapter.lora.alpha: is it a GGUF LoRA adapter?")
    alpha = float(alpha_field.contents())
    parts = {t.name: t for t in adapter.tensors}
    arch_field = base.fields.get(gguf.Keys.General.ARCHITECTURE)
    if arch_field is None:
        raise BackendError(f"{base_f32} names no architecture")
    writer = gguf.GGUFWriter(str(out), str(arch_field.contents()))
    for field in base.fields.values():
        if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue  # written by the writer itself
        value_type = field.types[0]
        sub_type = field.types[-1] if value_type == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), value_type, sub_type=sub_type)
    changed = 0
    for tensor in base.tensors:
        data = tensor.data
        a, b = parts.get(f"{tensor.name}.lora_a"), parts.get(f"{tensor.name}.lora_b")
        if a is not None and b is not None:
            if tensor.tensor_type != gguf.GGMLQuantizationType.F32:
                raise BackendError(
                    f"{base_f32}: {tensor.name} is not float32; merging needs the float32 copy"
                )
            lora_a = np.asarray(a.data, dtype=np.float32)  # (rank, in)
            lora_b = np.asarray(b.data, dtype=np.float32)  # (out, rank)
            data = np.asarray(data, dtype=np.float32) + (scale * alpha / lora_a.shape[0]) * (lora_b @ lora_a)
            changed += 1
        writer.add_tensor(tensor.name, np.ascontiguousarray(data), raw_dtype=tensor.tensor_type)
    if changed * 2 != len([n for n in parts if n.endswith((".lora_a", ".lora_b"))]):
        raise BackendError(f"{adapter_gguf} adapts weights that {base_f32} does not have")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return changed
