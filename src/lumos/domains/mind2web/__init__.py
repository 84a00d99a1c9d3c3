"""Mind2Web (domain ``web``): recorded pages replayed as environments, the CLICK / TYPE / SELECT tools,
teacher-free annotations by replay, and the step-wise ``lumos eval mind2web`` runner."""

from lumos.domain import Domain
from lumos.domains.web_common import WEB_TOOLS

DOMAIN = Domain(
    name="web",
    tools=WEB_TOOLS,
    package=__name__,
    description="Mind2Web tasks replayed on their recorded pages",
    install="pip install 'lumos-agents[web]'",
    sources=("lumos.domains.mind2web.sources",),
    environment="lumos.domains.mind2web.env:open_episode",
    environment_help="TASK, or --env task_id=ID (or --task-id): a Mind2Web task's annotation_id, position from 0 "
    "(or, as TASK, its exact instruction; a new task text is refused: the pages are recorded); "
    "--env data=PATH (or --data): a Mind2Web file (default: lumos's demo set)",
    demo_inputs="lumos.domains.mind2web.env:demo_inputs",
    data_domains=("miniwob",),
    answerless=True,
)
