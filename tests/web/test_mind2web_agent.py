"""The Lumos agent on replayed Mind2Web pages with scripted fake models and a deterministic ranker."""

from __future__ import annotations

from collections.abc import Sequence

from m2w_records import flight_record, pruned_record

from lumos.agent.agent import Agent, AgentConfig
from lumos.domains.mind2web.tasks import Mind2WebPage, parse_task
from lumos.models.fake import FakeModel


class WordRanker:
    """Scores each element by how many of the query's words it contains."""

    def rerank(self, query: str, passages: Sequence[str]) -> list[float]:
        words = query.lower().split()
        return [float(sum(w in p.lower() for w in words)) for p in passages]


def test_each_task_acts_on_its_own_page_and_records_the_ranking():
    flight, shop = parse_task(flight_record()), parse_task(pruned_record())
    pages = [Mind2WebPage(flight, 0), Mind2WebPage(shop, 1)]
    planner = FakeModel(
        [
            "Subgoal 1: Type Boston in the From field.",
            "Subgoal 1: Click the Help link.",
            "Yes, I will stop planning.",
            "Yes, I will stop planning.",
        ]
    )
    grounder = FakeModel(
        ["R1 = TYPE(Env, QUERY: From field, TEXT: Boston)", "R1 = CLICK(Env, QUERY: Help link)"]
    )
    agent = Agent(
        planner, grounder, AgentConfig(domain="web"), tool_options={"ranker": WordRanker(), "top_k": 2}
    )
    trajs = agent.run([flight.task, shop.task], envs=pages)
    assert [(p.prediction.op, p.prediction.ref, p.prediction.value) for p in pages if p.prediction] == [
        ("TYPE", "10", "Boston"),
        ("CLICK", "6", None),
    ]
    first = trajs[0].steps[0].results[0]
    assert first.details["chosen"] == "10"
    assert [c["ref"] for c in first.details["candidates"]] == ["10", "11"]  # the best, then page order
    assert trajs[0].meta["annotation_id"] == "flight-1" and trajs[1].meta["action_uid"] == "b2"
    assert all(t.finished for t in trajs)


def test_bad_actions_are_recorded_and_the_other_tasks_go_on():
    flight = parse_task(flight_record())
    pages = [Mind2WebPage(flight, 0), Mind2WebPage(flight, 1), Mind2WebPage(flight, 2)]
    planner = FakeModel(default="Subgoal 1: Do the step.")
    grounder = FakeModel(
        [
            "R1 = TYPE(Env, QUERY: From field)",  # no TEXT
            "R1 = CLICK(the page, QUERY: Search)",  # not a page name
            "R1 = CLICK(Env, QUERY: Search button)",
        ]
    )
    agent = Agent(
        planner,
        grounder,
        AgentConfig(domain="web", formulation="onetime"),
        tool_options={"ranker": WordRanker()},
    )
    trajs = agent.run([flight.task] * 3, envs=pages)
    assert [t.errors[0].kind if t.errors else None for t in trajs] == ["missing_text", "bad_arguments", None]
    assert pages[2].prediction is not None and pages[2].prediction.ref == "13"
    assert pages[0].prediction is None and pages[1].prediction is None
