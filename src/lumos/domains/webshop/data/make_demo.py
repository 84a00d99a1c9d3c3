"""Writes lumos's demo shop (items_shuffle.json, items_ins_v2.json, items_human_ins.json) in WebShop's formats.

The products and instructions are written by hand for lumos, as product lines (a kind of product with its
options, features and type fields) and their variants (title words, attributes, price); this script only
lays them out in WebShop's file formats. It is NOT the WebShop benchmark. Run it from anywhere:

    python src/lumos/domains/webshop/data/make_demo.py
"""

from __future__ import annotations

import json
from pathlib import Path

from product_lines import LINES  # the script's own folder is on sys.path when it runs

HERE = Path(__file__).resolve().parent
CODES = {"fashion": "F", "beauty": "B", "grocery": "G", "electronics": "E", "home": "H"}
_SUFFIX = "QRTXZKMWPV"


def asin_for(category: str, line: int, variant: int) -> str:
    return f"B0{CODES[category]}{line}{variant}{_SUFFIX[line]}{_SUFFIX[variant]}{_SUFFIX[(line + variant) % 10]}9A"[:10]


def price_text(price: float, options: dict[str, list[str]]) -> str:
    # a product with several sizes has a price range, as many WebShop products do
    if "size" in options and len(options["size"]) > 2:
        return f"${price:.2f} to ${price * 1.4:.2f}"
    return f"${price:.2f}"


def build() -> tuple[list[dict], dict, dict]:
    products: list[dict] = []
    synthetic: dict[str, dict] = {}
    human: dict[str, list[dict]] = {}
    goal_count = 0
    for category, lines in LINES.items():
        for li, (title, query, path, options, features, desc, ins, variants) in enumerate(lines):
            for vi, (words, attributes, price) in enumerate(variants):
                asin = asin_for(category, li, vi)
                name = title.format(w=words)
                products.append(
                    {
                        "asin": asin,
                        "name": name,
                        "full_description": f"{desc} {words}: {', '.join(attributes)}.",
                        "small_description": [*features, f"{attributes[0].capitalize()} and {attributes[1]}"],
                        "pricing": price_text(price, options),
                        "customization_options": {
                            k: [{"value": v, "image": None} for v in vs] for k, vs in options.items()
                        },
                        "category": category,
                        "query": query,
                        "product_category": path,
                        "images": [],
                    }
                )
                chosen = {k: vs[(li + vi) % len(vs)] for k, vs in options.items()}
                synthetic[asin] = {
                    "attributes": attributes,
                    "instruction": ins.format(a=attributes[0], **chosen).split(",")[0],
                    "instruction_attributes": attributes[:1],
                }
                if (li + vi) % 3 == 2 and vi == 3:
                    continue  # not every product has a human instruction
                record = {
                    "asin": asin,
                    "instruction": ins.format(a=" ".join(attributes[:1 + vi % 2]), **chosen),
                    "instruction_attributes": attributes[: 1 + vi % 2],
                    "instruction_options": list(chosen.values()),
                }
                if goal_count % 2 == 0:  # half the goals carry their cap, the rest draw it as WebShop does
                    record["price_upper"] = float(int(price * 1.5 / 10 + 1) * 10)
                human[asin] = [record]
                goal_count += 1
    return products, synthetic, human


def main() -> None:
    products, synthetic, human = build()
    (HERE / "items_shuffle.json").write_text(json.dumps(products, indent=1) + "\n")
    (HERE / "items_ins_v2.json").write_text(json.dumps(synthetic, indent=1) + "\n")
    (HERE / "items_human_ins.json").write_text(json.dumps(human, indent=1) + "\n")
    print(f"{len(products)} products, {sum(len(v) for v in human.values())} human goals -> {HERE}")


if __name__ == "__main__":
    main()
