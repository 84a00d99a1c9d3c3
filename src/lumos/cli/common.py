"""Shared CLI helpers: turn lumos's user-facing errors into one clear line and a non-zero exit."""

from __future__ import annotations

import sys

import typer

from lumos.errors import ConfigError, LumosError, MissingDependencyError
from lumos.terminal import echo


def optional_value(argv: list[str], option: str, value: str) -> list[str]:
    """``argv`` with ``value`` after each ``option`` that has no value of its own (``--ray`` alone)."""
    out: list[str] = []
    for k, arg in enumerate(argv):
        out.append(arg)
        if arg == option and (k + 1 == len(argv) or argv[k + 1].startswith("-")):
            out.append(value)
    return out


def run_app(app: typer.Typer) -> None:
    sys.argv[1:] = optional_value(sys.argv[1:], "--ray", "local")  # --ray alone: a Ray instance here
    try:
        app()
    except (ConfigError, MissingDependencyError, LumosError) as exc:
        echo(f"error: {exc}", file=sys.stderr)  # it may quote a file's or a model's text
        sys.exit(2)
    except OSError as exc:  # a path of the user's that cannot be used: a file where a folder belongs, no permission
        if not exc.filename:
            raise
        echo(f"error: {exc.filename}: {exc.strerror or exc}: give another path", file=sys.stderr)
        sys.exit(2)


MAX_LIMIT = 1_000_000
"""The largest ``--limit``: generated benchmarks make that many items up front."""

MAX_EPISODES = 1000
"""The largest ``--episodes`` per task of an environment benchmark."""


def fail(message: str) -> None:
    """Stop a command with a clear message (exit 2)."""
    raise ConfigError(message)
