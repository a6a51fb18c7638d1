"""A real gateway on loopback in front of a replay of the recorded provider exchanges."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tokenledger.config import load_config
from tokenledger.demo.replay import ReplayApp, ReplayServer, ServerThread, load_exchanges
from tokenledger.gateway import GatewayApp, GatewaySettings
from tokenledger.ledger import UsageEvent

WIRE = Path(__file__).parent.parent / "fixtures" / "wire"
EXPECTED = json.loads((WIRE.parent / "expected.json").read_text())
# DeepSeek prices by the hour: every gateway test prices as of this off-peak moment.
PINNED_AT = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
PROVIDER_KEY = "sk-provider-secret-for-tests"

CONFIG_TOML = """
[upstreams.deepseek]
protocol = "openai"
base_url = "{replay}"
key_env = "DEEPSEEK_API_KEY"
models = ["deepseek-*"]

[upstreams.ollama]
protocol = "openai"
base_url = "{replay}/ollama"
key_env = "OLLAMA_API_KEY"
models = ["qwen3*"]
local = {local}
"""


@pytest.fixture(scope="session")
def replay() -> Iterator[ReplayServer]:
    # A small delay between streamed events makes them cross the network one by one.
    app = ReplayApp(exchanges=load_exchanges(WIRE), event_delay_s=0.002)
    with ReplayServer(app) as server:
        yield server


@dataclass
class Gateway:
    url: str
    app: GatewayApp
    key: str
    user: str

    def events(self) -> list[UsageEvent]:
        return list(self.app.ledger.iter_events())

    def last_event(self) -> UsageEvent:
        return self.events()[-1]


def gateway_env(replay_url: str, config_path: Path) -> dict[str, str]:
    return {
        "TOKENLEDGER_OPENAI_BASE_URL": f"{replay_url}/v1",
        "TOKENLEDGER_ANTHROPIC_BASE_URL": replay_url,
        "TOKENLEDGER_GEMINI_BASE_URL": replay_url,
        "TOKENLEDGER_CONFIG": str(config_path),
        "OPENAI_API_KEY": PROVIDER_KEY,
        "ANTHROPIC_API_KEY": PROVIDER_KEY,
        "GEMINI_API_KEY": PROVIDER_KEY,
        "DEEPSEEK_API_KEY": PROVIDER_KEY,
    }


def start_gateway(
    tmp_path: Path,
    replay_url: str,
    *,
    ollama_local: bool = True,
    extra_config: str = "",
    **settings: Any,
) -> tuple[GatewayApp, ServerThread]:
    config_path = tmp_path / "tokenledger.toml"
    local = "true" if ollama_local else "false"
    config_path.write_text(CONFIG_TOML.format(replay=replay_url, local=local) + extra_config)
    env = gateway_env(replay_url, config_path)
    app = GatewayApp(
        GatewaySettings(
            database_url=settings.pop("database_url", f"sqlite:///{tmp_path / 'ledger.db'}"),
            config=load_config(config_path, env=env),
            env=env,
            **settings,
        ),
        clock=lambda: PINNED_AT,
    )
    server = ServerThread(app)
    server.start()
    return app, server


@pytest.fixture
def gateway(tmp_path: Path, replay: ReplayServer) -> Iterator[Gateway]:
    app, server = start_gateway(tmp_path, replay.url)
    key = app.ledger.create_key("alice").key
    try:
        yield Gateway(server.url, app, key, "alice")
    finally:
        server.stop()


def expected_row(file: str, index: int) -> dict[str, Any]:
    for row in EXPECTED:
        if (row["file"], row["index"]) == (file, index):
            return dict(row)
    raise KeyError((file, index))


def recorded_request(file: str, index: int) -> dict[str, Any]:
    data = json.loads((WIRE / f"{file}.json").read_text())
    request: dict[str, Any] = data["exchanges"][index]["request"]
    return request
