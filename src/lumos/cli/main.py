"""The ``lumos`` command line. Each command lives in its own module and imports heavy code lazily."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="lumos",
    help="Build, run, train and evaluate modular language agents (planning -> grounding -> execution).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    from lumos.cli import exec as exec_cmd

    app.command("exec", help=exec_cmd.__doc__)(exec_cmd.command)


_register()


def main() -> None:
    from lumos.cli.common import run_app

    run_app(app)


if __name__ == "__main__":
    main()
