"""``CLICK``, ``TYPE`` and ``SELECT``: the web tools, written once for every page that implements
:class:`~lumos.domains.web_common.page.WebPage` (Mind2Web's replayed pages, MiniWoB++'s live ones).

The grammar, one for the whole web domain::

    R1 = CLICK(Env, QUERY: the search button)
    R2 = TYPE(R1, QUERY: the origin field, TEXT: New York)
    R3 = SELECT(R2, QUERY: passengers, TEXT: 2)
    R4 = CLICK(R3, REF: 17)

The first argument names the page (``Env``, or the ``Rk`` a previous web action returned: each tool returns
the new page state, so actions chain); the tools always act on the task's page, ``ctx.env``. ``QUERY``
describes the target element: every element of the page is ranked against it (tool option ``ranker``: the
shipped MiniLM bi-encoder ``"dense"``, ``"bi-encoder:PATH"``, ``"cross-encoder:PATH"`` (a local folder or a
hub name; ``"mindact"``: MindAct's DeBERTa ranker), ``"lexical"`` for token overlap, or any object with
``rerank(query, passages)``) and the best one is acted on; the ranked ``top_k`` are recorded on the action's
result (``details["candidates"]``). ``REF`` names an element by its ref instead. ``TEXT`` is what ``TYPE``
types and what ``SELECT`` chooses (a drop-down is ranked with its option text added to the QUERY).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from lumos.domains.web_common.page import Element, Operation, WebPage
from lumos.errors import ConfigError, ToolError
from lumos.tools.base import ExecutionContext, Tool

OBSERVATION_CHARS = 600
"""How much of a page state a result shows (the planner of live-page domains reads it)."""

# a key after a comma (any case), or an upper-case key after a space ("Env QUERY: ...")
_KEY = re.compile(r"(?:(?:^|,)\s*(?i:(QUERY|TEXT|REF))|\s(QUERY|TEXT|REF))\s*:")
_PAGE = re.compile(r"^(Env|R\d+)$", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------- errors


class NoPageError(ToolError):
    """A web action in a task that has no page to act on."""

    kind = "no_page"


class WebArgumentError(ToolError):
    """A web action's arguments do not follow ``TOOL(Env|Rk, QUERY: ..., TEXT: ...)``."""

    kind = "bad_arguments"


class MissingTextError(WebArgumentError):
    """``TYPE`` or ``SELECT`` without the ``TEXT`` to type or choose."""

    kind = "missing_text"


class NoMatchError(ToolError):
    """No element of the page answers the action's ``QUERY`` or ``REF``."""

    kind = "no_match"


# ------------------------------------------------------------------------------------------- arguments


@dataclass(frozen=True)
class WebArgs:
    """A web action's parsed arguments."""

    page: str
    query: str = ""
    text: str | None = None
    ref: str | None = None


def _clean(value: str) -> str:
    value = " ".join(value.split())
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1].strip()
    return value


def parse_web_args(args: str) -> WebArgs:
    """``"Env, QUERY: the origin field, TEXT: New York, NY"`` -> ``WebArgs("Env", "the origin field",
    "New York, NY")``. Values run to the next ``KEY:``, so they may hold commas; a key is case-blind."""
    marks = list(_KEY.finditer(args))
    head = args[: marks[0].start()] if marks else args
    page = _clean(head)
    if not marks:
        raise WebArgumentError(
            f"no QUERY: or REF: in {_clean(args)!r}; write e.g. CLICK(Env, QUERY: the search button)"
        )
    if not _PAGE.match(page):
        raise WebArgumentError(
            f"the first argument must name the page (Env or an earlier result such as R1), not {page!r}"
        )
    values: dict[str, str] = {}
    for i, mark in enumerate(marks):
        key = (mark.group(1) or mark.group(2)).upper()
        end = marks[i + 1].start() if i + 1 < len(marks) else len(args)
        if key in values:
            raise WebArgumentError(f"{key}: is given twice")
        values[key] = _clean(args[mark.end() : end])
    query, ref = values.get("QUERY", ""), values.get("REF")
    if not query and not ref:
        raise WebArgumentError("QUERY: (or REF:) is empty; say which element to act on")
    return WebArgs(page=page, query=query, text=values.get("TEXT"), ref=ref or None)


