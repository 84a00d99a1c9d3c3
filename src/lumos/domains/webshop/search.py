"""The shop's search engine: BM25 over product titles and texts, in an in-memory SQLite FTS5 table.

WebShop searches a Lucene index of the products; this is the same ranking family (BM25) with lumos's own FTS5
code (:mod:`lumos.retrieval.index`: its tokenizer and query builder). Titles are a column of their own with a
higher weight, as in lumos's wiki index.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence

from lumos.domains.webshop.catalog import Product
from lumos.retrieval.fts import TOKENIZER, check_fts5, fts_query

SEARCH_RETURN_N = 50  # WebShop's engine returns the best 50
TITLE_WEIGHT = 2.0


class ProductSearch:
    """BM25 search over ``products`` (built once; safe to share between environments)."""

    def __init__(self, products: Sequence[Product]) -> None:
        self.asins = [p.asin for p in products]
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        try:
            self._conn.execute(f"CREATE VIRTUAL TABLE products USING fts5(title, body, tokenize='{TOKENIZER}')")
        except sqlite3.OperationalError:
            check_fts5(self._conn)
            raise
        rows = ((i, p.title, " ".join([p.description, *p.features])) for i, p in enumerate(products))
        self._conn.executemany("INSERT INTO products(rowid, title, body) VALUES (?, ?, ?)", rows)

    def search(self, keywords: str, k: int = SEARCH_RETURN_N) -> list[str]:
        """The ASINs of the best ``k`` products for ``keywords``, best first (ties in catalog order)."""
        match = fts_query(keywords)
        if match is None:
            return []
        sql = (
            "SELECT rowid FROM products WHERE products MATCH ? "
            f"ORDER BY bm25(products, {TITLE_WEIGHT}, 1.0), rowid LIMIT ?"
        )
        with self._lock:
            rows = self._conn.execute(sql, (match, k)).fetchall()
        return [self.asins[r[0]] for r in rows]
