"""Reading WebShop's product files, and the clear errors for missing or malformed ones."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from webshop_fixtures import option_list, product, write_shop

from lumos.domains.webshop.catalog import DUMMY_ATTRIBUTE, demo_dir, load_catalog
from lumos.errors import ConfigError


def test_products_are_normalised_as_webshop_does(small_shop_dir: Path) -> None:
    catalog = load_catalog(small_shop_dir)
    shoe = catalog.by_asin["B000SHOE01"]
    assert shoe.options == {"color": ["black", "navy | blue"], "size": ["8", "9"]}
    assert shoe.pricing == [40.0] and shoe.price_tag == "$40.0"
    assert shoe.attributes == ["waterproof", "rubber sole"]
    assert shoe.features == ["Waterproof upper", "Rubber sole"]
    road = catalog.by_asin["B000SHOE02"]
    assert road.pricing == [30.0, 50.0] and road.price_tag == "$30.0 to $50.0"
    assert road.attributes == [DUMMY_ATTRIBUTE]  # not in items_ins_v2
    assert catalog.products[0].asin == "B000SHOE01"
    assert list(catalog.human) == ["B000SHOE01", "B0MISSING1", "B000MUG001"]
    assert not catalog.demo


def test_skipped_records_missing_price_and_single_string_features(tmp_path: Path) -> None:
    products = [
        product("nan", "Nothing"),
        product("B00TOOLONG123", "Too long an id"),
        product("B000000001", "First", pricing="", features="One bullet"),
        product("B000000001", "Repeat"),
    ]
    catalog = load_catalog(write_shop(tmp_path, products))
    assert [p.title for p in catalog.products] == ["First"]
    assert catalog.products[0].pricing == [100.0] and catalog.products[0].features == ["One bullet"]


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (lambda d: None, "no items_shuffle"),
        (lambda d: (d / "items_shuffle.json").write_text("[{"), "not valid JSON"),
        (lambda d: (d / "items_shuffle.json").write_text("{}"), "must hold a list"),
        (lambda d: (d / "items_shuffle.json").write_text(json.dumps([{"asin": "B1"}])), "lacks name"),
        (
            lambda d: (d / "items_shuffle.json").write_text(json.dumps([product("B1", "x", pricing="$abc")])),
            "cannot read the price",
        ),
        (
            lambda d: (d / "items_shuffle.json").write_text(
                json.dumps([product("B1", "x", options={"color": ["red"]})])
            ),
            "option 'color'",
        ),
    ],
)
def test_bad_files_name_what_to_fix(tmp_path: Path, write: Callable[[Path], object], message: str) -> None:
    write(tmp_path)
    with pytest.raises(ConfigError, match=message):
        load_catalog(tmp_path)


def test_bad_human_file_and_missing_folder(tmp_path: Path) -> None:
    write_shop(tmp_path, [product("B1", "x", options={"c": option_list("a")})], human={"B1": {"instruction": "x"}})
    with pytest.raises(ConfigError, match="must be a list of instruction objects"):
        load_catalog(tmp_path)
    with pytest.raises(ConfigError, match="is not a directory"):
        load_catalog(tmp_path / "nowhere")


def test_demo_shop_is_big_enough_and_marked_as_demo() -> None:
    catalog = load_catalog()
    assert catalog.demo and Path(catalog.source) == demo_dir()
    assert len(catalog.products) >= 100
    assert len({p.category for p in catalog.products}) >= 5
    assert all(p.options for p in catalog.products)
    goals = [r for records in catalog.human.values() for r in records]
    assert len(goals) >= 60
    assert all(r["instruction_attributes"] and r["instruction_options"] for r in goals)
