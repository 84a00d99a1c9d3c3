"""``python -m lumos.domains.miniwob.solver --out DIR``."""

from lumos.domains.miniwob.solver.run import main

main()
