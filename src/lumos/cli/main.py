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
    from lumos.cli import annotate as annotate_cmd
    from lumos.cli import data as data_cmd
    from lumos.cli import domains as domains_cmd
    from lumos.cli import env as env_cmd
    from lumos.cli import eval as eval_cmd
    from lumos.cli import exec as exec_cmd
    from lumos.cli import index, report, run, train
    from lumos.cli import prompt as prompt_cmd
    from lumos.cli import view as view_cmd

    app.command("run", help=run.__doc__)(run.command)
    app.command("exec", help=exec_cmd.__doc__)(exec_cmd.command)
    app.command("eval", help=eval_cmd.__doc__)(eval_cmd.command)
    app.command("report", help=report.__doc__)(report.command)
    app.command("domains", help=domains_cmd.__doc__)(domains_cmd.command)
    app.command("view", help=view_cmd.__doc__)(view_cmd.command)
    app.command("annotate", help=annotate_cmd.__doc__)(annotate_cmd.command)
    app.add_typer(data_cmd.app, name="data", help=data_cmd.__doc__)
    app.add_typer(index.app, name="index", help=index.__doc__)
    app.add_typer(env_cmd.app, name="env", help=env_cmd.__doc__)
    app.add_typer(prompt_cmd.app, name="prompt", help=prompt_cmd.__doc__)
    app.command("train", help=train.__doc__)(train.command)
    app.command("merge", help=train.merge_command.__doc__)(train.merge_command)


_register()


def main() -> None:
    from lumos.cli.common import run_app

    run_app(app)


if __name__ == "__main__":
    main()
