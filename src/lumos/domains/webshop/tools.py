"""The shopping tools of domain ``webshop``, in the unified format of the released Lumos web modules:

    R1 = Search(waterproof rain jacket for women)
    R2 = Pick(Item_names: R1, Query: a waterproof yellow rain jacket under 60 dollars)
    R3 = Click(R2)
    R4 = FeatureRetrieve(R3, Query: is it packable?)
    R5 = Click(yellow); R6 = Click(medium); R7 = Click(buy now)

``Search`` and ``Click`` act on the task's shop session (``ctx.env``, a :class:`WebShopEnv`) and return the
page after the action; ``Pick`` ranks the items of a results page against a query (optionally with features
that ``FeatureRetrieve`` found for some of them) and returns the best item's ASIN; ``FeatureRetrieve`` ranks an
item's features and description against a query and returns the best three. Ranking uses
:func:`lumos.retrieval.rerank.get_reranker` (``ranker`` tool option: ``dense``, ``bi-encoder:PATH``,
``cross-encoder:PATH``, ``none`` for BM25, or an object with ``rerank``). The ranked candidates are recorded on
the step (``details["candidates"]``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from lumos.domains.webshop.env import WebShopEnv
from lumos.errors import ToolError
from lumos.tools.base import VARIABLE, ExecutionContext, Tool

RESULT_CHARS = 600  # what the planner sees of a page
SHOWN_ITEMS = 3  # items of a results page shown to the modules (Pick ranks all ten)
FEATURES_TOP_K = 3


@dataclass(frozen=True)
class ShopPage:
    """The shop after a Search or Click: the page kind, its items (results) or product (item page)."""

    observation: str
    page: str
    items: tuple[tuple[str, str, str], ...] = ()  # (asin in lower case, title, price) on a results page
    asin: str | None = None
    clickables: tuple[str, ...] = ()
    options: tuple[tuple[str, str], ...] = ()  # the option values chosen on the item page
    option_values: tuple[tuple[str, tuple[str, ...]], ...] = ()  # an item page's options and their values
    done: bool = False

    def __str__(self) -> str:
        if self.done:
            chosen = ", ".join(f"{k}: {v}" for k, v in self.options)
            return f"bought {self.asin}" + (f" with {chosen}" if chosen else "")
        if self.page == "results":
            top = self.items[:SHOWN_ITEMS]
            return _clip(" ** ".join(f"{a} - {t} ({p})" for a, t, p in top) or "no results")
        if self.page == "item":
            return _clip(self.item_text)
        return _clip(self.observation.split(" [SEP] ", 4)[-1])  # a sub page: its text after '< prev'

    @property
    def item_text(self) -> str:
        """An item page in one line: ``id - title (price); option: values; ...; chosen: option value``."""
        parts = self.observation.split(" [SEP] ")
        title = next((parts[k - 1] for k, x in enumerate(parts) if x.startswith("Price: ")), "")
        price = next((x[len("Price: ") :] for x in parts if x.startswith("Price: ")), "")
        line = f"{self.asin} - {title} ({price})"
        line += "".join(f"; {name}: {', '.join(values)}" for name, values in self.option_values)
        if self.options:
            line += "; chosen: " + ", ".join(f"{k} {v}" for k, v in self.options)
        return line


@dataclass(frozen=True)
class Features:
    """Features of one product that FeatureRetrieve found."""

    asin: str
    texts: tuple[str, ...]

    def __str__(self) -> str:
        return ", ".join(self.texts)


def _clip(text: str) -> str:
    return text if len(text) <= RESULT_CHARS else text[: RESULT_CHARS - 3] + "..."


def shop_env(ctx: ExecutionContext, tool: str) -> WebShopEnv:
    if not isinstance(ctx.env, WebShopEnv):
        raise ToolError(f"{tool} acts on a WebShop session, but this task has none (run it with --domain webshop)")
    return ctx.env


def page_of(env: WebShopEnv) -> ShopPage:
    s = env.state
    items: tuple[tuple[str, str, str], ...] = ()
    if s.page == "results":
        by_asin = env.shop.catalog.by_asin
        items = tuple((a.lower(), by_asin[a].title, by_asin[a].price_tag) for a in env._page_results())
    return ShopPage(
        env.observation, s.page, items, s.asin.lower() if s.asin else None, tuple(env.clickables),
        tuple(s.options.items()),
        tuple((k, tuple(v)) for k, v in env.product.options.items()) if s.page == "item" else (),
        env.done,
    )


def _record(ctx: ExecutionContext, env: WebShopEnv, chosen: str | None = None) -> None:
    ctx.details["observation"] = _clip(env.observation)
    if chosen is not None:
        ctx.details["chosen"] = chosen
    if env.done:
        ctx.details["reward"] = env.reward


def _value(text: str, ctx: ExecutionContext) -> Any:
    text = text.strip()
    return ctx.lookup(text) if VARIABLE.fullmatch(text) else text


class _RankingTool(Tool):
    __abstract__ = True
    options: ClassVar[tuple[str, ...]] = ("ranker",)
    time_limit: ClassVar[float] = 60.0

    def __init__(self, ranker: Any = "dense") -> None:
        from lumos.retrieval.rerank import get_reranker

        self.ranker = get_reranker(ranker)
        load = getattr(self.ranker, "load", None)
        if callable(load):
            load()  # the model loads now, not under an action's time limit

    def rank(self, query: str, passages: Sequence[str]) -> list[tuple[int, float]]:
        """(passage index, score), best first (ties keep the passages' order)."""
        if self.ranker is None:
            from lumos.retrieval.fts import bm25_scores

            scores = bm25_scores(query, passages)
        else:
            scores = [float(s) for s in self.ranker.rerank(query, list(passages))]
        return sorted(enumerate(scores), key=lambda x: -x[1])


class Search(Tool):
    name = "Search"
    description = "search the shop for products; gives the first page of results (item id - title (price))"
    signature = "Search(query)"

    def run(self, args: str, ctx: ExecutionContext) -> ShopPage:
        env = shop_env(ctx, self.name)
        query = ctx.substitute_text(args).strip().strip("\"'")
        if not query:
            raise ToolError("Search needs a query, e.g. Search(red running shoes)")
        if env.done:
            raise ToolError("the purchase is made; the session is over")
        env.step(f"search[{query}]")
        _record(ctx, env)
        return page_of(env)


class Click(Tool):
    name = "Click"
    description = (
        "click an item id, an option value (a color, a size), description, features, < prev, next >, "
        "back to search, or buy now; gives the page after the click"
    )
    signature = "Click(item or option)"

    def run(self, args: str, ctx: ExecutionContext) -> ShopPage:
        env = shop_env(ctx, self.name)
        value = _value(args, ctx)
        target = value.asin if isinstance(value, (ShopPage, Features)) else str(value)
        name = clickable_name(target or "", env.clickables)
        if name is None:
            shown = ", ".join(env.clickables) or "nothing (the purchase is made)"
            raise ToolError(f"{target!r} is not clickable on this page; clickable: {shown}")
        env.step(f"click[{name}]")
        _record(ctx, env, chosen=name)
        return page_of(env)


def clickable_name(target: str, clickables: Sequence[str]) -> str | None:
    """The clickable that ``target`` names: itself (any case, quotes or brackets stripped), or an item id
    written with its title (``b0abc12345 - Title``)."""
    text = target.strip().strip("\"'[]").strip().lower()
    if text in clickables and text != "search":
        return text
    head = re.split(r"\s+-\s+|\s+", text, maxsplit=1)[0]
    return head if head in clickables and head != "search" else None


class FeatureRetrieve(_RankingTool):
    name = "FeatureRetrieve"
    description = "find the features of an opened item that answer a query (its bullet points and description)"
    signature = "FeatureRetrieve(item page, Query: query)"

    def run(self, args: str, ctx: ExecutionContext) -> Features:
        env = shop_env(ctx, self.name)
        item_arg, query = _split_query(args, self.name)
        value = _value(item_arg, ctx)
        asin = value.asin if isinstance(value, (ShopPage, Features)) else str(value).strip().lower()
        product = next((p for p in env.shop.catalog.products if p.asin.lower() == (asin or "")), None)
        if product is None:
            raise ToolError(f"FeatureRetrieve needs an opened item (e.g. R3 = Click(<item id>)), not {item_arg!r}")
        sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", product.description) if s.strip()]
        texts = list(dict.fromkeys([*product.features, *sentences]))
        if not texts:
            return Features(product.asin.lower(), ())
        ranked = self.rank(ctx.substitute_text(query), texts)
        ctx.details["candidates"] = [{"ref": str(i), "text": texts[i], "score": s} for i, s in ranked[:10]]
        return Features(product.asin.lower(), tuple(texts[i] for i, _ in ranked[:FEATURES_TOP_K]))


class Pick(_RankingTool):
    name = "Pick"
    description = "choose, from the items of a search result, the one that best fits a query; gives its item id"
    signature = "Pick(Item_names: R1, Item_features: [R3], Query: query)"

    def run(self, args: str, ctx: ExecutionContext) -> str:
        shop_env(ctx, self.name)
        fields = _labelled(args, ("item_names", "item_features", "query"))
        if not fields.get("item_names"):
            raise ToolError("Pick needs Item_names: a search result, e.g. Pick(Item_names: R1, Query: ...)")
        if not fields.get("query"):
            raise ToolError("Pick needs a Query, e.g. Pick(Item_names: R1, Query: black running shoes)")
        page = _value(fields["item_names"], ctx)
        if not isinstance(page, ShopPage) or not page.items:
            raise ToolError(f"Item_names must be a search result with items (R = Search(...)), not {fields['item_names']!r}")
        extra: dict[str, list[str]] = {}
        for ref in re.findall(r"R\d+", fields.get("item_features", "")):
            feats = ctx.lookup(ref)
            if isinstance(feats, Features):
                extra.setdefault(feats.asin, []).extend(feats.texts)
        texts = [" ".join([title, price, *extra.get(asin, [])]) for asin, title, price in page.items]
        ranked = self.rank(ctx.substitute_text(fields["query"]), texts)
        ctx.details["candidates"] = [
            {"ref": page.items[i][0], "text": texts[i], "score": s} for i, s in ranked[:10]
        ]
        best = page.items[ranked[0][0]][0]
        ctx.details["chosen"] = best
        return best


def _split_query(args: str, tool: str) -> tuple[str, str]:
    mark = re.search(r"\bquery\s*:", args, re.I)
    if mark is None or not args[mark.end() :].strip():
        raise ToolError(f"{tool} needs a query, e.g. {tool}(R3, Query: is it waterproof?)")
    return args[: mark.start()].strip().rstrip(",").strip(), args[mark.end() :].strip()


def _labelled(args: str, labels: tuple[str, ...]) -> dict[str, str]:
    """``Label: value, Label: value`` -> {label (lower case): value}; a value runs to the next label."""
    pattern = re.compile(r"\b(" + "|".join(labels) + r")\s*:", re.I)
    marks = list(pattern.finditer(args))
    out: dict[str, str] = {}
    for k, m in enumerate(marks):
        end = marks[k + 1].start() if k + 1 < len(marks) else len(args)
        out[m.group(1).lower()] = args[m.end() : end].strip().rstrip(",").strip()
    return out
