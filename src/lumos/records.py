"""One tolerant reader for the files lumos reads: JSON lines, JSON and YAML.

Bad input never escapes as a traceback. A missing file, a folder where a file belongs (or a file where a folder
does), bytes that are not UTF-8, JSON or YAML that does not parse (a truncated file), rows that are not objects:
each is a :class:`~lumos.errors.ConfigError` that names the file, the line and what to fix. A JSON-lines reader
can instead hand each bad line to its caller and go on with the good ones (``on_bad``), where that is safe.
Lines are split on ``\\n`` only, so text that holds U+2028 and other line separators stays on its line.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lumos.errors import ConfigError
from lumos.terminal import note

FIX_LINE = "fix or delete that line"
WRAPPER_KEYS = ("data", "examples", "problems", "questions")
"""Keys under which a JSON file may hold its list of records: ``{"data": [...]}``."""


@dataclass(frozen=True)
class BadLine:
    """A line of a JSON-lines file that is not a JSON object, and why."""

    source: str
    number: int
    why: str

    def __str__(self) -> str:
        return f"{self.source}:{self.number}: {self.why}"


def check_file(path: Path, what: str) -> Path:
    """``path`` when it is a file; else a ConfigError saying what it is instead (missing, a folder)."""
    try:
        if path.is_file():
            return path
        is_dir = path.is_dir()
    except (OSError, ValueError) as exc:  # a name too long or with a NUL
        raise ConfigError(f"{what} {str(path)[:200]!r} is not a usable path ({exc})") from exc
    if is_dir:
        raise ConfigError(f"{what} {path} is a folder: give a file")
    raise ConfigError(f"{what} {path} does not exist")


def check_folder(path: Path, what: str) -> Path:
    """``path`` when it is a folder; else a ConfigError saying what it is instead (missing, a file)."""
    if path.is_dir():
        return path
    if path.exists():
        raise ConfigError(f"{what} {path} is a file: give a folder")
    raise ConfigError(f"{what} {path} does not exist")


def read_text(path: Path, what: str) -> str:
    """The UTF-8 text of a file (a leading byte-order mark dropped)."""
    check_file(path, what)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{what} {path}: cannot read it ({exc.strerror or exc})") from exc
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{path}:{line}: not UTF-8 text (byte {exc.start}): {what} must be a text file saved as UTF-8"
        ) from exc


_CUT_SHORT = "the line ends inside its JSON value (was the file cut off while it was being written?)"


def _ends_early(exc: json.JSONDecodeError, text: str) -> bool:
    """Whether JSON failed because ``text`` stops before its value does (a truncated file): at its end, in an
    unterminated string, or in a number or literal cut short (``0.``, ``1e-``, ``tr``), where the parser stops
    just before the rest."""
    rest = text.rstrip()[exc.pos :]
    cut_number = bool(rest) and all(c in "0123456789.eE+-" for c in rest)
    cut_literal = bool(rest) and any(word.startswith(rest) for word in ("true", "false", "null"))
    return not rest or cut_number or cut_literal or exc.msg.startswith("Unterminated string")


def parse_json(text: str, source: str) -> Any:
    """``text`` as JSON, or a ConfigError naming the line and column (and a truncated end as such)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        why = "the file ends too early: is it truncated?" if _ends_early(exc, text) else exc.msg
        raise ConfigError(f"{source}:{exc.lineno}: not valid JSON ({why}, column {exc.colno})") from exc
    except (ValueError, RecursionError) as exc:  # a number with too many digits, nesting too deep
        raise ConfigError(f"{source}: not valid JSON ({str(exc)[:200]})") from exc


def read_json(path: Path, what: str, *, expect: type | None = None) -> Any:
    """A JSON file's value; ``expect`` (``dict``, ``list``): the type it must have."""
    value = parse_json(read_text(path, what), str(path))
    _check_type(value, expect, path, what)
    return value


def read_yaml(path: Path, what: str, *, expect: type | None = None) -> Any:
    """A YAML (or JSON) file's value; an empty file is ``None``. ``expect``: the type it must have when given."""
    text = read_text(path, what)
    try:
        value = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{line}: not valid YAML ({exc.problem or exc.context}): fix {what}") from exc
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc)[:200]}): fix {what}") from exc
    if value is not None:
        _check_type(value, expect, path, what)
    return value


