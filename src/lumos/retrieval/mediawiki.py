"""An optional page source for users with network access: the MediaWiki action API (Wikipedia by default).

:class:`MediaWikiSource` has the same ``search_pages``/``get_page`` interface as the local
:class:`~lumos.retrieval.index.SearchIndex`, so ``KnowledgeQuery`` can use either (``index=MediaWikiSource()``).
It sends a descriptive user agent (Wikimedia's policy; pass your contact in ``user_agent``), applies a
timeout to every request, keeps a small on-disk cache of responses (``$LUMOS_CACHE/mediawiki``, a week by
default) and handles disambiguation pages: ``disambiguation="first"`` follows the first page the
disambiguation page links to, ``"report"`` raises :class:`DisambiguationError` listing the candidates.

Request failures (timeouts, HTTP errors, API errors) raise :class:`~lumos.errors.ToolError`, which the
agent records on the step.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

import httpx

from lumos import __version__
from lumos.errors import ConfigError, ToolError
from lumos.retrieval.index import cache_dir
from lumos.retrieval.types import Page, split_paragraphs

WIKIPEDIA_API = "https://en.wikipedia.org/w/api.php"
DEFAULT_USER_AGENT = (
    f"lumos-agents/{__version__} (Lumos complex-QA tools; https://pypi.org/project/lumos-agents/) httpx"
)
_HEADING = re.compile(r"^=+\s*(.*?)\s*=+$")
_LINK = re.compile(r"\[\[([^\]|#]+)(?:#[^\]|]*)?(?:\|[^\]]*)?\]\]")


class DisambiguationError(ToolError):
    """A title names a disambiguation page; ``candidates`` are the pages it links to, in page order."""

    kind = "disambiguation"

    def __init__(self, title: str, candidates: list[str]) -> None:
        shown = "; ".join(candidates[:10]) or "no candidates found"
        super().__init__(f"{title!r} is ambiguous; it may refer to: {shown}")
        self.title = title
        self.candidates = candidates


class MediaWikiSource:
    """Pages from a MediaWiki API (``api_url``), with a response cache on disk.

    ``client`` lets tests (and users with special needs: proxies, retries) pass their own ``httpx.Client``;
    ``cache=False`` turns the cache off; ``cache_ttl`` is in seconds.
    """

    def __init__(
        self,
        api_url: str = WIKIPEDIA_API,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: float = 10.0,
        cache: bool = True,
        cache_path: str | Path | None = None,
        cache_ttl: float = 7 * 24 * 3600,
        disambiguation: Literal["first", "report"] = "first",
        client: httpx.Client | None = None,
    ) -> None:
        if disambiguation not in ("first", "report"):
            raise ConfigError(f"disambiguation must be 'first' or 'report', not {disambiguation!r}")
        if not user_agent.strip():
            raise ConfigError(
                "MediaWiki APIs require a user agent; pass user_agent='yourtool/1.0 (you@example.org)'"
            )
        self.api_url = api_url
        self.timeout = timeout
        self.disambiguation = disambiguation
        self.cache_ttl = cache_ttl
        host = httpx.URL(api_url).host or "local"
        self.cache_path = (
            (Path(cache_path) if cache_path else cache_dir() / "mediawiki" / host) if cache else None
        )
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=True)
        self._client.headers["User-Agent"] = user_agent
        self.requests = 0  # requests sent over the network (not served from the cache)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> MediaWikiSource:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---------------------------------------------------------------------------------- requests

    def _get(self, **params: Any) -> dict[str, Any]:
        params = {"format": "json", "formatversion": "2", **params}
        key = hashlib.sha256(json.dumps([self.api_url, params], sort_keys=True).encode()).hexdigest()[:32]
        cached = self._cache_read(key)
        if cached is not None:
            return cached
        try:
            response = self._client.get(self.api_url, params=params, timeout=self.timeout)
            self.requests += 1
            response.raise_for_status()
            data = response.json()
        except httpx.TimeoutException as exc:
            raise ToolError(
                f"the MediaWiki API at {self.api_url} did not answer within {self.timeout:g} s"
            ) from exc
        except httpx.HTTPStatusError as exc:
            raise ToolError(f"the MediaWiki API answered HTTP {exc.response.status_code}") from exc
        except httpx.HTTPError as exc:
            raise ToolError(f"cannot reach the MediaWiki API at {self.api_url}: {exc}") from exc
        except ValueError as exc:
            raise ToolError(f"the MediaWiki API at {self.api_url} sent something other than JSON") from exc
        if not isinstance(data, dict):
            raise ToolError("the MediaWiki API sent an unexpected response")
        if "error" in data:
            err = data["error"]
            raise ToolError(f"the MediaWiki API refused the request: {err.get('code')}: {err.get('info')}")
        self._cache_write(key, data)
        return data

    def _cache_read(self, key: str) -> dict[str, Any] | None:
        if self.cache_path is None:
            return None
        path = self.cache_path / f"{key}.json"
        try:
            if time.time() - path.stat().st_mtime > self.cache_ttl:
                return None
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _cache_write(self, key: str, data: dict[str, Any]) -> None:
        if self.cache_path is None:
            return
        try:
            self.cache_path.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.cache_path, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f)
            os.replace(tmp, self.cache_path / f"{key}.json")
        except OSError:
            pass  # a read-only or full cache directory only costs speed

    # ---------------------------------------------------------------------------------- pages

    def search(self, query: str, k: int = 5) -> list[str]:
        """Titles of the ``k`` best articles for ``query`` (the wiki's own search)."""
        if not query.strip() or k <= 0:
            return []
        data = self._get(action="query", list="search", srsearch=query, srlimit=k, srnamespace=0, srprop="")
        return [hit["title"] for hit in data.get("query", {}).get("search", []) if "title" in hit][:k]

    def get_page(self, title: str, *, follow_disambiguation: bool = True) -> Page | None:
        """The plain text of the article ``title`` (redirects followed), or None if there is none."""
        if not title.strip():
            return None
        data = self._get(
            action="query",
            prop="extracts|pageprops",
            ppprop="disambiguation",
            explaintext=1,
            exsectionformat="wiki",
            redirects=1,
            titles=title,
        )
        pages = data.get("query", {}).get("pages", [])
        if not pages or pages[0].get("missing") or pages[0].get("invalid"):
            return None
        page = pages[0]
        real_title = str(page.get("title", title))
        if "disambiguation" in page.get("pageprops", {}):
            candidates = self.disambiguation_candidates(real_title)
            if self.disambiguation == "report" or not follow_disambiguation or not candidates:
                raise DisambiguationError(real_title, candidates)
            for candidate in candidates[:3]:
                found = self.get_page(candidate, follow_disambiguation=False)
                if found is not None:
                    return found
            raise DisambiguationError(real_title, candidates)
        paragraphs = [p for p in split_paragraphs(str(page.get("extract", ""))) if not _HEADING.match(p)]
        return Page(real_title, tuple(paragraphs)) if paragraphs else None

    def disambiguation_candidates(self, title: str) -> list[str]:
        """The articles a disambiguation page links to, in the order they appear on it."""
        data = self._get(action="query", prop="revisions", rvprop="content", rvslots="main", titles=title)
        pages = data.get("query", {}).get("pages", [])
        try:
            text = pages[0]["revisions"][0]["slots"]["main"]["content"]
        except (IndexError, KeyError, TypeError):
            return []
        out: list[str] = []
        for m in _LINK.finditer(text):
            target = " ".join(m.group(1).replace("_", " ").split())
            if not target or ":" in target or target.lower().endswith("(disambiguation)") or target == title:
                continue
            target = target[0].upper() + target[1:]
            if target not in out:
                out.append(target)
        return out

    def search_pages(self, query: str, k: int = 5) -> list[Page]:
        """The ``k`` best articles for ``query`` with their text; scores fall with the rank."""
        pages: list[Page] = []
        seen: set[str] = set()
        for rank, title in enumerate(self.search(query, k)):
            try:
                page = self.get_page(title)
            except DisambiguationError:
                continue
            if page is not None and page.title not in seen:
                seen.add(page.title)
                pages.append(Page(page.title, page.paragraphs, score=1.0 / (rank + 1)))
        return pages
