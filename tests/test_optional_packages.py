"""Tests that need an optional package skip, naming its install command, where it is missing (as on a machine
installed without the web or qa extras), instead of failing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# pytest with the packages made unimportable (as if not installed)
BLOCKED = (
    "import sys\n"
    "for name in sys.argv[1].split(','):\n"
    "    sys.modules[name] = None\n"
    "import pytest\n"
    "sys.exit(pytest.main(sys.argv[2:]))\n"
)
NEEDING = [
    "tests/eval/test_protocol.py",
    "tests/web/miniwob/test_miniwob_eval.py",
    "tests/web/miniwob/test_miniwob_run_cli.py",
    "tests/eval/test_on_ray.py",
]


def test_tests_needing_sentence_transformers_miniwob_or_ray_skip_without_them() -> None:
    blocked = "sentence_transformers,miniwob,ray"
    args = [sys.executable, "-c", BLOCKED, blocked, "-q", "-p", "no:cacheprovider", "-rs", *NEEDING]
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "pip install 'lumos-agents[qa]'" in proc.stdout and "miniwob is missing" in proc.stdout
    assert "ray is missing: pip install 'lumos-agents[ray]'" in proc.stdout
