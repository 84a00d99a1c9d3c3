"""What the web domains share: pages as environments (:class:`lumos.domains.web_common.page.WebPage`) and
the CLICK / TYPE / SELECT tools that act on them with an element ranker.

A web task is an instruction plus an environment; :meth:`lumos.agent.agent.Agent.run` takes one environment
per task (``envs=``) and the tools reach it as ``ctx.env``. This package is no domain of its own.
"""

WEB_TOOLS = {
    "CLICK": "lumos.domains.web_common.tools:Click",
    "TYPE": "lumos.domains.web_common.tools:Type",
    "SELECT": "lumos.domains.web_common.tools:Select",
}
"""The web tools by name, for the domains that use them."""
