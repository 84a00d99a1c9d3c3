"""Text for a terminal: what models, users, files and pages wrote is shown, never obeyed.

Every human-readable line lumos prints goes through :func:`printable`: control characters (terminal escapes,
NUL, bell, C1 controls such as CSI) and bidirectional overrides are written out as visible ``\\x1b``-style
escapes; newlines and tabs stay. :func:`safe_json` does the same for JSON printed to a terminal while keeping it
exact (the escapes are JSON's own ``\\u`` escapes). :func:`console` is a rich console without the highlighter,
whose patterns take time quadratic in the length of a word (a model can write a 100 KB word).
"""

from __future__ import annotations

import json
import re
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console

_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
_BIDI = "\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[{_CONTROLS}{_BIDI}]")
_UNSAFE_IN_JSON = re.compile(f"[\x7f-\x9f{_BIDI}]")  # json.dumps escapes \x00-\x1f itself


def printable(text: object) -> str:
    """``text`` with every character that could steer a terminal written out as an escape."""
    return _UNSAFE.sub(_written_out, str(text))


def _written_out(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"


def echo(text: object = "", *, file: TextIO | None = None) -> None:
    """Print ``text`` made :func:`printable` (to standard output, or ``file``)."""
    print(printable(text), file=file if file is not None else sys.stdout)


def note(text: object) -> None:
    """A ``note:`` line on standard error."""
    echo(f"note: {text}", file=sys.stderr)


def safe_json(value: Any, **options: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, **options)`` with terminal controls as ``\\u`` escapes: the same
    value when parsed, nothing a terminal obeys when printed."""
    text = json.dumps(value, ensure_ascii=False, **options)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def markup_text(text: object) -> str:
    """``text`` to put inside rich markup: printable, and its own brackets shown rather than read as markup."""
    from rich.markup import escape

    return escape(printable(text))


def console(*, stderr: bool = False) -> Console:
    """A rich console that never highlights (linear in the length of what it prints)."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)
