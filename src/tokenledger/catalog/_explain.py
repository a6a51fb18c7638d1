"""`explain_price` and `context_window`: what a model will be charged, and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from genai_prices import data_snapshot
from genai_prices import types as gp

from tokenledger.catalog._cost import CostSource
from tokenledger.catalog._lookup import (
    PRICE_DATA_VERSION,
    CatalogEntry,
    PricedUnit,
    _price_data_provider,
    find_entry,
    priced_units,
)
from tokenledger.config import Config, ConfigPrice

_UNIT_WORDS = {1_000_000: "per MTok", 1_000: "per 1K", 3_600: "per hour", 60: "per minute"}


@dataclass(frozen=True, slots=True)
class PriceLine:
    """One price: `usd` per `per` units of `name`, with the tiers that replace it.

    Each tier is (input tokens above which it applies, price); past a tier's start the
    whole request pays the tier's price.
    """

    name: str
    usd: Decimal
    per: str
    tiers: tuple[tuple[int, Decimal], ...] = ()

    def text(self) -> str:
        shown = f"{self.name}: ${self.usd} {self.per}"
        for start, price in self.tiers:
            shown += f"; ${price} when the prompt exceeds {start:,} tokens"
        return shown


@dataclass(frozen=True, slots=True)
class PriceExplanation:
    """Plain data for `tokenledger prices MODEL`: which entry prices a model and at what."""

    model: str
    provider: str | None
    at: datetime
    source: CostSource
    # "openai/gpt-5-nano" or "config/my-model"; None when nothing matched.
    price_entry: str | None = None
    # The name that found the entry: the model itself, or the config entry's glob.
    matched_by: str | None = None
    price_version: str | None = None
    prices: tuple[PriceLine, ...] = ()
    context_window: int | None = None
    # Price contexts with their own prices, as "service_tier=flex" or "processing=batch".
    variants: tuple[str, ...] = ()
    note: str | None = None

    def lines(self) -> list[str]:
        """The explanation as lines of text, for a terminal."""
        served = f" from {self.provider}" if self.provider else ""
        shown = [f"{self.model}{served} at {self.at.isoformat()}: {self._verdict()}"]
        if self.price_version:
            shown.append(f"price data: {self.price_version}")
        shown.extend(f"  {line.text()}" for line in self.prices)
        if self.context_window is not None:
            shown.append(f"context window: {self.context_window:,} tokens")
        if self.variants:
            shown.append(f"other prices for: {', '.join(self.variants)}")
        if self.note:
            shown.append(self.note)
        return shown

    def _verdict(self) -> str:
        if self.source == "local":
            return f"local upstream {self.provider}: cost 0"
        if self.price_entry is None:
            return "no price known"
        return f"priced by {self.price_entry} (matched by {self.matched_by!r})"


def explain_price(
    model: str,
    provider: str | None = None,
    at: datetime | None = None,
    config: Config | None = None,
) -> PriceExplanation:
    """Say which price `price_usage` would apply to `model` at `at` (default: now), and why.

    Follows the same order as `price_usage`, except that there is no reply, so no
    provider-reported cost and no requested-name fallback.
    """
    when = at or datetime.now(tz=UTC)
    found = find_entry(model, provider)
    window = found.model.context_window if found else None

    upstream = config.upstream(provider) if config is not None and provider else None
    if upstream is not None and upstream.local:
        return PriceExplanation(model, provider, when, "local", context_window=window)

    entry = config.price_for(model, provider) if config is not None else None
    if entry is not None and config is not None:
        return _from_config(model, provider, when, entry, config.version, window)
    if found is not None:
        return _from_catalog(model, provider, when, found)

    note = f"no price in {PRICE_DATA_VERSION} or the config file: its cost will be unknown"
    return PriceExplanation(model, provider, when, "unknown", note=note)


def _from_config(
    model: str,
    provider: str | None,
    at: datetime,
    entry: ConfigPrice,
    version: str | None,
    window: int | None,
) -> PriceExplanation:
    lines = tuple(PriceLine(name, usd, "per MTok") for name, usd in entry.prices_mtok().items())
    return PriceExplanation(
        model,
        provider,
        at,
        "config",
        price_entry=entry.label,
        matched_by=entry.model,
        price_version=version,
        prices=lines,
        context_window=window,
    )


def _from_catalog(
    model: str, provider: str | None, at: datetime, found: CatalogEntry
) -> PriceExplanation:
    model_price = found.model.get_prices(at)
    lines = tuple(_line(unit, price) for unit, price in priced_units(model_price))
    return PriceExplanation(
        model,
        provider,
        at,
        "catalog",
        price_entry=found.label,
        matched_by=found.matched_name,
        price_version=PRICE_DATA_VERSION,
        prices=lines,
        context_window=found.model.context_window,
        variants=_variants(found.model, at) if found.own_model else (),
        note=found.model.price_comments,
    )


def _line(unit: PricedUnit, price: Decimal | gp.TieredPrices) -> PriceLine:
    name = unit.unit.usage_key.removesuffix("_tokens").replace("_", " ")
    per = _UNIT_WORDS.get(unit.unit.per, f"per {unit.unit.per:,}")
    if isinstance(price, gp.TieredPrices):
        tiers = tuple((tier.start, tier.price) for tier in price.tiers)
        return PriceLine(name, price.base, per, tiers)
    return PriceLine(name, price, per)


def _variants(model: gp.ModelInfo, at: datetime) -> tuple[str, ...]:
    shown: list[str] = []
    for variant in model.price_variants or ():
        if variant.constraint is not None and not variant.constraint.active(at):
            continue
        if any(value is not None for value in variant.prices.__dict__.values()):
            shown.extend(f"{key}={value}" for key, value in variant.when.items())
    return tuple(dict.fromkeys(shown))


def context_window(model: str, provider: str | None = None) -> int | None:
    """The model's context window in tokens, as the price data states it; None if unknown."""
    found = find_entry(model, provider)
    return found.model.context_window if found else None


def provider_known(provider: str, config: Config | None = None) -> bool:
    """Whether `provider` names a configured upstream or a provider of the price data."""
    if config is not None and config.upstream(provider) is not None:
        return True
    snapshot = data_snapshot.get_snapshot()
    return _price_data_provider(snapshot, provider.lower()) is not None


def known_providers(config: Config | None = None) -> tuple[str, ...]:
    """Configured upstream names, then the price data's provider ids, for messages."""
    upstreams = tuple(upstream.name for upstream in config.upstreams) if config else ()
    catalog = tuple(provider.id for provider in data_snapshot.get_snapshot().providers)
    return tuple(dict.fromkeys((*upstreams, *catalog)))
