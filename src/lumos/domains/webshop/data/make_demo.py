"""Writes lumos's demo shop (items_shuffle.json, items_ins_v2.json, items_human_ins.json) in WebShop's formats.

The products and instructions are written by hand for lumos, as product lines (a kind of product with its
options, features and type fields) and their variants (title words, attributes, price); this script only
lays them out in WebShop's file formats. It is NOT the WebShop benchmark. Run it from anywhere:

    python src/lumos/domains/webshop/data/make_demo.py
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

SIZES_SHOES = ["7", "8", "9", "10", "11"]
SIZES_CLOTHES = ["small", "medium", "large", "x-large"]

# category -> product lines: (title pattern, query, product_category, options, features, description,
#                              instruction pattern, variants [(title words, attributes, price)])
LINES: dict[str, list[tuple]] = {
    "fashion": [
        (
            "{w} Running Shoes for Men, Lightweight Athletic Sneakers",
            "men's running shoes",
            "Clothing, Shoes & Jewelry › Men › Shoes › Athletic › Running",
            {"color": ["black", "navy blue", "grey", "red"], "size": SIZES_SHOES},
            ["Knit upper that lets the foot breathe", "Cushioned foam midsole", "Rubber outsole with grip"],
            "Everyday running shoes with a soft midsole and a breathable knit upper.",
            "i'm looking for {a} running shoes for men in {color}, size {size}",
            [
                ("Stridex Trail", ["non slip", "rubber sole"], 49.99),
                ("Pacera Road", ["lightweight", "breathable"], 39.5),
                ("Vantor Waterproof", ["waterproof", "rubber sole"], 64.0),
                ("Kelso Memory Foam", ["memory foam", "arch support"], 55.25),
            ],
        ),
        (
            "{w} Women's Yoga Leggings, High Waist Workout Pants",
            "women's yoga leggings",
            "Clothing, Shoes & Jewelry › Women › Clothing › Active › Leggings",
            {"color": ["black", "charcoal", "olive green", "burgundy"], "size": SIZES_CLOTHES},
            ["Four-way stretch fabric", "Wide waistband that stays put", "Hidden key pocket"],
            "Leggings for yoga, running and the gym, soft and opaque.",
            "i want {a} yoga leggings for women, {color} in size {size}",
            [
                ("Lunaflex", ["high waist", "tummy control"], 22.99),
                ("Oma Pocket", ["side pockets", "high waist"], 26.5),
                ("Breeze Mesh", ["quick drying", "moisture wicking"], 19.99),
                ("Fleece Lined Winter", ["fleece lined", "warm"], 29.0),
            ],
        ),
        (
            "{w} Men's Cotton T-Shirt, Crew Neck Short Sleeve Tee",
            "men's t-shirts",
            "Clothing, Shoes & Jewelry › Men › Clothing › Shirts › T-Shirts",
            {"color": ["white", "black", "heather grey", "navy"], "size": SIZES_CLOTHES},
            ["Tag-free collar", "Double-stitched hems", "Pre-shrunk fabric"],
            "A plain crew neck tee for every day.",
            "i need a {a} t-shirt for men, {color}, size {size}",
            [
                ("Basico 100% Cotton", ["100% cotton", "machine wash"], 12.99),
                ("Athlon Dri", ["moisture wicking", "polyester"], 15.5),
                ("Organic Pima", ["organic cotton", "soft"], 24.0),
                ("Heavyweight Workwear", ["heavyweight", "durable"], 18.75),
            ],
        ),
        (
            "{w} Women's Rain Jacket, Hooded Windbreaker",
            "women's rain jacket",
            "Clothing, Shoes & Jewelry › Women › Clothing › Coats, Jackets & Vests › Raincoats",
            {"color": ["yellow", "navy", "black", "pink"], "size": SIZES_CLOTHES},
            ["Adjustable hood", "Zippered hand pockets", "Packs into its own pocket"],
            "A light jacket that keeps the rain out on walks and commutes.",
            "i am looking for a {a} rain jacket for women in {color}, size {size}",
            [
                ("Drizzle Packable", ["packable", "lightweight"], 34.99),
                ("Stormline Waterproof", ["waterproof", "seam sealed"], 59.0),
                ("Cozy Fleece Lined", ["fleece lined", "water resistant"], 45.5),
                ("Trekka Breathable", ["breathable", "waterproof"], 69.99),
            ],
        ),
        (
            "{w} Wool Hiking Socks, Cushioned Crew Socks",
            "hiking socks",
            "Clothing, Shoes & Jewelry › Men › Clothing › Socks & Hosiery › Hiking Socks",
            {"color": ["grey", "brown", "green"], "size": ["medium", "large", "x-large"]},
            ["Cushioned sole", "Reinforced heel and toe", "Stays up without slipping"],
            "Socks for long days on the trail.",
            "i want {a} hiking socks, {color} in size {size}",
            [
                ("Merino Trail 3 Pack", ["merino wool", "3 pack"], 21.99),
                ("Alpine Thermal", ["thermal", "merino wool"], 17.5),
                ("Summit Light 6 Pack", ["6 pack", "moisture wicking"], 24.99),
                ("Ridge Anti Blister", ["anti blister", "cushioned"], 14.0),
            ],
        ),
    ],
    "beauty": [
        (
            "{w} Facial Moisturizer, Daily Face Cream",
            "face moisturizer",
            "Beauty & Personal Care › Skin Care › Face › Creams & Moisturizers › Face Moisturizers",
            {"size": ["1.7 ounce", "3.4 ounce"]},
            ["Absorbs quickly", "Dermatologist tested", "Fragrance free formula"],
            "A light daily moisturizer for morning and night.",
            "i need a {a} face moisturizer, {size}",
            [
                ("Hydra Hyaluronic Acid", ["hyaluronic acid", "oil free"], 18.99),
                ("Calm Sensitive Skin", ["sensitive skin", "fragrance free"], 15.49),
                ("Glow Vitamin C", ["vitamin c", "anti aging"], 24.0),
                ("Shield SPF 30", ["spf 30", "non greasy"], 21.5),
            ],
        ),
        (
            "{w} Shampoo for Dry Hair",
            "shampoo",
            "Beauty & Personal Care › Hair Care › Shampoo & Conditioner › Shampoos",
            {"size": ["8 fl oz", "16 fl oz", "32 fl oz"]},
            ["Gentle cleanse", "Leaves hair soft", "Safe for color treated hair"],
            "A shampoo that cleans without stripping the hair.",
            "i'm looking for {a} shampoo, {size}",
            [
                ("Argan Oil Sulfate Free", ["sulfate free", "argan oil"], 12.99),
                ("Tea Tree Clarifying", ["tea tree", "paraben free"], 9.99),
                ("Coconut Curl", ["curly hair", "sulfate free"], 14.5),
                ("Keratin Repair", ["keratin", "damaged hair"], 16.0),
            ],
        ),
        (
            "{w} Lipstick, Long Lasting Matte Lip Color",
            "lipstick",
            "Beauty & Personal Care › Makeup › Lips › Lipstick",
            {"color": ["ruby red", "nude", "rose pink", "plum"]},
            ["Rich color in one swipe", "Does not feather", "Slim bullet"],
            "A lipstick with full color that lasts through the day.",
            "i want a {a} lipstick in {color}",
            [
                ("Velvet Matte", ["matte", "long lasting"], 8.99),
                ("Pure Vegan", ["vegan", "cruelty free"], 11.5),
                ("Hydrating Satin", ["moisturizing", "satin finish"], 9.75),
                ("Stay Waterproof", ["waterproof", "smudge proof"], 12.99),
            ],
        ),
        (
            "{w} Nail Polish Set",
            "nail polish",
            "Beauty & Personal Care › Foot, Hand & Nail Care › Nail Art & Polish › Nail Polish",
            {"color": ["pastel", "neon", "glitter", "classic red"]},
            ["Brush for even strokes", "Chip resistant finish", "Dries in minutes"],
            "A set of nail polishes for home manicures.",
            "i am looking for a {a} nail polish set, {color}",
            [
                ("Quick Dry 6 Colors", ["quick dry", "6 pack"], 13.99),
                ("Gel UV", ["gel polish", "long lasting"], 19.5),
                ("Kids Peel Off", ["non toxic", "peel off"], 10.99),
                ("Breathable Halal", ["breathable", "vegan"], 16.25),
            ],
        ),
        (
            "{w} Electric Toothbrush with 2 Brush Heads",
            "electric toothbrush",
            "Beauty & Personal Care › Oral Care › Toothbrushes & Accessories › Electric Toothbrushes",
            {"color": ["white", "black", "blue"]},
            ["Two minute timer", "Two brush heads included", "Travel case"],
            "An electric toothbrush that cleans better than brushing by hand.",
            "i need a {a} electric toothbrush, {color}",
            [
                ("Sonic Rechargeable", ["rechargeable", "sonic"], 29.99),
                ("Gentle Sensitive Gums", ["sensitive teeth", "soft bristles"], 24.5),
                ("Travel Battery", ["battery operated", "travel size"], 14.99),
                ("Smart Pressure Sensor", ["pressure sensor", "rechargeable"], 49.0),
            ],
        ),
    ],
    "grocery": [
        (
            "{w} Whole Bean Coffee",
            "coffee beans",
            "Grocery & Gourmet Food › Beverages › Coffee, Tea & Cocoa › Coffee › Whole Coffee Beans",
            {"size": ["12 ounce", "2 pound"]},
            ["Small batch roasted", "Sealed bag with valve", "Grind at home"],
            "Coffee beans for brewing at home.",
            "i want {a} coffee beans, {size}",
            [
                ("Morning Medium Roast Organic", ["organic", "medium roast"], 13.99),
                ("Midnight Dark Roast", ["dark roast", "fair trade"], 15.49),
                ("Mountain Decaf", ["decaf", "swiss water"], 14.25),
                ("Sunrise Light Roast Arabica", ["light roast", "arabica"], 12.5),
            ],
        ),
        (
            "{w} Green Tea Bags",
            "green tea",
            "Grocery & Gourmet Food › Beverages › Coffee, Tea & Cocoa › Tea › Green Tea",
            {"size": ["20 count", "100 count"]},
            ["Individually wrapped bags", "Steep for three minutes", "No artificial flavors"],
            "A light green tea for any time of day.",
            "i'm looking for {a} green tea bags, {size}",
            [
                ("Jasmine Organic", ["organic", "jasmine"], 6.99),
                ("Matcha Blend", ["matcha", "antioxidant"], 8.49),
                ("Lemon Decaf", ["decaf", "lemon"], 5.99),
                ("Mint Caffeine Free", ["caffeine free", "mint"], 6.25),
            ],
        ),
        (
            "{w} Protein Bars, 12 Count",
            "protein bars",
            "Grocery & Gourmet Food › Snack Foods › Bars › Protein Bars",
            {"flavor": ["chocolate", "peanut butter", "cookie dough"]},
            ["20 grams of protein", "Individually wrapped", "Great after a workout"],
            "Protein bars for a snack on the go.",
            "i need {a} protein bars in {flavor} flavor",
            [
                ("Lean Low Sugar", ["low sugar", "high protein"], 19.99),
                ("Plant Vegan", ["vegan", "gluten free"], 23.5),
                ("Keto Crunch", ["keto", "low carb"], 24.99),
                ("Nutty Whey", ["whey protein", "high protein"], 17.99),
            ],
        ),
        (
            "{w} Extra Virgin Olive Oil",
            "olive oil",
            "Grocery & Gourmet Food › Pantry Staples › Cooking Oils › Olive Oil",
            {"size": ["16.9 fl oz", "33.8 fl oz"]},
            ["First cold pressed", "Dark glass bottle", "Good for salads and cooking"],
            "An olive oil for cooking and dressings.",
            "i want {a} olive oil, {size}",
            [
                ("Tuscan Organic", ["organic", "cold pressed"], 16.99),
                ("Greek Single Origin", ["single origin", "kosher"], 18.5),
                ("Spanish Everyday", ["non gmo", "cold pressed"], 11.99),
                ("Garlic Infused", ["garlic infused", "non gmo"], 13.25),
            ],
        ),
        (
            "{w} Trail Mix Snack Packs",
            "trail mix",
            "Grocery & Gourmet Food › Snack Foods › Nuts & Seeds › Trail Mix",
            {"size": ["10 pack", "24 pack"]},
            ["Resealable packs", "Nuts, seeds and dried fruit", "No added colors"],
            "A mix of nuts and fruit for hikes and lunch boxes.",
            "i am looking for {a} trail mix, {size}",
            [
                ("Classic Salted", ["salted", "high protein"], 12.99),
                ("Unsalted Raw", ["unsalted", "gluten free"], 14.99),
                ("Dark Chocolate Cherry", ["dark chocolate", "non gmo"], 15.5),
                ("Keto Nut", ["keto", "low carb"], 16.99),
            ],
        ),
    ],
    "electronics": [
        (
            "{w} Wireless Earbuds, Bluetooth 5.3 Headphones with Charging Case",
            "wireless earbuds",
            "Electronics › Headphones, Earbuds & Accessories › Headphones & Earbuds › Earbud Headphones",
            {"color": ["black", "white", "blue"]},
            ["Bluetooth 5.3 connection", "Touch controls", "USB-C charging case"],
            "Earbuds for music and calls, with a pocket charging case.",
            "i need {a} wireless earbuds, {color}",
            [
                ("Pulse Noise Cancelling", ["noise cancelling", "long battery life"], 39.99),
                ("Sporty Waterproof", ["waterproof", "ear hooks"], 29.99),
                ("Mini Budget", ["lightweight", "built-in microphone"], 19.5),
                ("Studio Hi-Fi", ["hi-fi sound", "wireless charging"], 59.0),
            ],
        ),
        (
            "{w} Portable Power Bank, USB-C Phone Charger",
            "power bank",
            "Electronics › Cell Phones & Accessories › Accessories › Chargers & Power Adapters › Portable Power Banks",
            {"color": ["black", "white"], "capacity": ["10000mah", "20000mah"]},
            ["Charges two devices at once", "LED charge indicator", "Airline safe"],
            "A battery pack that keeps a phone charged away from a wall plug.",
            "i'm looking for a {a} power bank, {color}, {capacity}",
            [
                ("Volt Fast Charging", ["fast charging", "usb c"], 25.99),
                ("Slim Pocket", ["slim", "lightweight"], 19.99),
                ("Solar Outdoor", ["solar", "waterproof"], 32.5),
                ("MagSnap Wireless", ["wireless charging", "magnetic"], 39.99),
            ],
        ),
        (
            "{w} Bluetooth Speaker, Portable Wireless Speaker",
            "bluetooth speaker",
            "Electronics › Portable Audio & Video › Portable Speakers & Docks › Portable Bluetooth Speakers",
            {"color": ["black", "red", "teal"]},
            ["12 hours of play", "Pairs in seconds", "Strap for carrying"],
            "A small speaker for the beach, the park and the kitchen.",
            "i want a {a} bluetooth speaker in {color}",
            [
                ("Boom Waterproof IPX7", ["waterproof", "loud"], 35.99),
                ("Bass Party LED", ["led lights", "deep bass"], 45.0),
                ("Pocket Mini", ["mini", "lightweight"], 17.99),
                ("Duo Stereo Pair", ["stereo pairing", "long battery life"], 52.5),
            ],
        ),
        (
            "{w} HDMI Cable 4K",
            "hdmi cable",
            "Electronics › Accessories & Supplies › Audio & Video Accessories › Cables › HDMI Cables",
            {"size": ["3 ft", "6 ft", "10 ft"]},
            ["Gold plated connectors", "Supports 4K at 60Hz", "Works with TVs, laptops and consoles"],
            "An HDMI cable for a TV, a monitor or a game console.",
            "i need a {a} hdmi cable, {size}",
            [
                ("Braided High Speed", ["braided", "high speed"], 9.99),
                ("Ultra 8K", ["8k", "high speed"], 14.99),
                ("Flat Slim", ["flat", "slim"], 7.49),
                ("Right Angle", ["right angle", "gold plated"], 8.99),
            ],
        ),
        (
            "{w} Wireless Mouse for Laptop",
            "wireless mouse",
            "Electronics › Computers & Accessories › Computer Accessories & Peripherals › Keyboards, Mice & Accessories › Mice",
            {"color": ["black", "grey", "pink"]},
            ["2.4 GHz receiver", "Three DPI levels", "Auto sleep saves power"],
            "A mouse for a laptop or a desktop, with a small USB receiver.",
            "i'm looking for a {a} wireless mouse in {color}",
            [
                ("Quiet Click Silent", ["silent", "ergonomic"], 12.99),
                ("Rechargeable Slim", ["rechargeable", "slim"], 16.5),
                ("Vertical Ergonomic", ["ergonomic", "vertical"], 24.99),
                ("Bluetooth Dual Mode", ["bluetooth", "rechargeable"], 21.0),
            ],
        ),
    ],
    "home": [
        (
            "{w} Bed Sheet Set, 4 Piece",
            "bed sheets",
            "Home & Kitchen › Bedding › Sheets & Pillowcases › Sheet & Pillowcase Sets",
            {"color": ["white", "grey", "sage green", "navy"], "size": ["twin", "full", "queen", "king"]},
            ["Deep pockets fit tall mattresses", "Flat sheet, fitted sheet, two pillowcases", "Wrinkle resistant"],
            "A soft sheet set for every season.",
            "i need {a} bed sheets, {color}, {size} size",
            [
                ("Cool Bamboo", ["bamboo", "cooling"], 45.99),
                ("Crisp Cotton Percale", ["100% cotton", "breathable"], 59.0),
                ("Brushed Microfiber", ["microfiber", "machine washable"], 24.99),
                ("Flannel Winter", ["flannel", "warm"], 39.5),
            ],
        ),
        (
            "{w} Non Stick Frying Pan",
            "frying pan",
            "Home & Kitchen › Kitchen & Dining › Cookware › Pots & Pans › Skillets",
            {"size": ["8 inch", "10 inch", "12 inch"]},
            ["Even heating base", "Stay-cool handle", "Easy to clean"],
            "A frying pan for eggs, pancakes and stir fries.",
            "i want a {a} frying pan, {size}",
            [
                ("Ceramic Eco", ["ceramic", "pfoa free"], 27.99),
                ("Granite Stone", ["granite coating", "induction compatible"], 32.5),
                ("Pro Stainless Clad", ["stainless steel", "oven safe"], 44.99),
                ("Cast Iron Preseasoned", ["cast iron", "oven safe"], 24.0),
            ],
        ),
        (
            "{w} Scented Candle",
            "scented candle",
            "Home & Kitchen › Home Décor Products › Candles & Holders › Candles › Jar Candles",
            {"scent": ["lavender", "vanilla", "eucalyptus", "sea salt"]},
            ["Burns for about 50 hours", "Cotton wick", "Reusable glass jar"],
            "A candle that fills a room with a calm scent.",
            "i am looking for a {a} scented candle, {scent} scent",
            [
                ("Calm Soy Wax", ["soy wax", "natural"], 16.99),
                ("Cozy Three Wick", ["3 wick", "long lasting"], 24.99),
                ("Tiny Travel Tin", ["travel size", "soy wax"], 9.5),
                ("Pure Beeswax", ["beeswax", "non toxic"], 19.0),
            ],
        ),
        (
            "{w} Throw Blanket for Couch",
            "throw blanket",
            "Home & Kitchen › Bedding › Blankets & Throws › Throws",
            {"color": ["cream", "grey", "mustard yellow", "blush pink"], "size": ["50 x 60 inch", "60 x 80 inch"]},
            ["Does not shed", "Machine washable", "Soft on both sides"],
            "A cosy blanket for the sofa or the bed.",
            "i need a {a} throw blanket, {color}, {size}",
            [
                ("Sherpa Fleece", ["sherpa", "warm"], 29.99),
                ("Chunky Knit", ["knitted", "handmade"], 49.5),
                ("Summer Cotton Waffle", ["100% cotton", "lightweight"], 35.0),
                ("Heated Electric", ["heated", "auto shut off"], 54.99),
            ],
        ),
        (
            "{w} Stainless Steel Water Bottle",
            "water bottle",
            "Home & Kitchen › Kitchen & Dining › Storage & Organization › Travel & To-Go Food Containers › Water Bottles",
            {"color": ["black", "white", "sky blue", "green"], "size": ["18 oz", "32 oz"]},
            ["Leak proof lid", "Fits most cup holders", "Keeps drinks cold for 24 hours"],
            "A bottle that keeps water cold on long days.",
            "i want a {a} water bottle in {color}, {size}",
            [
                ("Vacuum Insulated", ["insulated", "bpa free"], 19.99),
                ("Straw Lid Kids", ["straw lid", "bpa free"], 15.99),
                ("Wide Mouth Sport", ["wide mouth", "dishwasher safe"], 24.5),
                ("Glass Lined Pure", ["glass lined", "insulated"], 29.0),
            ],
        ),
    ],
}

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
