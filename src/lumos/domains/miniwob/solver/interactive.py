"""Solvers whose next step depends on the page after the last action (sections to expand, tabs to switch,
feedback to read, popups, suggestions): generators that :func:`~lumos.domains.miniwob.solver.run.solve`
resumes after each action has run, so they read the page as it is then."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lumos.domains.miniwob.env import MiniWoBPage
from lumos.domains.miniwob.solver.look import (
    RANKER,
    Step,
    area_text,
    click,
    field,
    find,
    grounded,
    norm,
    run_js,
    submit,
    targets,
    type_into,
    visible,
    wait_for,
    words_for,
)
from lumos.domains.web_common.page import Element


def _click_named(
    page: MiniWoBPage, subgoal: str, text: str, *phrasings: str, skip: tuple[str, ...] = ()
) -> Step:
    """Click the shown element whose text is ``text``, named so that the ranker finds it."""
    element = find(page, text, skip=skip)
    names = phrasings or (text,)
    return click(subgoal, grounded(page, element, *names) if element else names[0])


def click_collapsible_2(page: MiniWoBPage) -> Iterator[Step]:
    target = field(page, "target")
    for header in [e.text for e in page.elements() if e.tag == "h3"]:
        if find(page, target, skip=("h3",)):
            break
        yield _click_named(page, f"Expand {header} to look for the link.", header)
    yield _click_named(page, f'Click the link "{target}".', target, f"{target} link", skip=("h3",))


def click_tab_2(page: MiniWoBPage) -> Iterator[Step]:
    target = field(page, "target")
    tabs = [e for e in page.elements() if e.tag == "a" and e.attributes.get("id", "").startswith("ui-id")]
    for tab in tabs[1:]:  # the first tab is open at the start
        if find(page, target, skip=("a", "li")):
            break
        name = tab.text if tab.text.lower().startswith("tab") else f"Tab {tab.text}"
        yield click(f"Switch to {name} to look for the link.", grounded(page, tab, f"{name} tab", tab.text))
    yield _click_named(page, f'Click the link "{target}".', target, f"{target} link", skip=("a", "li"))


_WIDGETS = {"radio": ("input", "radio"), "checkbox": ("input", "checkbox"), "text": ("input", "text")}


def click_widget(page: MiniWoBPage) -> Iterator[Step]:
    kind = field(page, "target")
    tag, typ = _WIDGETS.get(kind, (kind, ""))
    for e in page.elements():
        if e.tag == tag and (not typ or e.attributes.get("type") == typ):
            yield click(f'Click the "{kind}" widget.', grounded(page, e, words_for(e)))
            return
    yield click(f'Click the "{kind}" widget.', f"{kind} widget")


def login_user_popup(page: MiniWoBPage) -> Iterator[Step]:
    for name in ("username", "password"):
        value = field(page, name)
        yield click(f"Click the {name} field.", f"{name.capitalize()} {name} input field")
        if visible(page, "#popup"):
            yield click("A popup asks to exit; dismiss it with Cancel.", "Cancel button")
        yield type_into(
            f'Type "{value}" into the {name} field.', f"{name.capitalize()} {name} input field", value
        )
    yield click("Click the OK button of the login form to log in.", "OK button (in: #form)")


def _span(page: MiniWoBPage, text: str) -> Element | None:
    return find(page, text, tags=("span",))


def navigate_tree(page: MiniWoBPage) -> Iterator[Step]:
    target = field(page, "target")
    opened: set[str] = set()
    for _ in range(12):
        if _span(page, target):
            break
        closed = [str(t) for t in run_js(page, _CLOSED_FOLDERS) or [] if str(t) not in opened]
        if not closed:
            break
        opened.add(closed[0])
        folder = _span(page, closed[0])
        query = grounded(page, folder, f"{closed[0]} folder") if folder else f"{closed[0]} folder"
        yield click(f'Open the folder "{closed[0]}" to look inside.', query)
    found = _span(page, target)
    yield click(f'Click "{target}".', grounded(page, found, target) if found else target)


_CLOSED_FOLDERS = (
    "return Array.from(document.querySelectorAll('#tree li.expandable > span')).filter(function (e) {"
    " return e.getBoundingClientRect().height > 0; }).map(function (e) { return e.innerText.trim(); });"
)


def search_engine(page: MiniWoBPage) -> Iterator[Step]:
    query, rank = field(page, "query"), int(re.sub(r"\D", "", field(page, "rank")))
    yield type_into(f'Type "{query}" into the search box.', "search text input field", query)
    yield click("Click the Search button.", "Search button")
    number = (rank - 1) // 3 + 1
    if number > 1:
        yield _click_named(page, f"Go to page {number} of the results.", str(number), f"{number} page link")
    results = [e for e in page.elements() if e.tag == "a" and e.context == "#page-content"]
    hit = results[(rank - 1) % 3]
    yield click(
        f'Click the result number {rank}, "{hit.text}".',
        grounded(page, hit, f"{hit.text} search result link", f"{hit.text} link"),
    )


def use_autocomplete(page: MiniWoBPage) -> Iterator[Step]:
    start = field(page, "start")
    end = dict(page.fields).get("end", "")
    yield type_into(f'Type "{start}" into the field to get suggestions.', "Tags text input field", start)
    items = [t for t in wait_for(page, "ul.ui-autocomplete li") if t.startswith(start) and t.endswith(end)]
    if items:
        yield _click_named(page, f'Choose the suggestion "{items[0]}".', items[0], f"{items[0]} suggestion")
    yield submit()


def guess_number(page: MiniWoBPage) -> Iterator[Step]:
    low, high = 0, 9
    match = re.search(r"between (-?\d+)\s*-\s*(-?\d+)", page.utterance)
    if match:
        low, high = int(match.group(1)), int(match.group(2))
    for _ in range(12):
        guess = (low + high) // 2
        yield type_into(f"Guess {guess}: type it into the number field.", "number input field", str(guess))
        yield submit()
        if page.result().done:
            return
        feedback = area_text(page, "#feedback")
        if "higher than" in feedback:
            low = guess + 1
        elif "lower than" in feedback:
            high = guess - 1
        else:
            return


def _linear(expr: str, x: float) -> float:
    if not re.fullmatch(r"[\dx+\-*/ .()]+", expr):
        raise ValueError(f"not an equation of x: {expr!r}")
    return float(eval(expr.replace("x", f"({x})"), {"__builtins__": {}}))


def simple_algebra(page: MiniWoBPage) -> Iterator[Step]:
    problem = area_text(page, "#math-problem").strip()
    left, _, right = problem.partition("=")
    f0 = _linear(left, 0) - _linear(right, 0)
    f1 = _linear(left, 1) - _linear(right, 1)
    x = -f0 / (f1 - f0)
    answer = str(int(x)) if x == int(x) else f"{x:g}"
    yield type_into(
        f"Solve {problem}: x = {answer}; type it into the answer field.", "x = answer input field", answer
    )
    yield submit()


def click_pie(page: MiniWoBPage) -> Iterator[Step]:
    target = field(page, "target")
    yield _click_named(page, "Expand the pie menu with its + button.", "+", "+ button")
    labels = [e for e in page.elements() if e.tag == "text" and e.text.strip() == target]
    query = grounded(page, labels[0], f"{target} item", target) if labels else target
    yield click(f'Click the item labeled "{target}".', query)


def identify_shape(page: MiniWoBPage) -> Iterator[Step]:
    shapes = (
        run_js(
            page,
            "return Array.from(document.querySelectorAll('#area_svg > *'))"
            ".map(function (e) { return [e.tagName, e.textContent]; });",
        )
        or []
    )
    tag, text = (str(shapes[0][0]).lower(), str(shapes[0][1]).strip()) if shapes else ("", "")
    if tag == "text":
        answer = "Number" if text.isdigit() else "Letter"
    else:
        answer = {"circle": "Circle", "rect": "Rectangle", "polygon": "Triangle"}.get(tag, "Rectangle")
    yield click(f"The figure is a {answer.lower()}; click the {answer} button.", f"{answer} button")


_CSS_COLORS = {
    "red": (255, 0, 0),
    "blue": (0, 0, 255),
    "olive": (128, 128, 0),
    "lime": (0, 255, 0),
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "grey": (128, 128, 128),
    "gray": (128, 128, 128),
    "purple": (128, 0, 128),
    "orange": (255, 165, 0),
    "yellow": (255, 255, 0),
    "cyan": (0, 255, 255),
    "pink": (255, 192, 203),
    "magenta": (255, 0, 255),
    "green": (0, 128, 0),
}


def click_color(page: MiniWoBPage) -> Iterator[Step]:
    name = field(page, "target")
    rgb = "rgb({}, {}, {})".format(*_CSS_COLORS[name.lower()])
    boxes = [e for e in page.elements() if e.attributes.get("color") == rgb]
    phrasings = (f"{name} colored box", f"color {rgb} box")
    yield click(f"Click the {name} box.", grounded(page, boxes[0], *phrasings) if boxes else phrasings[1])


def grid_coordinate(page: MiniWoBPage) -> Iterator[Step]:
    x, y = field(page, "x"), field(page, "y")
    points = [e for e in page.elements() if e.attributes.get("id") == f"({x},{y})"]
    query = f"grid point ({x},{y})"
    yield click(f"Click the grid point ({x},{y}).", grounded(page, points[0], query) if points else query)


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def pick_date(page: MiniWoBPage, month: int, day: int, year: int, opener: str) -> Iterator[Step]:
    """Open a jQuery date picker with a click on ``opener``, page to the month, click the day."""
    yield click("Open the date picker.", opener)
    for _ in range(30):
        title = " ".join(wait_for(page, ".ui-datepicker-title")).split()
        if len(title) != 2 or title[0] not in _MONTHS:
            break
        shown = int(title[1]) * 12 + _MONTHS.index(title[0])
        want = year * 12 + month - 1
        if shown == want:
            break
        way = "Prev" if shown > want else "Next"
        yield _click_named(
            page, f"Go to the {'previous' if way == 'Prev' else 'next'} month.", way, f"{way} month"
        )
    days = [e for e in page.elements() if e.tag == "a" and e.text.strip() == str(day)]
    query = grounded(page, days[0], f"day {day}", str(day)) if days else str(day)
    yield click(f"Click day {day} of {_MONTHS[month - 1]} {year}.", query)


def choose_date(page: MiniWoBPage) -> Iterator[Step]:
    month, day, year = int(field(page, "month")), int(field(page, "day")), int(field(page, "year"))
    yield from pick_date(page, month, day, year, "datepicker date input field")
    yield submit()


def click_checkboxes_soft(page: MiniWoBPage) -> Iterator[Step]:
    """Each goal word has one checkbox whose word means the same: the pairs are matched by the ranker's
    word similarity (a person's sense of synonyms), the most similar pair first."""
    words = targets(page)
    boxes = [e for e in page.elements() if e.tag == "input" and e.attributes.get("type") == "checkbox"]
    ranker = RANKER.get()
    labels = [b.text for b in boxes]
    scores = [
        list(ranker.rerank(w, labels)) if ranker else [float(norm(w) == norm(t)) for t in labels]
        for w in words
    ]
    pairs = sorted(((s, i, j) for i, row in enumerate(scores) for j, s in enumerate(row)), reverse=True)
    used_words: set[int] = set()
    chosen: dict[int, int] = {}
    for _, i, j in pairs:
        if i not in used_words and j not in chosen:
            used_words.add(i)
            chosen[j] = i
    for j in sorted(chosen):
        box = boxes[j]
        yield click(
            f'Check "{box.text}", which means "{words[chosen[j]]}".', grounded(page, box, words_for(box))
        )
    yield submit()
