"""WebShop: a compatible text-mode shop over WebShop's product files, its reward, goals, tools and evaluation.

``catalog`` reads the product files, ``search`` is the BM25 engine, ``env`` the shop's pages and actions,
``reward`` the paper's reward, ``goals`` the instructions and price caps, ``tools`` the agent's Search / Click /
FeatureRetrieve / Pick, ``evaluate`` the ``lumos eval webshop`` runner. ``data/`` is lumos's hand-written demo
shop (not the benchmark).
"""

from lumos.domain import Domain

DOMAIN = Domain(
    name="webshop",
    tools={name: f"lumos.domains.webshop.tools:{name}" for name in ("Search", "Click", "FeatureRetrieve", "Pick")},
    package=__name__,
    description="shopping in WebShop's text-mode shop",
    install="pip install 'lumos-agents[web]'",
    environment="lumos.domains.webshop.episode:open_episode",
    environment_help="no task (a new task text is refused): the goal's instruction is the task; "
    "--env goal=N (or --goal): the N-th human "
    "instruction from 0; --env data=DIR (or --data): a folder of WebShop's files (default: the demo shop)",
    commands={"env": "lumos.domains.webshop.episode:env_command"},
)
