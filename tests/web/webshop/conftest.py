"""A tiny shop in WebShop's file formats, and a deterministic ranker."""

from __future__ import annotations

from pathlib import Path

import pytest
from webshop_fixtures import WordOverlapRanker, option_list, product, write_shop


@pytest.fixture
def small_shop_dir(tmp_path: Path) -> Path:
    """Three shoes and a mug; two human goals on the first shoe and one on the mug."""
    products = [
        product(
            "B000SHOE01", "Trail Running Shoes Waterproof", pricing="$40.00",
            options={"Color": option_list("Black", "Navy/Blue"), "size": option_list("8", "9")},
            features=["Waterproof upper", "Rubber sole"],
        ),
        product("B000SHOE02", "Road Running Shoes Lightweight", pricing="$30.00 - $50.00",
                options={"color": option_list("red", "white")}),
        product("B000SHOE03", "Court Tennis Shoes", pricing="$55.00"),
        product("B000MUG001", "Ceramic Coffee Mug", pricing="$12.50", category="home", query="coffee mug",
                product_category="Home › Kitchen › Mugs", description="A mug. It holds 12 ounces of coffee."),
    ]
    attributes = {
        "B000SHOE01": {"attributes": ["waterproof", "rubber sole"], "instruction": "i want waterproof trail shoes",
                       "instruction_attributes": ["waterproof"]},
        "B000MUG001": {"attributes": ["dishwasher safe"]},
    }
    human = {
        "B000SHOE01": [
            {"asin": "B000SHOE01", "instruction": "i need waterproof trail running shoes in black, size 9.",
             "instruction_attributes": ["waterproof"], "instruction_options": ["black", "9"], "price_upper": 50.0},
            {"asin": "B000SHOE01", "instruction": "rubber sole running shoes in navy",
             "instruction_attributes": ["rubber sole"], "instruction_options": ["navy | blue"]},
        ],
        "B0MISSING1": [{"asin": "B0MISSING1", "instruction": "a thing that is not sold",
                        "instruction_attributes": ["x"], "instruction_options": []}],
        "B000MUG001": [{"asin": "B000MUG001", "instruction": "a dishwasher safe coffee mug",
                        "instruction_attributes": ["dishwasher safe"], "instruction_options": []}],
    }
    return write_shop(tmp_path / "shop", products, attributes, human)


@pytest.fixture
def ranker() -> WordOverlapRanker:
    return WordOverlapRanker()
