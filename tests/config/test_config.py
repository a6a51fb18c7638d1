"""load_config, routing and upstream URLs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tokenledger.config import Config, ConfigPrice, Upstream, load_config
from tokenledger.errors import ConfigError, UnknownModelError

EXAMPLE = Path(__file__).parents[2] / "docs" / "config.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tokenledger.toml"
    path.write_text(text)
    return path


def test_without_a_file_the_three_providers_exist_at_their_public_endpoints() -> None:
    config = load_config(env={})

    assert [u.name for u in config.upstreams] == ["openai", "anthropic", "gemini"]
    assert config.route("openai", "gpt-5-nano").base_url == "https://api.openai.com/v1"
    assert config.route("anthropic", "claude-haiku-4-5").base_url == "https://api.anthropic.com"
    assert (
        config.route("gemini", "gemini-2.5-flash").base_url
        == "https://generativelanguage.googleapis.com"
    )
    assert config.version is None
    assert config.prices == ()


def test_environment_moves_the_builtin_upstreams() -> None:
    env = {
        "TOKENLEDGER_OPENAI_BASE_URL": "http://127.0.0.1:9001/v1",
        "TOKENLEDGER_ANTHROPIC_BASE_URL": "http://127.0.0.1:9002",
        "TOKENLEDGER_GEMINI_BASE_URL": "http://127.0.0.1:9003/",
    }

    config = load_config(env=env)

    assert config.route("openai", None).url_for("/v1/chat/completions") == (
        "http://127.0.0.1:9001/v1/chat/completions"
    )
    assert config.route("anthropic", None).url_for("/v1/messages") == (
        "http://127.0.0.1:9002/v1/messages"
    )
    assert config.route("gemini", None).url_for("/v1beta/models/g:generateContent") == (
        "http://127.0.0.1:9003/v1beta/models/g:generateContent"
    )


def test_a_bad_base_url_in_the_environment_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="TOKENLEDGER_OPENAI_BASE_URL"):
        load_config(env={"TOKENLEDGER_OPENAI_BASE_URL": "api.openai.com"})


@pytest.mark.parametrize(
    ("upstream", "route", "url"),
    [
        (
            Upstream("openai", "openai", "https://api.openai.com/v1"),
            "/v1/chat/completions",
            "https://api.openai.com/v1/chat/completions",
        ),
        (
            Upstream("deepseek", "openai", "https://api.deepseek.com"),
            "/v1/chat/completions",
            "https://api.deepseek.com/chat/completions",
        ),
        (
            Upstream("ollama", "openai", "http://localhost:11434/v1/"),
            "/v1/responses",
            "http://localhost:11434/v1/responses",
        ),
        (
            Upstream("openai", "openai", "https://api.openai.com/v1"),
            "/chat/completions",
            "https://api.openai.com/v1/chat/completions",
        ),
        (
            Upstream("anthropic", "anthropic", "https://api.anthropic.com"),
            "/v1/messages",
            "https://api.anthropic.com/v1/messages",
        ),
        (
            Upstream("gemini", "gemini", "https://generativelanguage.googleapis.com"),
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            "https://generativelanguage.googleapis.com"
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
        ),
    ],
)
def test_url_for_joins_base_and_route(upstream: Upstream, route: str, url: str) -> None:
    assert upstream.url_for(route) == url


def test_api_key_reads_the_named_variable() -> None:
    openai = load_config(env={}).route("openai", None)

    assert openai.api_key({"OPENAI_API_KEY": "sk-test"}) == "sk-test"
    assert openai.api_key({"OPENAI_API_KEY": ""}) is None
    assert openai.api_key({}) is None
    assert Upstream("ollama", "openai", "http://localhost:11434/v1").api_key({}) is None


def test_the_config_path_comes_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "[upstreams.openai]\nbase_url = 'http://127.0.0.1:1/v1'\n")

    config = load_config(env={"TOKENLEDGER_CONFIG": str(path)})

    assert config.path == path
    assert config.route("openai", "gpt-4o").base_url == "http://127.0.0.1:1/v1"


def test_the_path_argument_wins_over_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "")

    config = load_config(path, env={"TOKENLEDGER_CONFIG": str(tmp_path / "absent.toml")})

    assert config.path == path


def test_the_file_base_url_wins_over_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "[upstreams.openai]\nbase_url = 'http://127.0.0.1:1/v1'\n")
    env = {"TOKENLEDGER_OPENAI_BASE_URL": "http://127.0.0.1:2/v1"}

    assert load_config(path, env=env).route("openai", None).base_url == "http://127.0.0.1:1/v1"


ROUTED = """
[upstreams.deepseek]
protocol = "openai"
base_url = "https://api.deepseek.com"
models = ["deepseek-*"]

[upstreams.ollama]
protocol = "openai"
base_url = "http://localhost:11434/v1"
models = ["qwen3*", "Llama3.?"]
local = true

