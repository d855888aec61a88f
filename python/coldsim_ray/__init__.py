"""coldsim-ray: run a coldsim `scenario`, `compare` or `sweep` on a Ray cluster.

The local `coldsim` binary splits the run into work units (`--plan DIR --units N`), each unit
runs as one Ray task (`coldsim run-unit`), and the local binary merges the partial results
(`coldsim merge`), which prints and writes exactly what the single-machine command would.
"""

RAY_VERSION = "2.60.0"
