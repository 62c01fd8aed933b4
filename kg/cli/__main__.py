"""`python -m kg.cli`: the same as the `chipgraph` command."""

from kg.cli import main

main()
