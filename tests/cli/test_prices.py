"""`tokenledger prices`: the same decision the gateway makes, and errors that say why."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Cli
from tests.cli.test_errors import assert_one_error_line

CONFIG = """
[upstreams.ollama]
protocol = "openai"
base_url = "http://127.0.0.1:11434/v1"
models = ["qwen3*", "gpt-oss*"]
local = true

[upstreams.claude-box]
protocol = "anthropic"
base_url = "http://127.0.0.1:11435"
models = ["claude-local-*"]
local = true
"""


@pytest.fixture
def config(tmp_path: Path) -> str:
    path = tmp_path / "tokenledger.toml"
    path.write_text(CONFIG)
    return str(path)


def test_a_model_routed_to_a_local_upstream_costs_nothing(cli: Cli, config: str) -> None:
    outcome = cli("prices", "gpt-oss-20b", "--config", config)

    assert outcome.code == 0, outcome.err
    assert "local upstream ollama: cost 0" in outcome.out


def test_routing_follows_the_models_protocol(cli: Cli, config: str) -> None:
    outcome = cli("prices", "claude-local-1", "--config", config)

    assert outcome.code == 0, outcome.err
    assert "local upstream claude-box: cost 0" in outcome.out


def test_a_model_routed_elsewhere_is_priced(cli: Cli, config: str) -> None:
    outcome = cli("prices", "gpt-5-nano", "--config", config)

    assert outcome.code == 0, outcome.err
    assert "gpt-5-nano from openai" in outcome.out
    assert "priced by openai/gpt-5-nano" in outcome.out


def test_an_unknown_model_exits_1_after_saying_so(cli: Cli) -> None:
    outcome = cli("prices", "no-such-model-anywhere")

    assert outcome.code == 1
    assert "its cost will be unknown" in outcome.out


def test_an_unknown_provider_names_the_known_ones(cli: Cli, config: str) -> None:
    outcome = cli("prices", "gpt-5-nano", "--provider", "openia", "--config", config)

    assert_one_error_line(outcome, "'openia'", "ollama", "openai", "anthropic")


def test_a_price_data_provider_is_known(cli: Cli) -> None:
    outcome = cli("prices", "deepseek-chat", "--provider", "deepseek")

    assert outcome.code == 0, outcome.err
    assert "priced by deepseek/" in outcome.out
