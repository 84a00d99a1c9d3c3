"""Size limits on expressions and results, and the wall-clock limit on a tool action."""

from __future__ import annotations

import math
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import sympy
from sympy.polys.polyerrors import BasePolynomialError

from lumos.errors import AgentStepError, LimitExceededError, ToolError

MAX_INPUT_CHARS = 2000
"""Longest expression text accepted."""
MAX_DIGITS = 10_000
"""Largest number of digits (of a numerator or denominator) that any computation may produce."""
MAX_DEPTH = 60
"""Deepest nesting of sub-expressions."""
MAX_SYMBOLIC_EXPONENT = 1000
"""Largest exponent of a power of a symbolic base (``x**1000``)."""
MAX_ROUND_DIGITS = 100
MAX_BITS = int(MAX_DIGITS * math.log2(10)) + 1
LOG10_2 = math.log10(2)

#: Exceptions that SymPy (or Python arithmetic) raises on odd model input; tools turn them into ToolError.
MATH_ERRORS: tuple[type[BaseException], ...] = (
    ArithmeticError,  # ZeroDivisionError, OverflowError
    ValueError,
    TypeError,
    NotImplementedError,
    RecursionError,
    IndexError,
    KeyError,
    AttributeError,
    BasePolynomialError,
    sympy.SympifyError,
)

VARIABLE_NAME = re.compile(r"R\d+|Output")


# ================================================================================== time limits


class Alarm(BaseException):
    """Raised by the SIGALRM handler. A BaseException, so that SymPy's ``except Exception`` cannot eat it."""


class _AlarmState:
    active = False


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float | None, what: str = "the action") -> Iterator[None]:
    """Raise :class:`LimitExceededError` if the body runs longer than ``seconds`` (wall clock).

    Uses ``signal.setitimer`` and so works only on the main thread; elsewhere (or with ``seconds`` None or
    <= 0) the body runs without a limit. The timer repeats every 50 ms after it first fires, in case some
    library code swallowed the first interruption. An enclosing limit stays in force.
    """
    if not seconds or seconds <= 0 or not _can_alarm():
        yield
        return
    state = _AlarmState()

    def handler(signum: int, frame: FrameType | None) -> None:
        if state.active:
            raise Alarm

    old_handler = signal.signal(signal.SIGALRM, handler)
    old_delay, _old_interval = signal.getitimer(signal.ITIMER_REAL)
    delay = min(seconds, old_delay) if old_delay > 0 else seconds
    start = time.monotonic()
    state.active = True
    signal.setitimer(signal.ITIMER_REAL, delay, 0.05)
    try:
        yield
    except Alarm:
        state.active = False
        raise LimitExceededError(f"{what} took longer than the time limit of {delay:g} s") from None
    finally:
        state.active = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay > 0:
            left = old_delay - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-4))


class math_errors_as_tool_errors:
    """Report what odd input makes SymPy or Python arithmetic raise as a step error, not a crash.

    ``messages()`` gives (out of memory, too deeply nested, failed): MemoryError and RecursionError become
    :class:`LimitExceededError` with the first two, the :data:`MATH_ERRORS` :class:`ToolError` ("<failed>:
    <exception>"); agent step errors pass through. The messages are built only when something went wrong,
    since this wraps every action and every function call of an expression.
    """

    __slots__ = ("messages",)

    def __init__(self, messages: Callable[[], tuple[str, str, str]]) -> None:
        self.messages = messages

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if exc is None or isinstance(exc, AgentStepError):
            return
        if isinstance(exc, MemoryError):
            raise LimitExceededError(self.messages()[0]) from None
        if isinstance(exc, RecursionError):
            raise LimitExceededError(self.messages()[1]) from None
        if isinstance(exc, MATH_ERRORS):
            raise ToolError(f"{self.messages()[2]}: {describe(exc)}") from None


def guarded(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: turn the exceptions SymPy raises on odd input (:data:`MATH_ERRORS`) into ToolError."""

    def messages() -> tuple[str, str, str]:
        return f"{what} ran out of memory", f"{what}: the expression is too deeply nested", f"{what} failed"

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        def inner(*args: Any, **kwargs: Any) -> Any:
            with math_errors_as_tool_errors(messages):
                return fn(*args, **kwargs)

        inner.__name__ = getattr(fn, "__name__", "guarded")
        inner.__doc__ = fn.__doc__
        return inner

    return wrap


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    return f"{name}: {clip(text)}" if text else name


def clip(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
