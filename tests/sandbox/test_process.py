"""The scratch folders of a Code run: removed when it ends, and by the next run when lumos was killed."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from lumos import tempdirs
from lumos.sandbox import process
from lumos.tools.executor import run_program


def test_a_killed_runs_scratch_folder_is_removed_by_the_next_run() -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    root = Path(tempfile.gettempdir())
    left = root / f"{process.SCRATCH_PREFIX}{dead.pid}-abc123"
    mine = root / f"{process.SCRATCH_PREFIX}{os.getpid()}-keep"
    for folder in (left, mine):
        folder.mkdir()
        (folder / "stdout").write_text("x")
    try:
        tempdirs._cleaned.discard(process.SCRATCH_PREFIX)  # as in a new process
        run_program("R1 = Code(x = 6\nans = x * 7)", action_time_limit=10)  # starts Python (or refuses)
        assert not left.exists()
        assert mine.exists()  # a live process's folder stays
    finally:
        for folder in (left, mine):
            if folder.exists():
                for f in folder.iterdir():
                    f.unlink()
                folder.rmdir()
