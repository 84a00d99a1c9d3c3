"""Fixtures of the tool tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from lumos.retrieval.build import build_index
from lumos.retrieval.index import SearchIndex
from lumos.retrieval.readers import read_jsonl

FIXTURES = Path(__file__).parents[1] / "retrieval" / "fixtures"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    """A small search index of the retrieval fixture pages (Eiffel Tower, Paris, Berlin, ...)."""
    out = tmp_path_factory.mktemp("qa") / "index"
    build_index(read_jsonl(FIXTURES / "pages.jsonl"), out, source="pages.jsonl")
    return SearchIndex(out)