# --------------------------------------------------------------------------------------------- ranking


def ranking_text(element: Element) -> str:
    """What a ranker reads for an element: its description without the ref."""
    return element.describe().split(" ", 1)[1]


class LexicalRanker:
    """Token-overlap scores (the share of the query's words found in the element, ties broken by the
    element's brevity): no model, for tests of whole runs and for ``ranker="lexical"``."""

    def rerank(self, query: str, passages: Sequence[str]) -> list[float]:
        words = set(re.findall(r"\w+", query.lower()))
        scores = []
        for passage in passages:
            tokens = re.findall(r"\w+", passage.lower())
            hits = len(words & set(tokens))
            scores.append(hits / max(len(words), 1) - 1e-4 * len(tokens))
        return scores


MINDACT_RANKER = "osunlp/MindAct_CandidateGeneration_deberta-v3-base"
"""MindAct's released candidate ranker (a DeBERTa cross-encoder): ``ranker="mindact"`` where the hub is
reachable."""
_HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
_HUB_RANKERS: dict[str, Any] = {}


def resolve_ranker(spec: Any) -> Any:
    """The ``ranker`` option -> an object with ``rerank``; ``"none"``/``"lexical"`` give token overlap;
    ``"mindact"`` or ``"cross-encoder:OWNER/NAME"`` / ``"bi-encoder:OWNER/NAME"`` load a hub model by name
    (sentence-transformers downloads it where the hub is reachable)."""
    from lumos.retrieval.rerank import BiEncoderReranker, CrossEncoderReranker, get_reranker

    if isinstance(spec, str):
        name = spec.strip()
        if name.lower() in ("lexical", "overlap"):
            return LexicalRanker()
        if name.lower() == "mindact":
            name = f"cross-encoder:{MINDACT_RANKER}"
        kind, _, path = name.partition(":")
        if (
            kind.lower() in ("cross-encoder", "bi-encoder")
            and _HUB_ID.match(path)
            and not Path(path).exists()
        ):
            if name not in _HUB_RANKERS:
                factory = CrossEncoderReranker if kind.lower() == "cross-encoder" else BiEncoderReranker
                _HUB_RANKERS[name] = factory(path)
            return _HUB_RANKERS[name]
        spec = name
    ranker = get_reranker(spec)
    return ranker if ranker is not None else LexicalRanker()


_HANDLE = re.compile(r"[^A-Za-z\s]")
_TIE = 1e-6  # scores this close are the ranker's tie (an uncased model gives "Submit" and "submit" one score)


def named_by_id(query: str, elements: Sequence[Element]) -> Element | None:
    """The one element whose id the query quotes verbatim (``ttt-4``, ``(-2,-1)``, ``ui-id-2``), else ``None``.

    Embeddings hardly tell ``(-2,-1)`` from ``(-1,-2)``, while an id is as exact as a REF. Only ids with a
    character other than a letter or a space count: ``search`` or ``password`` is also a word a query uses
    for something else. ``#ident`` is the context a page line shows (``(in: #ui-id-1)``), not the element."""
    found = [
        element
        for element in elements
        if (ident := element.attributes.get("id", ""))
        and _HANDLE.search(ident)
        and re.search(rf"(?<![\w#-]){re.escape(ident)}(?![\w-])", query)
    ]
    return found[0] if len(found) == 1 else None


def named_by_text(query: str, tied: Sequence[Element]) -> Element | None:
    """Of elements the ranker scored equally, the one whose text the query quotes with its exact case.

    An uncased ranker cannot tell a ``Submit`` button from a ``submit`` one, while MiniWoB's click-button
    asks for one of them by its case; with no such text, or several, it is ``None`` (page order decides)."""
    found = [
        element
        for element in tied
        if (text := element.text.strip()) and re.search(rf"(?<!\w){re.escape(text)}(?!\w)", query)
    ]
    return found[0] if len(found) == 1 else None


def rank_elements(ranker: Any, query: str, elements: Sequence[Element]) -> list[tuple[Element, float]]:
    """Elements with their scores, best first (page order among equal scores)."""
    scores = list(ranker.rerank(query, [ranking_text(e) for e in elements]))
    if len(scores) != len(elements):
        raise ConfigError(f"the ranker gave {len(scores)} scores for {len(elements)} elements")
    order = sorted(range(len(elements)), key=lambda i: -scores[i])
    return [(elements[i], float(scores[i])) for i in order]


