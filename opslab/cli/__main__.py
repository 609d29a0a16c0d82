"""`python -m opslab.cli …` runs the `opslab` command."""

from opslab.cli import main

main()
