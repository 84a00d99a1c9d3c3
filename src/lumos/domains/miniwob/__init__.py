"""MiniWoB++ in headless Chromium: live task pages (env), a browser pool, a scripted solver and the
``lumos eval miniwob`` runner. Heavy imports (selenium, miniwob) happen only when a browser is started."""

from lumos.domain import Domain
from lumos.domains.miniwob.tasks import SUITES, all_tasks, resolve_tasks
from lumos.domains.web_common import WEB_TOOLS

DOMAIN = Domain(
    name="miniwob",
    tools=WEB_TOOLS,  # the same tools as Mind2Web's, on live pages
    package=__name__,
    description="live MiniWoB++ tasks in a headless Chromium",
    install="pip install 'lumos-agents[web]' and a Chromium (scripts/install_browser.sh)",
    environment="lumos.domains.miniwob.episode:open_episode",
    environment_help="the task: a MiniWoB++ task name, such as click-button; --env seed=N (or --seed); "
    "--env screenshots=DIR (or --screenshots): a PNG of the page after each action",
    make_agent="lumos.domains.miniwob.episode:make_agent",
    hooks={
        "training_filter": "lumos.domains.miniwob.tasks:held_out_reason",
        "task_groups": "lumos.domains.miniwob.tasks:task_groups",
    },
    observe_first=True,
)

__all__ = ["DOMAIN", "SUITES", "all_tasks", "resolve_tasks"]
