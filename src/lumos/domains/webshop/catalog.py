"""WebShop's product files, read in the formats of the WebShop release.

A data directory holds:

- ``items_shuffle*.json`` (required): a list of scraped products, each with ``asin``, ``name``,
  ``full_description``, ``small_description`` (the feature bullets, a list or one string), ``pricing``
  (``"$12.99"`` or a range ``"$12.99 - $15.99"``), ``customization_options`` (``{option: [{"value": ...}]}``
  or null), ``category``, ``query`` and ``product_category`` (``"A › B › C"``);
- ``items_ins_v2*.json`` (optional): ``{asin: {"attributes": [...], "instruction": ..., "instruction_attributes":
  [...]}}``, the product attributes that the reward matches and the synthetic instructions;
- ``items_human_ins.json`` (optional): ``{asin: [{"instruction": ..., "instruction_attributes": [...],
  "instruction_options": [...], "price_upper"?: ...}, ...]}``, the human instructions.

Products are normalised as WebShop's engine does: option names and values lower-cased, ``/`` in an option value
written `` | ``, a product without attributes gets ``["DUMMY_ATTR"]``, one without a price costs $100.0.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lumos.errors import ConfigError

PRODUCTS_GLOB = "items_shuffle*.json"
ATTRIBUTES_GLOB = "items_ins_v2*.json"
HUMAN_FILE = "items_human_ins.json"
REQUIRED_KEYS = ("asin", "name", "category", "query", "product_category")
DUMMY_ATTRIBUTE = "DUMMY_ATTR"


@dataclass
class Product:
    asin: str
    title: str
    description: str = ""
    features: list[str] = field(default_factory=list)
    pricing: list[float] = field(default_factory=lambda: [100.0])
    price_tag: str = "$100.0"
    options: dict[str, list[str]] = field(default_factory=dict)
    attributes: list[str] = field(default_factory=lambda: [DUMMY_ATTRIBUTE])
    category: str = ""
    query: str = ""
    product_category: str = ""


@dataclass
class Catalog:
    """The products of a shop (file order), its instruction records, and where they came from."""

    products: list[Product]
    human: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    synthetic: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = ""
    demo: bool = False

    def __post_init__(self) -> None:
        self.by_asin = {p.asin: p for p in self.products}


def demo_dir() -> Path:
    """lumos's hand-written demo shop (not the WebShop benchmark)."""
    return Path(__file__).resolve().parent / "data"


def load_catalog(data: str | Path | None = None) -> Catalog:
    """Read a WebShop data directory (default: lumos's demo shop)."""
    directory = Path(data) if data is not None else demo_dir()
    if not directory.is_dir():
        raise ConfigError(
            f"WebShop data {directory} is not a directory; pass the folder holding {PRODUCTS_GLOB} "
            f"(and {ATTRIBUTES_GLOB}, {HUMAN_FILE})"
        )
    products_file = _pick(directory, PRODUCTS_GLOB, required=True)
    assert products_file is not None
    attributes_file = _pick(directory, ATTRIBUTES_GLOB, required=False)
    human_file = directory / HUMAN_FILE
    raw = _read_json(products_file, list, "a list of products")
    synthetic = _read_json(attributes_file, dict, "an object {asin: {...}}") if attributes_file else {}
    human = _read_json(human_file, dict, "an object {asin: [instructions]}") if human_file.is_file() else {}
    products: list[Product] = []
    seen: set[str] = set()
    for index, record in enumerate(raw):
        product = parse_product(record, products_file, index, synthetic)
        if product is None or product.asin in seen:
            continue  # WebShop skips 'nan' and over-long ASINs, and repeats
        seen.add(product.asin)
        products.append(product)
    if not products:
        raise ConfigError(f"{products_file} holds no usable products")
    for asin, records in human.items():
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ConfigError(f"{human_file}: the value of {asin!r} must be a list of instruction objects")
        for k, r in enumerate(records):
            if not isinstance(r.get("instruction"), str):
                raise ConfigError(f"{human_file}: instruction {k} of {asin!r} has no 'instruction' text")
    demo = directory.resolve() == demo_dir().resolve()
    return Catalog(products, human, synthetic, source=str(directory), demo=demo)


