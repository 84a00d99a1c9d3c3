"""In-process generation with transformers: batched, left-padded, with stop strings.

``HFModel("default")`` (or ``"smollm2-135m"``) serves the embedded SmolLM2-135M-Instruct (see
:mod:`lumos.models.default`); a local folder loads directly; any other name is a Hugging Face Hub id. A LoRA
adapter can be laid over the base (``adapter=``), and :func:`load_shared_base` serves several adapters (a planner
and a grounder) over one copy of the base weights.

Loading the weights is :mod:`lumos.models.hf_loading`. Importing this module does not import torch;
constructing a model does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Literal

from lumos.errors import BackendError, ConfigError, require
from lumos.models.base import (
    Conversation,
    Generation,
    GenerationParams,
    Model,
    apply_end_check,
    truncate_at_stop,
)
from lumos.models.default import DEFAULT_MODEL, is_default_name
from lumos.models.hf_loading import LoadedWeights, check_options, load_weights
from lumos.models.templates import pick_template, render_prompt

logger = logging.getLogger(__name__)

ChatTemplate = Literal["auto", "tulu", "native"]


class HFModel(Model):
    """A causal LM served in-process by transformers.

    Args:
        model: ``"default"``/``"smollm2-135m"`` (the embedded model), a local folder, or a Hub id.
        adapter: a PEFT LoRA adapter (folder or Hub id) to lay over ``model``; needs ``peft``.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``...; default CUDA when available, else CPU.
        dtype: ``"auto"`` (float32 on CPU, bfloat16 on CUDA when supported, else float16) or a dtype name.
        chat_template: ``"auto"`` (Tulu turns for the released Lumos checkpoints, else the tokenizer's own
            template, else Tulu), ``"tulu"`` or ``"native"`` to force one.
        batch_size: most conversations generated together; longer requests are split.
        max_prompt_tokens: prompts longer than this keep their last ``max_prompt_tokens`` tokens.

    ``Generation.seconds`` is the wall time of the batch a conversation ran in, divided by the batch size, so
    the values add up to the total generation time.
    """

    def __init__(
        self,
        model: str,
        *,
        adapter: str | None = None,
        device: str | None = None,
        dtype: str = "auto",
        chat_template: str = "auto",
        batch_size: int = 16,
        max_prompt_tokens: int | None = None,
    ) -> None:
        check_options(chat_template, batch_size, max_prompt_tokens)
        adapters: dict[str, str | None] = {"default": adapter} if adapter else {}
        core = load_weights(model, adapters, device=device, dtype=dtype)
        self._setup(core, "default" if adapter else None, model, chat_template, batch_size, max_prompt_tokens)

    @classmethod
    def _from_core(
        cls,
        core: LoadedWeights,
        adapter_name: str | None,
        model: str,
        chat_template: str,
        batch_size: int,
        max_prompt_tokens: int | None,
    ) -> HFModel:
        obj = cls.__new__(cls)
        obj._setup(core, adapter_name, model, chat_template, batch_size, max_prompt_tokens)
        return obj

    def _setup(
        self,
        core: LoadedWeights,
        adapter_name: str | None,
        model: str,
        chat_template: str,
        batch_size: int,
        max_prompt_tokens: int | None,
    ) -> None:
        self._core: LoadedWeights | None = core
        self._adapter_name = adapter_name
        adapter_path = core.adapters.get(adapter_name) if adapter_name else None
        base_name = DEFAULT_MODEL if is_default_name(model) else model
        self.name = f"{base_name}+{adapter_path}" if adapter_path else base_name
        self.batch_size = batch_size
        self.max_prompt_tokens = max_prompt_tokens
        self.template = pick_template(chat_template, [base_name, adapter_path or ""], core.tokenizer)
        self._warned_truncation = False

    # -- public helpers -------------------------------------------------------------------------------------

    @property
    def tokenizer(self) -> Any:
        return self._require_core().tokenizer

    @property
    def device(self) -> str:
        return self._require_core().device

    def format_prompt(self, conversation: Conversation) -> str:
        """The exact text the model is given for ``conversation`` (chat template applied; a final assistant
        message is continued)."""
        return render_prompt(self._require_core().tokenizer, conversation, self.template)

    def prompt_room(self, max_tokens: int) -> int | None:
        return self.max_prompt_tokens

    def count_tokens(self, conversation: Conversation) -> int:
        return len(self._ids(conversation))

    def _ids(self, conversation: Conversation) -> list[int]:
        tok = self._require_core().tokenizer
        return list(tok(self.format_prompt(conversation), add_special_tokens=self.template == "tulu")["input_ids"])

    def encode(self, conversation: Conversation) -> list[int]:
        """Prompt token ids (after ``max_prompt_tokens`` truncation)."""
        ids = self._ids(conversation)
        if self.max_prompt_tokens is not None and len(ids) > self.max_prompt_tokens:
            if not self._warned_truncation:
                logger.warning(
                    "%s: a prompt of %d tokens was cut to its last %d (max_prompt_tokens)",
                    self.name,
                    len(ids),
                    self.max_prompt_tokens,
                )
                self._warned_truncation = True
            ids = ids[-self.max_prompt_tokens :]
        return ids

    # -- generation -----------------------------------------------------------------------------------------

    def generate(self, conversations: Sequence[Conversation], params: GenerationParams) -> list[Generation]:
        core = self._require_core()
        if not conversations:
            return []
        encoded = [self.encode(c) for c in conversations]
        if params.max_tokens <= 0:
            return [Generation(text="", prompt_tokens=len(ids), finish_reason="length") for ids in encoded]
        torch = require("torch", extra="hf")
        if params.seed is not None:
            torch.manual_seed(params.seed)
        # Similar lengths together: less padding. Results go back in input order.
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]), reverse=True)
        results: list[Generation | None] = [None] * len(encoded)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            for i, gen in zip(
                chunk, self._generate_batch(core, [encoded[i] for i in chunk], params), strict=True
            ):
                results[i] = gen
        return [g for g in results if g is not None]

    def _generate_batch(
        self, core: LoadedWeights, batch: list[list[int]], params: GenerationParams
    ) -> list[Generation]:
        torch = require("torch", extra="hf")
        transformers = require("transformers", extra="hf")
        tok = core.tokenizer
        pad_id = _pad_id(tok)
        width = max(len(ids) for ids in batch)
        input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
        attention = torch.zeros((len(batch), width), dtype=torch.long)
        for row, ids in enumerate(batch):  # left padding: the prompts end where generation starts
            if ids:
                input_ids[row, width - len(ids) :] = torch.tensor(ids, dtype=torch.long)
                attention[row, width - len(ids) :] = 1
        eos_ids = _eos_ids(core)
        stops = [s for s in params.stop if s]
        sampling = params.temperature > 0
        config = transformers.GenerationConfig(
            max_new_tokens=params.max_tokens,
            do_sample=sampling,
            temperature=params.temperature if sampling else None,
            top_p=1.0 if sampling else None,
            top_k=0 if sampling else None,
            eos_token_id=eos_ids or None,
            pad_token_id=pad_id,
            bos_token_id=tok.bos_token_id,
        )
        criteria = None
        if stops:
            criteria = transformers.StoppingCriteriaList(
                [transformers.StopStringCriteria(tokenizer=tok, stop_strings=stops)]
            )
        started = time.perf_counter()
        with core.lock, self._adapter_context(core), torch.inference_mode():
            output = core.model.generate(
                input_ids=input_ids.to(core.device),
                attention_mask=attention.to(core.device),
                generation_config=config,
                stopping_criteria=criteria,
            )
        seconds = (time.perf_counter() - started) / len(batch)
        new_tokens = output[:, width:].tolist()
        ends = set(eos_ids) | {pad_id}
        return [
            self._finish(
                tok, ids, prompt_len=len(prompt), ends=ends, stops=stops, params=params, seconds=seconds
            )
            for ids, prompt in zip(new_tokens, batch, strict=True)
        ]

    @staticmethod
    def _finish(
        tok: Any,
        ids: list[int],
        *,
        prompt_len: int,
        ends: set[int],
        stops: list[str],
        params: GenerationParams,
        seconds: float,
    ) -> Generation:
        end = next((k for k, t in enumerate(ids) if t in ends), len(ids))
        text, stopped = truncate_at_stop(tok.decode(ids[:end], skip_special_tokens=True), stops)
        if stopped:  # generation halted on the token that completed the stop string; padding follows
            finish, used = "stop", end
        elif end < len(ids):  # an end-of-sequence token: it was generated, so it counts
            finish, used = "stop", end + 1
        else:
            finish, used = ("length" if len(ids) >= params.max_tokens else "stop"), end
        text, ended = apply_end_check(text, params.end_check)  # applied to the finished text: no time saved
        if ended:
            finish = "end_check"
        return Generation(
            text=text,
            prompt_tokens=prompt_len,
            completion_tokens=used,
            finish_reason=finish,  # type: ignore[arg-type]
            seconds=seconds,
        )

    def _adapter_context(self, core: LoadedWeights) -> AbstractContextManager[Any]:
        if not core.adapters:
            return nullcontext()
        if self._adapter_name is None:  # the bare base, served from the adapter-wrapped model
            return core.model.disable_adapter()
        core.model.set_adapter(self._adapter_name)
        return nullcontext()

    def _require_core(self) -> LoadedWeights:
        if self._core is None:
            raise BackendError(f"{self.name}: the model was closed")
        return self._core

    def close(self) -> None:
        """Drop this handle's reference to the weights (they are freed when no handle holds them)."""
        core, self._core = self._core, None
        if core is not None and core.device.startswith("cuda"):
            torch = require("torch", extra="hf")
            torch.cuda.empty_cache()

    def __repr__(self) -> str:
        device = self._core.device if self._core else "closed"
        return f"HFModel({self.name!r}, device={device!r}, template={self.template!r})"


