"""Shopping goals: WebShop's human instructions and synthetic ones, with their price caps.

Prices and caps come from one seeded generator, drawn in a fixed order (first every product's price, in
catalog order: a price range is sampled uniformly once; then each goal's cap, in goal order), so the same
seed gives the same shop. A goal's cap is its record's ``price_upper`` when there is one; otherwise, as in
WebShop, the larger of two of the four multiples of $10 above the product's price, and the instruction ends
", and price lower than X.XX dollars".

Human goals are numbered in file order (the order of ASINs in ``items_human_ins.json``, then each ASIN's
list), counting from 0; instructions of ASINs that are not in the product file are left out, because they
cannot be bought. Unlike WebShop, instructions without attributes are kept (they are scored on options,
price and type), so ``--goal N`` is the N-th instruction of the file.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from typing import Any

from lumos.domains.webshop.catalog import Catalog
from lumos.errors import ConfigError

PRICE_RANGE = [10.0 * i for i in range(1, 100)]
NO_CAP = 1000000.0


@dataclass
class Goal:
    """What to buy: the target product's type fields, the wanted attributes and options, and the cap."""

    index: int
    asin: str
    instruction: str
    attributes: list[str]
    options: list[str] | dict[str, str]
    price_upper: float
    name: str
    query: str
    category: str
    product_category: str
    kind: str = "human"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.kind}-{self.index}"


def product_prices(catalog: Catalog, rng: random.Random) -> dict[str, float]:
    """Each product's price: its one price, or a uniform draw from its range."""
    return {
        p.asin: p.pricing[0] if len(p.pricing) == 1 else rng.uniform(p.pricing[0], p.pricing[1])
        for p in catalog.products
    }


def draw_cap(price: float, rng: random.Random) -> float | None:
    above = [p for p in PRICE_RANGE if p > price][:4]
    if len(above) < 2:
        return None
    return sorted(rng.sample(above, 2))[1]


def _cap_and_text(text: str, record: dict[str, Any], price: float, rng: random.Random) -> tuple[float, str]:
    given = record.get("price_upper")
    cap = float(given) if given is not None else draw_cap(price, rng)
    if cap is None:
        return NO_CAP, text
    return cap, f"{text}, and price lower than {cap:.2f} dollars"


def human_goals(catalog: Catalog, prices: dict[str, float], rng: random.Random) -> list[Goal]:
    goals: list[Goal] = []
    for asin, records in catalog.human.items():
        product = catalog.by_asin.get(asin)
        if product is None:
            continue
        for record in records:
            cap, text = _cap_and_text(record["instruction"].strip().strip("."), record, prices[asin], rng)
            goals.append(
                Goal(
                    index=len(goals),
                    asin=asin,
                    instruction=text,
                    attributes=list(record.get("instruction_attributes") or []),
                    options=list(record.get("instruction_options") or []),
                    price_upper=cap,
                    name=product.title,
                    query=product.query,
                    category=product.category,
                    product_category=product.product_category,
                )
            )
    return goals


def synthetic_goals(catalog: Catalog, prices: dict[str, float], rng: random.Random) -> list[Goal]:
    """One goal per option combination of each product with a synthetic instruction (``items_ins_v2``)."""
    goals: list[Goal] = []
    for product in catalog.products:
        record = catalog.synthetic.get(product.asin)
        if not isinstance(record, dict) or not record.get("instruction"):
            continue
        cap, price_text = _cap_and_text("", record, prices[product.asin], rng)
        names = sorted(product.options)
        for combination in itertools.product(*(product.options[n] for n in names)):
            wanted = dict(zip(names, combination, strict=True))
            option_text = ", and ".join(f"{k}: {v}" for k, v in wanted.items())
            text = record["instruction"].strip() + (f" with {option_text}" if option_text else "") + price_text
            goals.append(
                Goal(
                    index=len(goals),
                    asin=product.asin,
                    instruction=text,
                    attributes=list(record.get("instruction_attributes") or []),
                    options=wanted,
                    price_upper=cap,
                    name=product.title,
                    query=product.query,
                    category=product.category,
                    product_category=product.product_category,
                    kind="synthetic",
                )
            )
    return goals


def select_goal(goals: list[Goal], n: int) -> Goal:
    if not goals:
        raise ConfigError("this shop has no goals (does the data folder hold items_human_ins.json?)")
    if not 0 <= n < len(goals):
        raise ConfigError(f"--goal {n} is out of range: this shop has goals 0 to {len(goals) - 1}")
    return goals[n]
