"""Dates and times as people write them, read into the values HTML date and time fields hold."""

from __future__ import annotations

import pytest

from lumos.domains.miniwob.input_values import UnreadableValueError, field_value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("9:37 PM", "21:37"),
        ("9:37PM", "21:37"),
        ("12:58 am", "00:58"),
        ("12:05 p.m.", "12:05"),
        ("7 AM", "07:00"),
        ("21:37", "21:37"),
        ("08:04:09", "08:04:09"),
    ],
)
def test_times(text: str, value: str) -> None:
    assert field_value("time", text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("05/20/2010", "2010-05-20"),
        ("9/7/2013", "2013-09-07"),
        ("2013-09-17", "2013-09-17"),
        ("May 20, 2010", "2010-05-20"),
        ("20 May  2010", "2010-05-20"),
    ],
)
def test_dates(text: str, value: str) -> None:
    assert field_value("date", text) == value


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("time", "soon", "cannot read 'soon' as a time; write it like 9:37 PM or 21:37"),
        ("time", "13:10 PM", "an AM/PM hour runs from 1 to 12"),
        ("time", "24:00", "is not a time of day"),
        ("time", "9:75", "is not a time of day"),
        ("date", "13/40/2010", "cannot read '13/40/2010' as a date; write it like 05/20/2010"),
    ],
)
def test_text_that_is_not_a_date_or_a_time_names_the_form_to_write(kind: str, text: str, message: str) -> None:
    with pytest.raises(UnreadableValueError, match=message):
        field_value(kind, text)


def test_only_date_and_time_fields_have_a_value_format() -> None:
    with pytest.raises(ValueError, match="no value format for <input type=text>"):
        field_value("text", "hello")
