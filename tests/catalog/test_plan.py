"""The cached pricing plan gives exactly what genai-prices' own steps give."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from genai_prices.data_snapshot import get_snapshot

from tokenledger.catalog._lookup import find_entry, price_context
from tokenledger.catalog._price import _PARTS, _general_parts, catalog_parts
from tokenledger.usage import Usage

AT = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
PROVIDERS = ("openai", "anthropic", "google", "deepseek", "mistral", "x-ai", "groq")


def random_usage(rng: random.Random) -> Usage:
    """A consistent usage: every part within its whole, sizes across the tier bounds."""
    input_tokens = rng.choice([0, 1, 7, 1_000, 128_000, 200_001, 300_000, 1_500_000])
    cache_read = rng.randint(0, input_tokens // 3)
    cache_write = rng.randint(0, input_tokens // 3)
    audio = rng.randint(0, input_tokens // 3)
    output_tokens = rng.choice([0, 1, 13, 4_000, 70_000])
    return Usage(
        input_tokens=input_tokens,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        cache_write_1h_tokens=rng.randint(0, cache_write),
        input_audio_tokens=audio,
        cache_audio_read_tokens=rng.randint(0, min(audio, cache_read)),
        output_tokens=output_tokens,
        reasoning_tokens=rng.randint(0, output_tokens),
        output_audio_tokens=rng.randint(0, output_tokens // 4),
        web_searches=rng.choice([0, 0, 1, 3]),
    )


def test_plan_parts_equal_the_general_path_for_every_model_and_tier() -> None:
    rng = random.Random(20261204)
    snapshot = get_snapshot()
    compared = 0
    for provider in snapshot.providers:
        if provider.id not in PROVIDERS:
            continue
        for model in provider.models:
            entry = find_entry(model.id, provider.id)
            if entry is None:
                continue
            for tier in (None, "flex", "priority", "batch"):
                usage = random_usage(rng)
                context = price_context(tier) if entry.own_model else None
                model_price = entry.model.get_prices(AT, context)
                try:
                    expected = _general_parts(model_price, usage)
                except ValueError:
                    continue
                assert catalog_parts(entry, usage, AT, tier) == expected, (
                    model.id,
                    tier,
                    usage,
                )
                compared += 1
    assert compared > 400
    assert set(expected) == set(_PARTS)


def test_price_data_changes_prices_only_at_whole_minutes() -> None:
    # The catalog caches the selected prices per minute; that is right only while
    # every date and time-of-day constraint in the data falls on a whole minute.
    from genai_prices import types as gp

    seen = 0
    for provider in get_snapshot().providers:
        for model in provider.models:
            conditional = model.prices if isinstance(model.prices, list) else []
            constraints = [c.constraint for c in conditional]
            constraints += [v.constraint for v in model.price_variants or []]
            for constraint in constraints:
                if isinstance(constraint, gp.TimeOfDateConstraint):
                    seen += 1
                    for moment in (constraint.start_time, constraint.end_time):
                        assert (moment.second, moment.microsecond) == (0, 0), model.id
    assert seen > 0
