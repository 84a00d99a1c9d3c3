"""The web-agent domain: pages and shops as environments, the CLICK/TYPE/SELECT and shopping tools that act
on them, dataset loaders and metrics (Mind2Web, WebShop, MiniWoB++).

A web task is an instruction plus an environment; :meth:`lumos.agent.agent.Agent.run` takes one environment
per task (``envs=``) and the tools reach it as ``ctx.env``. Pages implement :class:`lumos.web.page.WebPage`.
"""
