"""What a scripted solver may read: the goal (the utterance and MiniWoB's parsed fields of it) and what the
page shows (its visible elements and the visible text of the task area). Never MiniWoB's reward internals,
hidden answers or task-script variables.

A solver yields :data:`Step` s: (subgoal, one action with ``{page}`` where its page argument goes). The
action names its element in words (a QUERY), which the ranker grounds among the page's elements.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from lumos.domains.miniwob.env import MiniWoBPage
from lumos.domains.web_common.page import Element
from lumos.domains.web_common.tools import rank_elements, ranking_text
from lumos.errors import ConfigError

Step = tuple[str, str]
"""(subgoal, one action with ``{page}`` where its page argument goes)."""
Plan = list[Step]
Solver = Callable[[MiniWoBPage], Iterable[Step]]
"""A plan, or a generator that is resumed after each of its actions has run (so it may read the new page)."""


def field(page: MiniWoBPage, key: str) -> str:
    fields = dict(page.fields)
    if key not in fields:
        raise ConfigError(f"{page.task}: the goal has no field {key!r} ({page.utterance!r})")
    return fields[key]


def targets(page: MiniWoBPage) -> list[str]:
    return [v for k, v in page.fields if k.startswith("target")]


def area_text(page: MiniWoBPage, selector: str = "#area") -> str:
    """The visible text (``innerText``) of the element ``selector`` (the task area by default)."""
    text = page.browser.driver.execute_script(
        "var a = document.querySelector(arguments[0]); return a ? a.innerText : '';", selector
    )
    return str(text or "")


def visible(page: MiniWoBPage, selector: str) -> list[str]:
    """The visible text of each shown element that ``selector`` matches, in page order."""
    texts = page.browser.driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).filter(function (e) {"
        "  var r = e.getBoundingClientRect(), s = window.getComputedStyle(e);"
        "  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'; })"
        ".map(function (e) { return e.innerText.trim(); });",
        selector,
    )
    return [str(t) for t in texts or []]


RANKER: ContextVar[Any] = ContextVar("miniwob_solver_ranker", default=None)
"""The ranker that grounds the solver's QUERYs (set by ``solve`` for the episode)."""


def grounded(page: MiniWoBPage, element: Element, *phrasings: str, also: Iterable[Element] = ()) -> str:
    """A QUERY for ``element``: the first of ``phrasings`` (ways a person names it, most natural first) that
    the episode's ranker grounds to it (or to one of ``also``, elements that serve as well), else the
    element's own description as the ranker reads it."""
    options = [p for p in phrasings if p.strip()] + [ranking_text(element)]
    ranker = RANKER.get()
    if ranker is None:
        return options[0]
    shown = page.elements()
    good = {element.ref, *(e.ref for e in also)}
    for query in options:
        ranked = rank_elements(ranker, query, shown)
        if ranked and ranked[0][0].ref in good:
            return query
    return options[0]


def find(
    page: MiniWoBPage, text: str, tags: tuple[str, ...] = (), skip: tuple[str, ...] = ()
) -> Element | None:
    """The first shown element whose text is ``text`` (case and spaces aside), of one of ``tags`` if given."""
    for e in page.elements():
        if norm(e.text) == norm(text) and (not tags or e.tag in tags) and e.tag not in skip:
            return e
    return None


def wait_for(page: MiniWoBPage, selector: str, seconds: float = 2.0) -> list[str]:
    """The visible texts of ``selector`` once something shows (page scripts may answer after a delay)."""
    deadline = time.monotonic() + seconds
    while True:
        shown = visible(page, selector)
        if shown or time.monotonic() > deadline:
            return shown
        time.sleep(0.1)


def elements(page: MiniWoBPage, tag: str | None = None) -> list[Element]:
    return [e for e in page.elements() if tag is None or e.tag == tag]


def norm(text: str) -> str:
    return " ".join(text.split()).lower()


def words_for(element: Element) -> str:
    """An element in words, as a person would name it: its text or label, and what kind of element it is."""
    a = element.attributes
    text = element.text.strip()
    if element.tag == "input":
        kind = a.get("type", "text")
        if kind in ("checkbox", "radio"):
            return f"{text} {kind}".strip()
        name = text or a.get("placeholder") or a.get("value") or ""
        return f"{name} {kind} input field".strip()
    if element.tag == "textarea":
        return f"{text or a.get('value', '')} textarea".strip()
    if element.tag == "button":
        return f"{text} button".strip()
    if element.tag == "select":
        return f"{text} select list".strip()
    return text or element.tag


def step(subgoal: str, action: str, query: str, text: str | None = None) -> Step:
    """``(subgoal, 'ACTION({page}, QUERY: query[, TEXT: text])')``."""
    tail = f", TEXT: {text}" if text is not None else ""
    return subgoal, f"{action}({{page}}, QUERY: {query}{tail})"


def click(subgoal: str, query: str) -> Step:
    return step(subgoal, "CLICK", query)


def type_into(subgoal: str, query: str, text: str) -> Step:
    return step(subgoal, "TYPE", query, text)


def in_goal_words(utterance: str, step: Step) -> Step:
    """``step`` with a typing subgoal worded with the goal's own verb: "Enter ..." where the goal says enter.

    A trained planner tends to echo the goal ("Enter \"Agustina\" into the text field."), so a grounder that
    only ever saw "Type ..." subgoals took such a subgoal for a CLICK (results §8)."""
    subgoal, template = step
    if subgoal.startswith("Type ") and re.search(r"(?<![\w-])enter\b", utterance, re.IGNORECASE):
        subgoal = "Enter " + subgoal[len("Type ") :]
    return subgoal, template


def submit(label: str = "Submit") -> Step:
    return click(f"Click the {label} button.", f"{label} button")


def quoted(text: str) -> list[str]:
    return re.findall(r'"([^"]*)"', text)


def run_js(page: MiniWoBPage, script: str, *args: Any) -> Any:
    """Read something the page shows (never task-script state)."""
    return page.browser.driver.execute_script(script, *args)
