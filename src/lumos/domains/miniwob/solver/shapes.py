"""Solvers for the tasks drawn in SVG (count-shape, click-shape): the shapes as a person sees them (kind,
colour, size, letter or digit) are read from the drawing, and matched to the goal's description."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lumos.domains.miniwob.env import MiniWoBPage
from lumos.domains.miniwob.solver.look import Step, click, find, grounded, run_js

_COLORS = ("red", "green", "blue", "aqua", "black", "magenta", "yellow")
_KINDS = {"rect": "rectangle", "circle": "circle", "polygon": "triangle"}

_DRAWING = (
    "return Array.from(document.querySelectorAll('#area_svg > *')).map(function (e) {"
    "  var b = e.getBBox(); return [e.tagName, e.textContent, e.getAttribute('fill'), b.height,"
    "  e.dataset.wob_ref || '']; });"
)


@dataclass
class Shape:
    ref: str
    kind: str  # letter, digit or shape
    text: str  # the letter, the digit, or rectangle / circle / triangle
    color: str
    size: str  # large or small

    def matches(self, size: str, color: str, what: str) -> bool:
        return (
            (not size or size == self.size)
            and (not color or color == self.color)
            and what in ("item", self.kind, self.text)
        )


def drawing(page: MiniWoBPage) -> list[Shape]:
    page.elements()  # stamps the elements' refs
    out = []
    for tag, text, fill, height, ref in run_js(page, _DRAWING) or []:
        tag, text = str(tag).lower(), str(text).strip()
        if tag == "text":
            kind = "digit" if text.isdigit() else "letter"
        elif tag in _KINDS:
            kind, text = "shape", _KINDS[tag]
        else:
            continue
        size = "large" if float(height) >= 15 else "small"
        out.append(Shape(str(ref), kind, text, str(fill), size))
    return out


def describe_goal(words: list[str]) -> tuple[str, str, str]:
    """``["large", "red", "circle"]`` -> (size, colour, what): the parts of a shape's description."""
    size = words.pop(0) if words and words[0] in ("large", "small") else ""
    color = words.pop(0) if words and words[0] in _COLORS else ""
    return size, color, " ".join(words)


def count_shape(page: MiniWoBPage) -> Iterator[Step]:
    match = re.search(r"How many (.+) are there", page.utterance)
    words = (match.group(1) if match else "items").split()
    size, color, what = describe_goal(words)
    what = what[:-1] if what.endswith("s") else what  # "circles" -> "circle", "ss" -> "s"
    n = sum(s.matches(size, color, what) for s in drawing(page))
    desc = " ".join(w for w in (size, color, what) if w)
    button = find(page, str(n), tags=("button",))
    query = grounded(page, button, f"{n} button", str(n)) if button else f"{n} button"
    yield click(f"Count the {desc}s: there are {n}; click the button {n}.", query)


def click_shape(page: MiniWoBPage) -> Iterator[Step]:
    match = re.search(r"Click on an? (.+?)\.?$", page.utterance.strip())
    size, color, what = describe_goal((match.group(1) if match else "item").split())
    hits = [s for s in drawing(page) if s.matches(size, color, what)]
    desc = " ".join(w for w in (size, color, what) if w)
    shown = {e.ref: e for e in page.elements()}
    good = [shown[s.ref] for s in hits if s.ref in shown]
    if not good:
        yield click(f"Click a {desc}.", desc)
        return
    first = good[0]
    name = f"{first.text} {first.attributes.get('fill', '')}".strip() or desc
    yield click(f"Click a {desc}.", grounded(page, first, desc, name, also=good[1:]))
