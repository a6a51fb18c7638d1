"""Finding a model in the genai-prices data, cached, and the price units it uses.

tokenledger prices from the data bundled in the installed genai-prices wheel and never
asks genai-prices to update itself over the network: a cost must be reproducible from
the version recorded with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from genai_prices import __version__ as _genai_prices_version
from genai_prices import data_snapshot
from genai_prices import types as gp
from genai_prices.data_units import unit_data
from genai_prices.units import UnitDef, UnitRegistry
from genai_prices.validation import validate_priced_units

PRICE_DATA_VERSION = f"genai-prices {_genai_prices_version}"

# Our upstream names where they differ from the price data's provider ids. Other names
# are matched by genai-prices itself (its ids and its provider_match rules).
_PROVIDER_ALIASES: dict[str, str] = {
    "gemini": "google",
    "google-gla": "google",
    "vertex": "google",
    "vertexai": "google",
    "bedrock": "aws",
    "xai": "x-ai",
    "grok": "x-ai",
    "together-ai": "together",
}

# Model and provider names come from clients and replies; the bound keeps a flood of
# made-up names from growing the cache without limit.
_LOOKUP_CACHE_SIZE = 4096

_REGISTRY = UnitRegistry(unit_data)


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """A model as the price data knows it, and the name that found it."""

    provider: gp.Provider
    model: gp.ModelInfo
    matched_name: str
    # False when the model was found through the provider's fallback to another
    # provider (Google serving Claude): genai-prices then ignores price variants.
    own_model: bool

    @property
    def label(self) -> str:
        return f"{self.provider.id}/{self.model.id}"


@dataclass(frozen=True, slots=True)
class PricedUnit:
    """One price key of a model price: what it counts and which breakdown part it is."""

    price_key: str
    unit: UnitDef
    part: str


def find_entry(name: str, provider: str | None) -> CatalogEntry | None:
    """The price data's entry for model `name` served by `provider`, or None.

    A provider the price data knows limits the search to that provider (and the
    providers it declares it resells); an unknown or absent provider lets genai-prices
    match the name across all providers.
    """
    snapshot = data_snapshot.get_snapshot()
    return _find_entry(id(snapshot), name.lower(), provider.lower() if provider else None)


@lru_cache(maxsize=_LOOKUP_CACHE_SIZE)
def _find_entry(snapshot_id: int, name: str, provider: str | None) -> CatalogEntry | None:
    # snapshot_id is only a cache key: a replaced snapshot must not reuse old entries.
    snapshot = data_snapshot.get_snapshot()
    provider_id = _price_data_provider(snapshot, provider)
    try:
        found_provider, model = snapshot.find_provider_model(name, None, provider_id, None)
    except LookupError:
        return None
    own = any(model is candidate for candidate in found_provider.models)
    return CatalogEntry(found_provider, model, name, own)


def _price_data_provider(
    snapshot: data_snapshot.DataSnapshot, provider: str | None
) -> str | None:
    if provider is None:
        return None
    candidate = _PROVIDER_ALIASES.get(provider, provider)
    try:
        found: gp.Provider = snapshot.find_provider(None, candidate, None)
    except LookupError:
        return None
    return found.id


def priced_units(
    model_price: gp.ModelPrice,
) -> tuple[tuple[PricedUnit, Decimal | gp.TieredPrices], ...]:
    """The price keys a model price sets, each with its value (Decimal or tiers)."""
    values = {
        key: value
        for key, value in model_price.__dict__.items()
        if value is not None and not key.startswith("_")
    }
    units = _units_for(tuple(values))
    return tuple((unit, values[unit.price_key]) for unit in units)


@lru_cache(maxsize=256)
def _units_for(price_keys: tuple[str, ...]) -> tuple[PricedUnit, ...]:
    units: list[PricedUnit] = []
    for key in price_keys:
        try:
            unit = _REGISTRY.unit_for_price_key(key)
        except KeyError:
            # A price key this version does not know is skipped, as genai-prices skips it.
            continue
        units.append(PricedUnit(key, unit, _part(unit)))

    validate_priced_units(tuple(unit.unit for unit in units), _REGISTRY)
    return tuple(units)


def _part(unit: UnitDef) -> str:
    """Which `CostBreakdown` part a unit's charge belongs to."""
    dims = unit.dimensions
    token_type = dims.get("token_type")
    if dims.get("family") != "tokens":
        return "other"
    if token_type in ("cache_read", "cache_write"):
        return token_type
    if token_type == "reasoning":
        return "reasoning"
    if dims.get("direction") == "output":
        return "output"
    return "input"


def price_context(service_tier: str | None) -> dict[str, str] | None:
    """The genai-prices price context for a reply's service tier.

    genai-prices selects OpenAI's flex and priority prices with the context key
    `service_tier`, and batch prices with `processing = "batch"`, so a tier called
    "batch" is sent under that key. Tiers the data has no variant for ("default",
    Anthropic's "standard") select the standard prices.
    """
    if not service_tier:
        return None
    if service_tier == "batch":
        return {"processing": "batch"}
    return {"service_tier": service_tier}
