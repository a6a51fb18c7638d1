"""A no-key demo: recorded provider replies replayed through a real gateway."""

from tokenledger.demo._run import run_demo

__all__ = ["run_demo"]
