"""Which in-process engine serves a model fastest on this machine.

``fastest_backend()`` answers ``"llamacpp"`` for the embedded default model when llama-cpp-python is installed
(its 4-bit GGUF, batched by llama.cpp, is several times faster on a CPU than transformers in float32) and
``"hf"`` otherwise (``LUMOS_ENGINE=hf`` chooses transformers). A ``.gguf`` file can only be served by llama.cpp. Nothing heavy is imported: the answer
comes from the installed packages' metadata. On a CUDA machine, serve large batches with the ``hf`` backend
or vLLM instead (see ``docs/engines.md``); this function does not look for a GPU.
"""

from __future__ import annotations

import importlib.util
import os


def _llama_cpp_importable() -> bool:
    try:
        return importlib.util.find_spec("llama_cpp") is not None
    except (ImportError, ValueError):
        return False


def _default_gguf_present() -> bool:
    from lumos.models.default import DefaultModelMissingError, find_gguf

    try:
        find_gguf()
    except DefaultModelMissingError:
        return False
    return True


def fastest_backend(model: str | None = None) -> str:
    """``"llamacpp"`` or ``"hf"``: the backend to serve ``model`` (``None``: the embedded default) with."""
    from lumos.models.default import is_default_name

    if model is not None and model.lower().endswith(".gguf"):
        return "llamacpp"
    # LUMOS_ENGINE=hf keeps transformers (the reference engine, float32 arithmetic)
    if os.environ.get("LUMOS_ENGINE", "").strip().lower() == "hf":
        return "hf"
    if is_default_name(model) and _llama_cpp_importable() and _default_gguf_present():
        return "llamacpp"
    return "hf"
