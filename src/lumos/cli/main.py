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
    from lumos.cli import eval as eval_cmd
    from lumos.cli import exec as exec_cmd
    from lumos.cli import report, run

    app.command("run", help=run.__doc__)(run.command)
    app.command("exec", help=exec_cmd.__doc__)(exec_cmd.command)
    app.command("eval", help=eval_cmd.__doc__)(eval_cmd.command)
    app.command("report", help=report.__doc__)(report.command)


_register()


def main() -> None:
    from lumos.cli.common import run_app

    run_app(app)


if __name__ == "__main__":
    main()
