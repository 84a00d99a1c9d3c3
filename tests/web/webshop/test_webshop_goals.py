"""Goals: file-order addressing, price caps from the record or drawn with a seed, synthetic combinations."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from lumos.domains.webshop.catalog import load_catalog
from lumos.domains.webshop.env import Shop
from lumos.domains.webshop.goals import PRICE_RANGE, draw_cap, select_goal
from lumos.errors import ConfigError


def test_human_goals_in_file_order_skipping_unsold_products(small_shop_dir: Path) -> None:
    goals = Shop(load_catalog(small_shop_dir)).goals()
    assert [(g.id, g.asin) for g in goals] == [
        ("human-0", "B000SHOE01"), ("human-1", "B000SHOE01"), ("human-2", "B000MUG001")
    ]
    first = select_goal(goals, 0)
    assert first.instruction == "i need waterproof trail running shoes in black, size 9, and price lower than 50.00 dollars"
    assert first.price_upper == 50.0 and first.options == ["black", "9"] and first.attributes == ["waterproof"]
    assert first.name == "Trail Running Shoes Waterproof" and first.query == "shoes"
    with pytest.raises(ConfigError, match="goals 0 to 2"):
        select_goal(goals, 3)


def test_drawn_caps_are_above_the_price_and_fixed_by_the_seed(small_shop_dir: Path) -> None:
    catalog = load_catalog(small_shop_dir)
    a, b = Shop(catalog, seed=7).goals(), Shop(catalog, seed=7).goals()
    drawn = a[1]  # the record has no price_upper
    assert drawn.price_upper == b[1].price_upper
    assert drawn.price_upper in (60.0, 70.0, 80.0)  # the larger of two of 50, 60, 70, 80 (price 40)
    assert drawn.instruction.endswith(f", and price lower than {drawn.price_upper:.2f} dollars")
    shop = Shop(catalog, seed=7)
    assert 30.0 <= shop.prices["B000SHOE02"] <= 50.0  # a range is sampled once


def test_draw_cap_as_webshop() -> None:
    rng = random.Random(0)
    for _ in range(20):
        cap = draw_cap(41.0, rng)
        assert cap in (60.0, 70.0, 80.0)
    assert draw_cap(PRICE_RANGE[-1], rng) is None  # no two prices above: no cap


def test_synthetic_goals_cover_option_combinations(small_shop_dir: Path) -> None:
    goals = Shop(load_catalog(small_shop_dir)).goals("synthetic")
    assert len(goals) == 4  # the one product with an instruction: 2 colours x 2 sizes
    assert goals[0].options == {"color": "black", "size": "8"}
    assert goals[0].instruction.startswith("i want waterproof trail shoes with color: black, and size: 8, and price")
