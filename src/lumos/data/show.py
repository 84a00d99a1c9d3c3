"""``lumos data show FILE``: print a few conversations of a module file readably."""

from __future__ import annotations

import json
from pathlib import Path

from lumos.errors import ConfigError

_COLOURS = {"system": "magenta", "user": "cyan", "assistant": "green"}


def show(path: str | Path, n: int = 3, start: int = 0) -> int:
    """Print conversations ``start`` .. ``start + n - 1`` of ``path``; returns how many were printed."""
    from rich.console import Console
    from rich.markup import escape
    from rich.panel import Panel

    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"{file} does not exist")
    console = Console()
    shown = 0
    with file.open(encoding="utf-8") as f:
        for index, line in enumerate(f):
            if index < start or not line.strip():
                continue
            if shown >= n:
                break
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{file}:{index + 1}: not JSON ({exc.msg})") from exc
            messages = record.get("messages") if isinstance(record, dict) else None
            if not isinstance(messages, list):
                raise ConfigError(f"{file}:{index + 1}: no 'messages' list (not a conversation file)")
            console.rule(f"[bold]{file.name} #{index + 1}")
            for m in messages:
                role = str(m.get("role", "?"))
                colour = _COLOURS.get(role, "white")
                console.print(
                    Panel(
                        escape(str(m.get("content", ""))),
                        title=role,
                        title_align="left",
                        border_style=colour,
                        expand=True,
                    )
                )
            shown += 1
    if shown == 0:
        console.print(f"[dim]{file}: no conversation at line {start + 1} or after[/dim]")
    return shown
