"""`Usage`: what one request consumed, in the OpenTelemetry GenAI meaning.

`input_tokens` counts every token the model read, cached or not; the cache counts are
parts of it. `output_tokens` counts every token produced; `reasoning_tokens` is a part
of it. Providers that report differently are translated by the wire adapters, never
here: this module imports nothing of ours.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from tokenledger.errors import InvalidUsageError

# Far above any context window, far below what a 64-bit column holds even summed over
# billions of requests: a larger count is a malformed reply, not usage.
MAX_TOKENS = 2**40


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one request (or the sum of several).

    The modality and TTL counts are parts of the totals above them, kept only where a
    provider splits them and prices the parts differently.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    # Part of cache_write_tokens written with a one-hour lifetime (Anthropic prices it
    # higher than the default five minutes).
    cache_write_1h_tokens: int = 0
    reasoning_tokens: int = 0
    input_audio_tokens: int = 0
    cache_audio_read_tokens: int = 0
    output_audio_tokens: int = 0
    # Server-side tool calls billed per call, not per token.
    web_searches: int = 0

    def __post_init__(self) -> None:
        for name in USAGE_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidUsageError(
                    f"{name} must be a whole number of tokens, got {value!r}"
                )
            if value < 0:
                raise InvalidUsageError(f"{name} cannot be negative, got {value}")
            if value > MAX_TOKENS:
                raise InvalidUsageError(
                    f"{name} of {value} is beyond any real request (at most {MAX_TOKENS})"
                )

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def cache_write_5m_tokens(self) -> int:
        return self.cache_write_tokens - self.cache_write_1h_tokens

    def __add__(self, other: object) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(
            **{name: getattr(self, name) + getattr(other, name) for name in USAGE_FIELDS}
        )

    def __radd__(self, other: object) -> Usage:
        # Lets sum() start from its integer 0.
        if other == 0:
            return self
        return self.__add__(other)

    @property
    def anomalies(self) -> tuple[str, ...]:
        """Ways these counts break the canonical meaning, as reported by a provider.

        Such counts are stored as reported and flagged, never corrected or dropped: the
        provider's numbers are the bill, and a flag lets a person look.
        """
        found: list[str] = []
        if self.cache_read_tokens + self.cache_write_tokens > self.input_tokens:
            found.append("cache_exceeds_input")
        if self.cache_write_1h_tokens > self.cache_write_tokens:
            found.append("cache_write_1h_exceeds_cache_write")
        if self.reasoning_tokens > self.output_tokens:
            found.append("reasoning_exceeds_output")
        if self.input_audio_tokens > self.input_tokens:
            found.append("audio_exceeds_input")
        if self.output_audio_tokens > self.output_tokens:
            found.append("audio_exceeds_output")
        return tuple(found)

    def as_dict(self) -> dict[str, int]:
        values = {name: getattr(self, name) for name in USAGE_FIELDS}
        values["total_tokens"] = self.total_tokens
        return values

    @classmethod
    def from_counts(cls, **counts: Any) -> Usage:
        """Build from counts that may be missing (None means the provider sent none)."""
        return cls(**{name: value for name, value in counts.items() if value is not None})


USAGE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Usage))
