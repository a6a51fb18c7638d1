"""A pricing plan: genai-prices' decomposition of usage into priced units, done once.

For a given set of prices, the count each priced unit is charged for is a linear
function of the canonical counts (a unit's own count less its priced parts: input
less cache reads, cache writes less their one-hour part, ...). genai-prices works
that out on every call, through objects built for every request; on the gateway's
hot path that costs more than the rest of the metering. A plan finds the linear
coefficients once per price selection, by asking genai-prices itself on a few
consistent usages, and then prices a request with a handful of multiplications.

Counts that contradict each other (more cached tokens than input) are not planned:
the general path in `_price.py` decides what they cost.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from genai_prices import types as gp
from genai_prices.decompose import compute_leaf_values

from tokenledger.usage import USAGE_FIELDS, Usage

# A usage whose every part is well inside its whole, so that adding one token to any
# count keeps it consistent. The values are arbitrary; only differences matter.
_BASE = Usage(
    input_tokens=4_000_000,
    cache_read_tokens=1_000_000,
    cache_write_tokens=1_000_000,
    cache_write_1h_tokens=100_000,
    input_audio_tokens=100_000,
    cache_audio_read_tokens=10_000,
    output_tokens=4_000_000,
    reasoning_tokens=1_000_000,
    output_audio_tokens=100_000,
    web_searches=1_000,
)


@dataclass(frozen=True, slots=True)
class PlannedUnit:
    part: str
    usage_key: str
    price: Decimal | gp.TieredPrices
    per: int
    # (canonical field, coefficient) pairs: the unit's charged count is their sum.
    terms: tuple[tuple[str, int], ...]
    fixed_count: int | None = None  # per-request fees are charged once


@dataclass(frozen=True, slots=True)
class Plan:
    units: tuple[PlannedUnit, ...]
    reasoning_priced: bool


def build_plan(
    units: tuple[tuple[Any, Decimal | gp.TieredPrices], ...],
    leaves: Any,
) -> Plan:
    """`units` as `priced_units` gives them; `leaves(usage)` genai-prices' leaf counts."""
    base = leaves(_BASE)
    coefficients = {key: _coefficients(key, base, leaves) for key in base}
    planned = []
    for priced, price in units:
        key = priced.unit.usage_key
        fixed = 1 if key == "requests" else None
        terms = () if fixed else coefficients[key]
        planned.append(PlannedUnit(priced.part, key, price, priced.unit.per, terms, fixed))
    reasoning_priced = any(unit.usage_key == "output_reasoning_tokens" for unit in planned)
    return Plan(tuple(planned), reasoning_priced)


def _coefficients(key: str, base: dict[str, int], leaves: Any) -> tuple[tuple[str, int], ...]:
    terms = []
    for name in USAGE_FIELDS:
        bumped = leaves(replace(_BASE, **{name: getattr(_BASE, name) + 1}))
        delta = int(bumped[key]) - int(base[key])
        if delta:
            terms.append((name, delta))
    return tuple(terms)


def leaf_counter(token_units: dict[str, Any], to_genai: Any) -> Any:
    """genai-prices' leaf decomposition as a function of our Usage."""

    def leaves(usage: Usage) -> dict[str, int]:
        values = compute_leaf_values(set(token_units), to_genai(usage), token_units)
        return {key: int(value) for key, value in values.items()}

    return leaves


def apply_plan(plan: Plan, usage: Usage, parts: dict[str, Decimal]) -> None:
    """Add the plan's charges for `usage` into `parts` (breakdown part -> USD)."""
    for unit in plan.units:
        count = unit.fixed_count
        if count is None:
            count = sum(getattr(usage, name) * factor for name, factor in unit.terms)
        if unit.usage_key == "output_tokens" and not plan.reasoning_priced:
            # Reasoning costs what output costs here; it is shown apart all the same.
            thinking = min(usage.reasoning_tokens, count)
            parts["reasoning"] += _charge(unit, thinking, usage)
            count -= thinking
        parts[unit.part] += _charge(unit, count, usage)


def _charge(unit: PlannedUnit, count: int, usage: Usage) -> Decimal:
    # The tier is chosen by the request's whole input, as genai-prices chooses it.
    charged: Decimal = gp.calc_unit_price(unit.price, count, usage.input_tokens, unit.per)
    return charged
