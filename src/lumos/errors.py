"""The lumos error tree.

Two families, as in smolagents:

* :class:`AgentStepError` and its children are *model mistakes*: output that does not parse, an unknown
  tool, an undefined variable, a tool that fails on the model's input, a limit hit. They are recorded on the
  step that caused them and the run goes on.
* Everything else (:class:`ConfigError`, :class:`BackendError`, plain Python exceptions) is a problem of
  the user's set-up or a bug, and propagates.
"""

from __future__ import annotations

from typing import Any


class LumosError(Exception):
    """Base class of every error lumos raises on purpose."""


class ConfigError(LumosError, ValueError):
    """A bad option, file or argument given by the user. The message says what to fix."""


class MissingDependencyError(LumosError, ImportError):
    """An optional dependency is not installed; the message names the install command."""

    def __init__(self, package: str, extra: str, purpose: str = "") -> None:
        what = f" for {purpose}" if purpose else ""
        super().__init__(
            f"{package} is needed{what} but is not installed. Install it with: pip install 'lumos-agents[{extra}]'"
        )
        self.package = package
        self.extra = extra


class BackendError(LumosError):
    """A model backend could not serve a request (wrong URL or key, server down, model not found)."""


class AgentStepError(LumosError):
    """A mistake in model output or in executing it: recorded on its step, never fatal to a run."""

    kind = "step_error"


class ParseError(AgentStepError):
    """Model output that is not in the unified format."""

    kind = "parse_error"


class UnknownToolError(AgentStepError):
    """An action names a tool that the domain does not have."""

    kind = "unknown_tool"


class UndefinedVariableError(AgentStepError):
    """An action refers to a result variable (``R3``) that no earlier action produced."""

    kind = "undefined_variable"


class ToolError(AgentStepError):
    """A tool rejected its input or failed on it."""

    kind = "tool_error"


class LimitExceededError(ToolError):
    """An action hit a time, size or memory limit."""

    kind = "limit_exceeded"


class RoundLimitError(AgentStepError):
    """The agent reached its round limit before the planner stopped."""

    kind = "round_limit"


def require(module: str, *, package: str | None = None, extra: str, purpose: str = "") -> Any:
    """Import an optional dependency or raise :class:`MissingDependencyError` naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(package or module, extra, purpose) from exc


def check_range(what: str, value: Any, low: float, high: float, *, whole: bool = True) -> None:
    """Refuse ``value`` with a ConfigError unless it is a number (a whole one when ``whole``) from ``low`` to
    ``high``; ``what`` names it as the user gave it (``--batch-size``)."""
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
        raise ConfigError(f"{what} must be a {'whole ' if whole else ''}number, not {value!r}"[:300])
    if not low <= value <= high:  # NaN fails too
        bounds = f"from {_shown_number(low)} to {_shown_number(high)}"
        raise ConfigError(f"{what} must be {bounds}, not {_shown_number(value)}")


def _shown_number(value: float) -> str:
    """A number as an error message shows it: ``1,000``, ``0.5``, a huge one in short (``a 25-digit number``)."""
    if isinstance(value, int) and value.bit_length() > 50:
        return f"a {len(str(abs(value))) if value.bit_length() < 10_000 else 'many'}-digit number"
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    return f"{value:g}"
