"""`Cost`: what a request cost and how that figure was reached."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

# "unbilled": the provider refused the call or was never reached, so nothing is owed.
CostSource = Literal["catalog", "provider", "config", "local", "unbilled", "unknown"]


@dataclass(frozen=True, slots=True)
class CostBreakdown:
    """The parts of a cost in USD. Reasoning is part of output; it is shown apart
    because it is the part users ask about."""

    input_usd: Decimal
    cache_read_usd: Decimal
    cache_write_usd: Decimal
    output_usd: Decimal
    reasoning_usd: Decimal
    other_usd: Decimal  # per-call tool fees such as web searches


@dataclass(frozen=True, slots=True)
class Cost:
    """`total_usd` is None when no price is known: unknown is never zero."""

    total_usd: Decimal | None
    source: CostSource
    # Which price entry was applied ("openai/gpt-5-nano", "config/my-model"), for audits.
    price_entry: str | None = None
    # The version of the price data ("genai-prices 0.2.3") or of the config file.
    price_version: str | None = None
    breakdown: CostBreakdown | None = None
    # Why the cost is unknown, in words a user can act on.
    note: str | None = None

    @property
    def known(self) -> bool:
        return self.total_usd is not None
