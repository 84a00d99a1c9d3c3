"""Search / Click / FeatureRetrieve / Pick: argument parsing, ranking with a deterministic ranker, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from webshop_fixtures import WordOverlapRanker

from lumos.domains.webshop.catalog import load_catalog
from lumos.domains.webshop.env import Shop
from lumos.domains.webshop.tools import (
    Click,
    FeatureRetrieve,
    Features,
    Pick,
    Search,
    ShopPage,
    clickable_name,
)
from lumos.errors import AgentStepError, ToolError
from lumos.tools.base import ExecutionContext, registry


def context(directory: Path, goal: int = 0) -> ExecutionContext:
    shop = Shop(load_catalog(directory))
    return ExecutionContext(env=shop.env(shop.goals()[goal]))


def test_domain_lists_the_four_tools() -> None:
    assert registry.domain("webshop") == ["Search", "Click", "FeatureRetrieve", "Pick"]
    assert registry.get("Pick") is Pick


def test_search_then_pick_ranks_items_with_the_ranker(small_shop_dir: Path, ranker: WordOverlapRanker) -> None:
    ctx = context(small_shop_dir)
    page = Search().run("'running shoes'", ctx)
    assert isinstance(page, ShopPage) and page.page == "results"
    assert [a for a, _, _ in page.items][:2] == ["b000shoe01", "b000shoe02"]
    assert str(page).startswith("b000shoe01 - Trail Running Shoes Waterproof ($40.0) ** b000shoe02 - ")
    assert ctx.details["observation"].startswith("Instruction:")
    ctx.variables["R1"] = page
    best = Pick(ranker).run("Item_names: R1, Query: road lightweight shoes", ctx)
    assert best == "b000shoe02" and ctx.details["chosen"] == "b000shoe02"
    assert ctx.details["candidates"][0]["ref"] == "b000shoe02"
    assert ranker.calls[-1][0] == "road lightweight shoes"


def test_pick_uses_features_found_for_an_item(small_shop_dir: Path, ranker: WordOverlapRanker) -> None:
    ctx = context(small_shop_dir)
    ctx.variables["R1"] = Search().run("running shoes", ctx)
    ctx.variables["R2"] = Features("b000shoe01", ("grippy outsole", "grippy heel"))
    best = Pick(ranker).run("Item_names: R1, Item_features: [R2], Query: grippy running shoes", ctx)
    assert best == "b000shoe01"  # 'grippy' is only in the features retrieved for shoe 1
    assert "grippy outsole" in ctx.details["candidates"][0]["text"]


def test_click_resolves_variables_ids_with_titles_and_options(small_shop_dir: Path) -> None:
    ctx = context(small_shop_dir)
    Search().run("running shoes", ctx)
    ctx.variables["R2"] = "b000shoe01"
    page = Click().run("R2", ctx)
    assert page.page == "item" and page.asin == "b000shoe01" and ctx.details["chosen"] == "b000shoe01"
    assert str(page) == "b000shoe01 - Trail Running Shoes Waterproof ($40.0); color: black, navy | blue; size: 8, 9"
    chosen = Click().run("[Navy | Blue]", ctx)
    assert str(chosen).endswith("; size: 8, 9; chosen: color navy | blue")
    Click().run("9", ctx)
    done = Click().run("buy now", ctx)
    assert done.done and str(done) == "bought b000shoe01 with color: navy | blue, size: 9"
    assert ctx.details["reward"] == ctx.env.reward
    assert clickable_name("b000shoe02 - Road Running Shoes", ["b000shoe02"]) == "b000shoe02"
    assert clickable_name("search", ["search"]) is None


def test_click_on_something_not_on_the_page_is_a_step_error(small_shop_dir: Path) -> None:
    ctx = context(small_shop_dir)
    Search().run("running shoes", ctx)
    before = ctx.env.observation
    with pytest.raises(ToolError, match=r"'purple' is not clickable on this page; clickable: back to search, b000"):
        Click().run("purple", ctx)
    assert ctx.env.observation == before


def test_feature_retrieve_ranks_features_and_description(small_shop_dir: Path, ranker: WordOverlapRanker) -> None:
    ctx = context(small_shop_dir, goal=2)
    Search().run("coffee mug", ctx)
    ctx.variables["R3"] = Click().run("b000mug001", ctx)
    found = FeatureRetrieve(ranker).run("R3, Query: how many ounces does it hold", ctx)
    assert found.asin == "b000mug001" and found.texts[0] == "It holds 12 ounces of coffee."
    assert len(found.texts) == 3 and str(found).startswith("It holds 12 ounces of coffee., ")
    assert len(ctx.details["candidates"]) == 4  # two features, two description sentences


@pytest.mark.parametrize(
    ("tool", "args", "message"),
    [
        ("Pick", "Query: shoes", "needs Item_names"),
        ("Pick", "Item_names: R1", "needs a Query"),
        ("Pick", "Item_names: R9, Query: x", "R9 is not defined"),
        ("FeatureRetrieve", "R1", "needs a query"),
        ("FeatureRetrieve", "nothing, Query: x", "needs an opened item"),
        ("Search", "  ", "needs a query"),
    ],
)
def test_malformed_arguments_name_the_fix(
    small_shop_dir: Path, ranker: WordOverlapRanker, tool: str, args: str, message: str
) -> None:
    ctx = context(small_shop_dir)
    ctx.variables["R1"] = Search().run("shoes", ctx)
    instance = {"Pick": Pick(ranker), "FeatureRetrieve": FeatureRetrieve(ranker), "Search": Search()}[tool]
    with pytest.raises(AgentStepError, match=message):  # a step error recorded on the step
        instance.run(args, ctx)


def test_tools_need_a_shop_session() -> None:
    with pytest.raises(ToolError, match="acts on a WebShop session"):
        Search().run("shoes", ExecutionContext())
