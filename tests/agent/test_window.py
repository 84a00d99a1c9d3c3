"""Module conversations kept within the model's context, and grounder outputs that loop on one action."""

from itertools import pairwise

from lumos.agent.agent import Agent, AgentConfig
from lumos.agent.window import fit_turns
from lumos.format.parse import repeated_action_end
from lumos.models.base import GenerationParams
from lumos.models.fake import FakeModel, count_words


def conversation(pairs: int) -> list[dict[str, str]]:
    msgs = [{"role": "user", "content": "task " * 10}]
    for k in range(pairs):
        msgs += [
            {"role": "assistant", "content": f"subgoal {k} " * 5},
            {"role": "user", "content": f"result {k} " * 5},
        ]
    return msgs


def words(msgs) -> int:
    return sum(count_words(m["content"]) for m in msgs)


def test_nothing_is_left_out_of_a_conversation_that_fits():
    conv = conversation(3)
    assert fit_turns(conv, 1, lambda c: True, 2) == (conv, 0)


def test_old_pairs_go_a_block_at_a_time_and_the_task_stays():
    fits = lambda c: words(c) <= 60  # noqa: E731
    prompts = [fit_turns(conversation(k), 1, fits, 2) for k in range(1, 9)]
    for (prompt, dropped), k in zip(prompts, range(1, 9), strict=True):
        assert prompt[0]["content"].startswith("task") and words(prompt) <= 60
        assert dropped % 2 == 0 and len(prompt) == 1 + 2 * (k - dropped)
        assert prompt[-1]["content"].startswith(f"result {k - 1}")  # the latest turn stays
    # while the same number of pairs is left out, each prompt extends the one before (the engine's cache)
    for (before, d1), (after, d2) in pairwise(prompts):
        if d1 == d2:
            assert after[: len(before)] == before
    assert {d for _, d in prompts} == {0, 2, 4, 6}


def test_what_cannot_fit_leaves_out_every_pair_but_the_latest():
    prompt, dropped = fit_turns(conversation(3), 1, lambda c: False, 2)
    assert dropped == 2 and len(prompt) == 3  # the latest subgoal and its result stay


def never_stops(conv) -> str:
    done = sum(m["role"] == "assistant" for m in conv)
    return f"No, I will keep planning. Subgoal {done + 1}: Add one." if done else "Subgoal 1: Add one."


def test_the_planner_keeps_the_task_when_its_conversation_outgrows_the_context():
    planner = FakeModel(responder=never_stops, context=230)
    grounder = FakeModel(default="R1 = Calculator(1 + 1)")
    traj = Agent(planner, grounder, AgentConfig(max_rounds=12, stop_when_stuck=0, trim_turns=3)).run_one(
        "Add one, twelve times over."
    )
    assert traj.stop_reason == "round_limit"
    left_out = [c.turns_left_out for s in traj.steps for c in s.calls if c.module == "plan"]
    assert left_out[0] == 0 and max(left_out) > 0 and all(n % 3 == 0 for n in left_out)
    for prompt in planner.calls:
        assert "Add one, twelve times over." in prompt[0]["content"]
        assert words(prompt) <= 230 - AgentConfig().plan_max_tokens
    # off: the whole conversation goes to the engine
    planner = FakeModel(responder=never_stops, context=230)
    Agent(planner, grounder, AgentConfig(max_rounds=12, stop_when_stuck=0, trim_turns=0)).run_one("Add one.")
    assert len(planner.calls[-1]) == 1 + 2 * 12


def test_a_grounder_repeating_one_action_is_ended_at_its_third_writing():
    text = "R1 = QA([R0], Question: x); R2 = QA([R1], Question: x); R3 = QA([R2], Question: x); R4 = QA("
    assert text[: repeated_action_end(text)] == "R1 = QA([R0], Question: x); R2 = QA([R1], Question: x)"
    assert (
        repeated_action_end("R1 = Calculator(2 + 2); R2 = Calculator(R1 * 3); R3 = Calculator(R2 - 1); R4")
        is None
    )
    assert repeated_action_end("R3 = Subgoal 1; R4 = R3; R5 = R4; R6 = R5; R7") == len(
        "R3 = Subgoal 1; R4 = R3; R5 = R4"
    )
    # the fake engine applies the check as a real one would
    model = FakeModel(default=text)
    gen = model.generate(
        [[{"role": "user", "content": "go"}]], GenerationParams(end_check=repeated_action_end)
    )[0]
    assert gen.finish_reason == "end_check" and gen.text.endswith("Question: x)")


def test_the_agent_ends_looping_grounder_outputs_and_records_it():
    loop = "R1 = Calculator(2 + 2); R2 = Calculator(2 + 2); R3 = Calculator(2 + 2); R4 = Calculator(2 + 2)"
    planner = FakeModel(["Subgoal 1: Add.", "Yes, I will stop planning."])
    traj = Agent(planner, FakeModel([loop])).run_one("What is 2 + 2?")
    ground_call = traj.steps[0].calls[-1]
    assert ground_call.finish_reason == "end_check" and len(traj.actions) == 2 and traj.answer == "4"
    planner = FakeModel(["Subgoal 1: Add.", "Yes, I will stop planning."])
    traj = Agent(planner, FakeModel([loop]), AgentConfig(end_repeated_actions=0)).run_one("What is 2 + 2?")
    assert len(traj.actions) == 4 and traj.steps[0].calls[-1].finish_reason == "stop"


def test_loops_without_semicolons_or_with_an_open_bracket_are_found():
    no_semicolons = "R1 = KnowledgeQuery(x) R2 = QA([R1], Question: y?) R3 = QA([R2], Question: y?) R4 = QA([R3], Question: y?) R5"
    assert no_semicolons[: repeated_action_end(no_semicolons)].endswith("R3 = QA([R2], Question: y?)")
    unclosed = (
        "R3 = ParagraphRetrieve(R3, Query: z? Results so far: R4 = Sarah; R5 = R1; R6 = R3; R7 = R3; R8"
    )
    assert unclosed[: repeated_action_end(unclosed)].endswith("R5 = R1; R6 = R3")
    phrase = "R5 = ParagraphRetrieve(R4, Query: " + "What is the answer to the question: " * 3 + "What"
    kept = phrase[: repeated_action_end(phrase)]
    assert (
        kept.startswith("R5 = ParagraphRetrieve(R4, Query: What is the answer") and kept.count("answer") == 1
    )
    # a legitimate output is left alone, at every length along the way
    fine = "R1 = KnowledgeQuery(Eiffel Tower); R2 = ParagraphRetrieve(R1, Query: Where is it?); R3 = QA([R2], Question: Where is it?)"
    assert all(repeated_action_end(fine[:n]) is None for n in range(len(fine) + 1))
