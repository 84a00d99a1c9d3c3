"""ScienceWorld (Wang et al., 2022): 30 task types of elementary science in a text simulator (a Java jar
driven through py4j), each action's observation deciding the next. A simulator pool, the ``Act`` tool,
teacher-free annotations from gold paths verified by replay, and the ``lumos eval scienceworld`` runner with
seen and unseen task types. The JVM starts only when an episode does."""

from lumos.domain import Domain

DOMAIN = Domain(
    name="scienceworld",
    tools={"Act": "lumos.domains.scienceworld.tools:Act"},
    package=__name__,
    description="ScienceWorld's science tasks in its text simulator (Java)",
    install="pip install 'lumos-agents[scienceworld]' and Java 11+ (apt-get install default-jre-headless)",
    sources=("lumos.domains.scienceworld.sources",),
    environment="lumos.domains.scienceworld.episode:open_episode",
    environment_help="the task: a ScienceWorld task type, such as boil (or --task); --env variation=N (or "
    "--variation); --env simplification=easy|none; --env max_steps=N (100); --env step_seconds=S (20)",
    make_agent="lumos.domains.scienceworld.episode:make_agent",
    hooks={
        "training_filter": "lumos.domains.scienceworld.tasks:held_out_reason",
        "task_groups": "lumos.domains.scienceworld.tasks:task_groups",
    },
    commands={"env": "lumos.domains.scienceworld.episode:env_command"},
    answerless=True,
    observe_first=True,
    # the flat model trained from the gold paths scores above the few-shot base and above trained Lumos-I
    # (docs/results.md section 12); adapters/direct-iterative is that model
    default_agent="flat",
    agent_defaults={"max_rounds": 30},  # a gold path takes dozens of actions; the evaluations ran 30 rounds
)
