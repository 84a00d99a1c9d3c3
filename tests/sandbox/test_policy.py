"""Fail closed: where the sandbox cannot start, Code refuses with one line naming the fix; the one opt-out,
--unsafe-code, is explicit, warned about and recorded. Ordinary Code gives the same values in the box."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lumos.cli.main import app
from lumos.format.types import Action
from lumos.sandbox import UNSAFE_ENV, SandboxUnavailableError, check
from lumos.sandbox.bubblewrap import BWRAP_ENV
from lumos.tools.base import registry
from lumos.tools.executor import Executor, run_program


@pytest.fixture
def no_bwrap(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(BWRAP_ENV, str(tmp_path / "no-such-bwrap"))
    monkeypatch.delenv(UNSAFE_ENV, raising=False)


@pytest.fixture
def namespaces_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A bwrap that fails as it does where user namespaces are disabled."""
    fake = tmp_path / "bwrap"
    fake.write_text(
        "#!/bin/sh\necho 'bwrap: No permissions to create a new namespace, likely because the kernel does not "
        "allow non-privileged user namespaces.' >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv(BWRAP_ENV, str(fake))
    monkeypatch.delenv(UNSAFE_ENV, raising=False)


def code_then_calculator() -> tuple[object, object]:
    executor = Executor(registry.instantiate("maths"))
    code = executor.execute([Action(outputs=["R1"], tool="Code", args="ans = 6 * 7")])[0]
    calc = executor.execute([Action(outputs=["R2"], tool="Calculator", args="6 * 7")])[0]
    return code, calc


@pytest.mark.usefixtures("no_bwrap")
def test_without_bwrap_code_refuses_with_the_fix_and_the_run_goes_on() -> None:
    with pytest.raises(SandboxUnavailableError, match="apt-get install bubblewrap"):
        check()
    code, calc = code_then_calculator()
    assert code.error is not None and code.error.kind == "sandbox_unavailable"  # type: ignore[attr-defined]
    message = code.error.message  # type: ignore[attr-defined]
    assert "\n" not in message and "bubblewrap" in message and "--unsafe-code" in message
    assert calc.outputs == {"R2": "42"}  # type: ignore[attr-defined]


@pytest.mark.usefixtures("namespaces_refused")
def test_where_namespaces_are_refused_code_says_so() -> None:
    outcome = run_program("R1 = Code(ans = 6 * 7)")
    assert outcome["output"] is None
    assert "user namespaces" in outcome["error"] and "--unsafe-code" in outcome["error"]
    assert "\n" not in outcome["error"]


def test_plain_formulas_need_no_sandbox(no_bwrap: None) -> None:
    assert run_program("R1 = Code(6 * 7)")["output"] == "42"  # calculated directly, no Python started


def test_the_opt_out_runs_code_and_warns(
    no_bwrap: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(UNSAFE_ENV, "0")  # restored after the test: the flag below sets it
    result = CliRunner().invoke(app, ["exec", "R1 = Code(x = 6\nans = x * 7)"])
    assert json.loads(result.stdout)["error"] is not None
    result = CliRunner().invoke(app, ["exec", "--unsafe-code", "R1 = Code(x = 6\nans = x * 7)"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["output"] == "42"
    assert "--unsafe-code" in result.stderr and "WITHOUT the OS-level sandbox" in result.stderr


ORDINARY = [
    "ans = 2 ** 100 + 1",
    "from fractions import Fraction\nans = Fraction(1, 3) + Fraction(1, 6)",
    "import math\nans = math.comb(10, 3) + math.gcd(12, 18) + math.sqrt(2)",
    "import itertools\nans = len(list(itertools.permutations(range(5), 2)))",
    "import sympy\nx = sympy.symbols('x')\nans = sympy.solve(x**2 - 9, x)",
    "import sympy\nans = sympy.Rational(3, 7) * 14",
    "total = 0\nfor i in range(1, 11):\n    total += i\nprint(total)",
    "def f():\n    return 7 * 6",
    "import numpy as np\nans = int(np.arange(10).sum())",
    "import statistics\nans = statistics.mean([1, 2, 3, 4])",
    "ans = [x * x for x in range(5)]",
    "ans = 0.1 + 0.2",
]


@pytest.mark.parametrize("code", ORDINARY)
def test_ordinary_code_gives_the_same_values_as_without_the_box(code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        check()
    except SandboxUnavailableError as exc:
        pytest.skip(str(exc))
    if "numpy" in code:
        pytest.importorskip("numpy")
    values = []
    for unsafe in ("1", "0"):
        monkeypatch.setenv(UNSAFE_ENV, unsafe)
        executor = Executor(registry.instantiate("maths"))
        result = executor.execute([Action(outputs=["R1"], tool="Code", args=code)])[0]
        assert result.error is None, result.error
        values.append(result.outputs["R1"])
    assert values[0] == values[1]
