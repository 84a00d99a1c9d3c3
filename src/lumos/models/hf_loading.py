"""Loading weights for the transformers backend: the model, its tokenizer and LoRA adapters, from the embedded
default, a local folder or the Hugging Face Hub (with errors that say how to get it offline).

Importing this module does not import torch; loading does.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lumos.errors import ConfigError, require
from lumos.models.default import is_default_name, resolve_default

logger = logging.getLogger(__name__)

CHAT_TEMPLATES = ("auto", "tulu", "native")
DTYPES = {
    "float32": "float32",
    "fp32": "float32",
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
    "float16": "float16",
    "fp16": "float16",
    "half": "float16",
}
_THREADS_SET = False


@dataclass
class LoadedWeights:
    """Weights and tokenizer loaded once, shared by every :class:`HFModel` built over them."""

    model: Any
    tokenizer: Any
    device: str
    source: str
    adapters: dict[str, str | None] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def check_options(chat_template: str, batch_size: int, max_prompt_tokens: int | None) -> None:
    if chat_template not in CHAT_TEMPLATES:
        raise ConfigError(f"chat_template must be one of {', '.join(CHAT_TEMPLATES)}, not {chat_template!r}")
    if batch_size < 1:
        raise ConfigError(f"batch_size must be at least 1, not {batch_size}")
    if max_prompt_tokens is not None and max_prompt_tokens < 1:
        raise ConfigError(f"max_prompt_tokens must be at least 1, not {max_prompt_tokens}")


def hub_offline() -> bool:
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in {"1", "true", "yes", "on"}:
            return True
    return False


def set_threads(torch: Any) -> None:
    """Use every CPU this process may run on, unless ``LUMOS_NUM_THREADS`` or ``OMP_NUM_THREADS`` says otherwise."""
    global _THREADS_SET
    if _THREADS_SET:
        return
    wanted = os.environ.get("LUMOS_NUM_THREADS", "").strip()
    if not wanted and os.environ.get("OMP_NUM_THREADS"):
        _THREADS_SET = True
        return  # the user (or a launcher) already chose; torch honours it
    try:
        cpus = int(wanted) if wanted else len(os.sched_getaffinity(0))
    except ValueError as exc:
        raise ConfigError(f"LUMOS_NUM_THREADS must be a whole number, not {wanted!r}") from exc
    except AttributeError:  # pragma: no cover - macOS, Windows have no sched_getaffinity
        cpus = os.cpu_count() or 1
    if cpus >= 1 and torch.get_num_threads() != cpus:
        torch.set_num_threads(cpus)
    _THREADS_SET = True


def dtype_of(torch: Any, dtype: str, device: str) -> Any:
    key = dtype.strip().lower()
    if key == "auto":
        if device.startswith("cuda"):
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    if key not in DTYPES:
        raise ConfigError(f"unknown dtype {dtype!r}; use 'auto' or one of {', '.join(sorted(DTYPES))}")
    return getattr(torch, DTYPES[key])


def resolve_source(model: str) -> tuple[str, bool]:
    """(what to pass to from_pretrained, whether it is a local folder)."""
    if is_default_name(model):
        return str(resolve_default()), True
    path = Path(model).expanduser()
    if path.is_dir():
        return str(path), True
    if path.exists():
        raise ConfigError(f"model {model!r} is a file, not a model folder (config.json, weights, tokenizer)")
    if model.startswith((".", "/", "~")) or model.count("/") > 1 or "\\" in model:
        raise ConfigError(f"model folder {model!r} does not exist")
    return model, False


def hub_error(what: str, name: str, exc: BaseException) -> ConfigError:
    offline = hub_offline()
    why = (
        "offline mode is on (HF_HUB_OFFLINE) and it is not in the local Hugging Face cache"
        if offline
        else str(exc)
    )
    return ConfigError(
        f"Could not load {what} {name!r} from the Hugging Face Hub: {why}. "
        f"Download it while online (e.g. `hf download {name}`) so it is in the Hugging Face cache, "
        f"or pass the path of a local folder instead."
    )


def load_weights(model: str, adapters: dict[str, str | None], *, device: str | None, dtype: str) -> LoadedWeights:
    torch = require("torch", extra="hf", purpose="the hf backend")
    transformers = require("transformers", extra="hf", purpose="the hf backend")
    set_threads(torch)
    transformers.utils.logging.disable_progress_bar()  # a weights bar on every load is noise in `lumos run`
    source, local = resolve_source(model)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    torch_dtype = dtype_of(torch, dtype, device)
    offline = hub_offline() and not local
    started = time.perf_counter()
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(source, local_files_only=offline)
        net = transformers.AutoModelForCausalLM.from_pretrained(
            source, dtype=torch_dtype, local_files_only=offline
        )
    except (KeyboardInterrupt, MemoryError):
        raise
    except Exception as exc:
        if local:
            raise ConfigError(f"could not load the model folder {source!r}: {exc}") from exc
        raise hub_error("model", model, exc) from exc
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    net = net.to(device).eval()
    named = {name: path for name, path in adapters.items() if path}
    if named:
        net = attach_adapters(net, named)
    logger.info("loaded %s on %s in %.2f s", model, device, time.perf_counter() - started)
    return LoadedWeights(model=net, tokenizer=tokenizer, device=device, source=source, adapters=dict(adapters))


def attach_adapters(net: Any, adapters: dict[str, str]) -> Any:
    peft = require("peft", extra="train", purpose="LoRA adapters")
    offline = hub_offline()
    wrapped = None
    for name, path in adapters.items():
        local = Path(path).expanduser().is_dir()
        where = str(Path(path).expanduser()) if local else path
        try:
            if wrapped is None:
                wrapped = peft.PeftModel.from_pretrained(
                    net, where, adapter_name=name, local_files_only=offline and not local
                )
            else:
                wrapped.load_adapter(where, adapter_name=name, local_files_only=offline and not local)
        except (KeyboardInterrupt, MemoryError):
            raise
        except Exception as exc:
            if local:
                raise ConfigError(f"could not load the LoRA adapter folder {where!r}: {exc}") from exc
            raise hub_error("LoRA adapter", path, exc) from exc
    assert wrapped is not None
    return wrapped.eval()
