"""The WebShop reward, term by term, on hand-computed cases."""

from __future__ import annotations

import pytest

from lumos.domains.webshop.catalog import Product
from lumos.domains.webshop.goals import Goal
from lumos.domains.webshop.reward import (
    attribute_matches,
    compute_reward,
    get_noun_extractor,
    heuristic_nouns,
    normalize_color,
    option_matches,
    type_reward,
)

SHOE = Product(
    asin="B000SHOE01",
    title="Trail Running Shoes Waterproof",
    description="Shoes for wet trails.",
    features=["Breathable upper mesh", "Grippy outsole"],
    pricing=[40.0],
    price_tag="$40.0",
    options={"color": ["black", "navy"], "size": ["9", "10"]},
    attributes=["waterproof", "rubber sole"],
    category="fashion",
    query="running shoes",
    product_category="Clothing › Men › Shoes › Running",
)


def goal(**fields: object) -> Goal:
    base: dict[str, object] = dict(
        index=0, asin=SHOE.asin, instruction="x", attributes=["waterproof"], options=[], price_upper=50.0,
        name=SHOE.title, query=SHOE.query, category="fashion", product_category=SHOE.product_category,
    )
    base.update(fields)
    return Goal(**base)  # type: ignore[arg-type]


def test_attributes_match_fuzzily_or_by_text() -> None:
    # "Waterproof!" fuzzy-matches the attribute "waterproof"; "breathable upper" is in a feature; "lightweight" nowhere
    assert attribute_matches(SHOE, ["Waterproof!", "lightweight", "breathable upper"]) == 2
    assert attribute_matches(SHOE, ["rubber soles"]) == 1  # token_set_ratio 95 > 85
    assert attribute_matches(SHOE, ["leather"]) == 0


def test_options_match_after_colour_normalisation() -> None:
    assert normalize_color("jet black") == "black" and normalize_color("size 9") == "size 9"
    assert option_matches(["black", "9"], ["jet black", "10"]) == 1
    assert option_matches(["black", "10"], ["black", "10"]) == 2
    assert option_matches([], ["black"]) == 0


def test_total_is_matches_over_attributes_options_and_price() -> None:
    g = goal(attributes=["waterproof", "lightweight", "breathable upper"], options=["jet black", "10"])
    r = compute_reward(SHOE, g, price=40.0, options={"color": "black", "size": "9"})
    assert (r.attribute_matches, r.option_matches, r.price_ok, r.r_type) == (2, 1, True, 1.0)
    assert r.total == pytest.approx(4 / 6)
    over = compute_reward(SHOE, g, price=50.01, options={"color": "black", "size": "9"})
    assert not over.price_ok and over.total == pytest.approx(3 / 6)
    synthetic = goal(attributes=["waterproof"], options={"color": "black", "size": "9"})
    assert compute_reward(SHOE, synthetic, 40.0, {"color": "black", "size": "9"}).total == 1.0


@pytest.mark.parametrize(
    ("name", "query", "category", "r_type", "title_score"),
    [
        # same query, same title: 1
        (SHOE.title, SHOE.query, SHOE.product_category, 1.0, 1.0),
        # 1 of 5 goal nouns (garden hose nozzle sprayer shoes), no query or category match: 0.5
        ("Garden Hose Nozzle Sprayer Shoes", "garden hose", "Garden › Hoses", 0.5, 0.2),
        # ... the same, but two category levels shared: 1
        ("Garden Hose Nozzle Sprayer Shoes", "garden hose", "Clothing › Men › Hoses", 1.0, 0.2),
        # 1 of 11 goal nouns: 0.1 even with the same query
        ("Shoes Rack Organizer Closet Shelf Tower Cabinet Stand Holder Bench Tray", SHOE.query,
         SHOE.product_category, 0.1, 1 / 11),
        # no goal noun in the title: 0
        ("Ceramic Coffee Mug", SHOE.query, SHOE.product_category, 0.0, 0.0),
        # no nouns in the goal name at all: title score 0.2, so the query match decides
        ("Black Large", SHOE.query, "Elsewhere", 1.0, 0.2),
        ("Black Large", "something else", "Elsewhere", 0.5, 0.2),
    ],
)
def test_type_factor_branches(name: str, query: str, category: str, r_type: float, title_score: float) -> None:
    match = type_reward(SHOE, goal(name=name, query=query, product_category=category))
    assert match.r_type == r_type
    assert match.title_score == pytest.approx(title_score)


def test_type_factor_scales_the_total() -> None:
    g = goal(name="Ceramic Coffee Mug")
    assert compute_reward(SHOE, g, 40.0, {}).total == 0.0


def test_heuristic_nouns_and_a_plugged_extractor() -> None:
    assert heuristic_nouns("Men's Waterproof Trail Running Shoes, Black, 2 Pack") == ["trail", "running", "shoes"]
    assert heuristic_nouns("Portable Adjustable Comfortable") == []
    only_last = get_noun_extractor(lambda title: title.lower().split()[-1:])
    assert type_reward(SHOE, goal(name="Red Waterproof"), only_last).r_type == 1.0  # "waterproof" is in the title
