"""Execute grounded actions with a domain's tools and print the results as JSON lines.

SOURCE is a JSONL file whose lines are {"actions": [...]} (a list of action texts, or one text); each line gives one output line {"results": {"R1": "4", ...}, "output": "4", "error": null}, in order (an "id" in the input is copied). '-' reads such lines from standard input. A SOURCE that is not an existing file is run as a program itself:

    lumos exec --domain maths 'R1 = Calculator(2 + 3); R2 = Calculator(R1 * 4)'
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

import typer

from lumos.cli.options import UnsafeCodeOption
from lumos.domain import DEFAULT_DOMAIN
from lumos.errors import ConfigError


def command(
    source: str = typer.Argument(
        ..., help="A JSONL file of {\"actions\": [...]} lines, '-' for stdin, or a program."
    ),
    domain: str = typer.Option(DEFAULT_DOMAIN, "--domain", "-d", help="The tool set to execute with."),
    time_limit: float = typer.Option(5.0, "--time-limit", min=0.1, help="Seconds allowed for each action."),
    unsafe_code: UnsafeCodeOption = False,
) -> None:
    from lumos.cli.options import apply_unsafe_code
    from lumos.tools.base import registry

    apply_unsafe_code(unsafe_code)

    registry.domain(domain)  # an unknown domain: a ConfigError naming the known ones
    out = sys.stdout
    if source == "-":
        _run_lines(sys.stdin.buffer, "<stdin>", domain, time_limit, out)
        return
    path = Path(source)
    if _is_file(path):
        with path.open("rb") as lines:
            _run_lines(lines, str(path), domain, time_limit, out)
        return
    if _is_dir(path):
        raise ConfigError(f"{source} is a folder: give a JSONL file of {{\"actions\": [...]}} lines, or a program")
    if path.suffix in (".jsonl", ".json") and "(" not in source:
        raise ConfigError(f"no such file: {source}")
    _emit(out, _run(source, domain, time_limit))


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a program text too long or odd to be a path
        return False


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _run(actions: Any, domain: str, time_limit: float) -> dict[str, Any]:
    from lumos.tools.executor import run_program

    return run_program(actions, domain, action_time_limit=time_limit)


def _run_lines(lines: Iterable[bytes], source: str, domain: str, time_limit: float, out: TextIO) -> None:
    """One output line for each input line, in order; a bad line's output says what is wrong with it."""
    from lumos.records import BadLine, parse_lines

    for number, item in parse_lines(lines, source):
        record: dict[str, Any]
        if isinstance(item, BadLine):
            record = _bad_line(number, item.why)
        else:
            actions = item.get("actions")
            if isinstance(actions, str) or (
                isinstance(actions, list) and all(isinstance(a, str) for a in actions)
            ):
                record = _run(actions, domain, time_limit)
            else:
                record = _bad_line(number, 'expected an object with "actions": a list of texts or one text')
            if "id" in item:
                record = {"id": item["id"], **record}
        _emit(out, record)


def _bad_line(number: int, why: str) -> dict[str, Any]:
    return {"results": {}, "output": None, "error": f"line {number}: {why}"}


def _emit(out: TextIO, record: dict[str, Any]) -> None:
    from lumos.terminal import safe_json

    out.write(safe_json(record) + "\n")
    out.flush()
