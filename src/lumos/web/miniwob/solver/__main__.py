"""``python -m lumos.web.miniwob.solver --out DIR``."""

from lumos.web.miniwob.solver.run import main

main()