def check_keys(path: Path, value: dict[Any, Any], known: Iterable[str], what: str) -> None:
    """A ConfigError naming the file, the line and the first key of a YAML or JSON mapping that is not one of
    ``known``, with the closest known name and every valid one."""
    valid = sorted(known)
    unknown = [key for key in value if key not in valid]
    if not unknown:
        return
    key = str(unknown[0])
    close = difflib.get_close_matches(key, valid, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ConfigError(
        f"{path}{_key_line(path, key)}: unknown setting {key!r}{hint} in {what}; valid settings: {', '.join(valid)}"
    )


def _key_line(path: Path, key: str) -> str:
    """``:LINE`` of ``key`` in the top mapping of a YAML (or JSON) file; '' when it cannot be found."""
    try:
        node = yaml.compose(read_text(path, "the file"))
    except (ConfigError, yaml.YAMLError, ValueError, RecursionError):
        return ""
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if str(key_node.value) == key:
                return f":{key_node.start_mark.line + 1}"
    return ""


def _check_type(value: Any, expect: type | None, path: Path, what: str) -> None:
    if expect is not None and not isinstance(value, expect):
        wants: dict[type, str] = {dict: "an object (mapping)", list: "a list"}
        want = wants.get(expect, expect.__name__)
        raise ConfigError(f"{path}: {what} must hold {want}, not {kind(value)}")


def kind(value: Any) -> str:
    """What a JSON value is, in words: ``a list``, ``a string``, ``null``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    names = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def parse_lines(lines: Iterable[bytes | str], source: str) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """Each non-blank line's number and object, or a :class:`BadLine` saying why it is not one."""
    for number, raw in enumerate(lines, 1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield number, BadLine(source, number, f"not UTF-8 text (byte {exc.start} of the line)")
                continue
        line = raw.strip().removeprefix("\ufeff")
        if not line:
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            why = f"not valid JSON ({exc.msg}, column {exc.colno})"
            if _ends_early(exc, line):
                why = f"truncated: {_CUT_SHORT}"
        except (ValueError, RecursionError) as exc:
            why = f"not valid JSON ({str(exc)[:200]})"
        else:
            if isinstance(value, dict):
                yield number, value
                continue
            why = f"{kind(value)}, not a JSON object {{...}}"
        yield number, BadLine(source, number, why)


def read_jsonl(
    path: Path, what: str, *, on_bad: Callable[[BadLine], None] | None = None
) -> Iterator[dict[str, Any]]:
    """The objects of a JSON-lines file, streamed. A bad line is a ConfigError naming it, or, with ``on_bad``,
    handed to it while the good lines go on."""
    return (row for _, row in jsonl_rows(path, what, on_bad=on_bad))


def jsonl_rows(
    path: Path, what: str, *, on_bad: Callable[[BadLine], None] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """:func:`read_jsonl` with each object's line number."""
    check_file(path, what)
    try:
        with path.open("rb") as lines:
            yield from _objects(parse_lines(lines, str(path)), on_bad)
    except OSError as exc:
        raise ConfigError(f"{what} {path}: cannot read it ({exc.strerror or exc})") from exc


def skip_with_note(bad: BadLine) -> None:
    """An ``on_bad`` that tells on standard error which line is skipped."""
    note(f"{bad}: skipped")


def _objects(
    rows: Iterable[tuple[int, dict[str, Any] | BadLine]], on_bad: Callable[[BadLine], None] | None
) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, row in rows:
        if not isinstance(row, BadLine):
            yield number, row
        elif on_bad is None:
            raise ConfigError(f"{row}: {FIX_LINE}")
        else:
            on_bad(row)


def read_records(path: Path, what: str, *, folders: bool = False) -> Iterator[dict[str, Any]]:
    """The rows of a data file: JSON lines, a JSON list (or an object holding one under ``data``, ``examples``,
    ``problems`` or ``questions``), or one JSON object. ``folders``: a folder gives every ``.json``/``.jsonl``
    file under it. Every row must be an object."""
    return (row for _, row in located_records(path, what, folders=folders))


def located_records(path: Path, what: str, *, folders: bool = False) -> Iterator[tuple[str, dict[str, Any]]]:
    """:func:`read_records` with where each row is: ``FILE:LINE`` (JSON lines) or ``FILE, item N`` (a list)."""
    if folders and path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".json", ".jsonl") and p.is_file())
        if not files:
            raise ConfigError(f"{what} {path} is a folder with no .json or .jsonl file")
        for file in files:
            yield from located_records(file, what)
        return
    check_file(path, what)
    if path.suffix == ".jsonl" or _first_char(path) not in ("[", "{"):
        yield from ((f"{path}:{n}", row) for n, row in jsonl_rows(path, what))
        return
    text = read_text(path, what)
    try:
        data = parse_json(text, str(path))
    except ConfigError as exc:  # one object and then more: JSON lines; else a damaged JSON value
        cause = exc.__cause__
        if not (isinstance(cause, json.JSONDecodeError) and cause.msg == "Extra data"):
            raise
        rows = _objects(parse_lines(text.split("\n"), str(path)), None)
        yield from ((f"{path}:{n}", row) for n, row in rows)
        return
    if isinstance(data, dict):
        data = next((data[k] for k in WRAPPER_KEYS if isinstance(data.get(k), list)), [data])
    if not isinstance(data, list):
        raise ConfigError(f"{path}: {what} must hold a list of objects, not {kind(data)}")
    for n, row in enumerate(data, 1):
        if not isinstance(row, dict):
            raise ConfigError(f"{path}: item {n} of the list is {kind(row)}, not an object {{...}}: fix or delete it")
        yield f"{path}, item {n}", row


def _first_char(path: Path) -> str:
    """The first character of a file that is not white space (or a byte-order mark); '' when none."""
    try:
        with path.open("rb") as f:
            while chunk := f.read(4096):
                head = chunk.lstrip().removeprefix(b"\xef\xbb\xbf").lstrip()
                if head:
                    return chr(head[0])
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    return ""
