"""`price_usage`: what one request cost, and which rule decided it.

The rules, first match wins:

1. the provider reported its own cost (OpenRouter's `usage.cost`): that is the bill;
2. the upstream is local: zero, by the user's statement in the config file;
3. a config price entry matches the model that ran, or else the requested name;
4. the genai-prices data knows the model that ran, or else the requested name;
5. otherwise the cost is unknown (`total_usd` None) and says why; never a silent zero.

A config entry wins over the price data for either name because it is the user's
override. Prices are those in force at `at`, the moment the request was made: the
data selects prices by date, by time of day (DeepSeek's off-peak hours) and by the
size of the prompt (long-context tiers, where the whole request moves to the higher
rate).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from genai_prices import types as gp
from genai_prices.decompose import compute_leaf_values

from tokenledger.catalog._cost import Cost, CostBreakdown
from tokenledger.catalog._lookup import (
    PRICE_DATA_VERSION,
    CatalogEntry,
    find_entry,
    price_context,
    priced_units,
)
from tokenledger.catalog._plan import Plan, apply_plan, build_plan, leaf_counter
from tokenledger.config import Config, ConfigPrice
from tokenledger.usage import Usage

_ZERO = Decimal(0)
_MTOK = Decimal(1_000_000)
_PARTS = ("input", "cache_read", "cache_write", "output", "reasoning", "other")


def price_usage(
    usage: Usage,
    *,
    model: str | None,
    model_requested: str | None,
    provider: str | None,
    at: datetime,
    provider_cost_usd: Decimal | None = None,
    local: bool = False,
    service_tier: str | None = None,
    config: Config | None = None,
) -> Cost:
    """Price `usage` of a request to `model` (as the reply named it) at the moment `at`.

    `provider` is the upstream's name ("openai", "gemini", "deepseek", "ollama"...);
    `service_tier` is the tier the reply reports ("flex", "priority", "batch").
    A provider-reported cost has no breakdown; every other known cost has one whose
    parts add up exactly to the total.
    """
    if provider_cost_usd is not None:
        return _provider_cost(provider_cost_usd, model or model_requested, provider)
    if local:
        return _local_cost(model or model_requested)

    names = _names(model, model_requested)
    if config is not None:
        for name in names:
            if (entry := config.price_for(name, provider)) is not None:
                return _config_cost(entry, usage, config.version)

    for name in names:
        if (found := find_entry(name, provider)) is not None:
            return _catalog_cost(found, usage, at, service_tier)
    return _unknown(names, provider)


def _names(model: str | None, model_requested: str | None) -> tuple[str, ...]:
    # The model that ran is what was billed; the requested name is the fallback for
    # snapshots the data does not know yet. Azure may name the empty string.
    names = [name for name in (model, model_requested) if name]
    return tuple(dict.fromkeys(names))


def _provider_cost(total_usd: Decimal, model: str | None, provider: str | None) -> Cost:
    entry = f"{provider or 'provider'}/{model}" if model else provider
    return Cost(total_usd=total_usd, source="provider", price_entry=entry)


def _local_cost(model: str | None) -> Cost:
    return Cost(
        total_usd=_ZERO,
        source="local",
        price_entry=f"local/{model}" if model else "local",
        breakdown=CostBreakdown(_ZERO, _ZERO, _ZERO, _ZERO, _ZERO, _ZERO),
    )


def _unknown(names: tuple[str, ...], provider: str | None) -> Cost:
    if not names:
        note = "the reply and the request named no model, so no price applies"
    else:
        shown = " or ".join(repr(name) for name in names)
        served = f" served by {provider!r}" if provider else ""
        note = (
            f"no price for {shown}{served} in {PRICE_DATA_VERSION} or the config file; "
            f'add a [prices."{names[0]}"] entry to the config file'
        )
    return Cost(total_usd=None, source="unknown", note=note)


def _catalog_cost(
    entry: CatalogEntry, usage: Usage, at: datetime, service_tier: str | None
) -> Cost:
    try:
        parts = catalog_parts(entry, usage, at, service_tier)
    except ValueError as error:
        # genai-prices refuses counts that contradict each other (more cached tokens
        # than input tokens); the provider's numbers are then stored but not priced.
        note = f"the usage cannot be priced by {entry.label}: {error}"
        return Cost(
            None,
            "unknown",
            price_entry=entry.label,
            price_version=PRICE_DATA_VERSION,
            note=note,
        )
    return _cost_from_parts(parts, "catalog", entry.label, PRICE_DATA_VERSION)


def catalog_parts(
    entry: CatalogEntry, usage: Usage, at: datetime, service_tier: str | None
) -> dict[str, Decimal]:
    """The cost of `usage` under `entry`'s prices at `at`, split into breakdown parts.

    Uses genai-prices' own steps (price selection, leaf decomposition, tier selection)
    so the total equals its `calc_price`, while keeping the parts it sums away.
    """
    # genai-prices applies variants only to a provider's own models, not to models it
    # prices through a fallback provider; the same rule keeps the totals equal.
    context = price_context(service_tier) if entry.own_model else None
    if usage.anomalies:
        # Contradictory counts: genai-prices decides (it refuses most of them).
        return _general_parts(entry.model.get_prices(at, context), usage)

    parts = dict.fromkeys(_PARTS, _ZERO)
    apply_plan(_selected_plan(entry, at, context), usage, parts)
    return parts


def _selected_plan(entry: CatalogEntry, at: datetime, context: Any) -> Plan:
    """The plan for the prices in force at `at`, cached for that minute.

    Prices change by date and by time of day at whole minutes (the price data's
    constraints are checked to be minute-aligned by the catalog tests), so every
    request in the same minute selects the same prices.
    """
    minute = at.replace(second=0, microsecond=0)
    context_key = tuple(sorted(context.items())) if context else ()
    key = (id(entry.model), context_key, minute)
    found = _SELECTIONS.get(key)
    if found is not None and found[0] is entry.model:
        return found[1]
    plan = _plan_for(entry.model.get_prices(minute, context))
    if len(_SELECTIONS) > 4096:
        _SELECTIONS.clear()
    _SELECTIONS[key] = (entry.model, plan)
    return plan


_SELECTIONS: dict[tuple[int, tuple[tuple[str, str], ...], datetime], tuple[Any, Plan]] = {}


def _plan_for(model_price: gp.ModelPrice) -> Plan:
    # Keyed by the prices themselves: a price variant or date selection may hand back a
    # new ModelPrice object each time for the same prices.
    key = tuple(
        (name, repr(value))
        for name, value in model_price.__dict__.items()
        if value is not None and not name.startswith("_")
    )
    plan = _PLANS.get(key)
    if plan is None:
        units = priced_units(model_price)
        token_units = {
            u.unit.usage_key: u.unit for u, _ in units if u.unit.usage_key != "requests"
        }
        plan = build_plan(units, leaf_counter(token_units, genai_usage))
        if len(_PLANS) > 4096:
            _PLANS.clear()
        _PLANS[key] = plan
    return plan


_PLANS: dict[tuple[tuple[str, str], ...], Plan] = {}


def _general_parts(model_price: gp.ModelPrice, usage: Usage) -> dict[str, Decimal]:
    """genai-prices' own steps on every call; for counts a plan does not cover."""
    units = priced_units(model_price)
    token_units = {u.unit.usage_key: u.unit for u, _ in units if u.unit.usage_key != "requests"}
    leaves = compute_leaf_values(set(token_units), genai_usage(usage), token_units)
    reasoning_priced = "output_reasoning_tokens" in token_units

    parts = dict.fromkeys(_PARTS, _ZERO)
    for priced, price in units:
        usage_key = priced.unit.usage_key
        count = 1 if usage_key == "requests" else int(leaves[usage_key])
        if usage_key == "output_tokens" and not reasoning_priced:
            thinking = min(usage.reasoning_tokens, count)
            parts["reasoning"] += _charge(price, thinking, usage, priced.unit.per)
            count -= thinking
        parts[priced.part] += _charge(price, count, usage, priced.unit.per)
    return parts