[upstreams.deepseek-mirror]
protocol = "openai"
base_url = "https://mirror.example/v1"
models = ["deepseek-chat"]
"""


def test_routes_go_to_the_first_upstream_whose_models_match(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ROUTED), env={})

    assert config.route("openai", "deepseek-chat").name == "deepseek"
    assert config.route("openai", "qwen3:8b").name == "ollama"
    assert config.route("openai", "llama3.2").name == "ollama"
    assert config.route("openai", "gpt-4.1-nano").name == "openai"
    assert config.route("openai", None).name == "openai"
    assert config.route("anthropic", "deepseek-chat").name == "anthropic"


def test_added_upstreams_get_conventional_keys(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ROUTED), env={})

    deepseek = config.upstream("deepseek")
    ollama = config.upstream("ollama")
    mirror = config.upstream("deepseek-mirror")

    assert deepseek is not None and deepseek.key_env == "DEEPSEEK_API_KEY"
    assert mirror is not None and mirror.key_env == "DEEPSEEK_MIRROR_API_KEY"
    assert ollama is not None and ollama.key_env is None and ollama.local


def test_a_disabled_default_makes_unmatched_models_unknown(tmp_path: Path) -> None:
    path = write(tmp_path, ROUTED + "\n[upstreams.openai]\nenabled = false\n")
    config = load_config(path, env={})

    assert config.upstream("openai") is None
    assert config.route("openai", "deepseek-chat").name == "deepseek"
    with pytest.raises(UnknownModelError, match="gpt-4o") as raised:
        config.route("openai", "gpt-4o")
    assert raised.value.model == "gpt-4o"
    with pytest.raises(UnknownModelError):
        config.route("openai", None)


def test_route_rejects_a_protocol_it_does_not_speak() -> None:
    with pytest.raises(ValueError, match="protocol"):
        load_config(env={}).route("cohere", "command-r")


def test_prices_are_exact_decimals_in_file_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [prices."acme-*"]
        input_mtok = 0.15
        output_mtok = "0.6"
        cache_read_mtok = 0.075
        cache_write_mtok = 0.1875

        [prices.acme-large]
        provider = "acme"
        input_mtok = 3
        output_mtok = 15
        """,
    )

    config = load_config(path, env={})

    first, second = config.prices
    assert first.input_mtok == Decimal("0.15") and str(first.input_mtok) == "0.15"
    assert first.output_mtok == Decimal("0.6")
    assert first.cache_write_mtok == Decimal("0.1875")
    assert second == ConfigPrice(
        model="acme-large", provider="acme", input_mtok=Decimal(3), output_mtok=Decimal(15)
    )
    assert config.price_for("ACME-large", "acme") is first
    assert config.price_for("other", None) is None


def test_a_missing_cache_price_falls_back_to_input() -> None:
    entry = ConfigPrice(model="m", input_mtok=Decimal(1), output_mtok=Decimal(2))

    assert entry.prices_mtok() == {
        "input": Decimal(1),
        "cache read": Decimal(1),
        "cache write": Decimal(1),
        "output": Decimal(2),
        "reasoning": Decimal(2),
    }


def test_the_version_is_a_short_hash_of_the_file(tmp_path: Path) -> None:
    first = load_config(write(tmp_path, "# one\n"), env={})
    second = load_config(write(tmp_path, "# two\n"), env={})

    assert first.version is not None and first.version.startswith("config sha256:")
    assert len(first.version) == len("config sha256:") + 12
    assert first.version != second.version


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("[upstream.x]\n", "'upstream'", "expected one of prices, upstreams"),
        (
            "[upstreams.x]\nprotocol = 'cohere'\nbase_url = 'http://h'\n",
            "upstreams.x.protocol",
            "one of openai, anthropic, gemini",
        ),
        ("[upstreams.x]\nprotocol = 'openai'\n", "upstreams.x.base_url", "a string"),
        (
            "[upstreams.x]\nprotocol = 'openai'\nbase_url = 'ftp://h'\n",
            "upstreams.x.base_url",
            "http:// or https:// URL",
        ),
        (
            "[upstreams.x]\nprotocol = 'openai'\nbase_url = 'http://h'\nmodels = 'a*'\n",
            "upstreams.x.models",
            "a list of model names",
        ),
        (
            "[upstreams.x]\nprotocol = 'openai'\nbase_url = 'http://h'\nlocal = 'yes'\n",
            "upstreams.x.local",
            "true or false",
        ),
        (
            "[upstreams.x]\nprotocol = 'openai'\nbase_url = 'http://h'\nmodel = ['a']\n",
            "'model' in upstreams.x",
            "expected one of",
        ),
        (
            "[upstreams.anthropic]\nprotocol = 'openai'\n",
            "upstreams.anthropic.protocol",
            "'anthropic'",
        ),
        ("[prices.m]\noutput_mtok = 1\n", 'prices."m".input_mtok', "a price in USD"),
        (
            "[prices.m]\ninput_mtok = -1\noutput_mtok = 1\n",
            'prices."m".input_mtok',
            "non-negative price",
        ),
        (
            "[prices.m]\ninput_mtok = 'cheap'\noutput_mtok = 1\n",
            'prices."m".input_mtok',
            "non-negative price",
        ),
        (
            "[prices.m]\ninput_mtok = true\noutput_mtok = 1\n",
            'prices."m".input_mtok',
            "non-negative price",
        ),
        (
            "[prices.m]\ninput_mtok = 1\noutput_mtok = 1\ncache_mtok = 1\n",
            "'cache_mtok' in prices.\"m\"",
            "expected one of",
        ),
        ("prices = 3\n", "prices", "a table"),
        ("[upstreams\n", "not valid TOML", "line 1"),
    ],
)
def test_a_bad_file_names_the_file_the_key_and_the_expectation(
    tmp_path: Path, text: str, key: str, expected: str
) -> None:
    path = write(tmp_path, text)

    with pytest.raises(ConfigError) as raised:
        load_config(path, env={})

    message = str(raised.value)
    assert str(path) in message
    assert key in message
    assert expected in message


def test_a_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"

    with pytest.raises(ConfigError, match=r"nope\.toml"):
        load_config(missing, env={})


def test_the_documented_example_loads() -> None:
    config = load_config(EXAMPLE, env={})

    assert isinstance(config, Config)
    assert config.route("openai", "deepseek-chat").name == "deepseek"
    assert config.prices
