"""What the maths tools share: turning odd input into step errors, argument clean-up, names."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from lumos.tools.base import ExecutionContext
from lumos.tools.safe_math import math_errors_as_tool_errors, render_value

VARIABLE = re.compile(r"\b(?:R\d+|Output)\b")
IDENTIFIER = re.compile(r"^[A-Za-z_]\w*$")


class MathTool:
    """Shared behaviour of the maths tools (a mixin, so that :class:`Tool` still checks each tool class)."""

    name: ClassVar[str]

    def run(self, args: str, ctx: ExecutionContext) -> Any:
        def messages() -> tuple[str, str, str]:
            name = self.name
            return (
                f"{name} ran out of memory",
                f"{name}: the input is too deeply nested",
                f"{name} failed on {shorten(args)!r}",
            )

        with math_errors_as_tool_errors(messages):
            return self._run(self._prepare(args), ctx)

    def _prepare(self, args: str) -> str:
        return clean_args(args)

    def _run(self, args: str, ctx: ExecutionContext) -> Any:
        raise NotImplementedError

    def render(self, value: Any) -> str:
        return render_value(value)


def clean_args(args: str) -> str:
    text = args.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" and text[0] not in text[1:-1]:
        text = text[1:-1].strip()
    return text


def shorten(text: str, limit: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
