"""What TYPE writes into date and time fields: the text a person would type, read into the field's value.

Chromium's ``<input type="date">`` and ``<input type="time">`` take keystrokes segment by segment, so typed
text such as ``9:37 PM`` (the space) or ``9/17/2013`` (a one-digit month) leaves them empty or half-filled.
A person types those into the field without thinking about its segments; so TYPE reads the text as a date
or a time and sets the value the HTML form would hold (``2013-09-17``, ``21:37``).
"""

from __future__ import annotations

import re
from datetime import datetime

from lumos.errors import ToolError

VALUE_INPUTS = frozenset({"date", "time"})
"""The ``<input type=...>`` kinds whose value TYPE sets from the text rather than by keystrokes."""

_TIME = re.compile(
    r"^\s*(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?(?::(?P<second>\d{2}))?\s*"
    r"(?:(?P<half>[ap])\.?\s*m\.?)?\s*$",
    re.IGNORECASE,
)
_DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d", "%m-%d-%Y", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y")


class UnreadableValueError(ToolError):
    """TYPE into a date or time field with text that is not a date or a time."""

    kind = "unreadable_value"


def field_value(kind: str, text: str) -> str:
    """The HTML value of an ``<input type=kind>`` (one of :data:`VALUE_INPUTS`) for the typed ``text``."""
    if kind == "time":
        return _time_value(text)
    if kind == "date":
        return _date_value(text)
    raise ValueError(f"no value format for <input type={kind}>; expected one of {sorted(VALUE_INPUTS)}")


def _time_value(text: str) -> str:
    match = _TIME.match(text)
    if match is None:
        raise UnreadableValueError(f"cannot read {text!r} as a time; write it like 9:37 PM or 21:37")
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    half = (match["half"] or "").lower()
    if half and not 1 <= hour <= 12:
        raise UnreadableValueError(f"{text!r}: an AM/PM hour runs from 1 to 12")
    if half:
        hour = hour % 12 + (12 if half == "p" else 0)
    if hour > 23 or minute > 59 or int(match["second"] or 0) > 59:
        raise UnreadableValueError(f"{text!r} is not a time of day")
    value = f"{hour:02d}:{minute:02d}"
    return value + f":{int(match['second']):02d}" if match["second"] else value


def _date_value(text: str) -> str:
    cleaned = " ".join(text.split())
    for form in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, form).strftime("%Y-%m-%d")
        except ValueError:
            continue
    raise UnreadableValueError(f"cannot read {text!r} as a date; write it like 05/20/2010 (month/day/year)")
