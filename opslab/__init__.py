"""opslab's core: the lab engine (opslab.engine) and the `opslab` command line (opslab.cli)."""
