"""Play an environment by hand: take actions and print what each gives, one JSON line per action."""

from __future__ import annotations

import typer

from lumos.domain import domains
from lumos.registry import load_attr

app = typer.Typer(no_args_is_help=True, help=__doc__)


def _register() -> None:
    """One sub-command per domain that has an ``env`` command (``lumos env webshop ...``)."""
    for name in domains.names():
        try:
            target = domains.get(name).commands.get("env")
        except Exception:  # a broken plug-in must not break the CLI
            continue
        if target:
            command = load_attr(target)
            app.command(name, help=command.__doc__)(command)


_register()
