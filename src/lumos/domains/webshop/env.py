"""A WebShop-compatible shop in text mode: the pages, actions and observations of WebShop's text environment.

Actions are ``search[keywords]`` and ``click[name]``, where ``name`` is one of the page's clickables (lower case:
``back to search``, ``next >``, ``< prev``, an ASIN, an option value, ``description``, ``features``,
``reviews``, ``buy now``). An action that is not valid on the current page changes nothing (reward 0, not done),
as in WebShop; ``search`` works from any page until the purchase. Observations are WebShop's simple text mode
(the page's visible texts joined by `` [SEP] ``), with the clickables written in lower case, as the actions
name them.

>>> shop = Shop(load_catalog())
>>> env = shop.env(shop.goals()[0])
>>> env.observation.startswith("WebShop [SEP] Instruction: [SEP] ")
True
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lumos.domains.webshop.catalog import Catalog, Product, load_catalog
from lumos.domains.webshop.goals import Goal, human_goals, product_prices, select_goal, synthetic_goals
from lumos.domains.webshop.reward import NounExtractor, Reward, compute_reward, get_noun_extractor
from lumos.domains.webshop.search import ProductSearch
from lumos.errors import ConfigError

PAGE_SIZE = 10
SEP = " [SEP] "
BACK_TO_SEARCH = "back to search"
NEXT_PAGE = "next >"
PREV_PAGE = "< prev"
BUY_NOW = "buy now"
SUB_PAGES = ("description", "features", "reviews")
_ACTION = re.compile(r"^\s*(\w+)\[(.+)\]\s*$", re.S)


class Shop:
    """A catalog with its search engine, prices and goals, shared by the environments of many goals.

    ``seed`` fixes the prices of ranged products and the drawn price caps (see :mod:`.goals`)."""

    def __init__(self, catalog: Catalog, seed: int = 0, nouns: str | NounExtractor | None = None) -> None:
        self.catalog = catalog
        self.seed = seed
        self.search = ProductSearch(catalog.products)
        rng = random.Random(seed)
        self.prices = product_prices(catalog, rng)
        self.human = human_goals(catalog, self.prices, rng)
        self._synthetic: list[Goal] | None = None
        self.nouns = get_noun_extractor(nouns)

    def goals(self, kind: str = "human") -> list[Goal]:
        if kind == "human":
            return self.human
        if self._synthetic is None:
            self._synthetic = synthetic_goals(self.catalog, self.prices, random.Random(f"{self.seed}-synthetic"))
        return self._synthetic

    def env(self, goal: Goal) -> WebShopEnv:
        return WebShopEnv(self, goal)


@dataclass
class StepResult:
    observation: str
    reward: float
    done: bool
    valid: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"observation": self.observation, "reward": self.reward, "done": self.done, "valid": self.valid}


@dataclass
class _State:
    page: str = "start"  # start, results, item, sub, done
    keywords: str = ""
    results: list[str] = field(default_factory=list)
    page_no: int = 1
    asin: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    sub_page: str = ""


class WebShopEnv:
    """One shopping session for one goal."""

    def __init__(self, shop: Shop, goal: Goal) -> None:
        self.shop = shop
        self.goal = goal
        self.state = _State()
        self.reward = 0.0
        self.reward_info: Reward | None = None
        self.done = False
        self.history: list[str] = []
        self.meta = {"goal": goal.id, "target_asin": goal.asin, "instruction": goal.instruction}

    # ------------------------------------------------------------------------------------ actions

    def step(self, action: str) -> StepResult:
        """Take ``search[...]`` or ``click[...]``; an invalid action changes nothing."""
        self.history.append(action)
        match = _ACTION.match(action)
        name, arg = (match.group(1).lower(), match.group(2).strip().lower()) if match else ("", "")
        valid = False
        reward = 0.0
        if not self.done and name == "search" and arg:
            self._search(arg, 1)
            valid = True
        elif not self.done and name == "click" and arg != "search" and arg in self.clickables:
            reward = self._click(arg)
            valid = True
        return StepResult(self.observation, reward, self.done, valid)

    def _search(self, keywords: str, page_no: int) -> None:
        s = self.state
        if keywords != s.keywords or not s.results:
            s.results = self.shop.search.search(keywords)
        s.page, s.keywords, s.page_no, s.asin, s.options = "results", keywords, page_no, None, {}

    def _click(self, name: str) -> float:
        s = self.state
        if name == BACK_TO_SEARCH:
            self.state = _State()
        elif s.page == "results" and name == NEXT_PAGE:
            s.page_no += 1
        elif s.page == "results" and name == PREV_PAGE:
            s.page_no -= 1
        elif s.page == "sub" and name == PREV_PAGE:
            s.page = "item"
        elif s.page == "item" and name == PREV_PAGE:
            self._search(s.keywords, s.page_no)
        elif s.page == "results":
            s.page, s.asin = "item", next(a for a in self._page_results() if a.lower() == name)
        elif name == BUY_NOW:
            return self._buy()
        elif name in SUB_PAGES:
            s.page, s.sub_page = "sub", name
        else:  # an option value of the item page
            option = next(k for k, values in self.product.options.items() if name in values)
            s.options[option] = name
        return 0.0

    def _buy(self) -> float:
        product = self.product
        info = compute_reward(
            product, self.goal, self.shop.prices[product.asin], self.state.options, self.shop.nouns
        )
        self.reward_info = info
        self.reward = info.total
        self.done = True
        self.state.page = "done"
        return info.total

    # ------------------------------------------------------------------------------------ pages

    @property
    def product(self) -> Product:
        assert self.state.asin is not None, "no item page is open"
        return self.shop.catalog.by_asin[self.state.asin]

    def _page_results(self) -> list[str]:
        s = self.state
        return s.results[(s.page_no - 1) * PAGE_SIZE : s.page_no * PAGE_SIZE]

    @property
    def clickables(self) -> list[str]:
        """What ``click[...]`` accepts on the current page (lower case), in page order."""
        s = self.state
        if s.page == "start":
            return ["search"]
        if s.page == "results":
            out = [BACK_TO_SEARCH]
            if s.page_no > 1:
                out.append(PREV_PAGE)
            if s.page_no * PAGE_SIZE < len(s.results):
                out.append(NEXT_PAGE)
            return out + [a.lower() for a in self._page_results()]
        if s.page == "item":
            values = [v for vs in self.product.options.values() for v in vs]
            return [BACK_TO_SEARCH, PREV_PAGE, *values, *SUB_PAGES, BUY_NOW]
        if s.page == "sub":
            return [BACK_TO_SEARCH, PREV_PAGE]
        return []

    @property
    def observation(self) -> str:
        s = self.state
        head = ["Instruction:", self.goal.instruction]
        if s.page == "start":
            return SEP.join(["WebShop", *head, "search"])
        if s.page == "results":
            parts = [*head, BACK_TO_SEARCH, f"Page {s.page_no} (Total results: {len(s.results)})"]
            parts += [c for c in (PREV_PAGE, NEXT_PAGE) if c in self.clickables]
            for asin in self._page_results():
                p = self.shop.catalog.by_asin[asin]
                parts += [asin.lower(), p.title, p.price_tag]
            return SEP.join(parts)
        if s.page == "done":
            info = self.reward_info
            return SEP.join(
                [
                    "Thank you for shopping with us!", "Purchased", "asin", self.product.asin, "options",
                    json.dumps(s.options), "Your score (min 0.0, max 1.0)", f"{info.total if info else 0.0}",
                ]
            )
        p = self.product
        parts = [*head, BACK_TO_SEARCH, PREV_PAGE]
        if s.page == "item":
            for option, values in p.options.items():
                parts += [option, *values]
            parts += [p.title, f"Price: {p.price_tag}", "Rating: N.A.", *SUB_PAGES, BUY_NOW]
        elif s.sub_page == "description":
            parts.append(p.description)
        elif s.sub_page == "features":
            parts += p.features
        return SEP.join(x for x in parts if x)


def open_shop(data: str | None = None, seed: int = 0, nouns: str | NounExtractor | None = None) -> Shop:
    """A :class:`Shop` over a WebShop data folder (default: lumos's demo shop)."""
    return Shop(load_catalog(data), seed=seed, nouns=nouns)


def goal_session(
    data: str | Path | None, goal: int, seed: int = 0, named: str | None = None
) -> tuple[str, WebShopEnv]:
    """The instruction of human goal ``goal`` (or of the goal whose instruction is ``named``, a TASK given to
    ``lumos run --domain webshop``) and a fresh session for it. A new task text is refused: the reward needs a
    goal."""
    shop = open_shop(str(data) if data is not None else None, seed=seed)
    goals = shop.goals()
    chosen = select_goal(goals, goal)
    if named is not None:
        same = [g for g in goals if g.instruction.strip().casefold() == named.strip().casefold()]
        if not same:
            raise ConfigError(
                f"WebShop runs its own goals (their instructions are the tasks), so it cannot run a new task text "
                f"({named[:80]!r}): leave TASK out and pick a goal with --goal N (0 to {len(goals) - 1})"
            )
        chosen = same[0]
    return chosen.instruction, shop.env(chosen)
