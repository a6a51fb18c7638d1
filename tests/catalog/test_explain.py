"""explain_price, context_window and the package's public names."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import tokenledger.catalog
import tokenledger.config
from tokenledger.catalog import PriceLine, context_window, explain_price
from tokenledger.config import load_config

AT = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def test_explains_a_catalog_price() -> None:
    explained = explain_price("gpt-5-nano-2025-08-07", "openai", at=AT)

    assert explained.source == "catalog"
    assert explained.price_entry == "openai/gpt-5-nano"
    assert explained.matched_by == "gpt-5-nano-2025-08-07"
    assert explained.price_version == "genai-prices 0.2.3"
    assert PriceLine("input", Decimal("0.05"), "per MTok") in explained.prices
    assert explained.context_window == 400_000
    assert "service_tier=flex" in explained.variants
    lines = explained.lines()
    assert lines[0].startswith("gpt-5-nano-2025-08-07 from openai at 2026-12-04T12:00:00")
    assert "  input: $0.05 per MTok" in lines


def test_explains_tiers() -> None:
    explained = explain_price("gemini-2.5-pro", "gemini", at=AT)

    text = "\n".join(explained.lines())
    assert "input: $1.25 per MTok; $2.5 when the prompt exceeds 200,000 tokens" in text


def test_explains_time_of_day_prices_as_of_the_moment() -> None:
    noon = explain_price("deepseek-v4-flash", "deepseek", at=AT)
    night = explain_price("deepseek-v4-flash", "deepseek", at=AT.replace(hour=2))

    assert PriceLine("input", Decimal("0.15"), "per MTok") in noon.prices
    assert PriceLine("input", Decimal("0.3"), "per MTok") in night.prices


def test_explains_config_local_and_unknown(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[upstreams.ollama]\nprotocol = "openai"\nbase_url = "http://localhost:11434/v1"\n'
        "local = true\n\n"
        '[prices."acme-*"]\ninput_mtok = 1\noutput_mtok = 2\n'
    )
    config = load_config(path, env={})

    from_config = explain_price("acme-1", config=config, at=AT)
    local = explain_price("qwen3", "ollama", config=config, at=AT)
    unknown = explain_price("qwen3", "vllm", config=config, at=AT)

    assert from_config.source == "config"
    assert from_config.price_entry == "config/acme-*"
    assert from_config.price_version == config.version
    assert local.source == "local"
    assert "cost 0" in local.lines()[0]
    assert unknown.source == "unknown"
    assert "no price known" in unknown.lines()[0]


def test_context_window() -> None:
    assert context_window("gpt-4.1-nano-2025-04-14") == 1_000_000
    assert context_window("claude-haiku-4-5-20251001", "anthropic") == 200_000
    assert context_window("gemini-2.5-flash", "gemini") == 1_048_576
    assert context_window("qwen3") is None


def test_exported_names_are_what_the_packages_offer() -> None:
    for package in (tokenledger.catalog, tokenledger.config):
        public = {name for name in vars(package) if not name.startswith("_")}
        modules = {name for name in public if type(getattr(package, name)).__name__ == "module"}
        assert set(package.__all__) == public - modules
