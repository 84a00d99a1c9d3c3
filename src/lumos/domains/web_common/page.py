"""What the web tools need from a page: its candidate elements, and a way to act on one.

Mind2Web replays a recorded page (acting records the prediction); MiniWoB++ drives a live page in a browser.
Both implement :class:`WebPage`, so ``CLICK`` / ``TYPE`` / ``SELECT`` are written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

Operation = Literal["CLICK", "TYPE", "SELECT"]
OPERATIONS: tuple[Operation, ...] = ("CLICK", "TYPE", "SELECT")


@dataclass
class Element:
    """One element a tool may act on. ``ref`` is stable within the page (Mind2Web's backend_node_id, a
    live page's element ref); ``text`` is what a ranker and a model read."""

    ref: str
    tag: str
    text: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    context: str = ""  # ancestors or surroundings, for ranking and display

    def describe(self) -> str:
        """One line for a ranker or a prompt: ``[ref] <tag attr=value> text (in: context)``."""
        attrs = " ".join(f'{k}="{v}"' for k, v in self.attributes.items() if v)
        head = f"<{self.tag}{' ' + attrs if attrs else ''}>"
        parts = [f"[{self.ref}]", head]
        if self.text:
            parts.append(self.text)
        if self.context:
            parts.append(f"(in: {self.context})")
        return " ".join(parts)


@runtime_checkable
class WebPage(Protocol):
    """A page that the web tools act on. ``act`` raises :class:`lumos.errors.ToolError` for an action the
    page cannot take (text into a button, a ref that is gone) and returns the new page state as text."""

    def elements(self) -> list[Element]: ...

    def act(self, op: Operation, element: Element, value: str | None = None) -> str: ...

    def observation(self) -> str: ...
