"""The domain's tools: each takes text (or an earlier result ``R1``) and returns text."""

from __future__ import annotations

from lumos.tools.base import ExecutionContext, Tool


class Reverse(Tool):
    name = "Reverse"
    description = "Reverse the letters of the text"
    signature = "Reverse(text)"

    def run(self, args: str, ctx: ExecutionContext) -> str:
        return ctx.substitute_text(args.strip())[::-1]


class Upper(Tool):
    name = "Upper"
    description = "Write the text in capital letters"
    signature = "Upper(text)"

    def run(self, args: str, ctx: ExecutionContext) -> str:
        return ctx.substitute_text(args.strip()).upper()
