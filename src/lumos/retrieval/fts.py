"""SQLite FTS5 text matching shared by the search index and the tools, and the index's on-disk format
(its constants and ``manifest.json``)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lumos.errors import ConfigError

FORMAT = "lumos-search-index"
FORMAT_VERSION = 1
DB_NAME = "index.sqlite"
MANIFEST_NAME = "manifest.json"
TITLE_WEIGHT = 2.0  # recall@5 on the FanOutQA sub-questions with weight 1, 2, 3: 0.953, 0.957, 0.950
TOKENIZER = "porter unicode61"

_WORD = re.compile(r"\w+", re.UNICODE)
STOPWORDS = frozenset(
    """a about after all also an and any are as at be been before being between both but by can could did
    do does doing during each few for from further had has have having he her here hers him his how i if
    in into is it its itself just me more most my no nor not of off on once only or other our out over
    own same she should so some such than that the their them then there these they this those through
    to too under until up very was we were what when where which while who whom whose why will with
    would you your""".split()  # noqa: SIM905
)


def build_command(out: str | Path, source: str = "SOURCE", fmt: str = "FORMAT") -> str:
    return f"lumos index build {source} --format {fmt} --out {out}"


# ---------------------------------------------------------------------------------------------- query


def query_terms(query: str) -> list[str]:
    """The words of a query, lowercased, without stop words (all words if nothing else is left)."""
    words = [w.lower() for w in _WORD.findall(query)]
    content = [w for w in words if w not in STOPWORDS]
    return list(dict.fromkeys(content or words))


def fts_query(query: str) -> str | None:
    """An FTS5 MATCH expression: any of the query's words (quoted, so no word is read as an operator)."""
    terms = query_terms(query)
    return " OR ".join(f'"{t}"' for t in terms) if terms else None


def check_fts5(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("CREATE VIRTUAL TABLE temp._lumos_probe USING fts5(x)")
        conn.execute("DROP TABLE temp._lumos_probe")
    except sqlite3.OperationalError as exc:
        raise ConfigError(
            f"this Python's SQLite ({sqlite3.sqlite_version}) has no FTS5 full-text search, which the search "
            "index needs; use a Python build with FTS5 (the python.org and most Linux builds have it)"
        ) from exc


def bm25_scores(query: str, passages: Sequence[str]) -> list[float]:
    """BM25 score of each passage for ``query`` (0 for passages without a query word), computed by FTS5 in
    memory with the index's tokenizer. Higher is better."""
    match = fts_query(query)
    scores = [0.0] * len(passages)
    if not passages or match is None:
        return scores
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"CREATE VIRTUAL TABLE p USING fts5(text, tokenize='{TOKENIZER}')")
        conn.executemany("INSERT INTO p(rowid, text) VALUES (?, ?)", enumerate(passages))
        for rowid, score in conn.execute("SELECT rowid, -bm25(p) FROM p WHERE p MATCH ?", (match,)):
            scores[rowid] = float(score)
    except sqlite3.OperationalError as exc:
        if "no such module" in str(exc):
            check_fts5(conn)
        raise
    finally:
        conn.close()
    return scores



# ---------------------------------------------------------------------------------------------- format


@dataclass
class Manifest:
    """What ``manifest.json`` of an index directory says."""

    source: str
    documents: int
    paragraphs: int
    built_at: str
    build_seconds: float
    format: str = FORMAT
    version: int = FORMAT_VERSION
    backend: str = "sqlite-fts5"
    title_weight: float = TITLE_WEIGHT
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise not_an_index(directory, f"it has no {MANIFEST_NAME}") from None
        except (OSError, ValueError) as exc:
            raise not_an_index(directory, f"its {MANIFEST_NAME} cannot be read ({exc})") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise not_an_index(directory, f"its {MANIFEST_NAME} is not a lumos search index manifest")
        if data.get("version") != FORMAT_VERSION:
            raise not_an_index(
                directory,
                f"it has index format version {data.get('version')}; this lumos reads {FORMAT_VERSION}",
            )
        known = set(cls.__dataclass_fields__)
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except TypeError as exc:
            raise not_an_index(directory, f"its {MANIFEST_NAME} is incomplete ({exc})") from exc

    def save(self, directory: Path) -> None:
        (directory / MANIFEST_NAME).write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")


def not_an_index(directory: Path, why: str) -> ConfigError:
    return ConfigError(
        f"{directory} is not a usable search index: {why}. Build it again with: {build_command(directory)}"
    )
