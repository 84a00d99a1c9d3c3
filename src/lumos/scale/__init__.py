"""Work spread past one process: batches of examples or items on the actors of a Ray cluster.

:mod:`lumos.scale.cluster` connects to Ray (an optional extra); :mod:`lumos.scale.pool` runs batches on a pool
of actors, each of which builds its own worker (models, environments, tools) once and keeps it. Nothing here
knows what a batch holds: evaluation and annotation hand in their own per-batch work.
"""
