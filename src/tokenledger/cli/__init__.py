"""The `tokenledger` command line."""

from tokenledger.cli._main import app, main

__all__ = ["app", "main"]
