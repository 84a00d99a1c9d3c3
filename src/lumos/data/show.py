"""``lumos data show FILE``: print a few conversations of a module file readably."""

from __future__ import annotations

from pathlib import Path

from lumos.errors import ConfigError
from lumos.records import jsonl_rows

_COLOURS = {"system": "magenta", "user": "cyan", "assistant": "green"}


def show(path: str | Path, n: int = 3, start: int = 0) -> int:
    """Print conversations ``start`` .. ``start + n - 1`` of ``path``; returns how many were printed."""
    from rich.panel import Panel

    from lumos.terminal import console as plain_console
    from lumos.terminal import markup_text

    file = Path(path)
    console = plain_console()
    shown = 0
    for number, record in jsonl_rows(file, "conversation file"):
        if number <= start:
            continue
        if shown >= n:
            break
        messages = record.get("messages")
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            raise ConfigError(f"{file}:{number}: no 'messages' list of objects (not a conversation file)")
        console.rule(f"[bold]{markup_text(file.name)} #{number}")
        for m in messages:
            role = str(m.get("role", "?"))
            colour = _COLOURS.get(role, "white")
            console.print(
                Panel(
                    markup_text(m.get("content", "")),
                    title=markup_text(role),
                    title_align="left",
                    border_style=colour,
                    expand=True,
                )
            )
        shown += 1
    if shown == 0:
        console.print(f"[dim]{markup_text(file)}: no conversation at line {start + 1} or after[/dim]")
    return shown
