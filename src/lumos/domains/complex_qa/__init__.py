"""Complex question answering: retrieval and QA tools over an offline index; HotpotQA, StrategyQA, FanOutQA."""

from lumos.domain import Domain

_QA = "lumos.domains.complex_qa.tools"
_MATHS = "lumos.domains.maths.tools"

DOMAIN = Domain(
    name="complex_qa",
    tools={
        "KnowledgeQuery": f"{_QA}:KnowledgeQuery",
        "ParagraphRetrieve": f"{_QA}:ParagraphRetrieve",
        "QA": f"{_QA}:QA",
        "Calculator": f"{_MATHS}:Calculator",
        "Code": f"{_MATHS}:Code",
    },
    package=__name__,
    description="multi-hop questions over Wikipedia (HotpotQA, StrategyQA, FanOutQA, MuSiQue)",
    install="pip install 'lumos-agents[qa]'",
    sources=("lumos.domains.complex_qa.sources",),
    tool_options="lumos.domains.complex_qa.hooks:tool_options",
    hooks={"final_answer": "lumos.domains.complex_qa.hooks:final_answer"},
    teacher_results=True,
)
