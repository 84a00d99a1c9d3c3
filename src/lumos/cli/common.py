"""Shared CLI helpers: turn lumos's user-facing errors into one clear line and a non-zero exit."""

from __future__ import annotations

import sys

import typer

from lumos.errors import ConfigError, LumosError, MissingDependencyError


def run_app(app: typer.Typer) -> None:
    try:
        app()
    except (ConfigError, MissingDependencyError, LumosError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


def fail(message: str) -> None:
    """Stop a command with a clear message (exit 2)."""
    raise ConfigError(message)