def parse_product(
    record: Any, path: Path, index: int, synthetic: dict[str, Any] | None = None
) -> Product | None:
    """One product record of ``items_shuffle*.json`` (None for the records WebShop skips)."""
    where = f"{path.name} product {index}"
    if not isinstance(record, dict):
        raise ConfigError(f"{where} is not an object")
    missing = [k for k in REQUIRED_KEYS if k not in record]
    if missing:
        raise ConfigError(f"{where} lacks {', '.join(missing)} (is {path} a WebShop items_shuffle file?)")
    asin = str(record["asin"])
    if asin == "nan" or len(asin) > 10:
        return None
    bullets = record.get("small_description") or []
    features = [str(b) for b in bullets] if isinstance(bullets, list) else [str(bullets)]
    pricing, price_tag = parse_pricing(record.get("pricing"), where)
    attrs = (synthetic or {}).get(asin, {})
    attributes = attrs.get("attributes") if isinstance(attrs, dict) else None
    return Product(
        asin=asin,
        title=str(record["name"]),
        description=str(record.get("full_description") or ""),
        features=features,
        pricing=pricing,
        price_tag=price_tag,
        options=parse_options(record.get("customization_options"), where),
        attributes=list(attributes) if attributes else [DUMMY_ATTRIBUTE],
        category=str(record["category"]),
        query=str(record["query"]).lower().strip(),
        product_category=str(record["product_category"]),
    )


def parse_pricing(pricing: Any, where: str) -> tuple[list[float], str]:
    """``"$12.99"`` -> ([12.99], "$12.99"); ``"$12.99 - $15.99"`` -> a range; missing -> $100.0."""
    if not pricing:
        return [100.0], "$100.0"
    if not isinstance(pricing, str):
        raise ConfigError(f"{where}: pricing must be text such as '$12.99', not {pricing!r}")
    try:
        values = [float(Decimal(re.sub(r"[^\d.]", "", part))) for part in pricing.split("$")[1:]]
    except InvalidOperation:
        raise ConfigError(f"{where}: cannot read the price {pricing!r} (expected '$12.99' or '$1 - $2')") from None
    if not values:
        raise ConfigError(f"{where}: the price {pricing!r} has no '$' amount")
    if len(values) == 1:
        return values, f"${values[0]}"
    return values[:2], f"${values[0]} to ${values[1]}"


def parse_options(options: Any, where: str) -> dict[str, list[str]]:
    if not options:
        return {}
    if not isinstance(options, dict):
        raise ConfigError(f"{where}: customization_options must be an object {{name: [{{'value': ...}}]}}")
    out: dict[str, list[str]] = {}
    for name, contents in options.items():
        if contents is None:
            continue
        if not isinstance(contents, list) or not all(isinstance(c, dict) and "value" in c for c in contents):
            raise ConfigError(f"{where}: option {name!r} must be a list of {{'value': ...}} objects")
        out[str(name).lower()] = [str(c["value"]).strip().replace("/", " | ").lower() for c in contents]
    return out


def _pick(directory: Path, pattern: str, required: bool) -> Path | None:
    found = sorted(directory.glob(pattern))
    if not found:
        if required:
            raise ConfigError(f"no {pattern} in {directory}: it needs WebShop's product file (items_shuffle.json)")
        return None
    exact = directory / pattern.replace("*", "")
    return exact if exact in found else found[0]


def _read_json(path: Path, kind: type, what: str) -> Any:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    if not isinstance(data, kind):
        raise ConfigError(f"{path} must hold {what}, not a {type(data).__name__}")
    return data
