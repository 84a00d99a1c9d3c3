"""The WebShop paper's reward for a purchase (Yao et al. 2022, section 3.1).

    reward = r_type * (attribute matches + option matches + [price <= cap]) / (|attributes| + |options| + 1)

An attribute matches when a product attribute is a fuzzy match (rapidfuzz ``token_set_ratio`` > 85 after
lower-casing and stripping punctuation, as thefuzz does by default) or the attribute text appears in the
title, the features or the description. An option matches when a chosen option value (colours reduced to
their base colour) is a fuzzy match. ``r_type`` checks the product type: the same search query, two or more
shared category levels, or the share of the goal title's nouns found in the purchased title.

Nouns. WebShop tags titles with spaCy's ``en_core_web_lg``, which cannot be installed here. The default
extractor, :func:`heuristic_nouns`, keeps a title's content words that are not stop words, numbers or units,
colours, sizes, or words with common adjective endings. It over-counts (a brand name or a material counts as
a noun, as spaCy's PROPN does for brands) and misses nouns with adjective-like endings ("essential"), so
``title_score`` can differ from WebShop's on titles full of such words; with both titles from the same product
it is 1 either way. Pass ``nouns="spacy:en_core_web_sm"`` (or any function ``str -> list[str]``) to use
another tagger.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from lumos.errors import ConfigError, require

NounExtractor = Callable[[str], list[str]]
FUZZY_THRESHOLD = 85

COLORS = (  # noqa: SIM905
    "alabaster apricot aqua ash asphalt azure banana beige black blue blush bordeaux bronze brown burgundy camel "
    "camo caramel champagne charcoal cheetah chestnut chocolate christmas coffee cognac copper coral cranberry "
    "cream crystal dark denim eggplant elephant espresso fuchsia gold granite grape graphite grass gray green grey "
    "heather indigo ivory ivy khaki lavender lemon leopard light lilac lime magenta maroon mauve merlot midnight "
    "mint mocha multicolor mushroom mustard natural navy nude olive orange peach pewter pink plum purple rainbow "
    "red rose royal rust sand sapphire seashell silver skull slate steel stone stonewash sunflower tan taupe teal "
    "tiger turquoise violet walnut wheat white wine yellow"
).split()

_NOT_NOUNS = frozenset(
    """a an the and or of for with without in on at to by from into over under up as is are be this that these
    those it its your our my his her their you we i all any each every no not new best great high low extra super
    ultra mini pro plus one two three four five six seven eight nine ten pack pcs pc piece pieces set count ct oz
    fl ml l lb lbs g kg mm cm inch inches in ft feet x xl xxl xs s m large small medium big little long short
    men mens women womens kids unisex boys girls adult baby
    soft hard light heavy dark bright clear free natural organic fresh premium classic modern professional
    portable adjustable durable comfortable waterproof wireless rechargeable compatible""".split()  # noqa: SIM905
)
_ADJECTIVE_ENDINGS = ("ful", "less", "ous", "ive", "able", "ible", "ish", "ical")
_WORD = re.compile(r"[a-z][a-z'\-]*[a-z]|[a-z]")


def heuristic_nouns(title: str) -> list[str]:
    """The likely nouns of a product title (lower case, in order): see the module notes."""
    out = []
    for word in _WORD.findall(title.lower()):
        word = word.strip("'-")
        if word.endswith("'s"):
            word = word[:-2]
        if len(word) < 2 or word in _NOT_NOUNS or word in COLORS or _adjective_like(word):
            continue
        out.append(word)
    return out


def _adjective_like(word: str) -> bool:
    return any(word.endswith(end) and len(word) >= len(end) + 4 for end in _ADJECTIVE_ENDINGS)


@cache
def _spacy_nouns(model: str) -> NounExtractor:
    spacy = require("spacy", package="spacy", extra="web", purpose="WebShop's noun tagging")
    try:
        nlp = spacy.load(model)
    except OSError as exc:
        raise ConfigError(f"spaCy model {model!r} is not installed (python -m spacy download {model})") from exc

    def nouns(text: str) -> list[str]:
        return [t.text.lower() for t in nlp(text) if t.pos_ in ("NOUN", "PROPN")]

    return nouns


def get_noun_extractor(spec: str | NounExtractor | None = None) -> NounExtractor:
    """``None``/``"heuristic"``: :func:`heuristic_nouns`; ``"spacy:MODEL"``: a spaCy pipeline; or a function."""
    if spec is None or spec == "heuristic":
        return heuristic_nouns
    if callable(spec):
        return spec
    if spec.startswith("spacy:"):
        return _spacy_nouns(spec.partition(":")[2])
    raise ConfigError(f"unknown noun extractor {spec!r}; use 'heuristic', 'spacy:MODEL' or a function")


def _ratio(a: str, b: str) -> float:
    from rapidfuzz import fuzz, utils

    return float(fuzz.token_set_ratio(a, b, processor=utils.default_process))


def normalize_color(value: str) -> str:
    """The first base colour named in ``value`` (WebShop's list and order), else ``value``."""
    for color in COLORS:
        if color in value:
            return color
    return value


@dataclass
class TypeMatch:
    r_type: float
    query_match: bool
    category_match: bool
    title_score: float


def type_reward(purchased: Any, goal: Any, nouns: NounExtractor = heuristic_nouns) -> TypeMatch:
    """Whether the purchased product is the wanted kind of product (1, 0.5, 0.1 or 0)."""
    query_match = purchased.query == goal.query
    bought_levels = {x.strip() for x in purchased.product_category.split("›")}
    wanted_levels = {x.strip() for x in goal.product_category.split("›")}
    category_match = len(bought_levels & wanted_levels) >= 2
    bought_nouns = set(nouns(purchased.title))
    wanted_nouns = nouns(goal.name)
    title_score = 0.2 if not wanted_nouns else len(bought_nouns & set(wanted_nouns)) / len(wanted_nouns)
    r_type = 1.0
    if not (query_match or category_match or title_score > 0.2):
        r_type = 0.5
    if title_score < 0.1:
        r_type = 0.1
    if title_score == 0.0:
        r_type = 0.0
    return TypeMatch(r_type, query_match, category_match, title_score)


def attribute_matches(purchased: Any, goal_attributes: Sequence[str]) -> int:
    texts = [purchased.title.lower(), " ".join(purchased.features).lower(), purchased.description.lower()]
    count = 0
    for wanted in goal_attributes:
        if any(_ratio(have, wanted) > FUZZY_THRESHOLD for have in purchased.attributes) or any(
            wanted in t for t in texts
        ):
            count += 1
    return count


def option_matches(chosen: Iterable[str], goal_options: Iterable[str]) -> int:
    chosen_norm = [normalize_color(o) for o in chosen]
    return sum(
        1
        for wanted in (normalize_color(o) for o in goal_options)
        if any(_ratio(have, wanted) > FUZZY_THRESHOLD for have in chosen_norm)
    )


@dataclass
class Reward:
    total: float
    r_type: float
    attribute_matches: int
    option_matches: int
    price_ok: bool
    title_score: float
    query_match: bool
    category_match: bool

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def goal_option_values(goal_options: Sequence[str] | Mapping[str, str]) -> list[str]:
    """A goal's wanted option values (human goals list them; synthetic goals map option name -> value)."""
    return list(goal_options.values()) if isinstance(goal_options, Mapping) else list(goal_options)


def compute_reward(
    purchased: Any, goal: Any, price: float, options: Mapping[str, str], nouns: NounExtractor = heuristic_nouns
) -> Reward:
    """The reward of buying ``purchased`` at ``price`` with ``options`` chosen, for ``goal``."""
    kind = type_reward(purchased, goal, nouns)
    wanted_options = goal_option_values(goal.options)
    n_attr = attribute_matches(purchased, goal.attributes)
    n_opt = option_matches(list(options.values()), wanted_options)
    price_ok = price <= goal.price_upper
    total = (n_attr + n_opt + int(price_ok)) / (len(goal.attributes) + len(wanted_options) + 1)
    return Reward(
        total * kind.r_type, kind.r_type, n_attr, n_opt, price_ok, kind.title_score, kind.query_match,
        kind.category_match,
    )
