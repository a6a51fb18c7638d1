"""`ConfigPrice`: a price a user adds or overrides in the config file."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fnmatch import fnmatchcase


@dataclass(frozen=True, slots=True)
class ConfigPrice:
    """Prices in USD per million tokens for the models `model` names (exact or glob).

    `provider`, when set, limits the entry to requests served by the upstream of that
    name. A missing cache read or cache write price means those tokens cost what input
    tokens cost, and a missing reasoning price means reasoning costs what output costs,
    which is how providers without a cache or thinking discount bill them.
    """

    model: str
    input_mtok: Decimal
    output_mtok: Decimal
    cache_read_mtok: Decimal | None = None
    cache_write_mtok: Decimal | None = None
    reasoning_mtok: Decimal | None = None
    provider: str | None = None

    def matches(self, model: str, provider: str | None) -> bool:
        if self.provider is not None and (provider or "").lower() != self.provider.lower():
            return False
        return fnmatchcase(model.lower(), self.model.lower())

    @property
    def label(self) -> str:
        """How audits name this entry: "config/my-model" or "config/ollama/qwen3*"."""
        if self.provider is None:
            return f"config/{self.model}"
        return f"config/{self.provider}/{self.model}"

    def prices_mtok(self) -> dict[str, Decimal]:
        """Each price per million tokens, with the fallbacks above applied."""
        return {
            "input": self.input_mtok,
            "cache read": _or(self.cache_read_mtok, self.input_mtok),
            "cache write": _or(self.cache_write_mtok, self.input_mtok),
            "output": self.output_mtok,
            "reasoning": _or(self.reasoning_mtok, self.output_mtok),
        }


def _or(value: Decimal | None, fallback: Decimal) -> Decimal:
    return fallback if value is None else value
