"""The MediaWiki page source, against recorded API responses (httpx.MockTransport); never the network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from lumos.errors import ConfigError, ToolError
from lumos.retrieval.mediawiki import DEFAULT_USER_AGENT, DisambiguationError, MediaWikiSource
from lumos.retrieval.types import PageSource

EXCHANGES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "fixtures" / "mediawiki.json").read_text()
)["exchanges"]


class Recorded:
    """A MockTransport handler that answers from the recorded exchanges and logs every request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        params = dict(request.url.params)
        for exchange in EXCHANGES:
            if all(params.get(k) == v for k, v in exchange["match"].items()):
                return httpx.Response(200, json=exchange["response"])
        return httpx.Response(404, json={"error": {"code": "unrecorded", "info": str(params)}})


def make_source(tmp_path: Path, **kwargs: Any) -> tuple[MediaWikiSource, Recorded]:
    handler = Recorded()
    client = httpx.Client(transport=httpx.MockTransport(handler))
    kwargs.setdefault("cache_path", tmp_path / "cache")
    return MediaWikiSource("https://en.wikipedia.org/w/api.php", client=client, **kwargs), handler


def test_get_page_plain_text_without_headings(tmp_path: Path) -> None:
    source, handler = make_source(tmp_path)
    page = source.get_page("Eiffel Tower")
    assert page is not None
    assert page.title == "Eiffel Tower"
    assert page.paragraphs == (
        "The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France.",
        "It is named after the engineer Gustave Eiffel.",
        "The design of the Eiffel Tower is attributed to Maurice Koechlin and Émile Nouguier.",
    )
    request = handler.requests[0]
    assert request.headers["User-Agent"] == DEFAULT_USER_AGENT
    assert request.url.params["format"] == "json" and request.url.params["redirects"] == "1"


def test_redirects_and_missing_pages(tmp_path: Path) -> None:
    source, _ = make_source(tmp_path)
    redirected = source.get_page("eiffel tower")
    assert redirected is not None and redirected.title == "Eiffel Tower"
    assert source.get_page("Qwxyzzy Nonexistent") is None
    assert source.get_page("  ") is None


def test_disambiguation_follows_the_first_candidate(tmp_path: Path) -> None:
    source, _ = make_source(tmp_path)
    assert source.disambiguation_candidates("Mercury") == [
        "Mercury (planet)",
        "Mercury (element)",
        "Mercury (mythology)",
    ]
    page = source.get_page("Mercury")
    assert page is not None and page.title == "Mercury (planet)"


def test_disambiguation_can_be_reported(tmp_path: Path) -> None:
    source, _ = make_source(tmp_path, disambiguation="report")
    with pytest.raises(DisambiguationError) as info:
        source.get_page("Mercury")
    assert info.value.candidates[0] == "Mercury (planet)"
    assert isinstance(info.value, ToolError)
    assert "may refer to: Mercury (planet); Mercury (element)" in str(info.value)


def test_search_pages_skips_disambiguation_in_report_mode(tmp_path: Path) -> None:
    source, _ = make_source(tmp_path)
    assert isinstance(source, PageSource)
    assert source.search("tallest tower in paris", k=3) == ["Eiffel Tower", "Mercury", "Tour Montparnasse"]
    titles = [p.title for p in source.search_pages("tallest tower in paris", k=3)]
    assert titles == ["Eiffel Tower", "Mercury (planet)", "Tour Montparnasse"]
    reporting, _ = make_source(tmp_path, disambiguation="report", cache=False)
    pages = reporting.search_pages("tallest tower in paris", k=3)
    assert [p.title for p in pages] == ["Eiffel Tower", "Tour Montparnasse"]
    assert pages[0].score > pages[1].score


def test_responses_are_cached_on_disk(tmp_path: Path) -> None:
    source, handler = make_source(tmp_path)
    source.get_page("Eiffel Tower")
    source.get_page("Eiffel Tower")
    assert len(handler.requests) == 1 and source.requests == 1
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1
    again, handler2 = make_source(tmp_path)  # a new source (a new process) reads the same cache
    assert again.get_page("Eiffel Tower") is not None
    assert handler2.requests == []
    expired, handler3 = make_source(tmp_path, cache_ttl=0)
    expired.get_page("Eiffel Tower")
    assert len(handler3.requests) == 1
    uncached, handler4 = make_source(tmp_path, cache=False)
    uncached.get_page("Eiffel Tower")
    uncached.get_page("Eiffel Tower")
    assert len(handler4.requests) == 2


def test_api_errors_and_failures_are_tool_errors(tmp_path: Path) -> None:
    source, _ = make_source(tmp_path)
    with pytest.raises(ToolError, match="maxlag"):
        source.search("lagging")
    with pytest.raises(ToolError, match="HTTP 404"):
        source.get_page("Unrecorded page")

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("too slow", request=request)

    slow = MediaWikiSource(
        client=httpx.Client(transport=httpx.MockTransport(timeout)), cache=False, timeout=2
    )
    with pytest.raises(ToolError, match="did not answer within 2 s"):
        slow.get_page("Eiffel Tower")

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route to host", request=request)

    offline = MediaWikiSource(client=httpx.Client(transport=httpx.MockTransport(down)), cache=False)
    with pytest.raises(ToolError, match="cannot reach"):
        offline.search("anything")

    def html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>maintenance</html>")

    broken = MediaWikiSource(client=httpx.Client(transport=httpx.MockTransport(html)), cache=False)
    with pytest.raises(ToolError, match="other than JSON"):
        broken.search("anything")


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="disambiguation"):
        MediaWikiSource(disambiguation="random")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="user agent"):
        MediaWikiSource(user_agent=" ")