def _charge(price: Decimal | gp.TieredPrices, count: int, usage: Usage, per: int) -> Decimal:
    # The tier is chosen by the request's whole input, as genai-prices chooses it.
    return gp.calc_unit_price(price, count, usage.input_tokens, per)


def genai_usage(usage: Usage) -> gp.Usage:
    """Canonical usage in genai-prices' terms.

    Every count is given explicitly: genai-prices refuses a five-minute or one-hour
    cache write part without the cache write total, and reasoning is its
    `output_reasoning_tokens`, a part of `output_tokens` just as in ours.
    """
    return gp.Usage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        cache_write_5m_tokens=usage.cache_write_5m_tokens,
        cache_write_1h_tokens=usage.cache_write_1h_tokens,
        output_reasoning_tokens=usage.reasoning_tokens,
        input_audio_tokens=usage.input_audio_tokens,
        cache_audio_read_tokens=usage.cache_audio_read_tokens,
        output_audio_tokens=usage.output_audio_tokens,
        web_searches=usage.web_searches,
    )


def _config_cost(entry: ConfigPrice, usage: Usage, version: str | None) -> Cost:
    """Price with a config entry.

    Config entries have one cache write price (no one-hour rate), no audio prices
    (audio tokens cost what text tokens cost) and no per-search fee: web searches
    are not charged by a config entry, and the cost's note says so.
    """
    anomalies = usage.anomalies
    if anomalies:
        note = f"the usage cannot be priced by {entry.label}: {', '.join(anomalies)}"
        return Cost(None, "unknown", price_entry=entry.label, price_version=version, note=note)

    prices = entry.prices_mtok()
    uncached = usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens
    parts = {
        "input": uncached * prices["input"] / _MTOK,
        "cache_read": usage.cache_read_tokens * prices["cache read"] / _MTOK,
        "cache_write": usage.cache_write_tokens * prices["cache write"] / _MTOK,
        "output": (usage.output_tokens - usage.reasoning_tokens) * prices["output"] / _MTOK,
        "reasoning": usage.reasoning_tokens * prices["reasoning"] / _MTOK,
        "other": _ZERO,
    }
    caveat = "web searches are not priced by config entries" if usage.web_searches else None
    return _cost_from_parts(parts, "config", entry.label, version, caveat)


def _cost_from_parts(
    parts: dict[str, Decimal],
    source: Literal["catalog", "config"],
    price_entry: str,
    price_version: str | None,
    note: str | None = None,
) -> Cost:
    breakdown = CostBreakdown(
        input_usd=parts["input"],
        cache_read_usd=parts["cache_read"],
        cache_write_usd=parts["cache_write"],
        output_usd=parts["output"],
        reasoning_usd=parts["reasoning"],
        other_usd=parts["other"],
    )
    total = sum(parts.values(), _ZERO)
    return Cost(
        total_usd=total,
        source=source,
        price_entry=price_entry,
        price_version=price_version,
        breakdown=breakdown,
        note=note,
    )
