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
  so when an agent sends the same conversation again one turn longer, only the new turn is evaluated;
* while only a few requests are still generating (a batch's long tail), each step also checks a few tokens
  guessed from the request's own prompt and output, and keeps those greedy decoding picks
  (:mod:`lumos.models.llamacpp.drafts`).

Greedy output does not depend on how prompts are batched (tested with ``draft_tokens=0``): llama.cpp computes
every sequence's tokens with the same kernels whatever else is in the batch. Drafted steps are the exception:
they feed several tokens of one sequence at once, which llama.cpp rounds differently in the last bits, so a
near-tie can go the other way where a request ended up among a batch's last few (on 20 HotpotQA questions no
output changed). ``LUMOS_DRAFT_TOKENS=0`` (or ``draft_tokens=0``) keeps the strict guarantee.

Prompts are rendered with the same chat-template choice as the ``hf`` backend (Tulu turns for ``ai2lumos/...``
models, else the template stored in the GGUF), so both engines see the same text.
"""

from lumos.models.llamacpp.engine import LlamaCppModel
from lumos.models.llamacpp.state import EngineStats
from lumos.models.llamacpp.templates import pick_template, render_native
from lumos.models.llamacpp.weights import requantized_gguf

__all__ = ["EngineStats", "LlamaCppModel", "pick_template", "render_native", "requantized_gguf"]
