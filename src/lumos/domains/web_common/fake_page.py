"""A small scripted web page for tests of agents on live environments (no browser)."""

from __future__ import annotations

from lumos.domains.web_common.page import Element, Operation


class FormPage:
    """A text field and a Submit button; the episode ends when Submit is clicked."""

    def __init__(self) -> None:
        self.typed = ""
        self.submitted = False

    def elements(self) -> list[Element]:
        return [Element("1", "input", self.typed, {"id": "name"}), Element("2", "button", "Submit")]

    def act(self, op: Operation, element: Element, value: str | None = None) -> str:
        if element.ref == "1" and op == "TYPE":
            self.typed = value or ""
        if element.ref == "2" and op == "CLICK":
            self.submitted = True
        return self.observation()

    def observation(self) -> str:
        if self.submitted:
            return "The task has ended (success, reward 1)."
        return "\n".join(e.describe() for e in self.elements())

    def ended(self) -> bool:
        return self.submitted
