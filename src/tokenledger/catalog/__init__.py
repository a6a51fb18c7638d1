"""Model lookup, prices, context windows and token counting."""

from tokenledger.catalog._cost import Cost, CostBreakdown, CostSource

__all__ = ["Cost", "CostBreakdown", "CostSource"]
