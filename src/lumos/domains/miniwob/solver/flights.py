"""book-flight: fill the search form (autocompleted airports, the date picker), then book the cheapest or
the shortest of the flights listed."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lumos.domains.miniwob.env import MiniWoBPage
from lumos.domains.miniwob.solver.interactive import pick_date
from lumos.domains.miniwob.solver.look import (
    Step,
    click,
    field,
    find,
    grounded,
    norm,
    run_js,
    type_into,
    wait_for,
)

_FLIGHTS = (
    "return Array.from(document.querySelectorAll('#results .flight')).map(function (f) {"
    " var d = f.querySelector('.time-duration'), b = f.querySelector('.flight-price');"
    " return [d ? d.innerText : '', b ? b.innerText : '']; });"
)


def _airport(page: MiniWoBPage, which: str, name: str, field_query: str) -> Iterator[Step]:
    yield type_into(f'Type "{name}" into the {which} field.', field_query, name)
    shown = [t for t in wait_for(page, "ul.ui-autocomplete li") if norm(name) in norm(t)]
    if shown:
        item = find(page, shown[0], tags=("li", "div", "a"))
        query = grounded(page, item, f"{shown[0]} suggestion", shown[0]) if item else shown[0]
        yield click(f'Choose the airport "{shown[0]}".', query)


def _minutes(text: str) -> int:
    hours, minutes = re.search(r"(\d+)h", text), re.search(r"(\d+)m", text)
    return (int(hours.group(1)) if hours else 0) * 60 + (int(minutes.group(1)) if minutes else 0)


def _price(text: str) -> int:
    match = re.search(r"\$(\d+)", text)
    return int(match.group(1)) if match else 10**9


def book_flight(page: MiniWoBPage) -> Iterator[Step]:
    criterion = field(page, "criterion")
    month, day, year = (int(v) for v in field(page, "date").split("/"))
    yield from _airport(page, "From", field(page, "from"), "From: flight-from input field")
    yield from _airport(page, "To", field(page, "to"), "To: flight-to input field")
    yield from pick_date(page, month, day, year, "Departure Date datepicker input field")
    yield click("Search for flights.", "Search button")
    flights = [(str(d), str(p)) for d, p in run_js(page, _FLIGHTS) or []]
    if not flights:
        return
    key = _price if criterion == "cheapest" else _minutes
    best = min(flights, key=lambda f: key(f[1] if criterion == "cheapest" else f[0]))
    button = find(page, best[1], tags=("button",))
    why = f"the cheapest, {best[1].split()[-1]}" if criterion == "cheapest" else f"the shortest, {best[0]}"
    yield click(f"Book {why}.", grounded(page, button, f"{best[1]} button") if button else best[1])
