"""The built-in domains, one package each. Each holds a ``DOMAIN`` (:class:`lumos.domain.Domain`) and is
registered in ``pyproject.toml`` under the entry-point group ``lumos.domains``, as a plug-in package would
register its own; the core imports none of them."""
