"""WebShop: a compatible text-mode shop over WebShop's product files, its reward, goals, tools and evaluation.

``catalog`` reads the product files, ``search`` is the BM25 engine, ``env`` the shop's pages and actions,
``reward`` the paper's reward, ``goals`` the instructions and price caps, ``tools`` the agent's Search / Click /
FeatureRetrieve / Pick, ``evaluate`` the ``lumos eval webshop`` runner. ``data/`` is lumos's hand-written demo
shop (not the benchmark).
"""
