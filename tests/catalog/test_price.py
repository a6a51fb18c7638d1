"""price_usage against hand-checked figures, and against genai-prices' own totals."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from genai_prices import calc_price
from genai_prices.data_snapshot import get_snapshot

from tokenledger.catalog import Cost, price_usage
from tokenledger.catalog._price import genai_usage
from tokenledger.config import Config, load_config
from tokenledger.usage import Usage

AT = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
USAGE_KEYS = ("input_tokens", "cache_read_tokens", "cache_write_tokens")
USAGE_KEYS_OUT = ("output_tokens", "reasoning_tokens")


def price(
    usage: Usage,
    model: str | None,
    provider: str | None,
    *,
    requested: str | None = None,
    at: datetime = AT,
    provider_cost_usd: Decimal | None = None,
    local: bool = False,
    service_tier: str | None = None,
    config: Config | None = None,
) -> Cost:
    return price_usage(
        usage,
        model=model,
        model_requested=requested,
        provider=provider,
        at=at,
        provider_cost_usd=provider_cost_usd,
        local=local,
        service_tier=service_tier,
        config=config,
    )


def assert_adds_up(cost: Cost) -> None:
    assert cost.breakdown is not None
    parts = cost.breakdown
    total = (
        parts.input_usd
        + parts.cache_read_usd
        + parts.cache_write_usd
        + parts.output_usd
        + parts.reasoning_usd
        + parts.other_usd
    )
    assert total == cost.total_usd


@pytest.mark.parametrize(
    ("model", "provider", "usage", "expected"),
    [
        (
            "gpt-5-nano-2025-08-07",
            "openai",
            Usage(input_tokens=13, output_tokens=138, reasoning_tokens=128),
            "0.00005585",
        ),
        (
            "gpt-4.1-nano-2025-04-14",
            "openai",
            Usage(input_tokens=14, output_tokens=7),
            "0.0000042",
        ),
        (
            "claude-haiku-4-5-20251001",
            "anthropic",
            Usage(input_tokens=7361, cache_write_tokens=7351, output_tokens=4),
            "0.00921875",
        ),
        (
            "claude-haiku-4-5-20251001",
            "anthropic",
            Usage(input_tokens=7361, cache_read_tokens=7351, output_tokens=4),
            "0.0007651",
        ),
        (
            "gemini-2.5-flash",
            "gemini",
            Usage(input_tokens=8, output_tokens=28, reasoning_tokens=21),
            "0.0000724",
        ),
        ("gemini-2.5-flash", "gemini", Usage(input_tokens=13, output_tokens=208), "0.0005239"),
        (
            "deepseek-v4-flash",
            "deepseek",
            Usage(input_tokens=11, output_tokens=8),
            "0.00000645",
        ),
    ],
)
def test_recorded_exchanges_cost_what_the_price_pages_say(
    model: str, provider: str, usage: Usage, expected: str
) -> None:
    cost = price(usage, model, provider)

    assert cost.total_usd == Decimal(expected)
    assert cost.source == "catalog"
    assert cost.price_version == "genai-prices 0.2.3"
    assert_adds_up(cost)


def test_price_entry_names_provider_and_model() -> None:
    cost = price(Usage(input_tokens=13, output_tokens=138), "gpt-5-nano-2025-08-07", "openai")

    assert cost.price_entry == "openai/gpt-5-nano"


def test_reasoning_is_shown_apart_at_the_output_rate() -> None:
    usage = Usage(input_tokens=13, output_tokens=138, reasoning_tokens=128)

    cost = price(usage, "gpt-5-nano-2025-08-07", "openai")

    assert cost.breakdown is not None
    assert cost.breakdown.reasoning_usd == Decimal("0.0000512")
    assert cost.breakdown.output_usd == Decimal("0.000004")


def test_deepseek_off_peak_hours_double_the_price_at_two_in_the_morning() -> None:
    usage = Usage(input_tokens=11, output_tokens=8)
    night = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)

    cost = price(usage, "deepseek-v4-flash", "deepseek", at=night)

    assert cost.total_usd == Decimal("0.0000129")


def test_the_model_that_ran_is_priced_not_the_requested_alias() -> None:
    usage = Usage(input_tokens=11, output_tokens=8)

    cost = price(usage, "deepseek-v4-flash", "deepseek", requested="deepseek-chat")

    assert cost.price_entry == "deepseek/deepseek-v4-flash"
    assert cost.total_usd == Decimal("0.00000645")


def test_requested_name_is_the_fallback_when_the_model_that_ran_is_unknown() -> None:
    usage = Usage(input_tokens=14, output_tokens=7)

    cost = price(usage, "acme-snapshot-7", "openai", requested="gpt-4.1-nano")

    assert cost.price_entry == "openai/gpt-4.1-nano"
    assert cost.total_usd == Decimal("0.0000042")


def test_a_model_without_price_is_unknown_never_zero() -> None:
    cost = price(Usage(input_tokens=17, output_tokens=425), "qwen3", "ollama")

    assert cost.total_usd is None
    assert cost.source == "unknown"
    assert not cost.known
    assert cost.note is not None and "qwen3" in cost.note


def test_no_model_name_at_all_is_unknown() -> None:
    cost = price(Usage(input_tokens=1), "", "openai")

    assert cost.total_usd is None
    assert cost.note is not None


def test_a_local_upstream_costs_zero_by_statement() -> None:
    cost = price(Usage(input_tokens=17, output_tokens=425), "qwen3", "ollama", local=True)

    assert cost.total_usd == Decimal(0)
    assert cost.source == "local"
    assert_adds_up(cost)


def test_a_provider_reported_cost_wins() -> None:
    usage = Usage(input_tokens=14, output_tokens=7)

    cost = price(usage, "gpt-4.1-nano", "openrouter", provider_cost_usd=Decimal("0.00123"))

    assert cost.total_usd == Decimal("0.00123")
    assert cost.source == "provider"
    assert cost.breakdown is None


def test_one_hour_cache_writes_pay_their_own_rate() -> None:
    usage = Usage(
        input_tokens=10_000,
        cache_write_tokens=8_000,
        cache_write_1h_tokens=3_000,
        output_tokens=100,
    )

    cost = price(usage, "claude-haiku-4-5-20251001", "anthropic")

    # 2,000 uncached at $1, 5,000 five-minute writes at $1.25, 3,000 one-hour writes at $2
    # and 100 output at $5, per million.
    assert cost.total_usd == Decimal("0.01475")
    assert cost.breakdown is not None
    assert cost.breakdown.cache_write_usd == Decimal("0.01225")
    assert_adds_up(cost)


def test_a_long_prompt_moves_the_whole_request_to_the_higher_tier() -> None:
    at_threshold = Usage(input_tokens=200_000, output_tokens=1_000)
    past_threshold = Usage(input_tokens=200_001, output_tokens=1_000)

    below = price(at_threshold, "gemini-2.5-pro", "gemini")
    above = price(past_threshold, "gemini-2.5-pro", "gemini")

    assert below.total_usd == Decimal("0.26")
    assert above.total_usd == Decimal("0.5150025")


@pytest.mark.parametrize(
    ("tier", "expected"),
    [(None, "0.0000042"), ("default", "0.0000042"), ("priority", "0.0000084")],
)
def test_service_tier_selects_its_price_variant(tier: str | None, expected: str) -> None:
    usage = Usage(input_tokens=14, output_tokens=7)

    cost = price(usage, "gpt-4.1-nano-2025-04-14", "openai", service_tier=tier)

    assert cost.total_usd == Decimal(expected)


def test_flex_and_batch_halve_gpt_5_nano() -> None:
    usage = Usage(input_tokens=13, output_tokens=138, reasoning_tokens=128)

    flex = price(usage, "gpt-5-nano", "openai", service_tier="flex")
    batch = price(usage, "gpt-5-nano", "openai", service_tier="batch")

    assert flex.total_usd == batch.total_usd == Decimal("0.000027925")


def test_a_variant_does_not_apply_before_it_existed() -> None:
    usage = Usage(input_tokens=14, output_tokens=7)
    before = datetime(2026, 6, 1, 12, tzinfo=UTC)

    cost = price(usage, "gpt-4.1-nano", "openai", service_tier="priority", at=before)

    assert cost.total_usd == Decimal("0.0000042")


def test_web_searches_are_charged_per_call_as_other() -> None:
    usage = Usage(input_tokens=13, output_tokens=138, reasoning_tokens=128, web_searches=2)

    cost = price(usage, "gpt-5-nano-2025-08-07", "openai")

    assert cost.total_usd == Decimal("0.02005585")
    assert cost.breakdown is not None
    assert cost.breakdown.other_usd == Decimal("0.02")


def test_audio_input_pays_the_audio_rate() -> None:
    usage = Usage(input_tokens=1_000, input_audio_tokens=400, output_tokens=10)

    cost = price(usage, "gemini-2.5-flash", "gemini")

    assert cost.total_usd == Decimal("0.000605")


def test_an_unknown_provider_lets_the_model_name_find_the_price() -> None:
    cost = price(Usage(input_tokens=14, output_tokens=7), "gpt-4.1-nano", "my-proxy")

    assert cost.price_entry == "openai/gpt-4.1-nano"


def test_counts_that_contradict_each_other_are_unknown_with_a_reason() -> None:
    usage = Usage(input_tokens=10, cache_read_tokens=50, output_tokens=1)

    cost = price(usage, "gpt-4.1-nano", "openai")

    assert cost.total_usd is None
    assert cost.note is not None and "cache_read_tokens" in cost.note


def write_config(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "tokenledger.toml"
    path.write_text(text)
    return load_config(path, env={})


def test_a_config_price_overrides_the_price_data(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        """
        [prices."gpt-4.1-nano*"]
        input_mtok = 1
        output_mtok = 2.5
        """,
    )
    usage = Usage(input_tokens=1_000, output_tokens=100)

    cost = price(usage, "gpt-4.1-nano-2025-04-14", "openai", config=config)

    assert cost.source == "config"
    assert cost.total_usd == Decimal("0.00125")
    assert cost.price_entry == "config/gpt-4.1-nano*"
    assert cost.price_version == config.version
    assert_adds_up(cost)


def test_a_config_price_adds_a_model_the_data_lacks(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        """
        [prices.qwen3]
        provider = "ollama"
        input_mtok = "0.15"
        cache_read_mtok = 0.015
        output_mtok = 0.6
        reasoning_mtok = 0.3
        """,
    )
    usage = Usage(
        input_tokens=1_000, cache_read_tokens=400, output_tokens=100, reasoning_tokens=40
    )

    cost = price(usage, "qwen3", "ollama", config=config)
    elsewhere = price(usage, "qwen3", "vllm", config=config)

    # 600 x 0.15 + 400 x 0.015 + 60 x 0.6 + 40 x 0.3, per million
    assert cost.total_usd == Decimal("0.000144")
    assert_adds_up(cost)
    assert elsewhere.total_usd is None


def test_config_price_has_no_search_fee_and_says_so(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[prices.m]\ninput_mtok = 1\noutput_mtok = 1\n")

    cost = price(Usage(input_tokens=1, web_searches=1), "m", None, config=config)

    assert cost.total_usd == Decimal("0.000001")
    assert cost.note is not None and "web searches" in cost.note


PROVIDERS_CHECKED = ("openai", "anthropic", "google", "deepseek", "mistral", "x-ai", "groq")


def every_model() -> list[tuple[str, str]]:
    snapshot = get_snapshot()
    return [
        (provider.id, model.id)
        for provider in snapshot.providers
        if provider.id in PROVIDERS_CHECKED
        for model in provider.models
    ]


@pytest.mark.parametrize("tier", [None, "flex", "priority", "batch"])
def test_totals_equal_genai_prices_own_calculation_for_every_model(tier: str | None) -> None:
    usage = Usage(
        input_tokens=250_000,
        cache_read_tokens=1_000,
        cache_write_tokens=2_000,
        cache_write_1h_tokens=500,
        output_tokens=3_000,
        reasoning_tokens=1_000,
        web_searches=1,
    )
    context = (
        None
        if tier is None
        else ({"processing": "batch"} if tier == "batch" else {"service_tier": tier})
    )
    checked = 0
    for provider_id, model_id in every_model():
        cost = price(usage, model_id, provider_id, service_tier=tier)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = calc_price(
                    genai_usage(usage),
                    model_id,
                    provider_id=provider_id,
                    genai_request_timestamp=AT,
                    price_context=context,
                ).total_price
        except (ValueError, LookupError):
            # Bad counts for this model's prices, or an id its own match rule rejects.
            assert cost.total_usd is None, (provider_id, model_id)
            continue
        assert cost.total_usd == expected, (provider_id, model_id)
        assert_adds_up(cost)
        checked += 1
    assert checked > 100


FILE_PROVIDERS = {"openai": "openai", "anthropic": "anthropic", "gemini": "gemini"}
FILE_PROVIDERS |= {"deepseek": "deepseek", "ollama": "ollama"}


def test_every_expected_cost_of_the_recorded_exchanges(wire_fixtures: Path) -> None:
    expected = json.loads((wire_fixtures.parent / "expected.json").read_text())
    for row in expected:
        usage = Usage(**{key: row[key] for key in USAGE_KEYS + USAGE_KEYS_OUT})
        provider = FILE_PROVIDERS[row["file"].split("-")[0]]

        cost = price(usage, row["model"], provider)

        want = None if row["cost_usd"] is None else Decimal(row["cost_usd"])
        assert cost.total_usd == want, row
