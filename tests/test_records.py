"""lumos.records: the one reader of JSON lines, JSON and YAML files; bad input is a ConfigError naming the place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lumos.errors import ConfigError
from lumos.records import (
    BadLine,
    check_folder,
    jsonl_rows,
    parse_lines,
    read_json,
    read_jsonl,
    read_records,
    read_yaml,
)


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def error(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as caught:
        result = call()
        if not isinstance(result, (dict, str, type(None))):
            list(result)
    return str(caught.value)


def test_invalid_utf8_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "data.jsonl", b'{"a": 1}\n{"b": "\xff\xfe"}\n')
    assert f"{path}:2: not UTF-8" in error(lambda: read_records(path, "--data"))
    assert f"{path}:2: not UTF-8" in error(lambda: read_jsonl(path, "--data"))
    image = write(tmp_path / "m.json", b"\x89PNG\r\n")
    assert f"{image}:1: not UTF-8" in error(lambda: read_json(image, "x"))


def test_rows_that_are_not_objects_are_named(tmp_path: Path) -> None:
    lines = write(tmp_path / "d.jsonl", '{"q": 1}\n[1, 2]\n')
    assert f"{lines}:2: a list, not a JSON object" in error(lambda: read_records(lines, "--data"))
    listed = write(tmp_path / "d.json", '[{"q": 1}, "text"]')
    assert "item 2 of the list is a string" in error(lambda: read_records(listed, "--data"))
    scalar = write(tmp_path / "n.json", "[3]")
    assert "item 1 of the list is a number" in error(lambda: read_records(scalar, "--data"))


def test_a_truncated_json_file_says_so(tmp_path: Path) -> None:
    path = write(tmp_path / "config.json", '{\n  "method": "direct",\n  "seed": ')
    message = error(lambda: read_json(path, "a run's settings"))
    assert f"{path}:3" in message and "truncated" in message


def test_a_json_line_cut_short_is_called_truncated() -> None:
    rows = list(parse_lines([b'{"a": 1}\n', b'{"task": "Add 2 and 3", "ste'], "t.jsonl"))
    bad = rows[1][1]
    assert rows[0][1] == {"a": 1} and isinstance(bad, BadLine)
    assert str(bad).startswith("t.jsonl:2: truncated")
    other = parse_lines(['{"a": 1} x'], "t.jsonl")
    assert "truncated" not in str(next(other)[1])


def test_a_folder_for_a_file_and_a_file_for_a_folder(tmp_path: Path) -> None:
    assert "is a folder: give a file" in error(lambda: read_records(tmp_path, "--data file"))
    assert "does not exist" in error(lambda: read_json(tmp_path / "nope.json", "x"))
    file = write(tmp_path / "f.txt", "x")
    assert "is a file: give a folder" in error(lambda: check_folder(file, "--out"))


def test_data_file_shapes(tmp_path: Path) -> None:
    rows = [{"q": "a"}, {"q": "b"}]
    as_lines = write(tmp_path / "a.json", "\n".join(json.dumps(r) for r in rows))  # JSON lines named .json
    wrapped = write(tmp_path / "b.json", json.dumps({"examples": rows}))
    one = write(tmp_path / "c.json", json.dumps(rows[0]))
    with_bom = write(tmp_path / "d.jsonl", b"\xef\xbb\xbf" + json.dumps(rows[0]).encode())
    assert list(read_records(as_lines, "x")) == rows
    assert list(read_records(wrapped, "x")) == rows
    assert list(read_records(one, "x")) == [rows[0]]
    assert list(read_records(with_bom, "x")) == [rows[0]]
    assert list(read_records(tmp_path, "x", folders=True)) == rows + rows + [rows[0], rows[0]]


def test_a_line_separator_inside_a_text_stays_on_its_line(tmp_path: Path) -> None:
    row = {"q": "one\u2028two\x1cthree"}
    path = write(tmp_path / "d.jsonl", json.dumps(row, ensure_ascii=False) + "\n")
    assert list(read_jsonl(path, "x")) == [row]


def test_bad_lines_can_be_skipped_keeping_the_good_ones(tmp_path: Path) -> None:
    path = write(tmp_path / "p.jsonl", b'{"id": 1}\n"text"\n\xff\n{"id": 2}\n{"id": 3')
    bad: list[BadLine] = []
    assert [r["id"] for r in read_jsonl(path, "x", on_bad=bad.append)] == [1, 2]
    assert [(b.number, b.why.split(" (")[0]) for b in bad] == [
        (2, "a string, not a JSON object {...}"),
        (3, "not UTF-8 text"),
        (5, "truncated: the line ends inside its JSON value"),
    ]
    assert [n for n, _ in jsonl_rows(path, "x", on_bad=lambda b: None)] == [1, 4]


def test_parse_lines_takes_text_or_bytes() -> None:
    rows = list(parse_lines(['{"a": 1}', "", b"[]", b'{"b": 2}'], "<stdin>"))
    assert rows[0] == (1, {"a": 1}) and rows[2] == (4, {"b": 2})
    assert str(rows[1][1]) == "<stdin>:3: a list, not a JSON object {...}"


def test_deep_nesting_and_huge_numbers_are_errors_not_crashes(tmp_path: Path) -> None:
    deep = write(tmp_path / "deep.json", "[" * 100_000 + "]" * 100_000)
    assert "not valid JSON" in error(lambda: read_json(deep, "x"))
    digits = write(tmp_path / "big.jsonl", '{"n": ' + "9" * 5000 + "}\n")
    assert "not valid JSON" in error(lambda: read_records(digits, "x"))


def test_yaml_errors_name_the_line_and_the_wanted_shape(tmp_path: Path) -> None:
    broken = write(tmp_path / "c.yaml", "max_rounds: 3\nstyle: [lumos\n")
    assert f"{broken}:3: not valid YAML" in error(lambda: read_yaml(broken, "--config file"))
    listed = write(tmp_path / "l.yaml", "- a\n- b\n")
    assert "must hold an object (mapping), not a list" in error(lambda: read_yaml(listed, "x", expect=dict))
    assert read_yaml(write(tmp_path / "e.yaml", ""), "x", expect=dict) is None
    assert "not UTF-8" in error(lambda: read_yaml(write(tmp_path / "b.yaml", b"a: \xff"), "x"))


@pytest.mark.parametrize("cut", ['{"a": 0.', '{"a": 1e-', '{"a": tr', '{"a": -', '{"a": 1, "b"', '{"a": "x'])
def test_a_line_cut_inside_a_number_or_literal_is_called_truncated(cut: str) -> None:
    from lumos.records import BadLine, parse_lines

    (_, bad), = parse_lines([cut], "f.jsonl")
    assert isinstance(bad, BadLine) and bad.why.startswith("truncated"), bad


def test_a_malformed_line_is_not_called_truncated() -> None:
    from lumos.records import BadLine, parse_lines

    for text in ('{"a": 1} x', '{"a": nope}'):
        (_, bad), = parse_lines([text], "f.jsonl")
        assert isinstance(bad, BadLine) and bad.why.startswith("not valid JSON"), bad
