"""The one opt-out of the sandbox: ``--unsafe-code``, explicit, warned about and recorded.

The choice lives in the environment variable ``LUMOS_UNSAFE_CODE`` so that every process of a run (worker
processes included) sees the same policy; the CLI flag sets it and writes it into the run's ``config.json``.
"""

from __future__ import annotations

import os
import sys

UNSAFE_ENV = "LUMOS_UNSAFE_CODE"
UNSAFE_WARNING = (
    "warning: --unsafe-code: model-written Code runs WITHOUT the OS-level sandbox, with your user's rights "
    "(files, network, processes); use it only inside a disposable container or VM"
)
_warned = False


def unsafe_code_allowed() -> bool:
    """True when the user opted out of the sandbox (``--unsafe-code`` or ``LUMOS_UNSAFE_CODE=1``)."""
    return os.environ.get(UNSAFE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def allow_unsafe_code(warn: bool = True) -> None:
    """Run Code without the OS-level sandbox from now on, in this process and the processes it starts."""
    os.environ[UNSAFE_ENV] = "1"
    if warn:
        warn_unsafe_code()


def warn_unsafe_code() -> None:
    """Print the opt-out warning to standard error, once per process."""
    global _warned
    if not _warned:
        _warned = True
        print(UNSAFE_WARNING, file=sys.stderr, flush=True)