# ------------------------------------------------------------------------------------------------ tools


class WebTool(Tool):
    """Shared body of the web tools: parse, find the element, act, record."""

    __abstract__ = True
    operation: ClassVar[Operation]
    needs_text: ClassVar[bool] = False
    options: ClassVar[tuple[str, ...]] = ("ranker", "top_k")
    time_limit: ClassVar[float] = 60.0  # a cross-encoder over a real page's hundreds of candidates

    def __init__(self, ranker: Any = "dense", top_k: int = 5) -> None:
        self.ranker_spec = ranker
        self.top_k = top_k
        self._ranker: Any = None

    @property
    def ranker(self) -> Any:
        if self._ranker is None:
            self._ranker = resolve_ranker(self.ranker_spec)
        return self._ranker

    def load(self) -> None:
        """The ranker's weights, loaded before the first action's time limit starts."""
        loader = getattr(self.ranker, "load", None)
        if callable(loader):
            loader()

    def run(self, args: str, ctx: ExecutionContext) -> str:
        page = ctx.env
        if page is None:
            raise NoPageError(f"{self.name} needs a web page, but this task has no environment")
        if not isinstance(page, WebPage):
            raise NoPageError(
                f"{self.name} needs a web page; this task's environment is a {type(page).__name__}"
            )
        parsed = parse_web_args(args)
        if self.needs_text and not parsed.text:
            raise MissingTextError(
                f"{self.name} needs the TEXT: to {'type' if self.operation == 'TYPE' else 'choose'}, e.g. "
                f"{self.name}(Env, QUERY: ..., TEXT: ...)"
            )
        element = self.find(page, parsed, ctx)
        ctx.details["chosen"] = element.ref
        observation = page.act(self.operation, element, parsed.text if self.needs_text else None)
        ctx.details["observation"] = clip(observation)
        return observation

    def find(self, page: WebPage, parsed: WebArgs, ctx: ExecutionContext) -> Element:
        elements = page.elements()
        if not elements:
            raise NoMatchError("the page has no elements to act on")
        if parsed.ref is not None:
            for element in elements:
                if element.ref == parsed.ref:
                    return element
            shown = ", ".join(e.ref for e in elements[:20]) + (" ..." if len(elements) > 20 else "")
            raise NoMatchError(f"no element with REF {parsed.ref} on the page (refs: {shown})")
        query = parsed.query
        if self.operation == "SELECT" and parsed.text:  # a drop-down is recognised by its options too
            query = f"{query} (option: {parsed.text})"
        ranked = rank_elements(self.ranker, query, elements)
        ctx.details["candidates"] = [
            {"ref": e.ref, "text": e.describe(), "score": round(score, 4)}
            for e, score in ranked[: self.top_k]
        ]
        named = named_by_id(parsed.query, elements)
        if named is not None:
            ctx.details["named_by_id"] = named.ref
            return named
        tied = [e for e, score in ranked if score >= ranked[0][1] - _TIE]
        if len(tied) > 1 and (by_text := named_by_text(parsed.query, tied)) is not None:
            ctx.details["named_by_text"] = by_text.ref
            return by_text
        return ranked[0][0]

    def render(self, value: Any) -> str:
        return clip(str(value))


def clip(text: str, limit: int = OBSERVATION_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


class Click(WebTool):
    name = "CLICK"
    description = "click the page element that the QUERY describes (or the element REF); returns the new page"
    signature = "CLICK(Env, QUERY: element description)"
    operation = "CLICK"


class Type(WebTool):
    name = "TYPE"
    description = "type TEXT into the page element that the QUERY describes; returns the new page"
    signature = "TYPE(Env, QUERY: element description, TEXT: text to type)"
    operation = "TYPE"
    needs_text = True


class Select(WebTool):
    name = "SELECT"
    description = (
        "choose the option TEXT in the drop-down list that the QUERY describes; returns the new page"
    )
    signature = "SELECT(Env, QUERY: element description, TEXT: option to choose)"
    operation = "SELECT"
    needs_text = True


WEB_TOOLS = ["CLICK", "TYPE", "SELECT"]
