"""List the domains lumos knows (built-in and plug-ins): their tools, benchmarks and environments."""

from __future__ import annotations

from typing import Annotated

import typer


def command(
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    import json

    from lumos.domain import domains

    rows = []
    for name in domains.names():
        d = domains.get(name)
        rows.append(
            {
                "name": name,
                "description": d.description,
                "tools": list(d.tools),
                "benchmarks": list(d.benchmark_specs),
                "environment": d.environment_help if d.environment else "",
                "default_agent": d.default_agent,
                "install": d.install,
                "from": str(domains.target(name)) if isinstance(domains.target(name), str) else d.package,
            }
        )
    if json_out:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        print(f"{row['name']}: {row['description']}")
        print(f"  tools: {', '.join(row['tools'])}")
        if row["benchmarks"]:
            print(f"  benchmarks: {', '.join(row['benchmarks'])}")
        if row["environment"]:
            print(f"  environment: {row['environment']}")
        if row["default_agent"] == "flat":
            print("  default agent: flat (one model writes each next action; --agent lumos: planner + grounder)")
        if row["install"]:
            print(f"  install: {row['install']}")
