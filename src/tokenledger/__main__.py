"""`python -m tokenledger` runs the CLI."""

from tokenledger.cli import main

main()
