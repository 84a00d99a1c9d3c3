"""The shop's pages, actions and observations, and invalid actions that change nothing."""

from __future__ import annotations

from pathlib import Path

from webshop_fixtures import product, write_shop

from lumos.domains.webshop.catalog import load_catalog
from lumos.domains.webshop.env import Shop, WebShopEnv


def session(directory: Path, goal: int = 0) -> WebShopEnv:
    shop = Shop(load_catalog(directory))
    return shop.env(shop.goals()[goal])


def test_start_search_item_and_buy(small_shop_dir: Path) -> None:
    env = session(small_shop_dir)
    instruction = env.goal.instruction
    assert env.observation == f"WebShop [SEP] Instruction: [SEP] {instruction} [SEP] search"
    assert env.clickables == ["search"]
    res = env.step("search[Waterproof Trail Shoes]")
    assert res.valid and not res.done and res.reward == 0.0
    assert res.observation.startswith(f"Instruction: [SEP] {instruction} [SEP] back to search [SEP] Page 1 (Total results: 3)")
    assert "b000shoe01 [SEP] Trail Running Shoes Waterproof [SEP] $40.0" in res.observation
    assert env.clickables[:1] == ["back to search"] and "b000shoe01" in env.clickables
    item = env.step("click[b000shoe01]").observation
    assert item.endswith(
        "back to search [SEP] < prev [SEP] color [SEP] black [SEP] navy | blue [SEP] size [SEP] 8 [SEP] 9 [SEP] "
        "Trail Running Shoes Waterproof [SEP] Price: $40.0 [SEP] Rating: N.A. [SEP] description [SEP] features "
        "[SEP] reviews [SEP] buy now"
    )
    assert env.step("click[Black]").valid and env.step("click[9]").valid
    assert env.state.options == {"color": "black", "size": "9"}
    bought = env.step("click[buy now]")
    assert bought.done and bought.reward == 1.0 and env.reward == 1.0
    assert '"color": "black", "size": "9"' in bought.observation and "Your score (min 0.0, max 1.0) [SEP] 1.0" in bought.observation


def test_sub_pages_and_prev(small_shop_dir: Path) -> None:
    env = session(small_shop_dir, goal=2)
    env.step("search[coffee mug]")
    env.step("click[b000mug001]")
    description = env.step("click[description]").observation
    assert description.endswith("back to search [SEP] < prev [SEP] A mug. It holds 12 ounces of coffee.")
    assert env.clickables == ["back to search", "< prev"]
    assert env.step("click[< prev]").observation.endswith("buy now")  # back to the item page
    assert env.step("click[features]").observation.endswith("< prev [SEP] Feature one [SEP] Feature two")
    env.step("click[< prev]")
    results = env.step("click[< prev]")  # from the item page: the results page again
    assert "Page 1 (Total results:" in results.observation and env.state.page == "results"
    env.step("click[back to search]")
    assert env.observation.startswith("WebShop [SEP] Instruction:")


def test_result_pages_of_ten(tmp_path: Path) -> None:
    products = [product(f"B0000000{i:02d}", f"Blue Widget Number {i}") for i in range(23)]
    shop = Shop(load_catalog(write_shop(tmp_path, products, human={"B000000000": [
        {"instruction": "a blue widget", "instruction_attributes": [], "instruction_options": []}]})))
    env = shop.env(shop.goals()[0])
    env.step("search[blue widget]")
    assert "Page 1 (Total results: 23) [SEP] next > [SEP]" in env.observation
    assert len([c for c in env.clickables if c.startswith("b0")]) == 10 and "< prev" not in env.clickables
    env.step("click[next >]")
    env.step("click[next >]")
    assert "Page 3 (Total results: 23) [SEP] < prev [SEP] b0" in env.observation
    assert len([c for c in env.clickables if c.startswith("b0")]) == 3 and "next >" not in env.clickables
    env.step("click[< prev]")
    assert env.state.page_no == 2


def test_invalid_actions_change_nothing(small_shop_dir: Path) -> None:
    env = session(small_shop_dir)
    for action in ("click[search]", "click[b000shoe01]", "search[]", "buy", "click[]"):
        before = env.observation
        res = env.step(action)
        assert not res.valid and res.observation == before and res.reward == 0.0 and not res.done
    env.step("search[shoes]")
    env.step("click[b000shoe02]")
    before = env.observation
    assert not env.step("click[black]").valid  # an option of another product
    assert not env.step("click[next >]").valid  # not on an item page
    assert env.observation == before and env.state.options == {}
    env.step("click[buy now]")
    assert env.done
    after = env.observation
    assert not env.step("search[shoes]").valid and env.observation == after  # the session is over
    assert len(env.history) == 11  # every action is recorded, valid or not
