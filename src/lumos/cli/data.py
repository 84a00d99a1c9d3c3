"""Turn verified annotations into training conversations, and inspect them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


@app.command("build")
def build_command(
    out: Annotated[Path, typer.Option(help="output folder for train/ and heldout/ module files")],
    inputs: Annotated[
        Optional[list[Path]],
        typer.Argument(
            help="annotation folders (lumos annotate --out), or a folder of them (default for a --domain with "
            "demonstrations of its own, such as web: those, annotated into OUT/annotations)"
        ),
    ] = None,
    exclude: Annotated[
        Optional[list[str]],
        typer.Option(
            help="evaluation file, or a lumos eval benchmark (gsm_symbolic, fanoutqa, NAME:SEED), whose "
            "questions must not be trained on; repeatable"
        ),
    ] = None,
    weight: Annotated[
        Optional[list[str]],
        typer.Option(help="SOURCE=WEIGHT: sample a source (0.5 keeps half, 2 doubles); repeatable"),
    ] = None,
    heldout: Annotated[float, typer.Option(help="fraction of each source held out")] = 0.05,
    seed: Annotated[int, typer.Option(help="seed of the held-out split, weighting and shuffling")] = 0,
    module: Annotated[
        Optional[list[str]], typer.Option(help="modules to write (default: all); repeatable")
    ] = None,
    prompts: Annotated[Optional[Path], typer.Option(help="YAML file replacing prompt wording")] = None,
    style: Annotated[
        Optional[str],
        typer.Option(
            help="prompt style: lumos (default) or reference (the released Lumos format: its wording, and "
            "{dataset, id, messages} rows, to mix with the released annotations), or a YAML file"
        ),
    ] = None,
    domain: Annotated[
        str,
        typer.Option(help="keep one domain's annotations, or all: every domain in one planner/grounder file"),
    ] = "all",
) -> None:
    """Build TRL conversational files ({"messages": [...]}) per module: plan_iterative, plan_onetime,
    ground_iterative, ground_onetime, cot, direct, integrated; for a domain whose pages are shown also
    direct_iterative (the flat baseline: task and page -> next action)."""
    from rich.console import Console

    from lumos.cli.options import choose_style
    from lumos.data.build import DEFAULT_MODULES, build, parse_weights
    from lumos.errors import ConfigError

    modules = module or list(DEFAULT_MODULES)
    if domain != "all":
        from lumos.domain import get_domain

        chosen = get_domain(domain)
        if chosen.answerless:  # annotations without an answer: the planner and grounder, both formulations
            modules = module or ["plan_iterative", "plan_onetime", "ground_iterative", "ground_onetime"]
        if chosen.observe_first and not module:  # live pages: the flat baseline that reads them too
            modules = [*modules, "direct_iterative"]
        if not inputs and chosen.demo_inputs:
            inputs = chosen.load("demo_inputs")(out)
    if not inputs:
        raise ConfigError("give annotation folders (lumos annotate --out); only a domain with demonstrations "
                          "of its own (such as --domain web) has built-in ones")
    report = build(
        inputs,
        out,
        weights=parse_weights(weight or []),
        exclude=exclude or [],
        heldout=heldout,
        seed=seed,
        modules=modules,
        style=choose_style(style, prompts, []),
        domain=domain,
    )
    console = Console()
    console.print(
        f"read {report.read} annotations; duplicates {dict(report.duplicates) or 0}; "
        f"excluded (eval overlap) {dict(report.excluded) or 0}; invalid {dict(report.invalid) or 0}"
    )
    console.print(
        f"train {dict(report.train)}; held out {dict(report.heldout)}; weighted {dict(report.weighted)}"
    )
    for name, n in report.files.items():
        console.print(f"  {out / name}: {n}")
    for message in report.messages[:10]:
        console.print(f"[dim]{message}[/dim]")


@app.command("stats")
def stats_command(
    directory: Annotated[
        Path, typer.Argument(help="an annotation folder, a folder of them, or a built data folder")
    ],
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Kept and dropped counts by source, with the reasons for drops and the kept fraction."""
    from lumos.data.stats import print_stats

    print_stats(directory, as_json=json_out)


@app.command("show")
def show_command(
    file: Annotated[Path, typer.Argument(help="a module file, e.g. runs/data/train/plan_iterative.jsonl")],
    n: Annotated[int, typer.Option("-n", help="how many conversations")] = 3,
    start: Annotated[int, typer.Option(help="skip this many first")] = 0,
) -> None:
    """Print a few conversations readably."""
    from lumos.data.show import show

    show(file, n=n, start=start)
