"""A no-key demo: recorded provider replies replayed through a real gateway."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenledger.ledger import UsageTotal


def run_demo(database_url: str | None = None) -> list[UsageTotal]:
    """Meter every demo recording through a gateway; return the usage totals by model.

    The demo's modules load on the first call, so that `python -m tokenledger.demo.replay`
    does not find its own module already imported by this package.
    """
    from tokenledger.demo._run import run_demo as run

    return run(database_url)


__all__ = ["run_demo"]
