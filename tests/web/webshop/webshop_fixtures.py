"""Helpers for the WebShop tests: product records in WebShop's format, shop folders, a deterministic ranker."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class WordOverlapRanker:
    """Scores a passage by how many of the query's words it holds (deterministic, no model)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

    def rerank(self, query: str, passages: Sequence[str]) -> list[float]:
        self.calls.append((query, list(passages)))
        words = set(query.lower().replace(",", " ").split())
        return [float(len(words & set(p.lower().replace(",", " ").split()))) for p in passages]


def product(asin: str, name: str, **fields: Any) -> dict[str, Any]:
    record = {
        "asin": asin,
        "name": name,
        "full_description": fields.pop("description", f"All about the {name.lower()}."),
        "small_description": fields.pop("features", ["Feature one", "Feature two"]),
        "pricing": fields.pop("pricing", "$20.00"),
        "customization_options": fields.pop("options", None),
        "category": fields.pop("category", "fashion"),
        "query": fields.pop("query", "shoes"),
        "product_category": fields.pop("product_category", "Clothing › Men › Shoes"),
        "images": [],
    }
    record.update(fields)
    return record


def write_shop(
    directory: Path,
    products: list[dict[str, Any]],
    attributes: dict[str, Any] | None = None,
    human: dict[str, Any] | None = None,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "items_shuffle_1000.json").write_text(json.dumps(products))
    if attributes is not None:
        (directory / "items_ins_v2_1000.json").write_text(json.dumps(attributes))
    if human is not None:
        (directory / "items_human_ins.json").write_text(json.dumps(human))
    return directory


def option_list(*values: str) -> list[dict[str, Any]]:
    return [{"value": v, "image": None} for v in values]