def load_shared_base(
    model: str,
    adapters: dict[str, str | None],
    *,
    device: str | None = None,
    dtype: str = "auto",
    chat_template: str = "auto",
    batch_size: int = 16,
    max_prompt_tokens: int | None = None,
) -> dict[str, HFModel]:
    """Load ``model`` once and lay every LoRA adapter over it; return one :class:`HFModel` per adapter.

    ``load_shared_base("meta-llama/Llama-2-7b-hf", {"planner": "out/plan", "grounder": "out/ground"})``
    gives two models sharing the base weights; each ``generate`` switches to its adapter first (calls are
    serialised by a lock, so the handles are safe to use from several threads). A value of ``None`` gives a
    handle on the bare base (adapters disabled).
    """
    if not adapters:
        raise ConfigError("load_shared_base needs at least one adapter, e.g. {'planner': 'path/to/lora'}")
    check_options(chat_template, batch_size, max_prompt_tokens)
    named = {role: path for role, path in adapters.items() if path}
    if not named:
        raise ConfigError("load_shared_base: every adapter path is empty; use HFModel for the bare base")
    core = load_weights(model, dict(adapters), device=device, dtype=dtype)
    return {
        role: HFModel._from_core(
            core, role if path else None, model, chat_template, batch_size, max_prompt_tokens
        )
        for role, path in adapters.items()
    }


def _pad_id(tok: Any) -> int:
    pad = tok.pad_token_id
    if pad is None:
        pad = tok.eos_token_id if tok.eos_token_id is not None else 0
    return int(pad)


def _eos_ids(core: LoadedWeights) -> list[int]:
    ids: list[int] = []
    configured = getattr(getattr(core.model, "generation_config", None), "eos_token_id", None)
    for value in (configured, core.tokenizer.eos_token_id):
        if value is None:
            continue
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if int(v) not in ids:
                ids.append(int(v))
    return ids
