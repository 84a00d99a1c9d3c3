"""Temporary folders that name the process that made them, so a later run can remove those a killed run left.

A folder is ``<tempdir>/<prefix><pid>-<random>``; :func:`remove_leftovers` deletes the ones whose process is
gone (a run ended by SIGKILL, or by SIGTERM before its clean-up ran).
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile


def make_temp_dir(prefix: str) -> str:
    """A new private folder ``<prefix><pid>-<random>`` in the system's temporary directory (the caller removes
    it); the first call for a prefix in a process first removes what dead processes left under it."""
    if prefix not in _cleaned:
        _cleaned.add(prefix)
        remove_leftovers(prefix)
    return tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-")


_cleaned: set[str] = set()


def remove_leftovers(prefix: str) -> int:
    """Remove the folders under ``prefix`` whose owning process no longer runs; how many were removed."""
    removed = 0
    for path in glob.glob(os.path.join(tempfile.gettempdir(), f"{glob.escape(prefix)}*-*")):
        owner = os.path.basename(path)[len(prefix) :].split("-", 1)[0]
        if owner.isdigit() and not _running(int(owner)) and os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
