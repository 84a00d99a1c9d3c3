"""Chat templates for GGUF models: the Tulu turns of the released Lumos models, or the Jinja template stored in
the GGUF, rendered as ``tokenizer.apply_chat_template`` does."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from lumos.errors import ConfigError
from lumos.models.base import Conversation
from lumos.models.templates import uses_tulu_template

CHAT_TEMPLATES = ("auto", "tulu", "native")


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
    if choice not in CHAT_TEMPLATES:
        raise ConfigError(f"chat_template must be one of {', '.join(CHAT_TEMPLATES)}, not {choice!r}")
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
