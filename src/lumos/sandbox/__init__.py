"""The OS-level sandbox that model-written code runs in (the ``Code`` tool's only way to run Python).

bubblewrap builds the box (namespaces, a read-only minimal filesystem, a private ``/code``), seccomp narrows
the system calls, and a Python prelude inside adds resource limits and guards. Where the box cannot start,
code is refused with one line naming the fix; ``--unsafe-code`` (``LUMOS_UNSAFE_CODE=1``) is the one,
recorded, opt-out.
"""

from lumos.sandbox.bubblewrap import CODE_PACKAGES, SandboxUnavailableError, check
from lumos.sandbox.policy import UNSAFE_ENV, allow_unsafe_code, unsafe_code_allowed
from lumos.sandbox.process import Finished, run_untrusted_python

__all__ = [
    "CODE_PACKAGES",
    "UNSAFE_ENV",
    "Finished",
    "SandboxUnavailableError",
    "allow_unsafe_code",
    "check",
    "run_untrusted_python",
    "unsafe_code_allowed",
]
