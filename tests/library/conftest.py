"""The library against a real HTTP replay of the recorded provider exchanges.

Every test gets a fresh library state: the replay's URLs as base URLs, a provider key,
the test config (DeepSeek and Ollama upstreams on the replay), a SQLite ledger in its
own folder and the pricing clock pinned, as the gateway tests do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import tokenledger
from tests.gateway.conftest import CONFIG_TOML, PINNED_AT, WIRE, gateway_env
from tokenledger.config import load_config
from tokenledger.demo.replay import ReplayApp, ReplayServer, load_exchanges
from tokenledger.ledger import Ledger, UsageEvent
from tokenledger.library import reset
from tokenledger.library._settings import runtime


@pytest.fixture(scope="session")
def replay() -> Iterator[ReplayServer]:
    app = ReplayApp(exchanges=load_exchanges(WIRE), event_delay_s=0.002)
    with ReplayServer(app) as server:
        yield server


@dataclass
class Library:
    replay: ReplayServer
    env: dict[str, str]
    database_url: str
    events_seen: list[UsageEvent]

    @property
    def ledger(self) -> Ledger:
        ledger = runtime().ledger()
        assert ledger is not None
        return ledger

    def events(self) -> list[UsageEvent]:
        return list(self.ledger.iter_events())


def configure_library(
    tmp_path: Path, replay_url: str, database_url: str, **extra: Any
) -> Library:
    config_path = tmp_path / "tokenledger.toml"
    config_path.write_text(CONFIG_TOML.format(replay=replay_url, local="false"))
    env = gateway_env(replay_url, config_path)
    # The Ollama upstream names a key variable; the replay ignores the value.
    env["OLLAMA_API_KEY"] = "ollama-unused"
    seen: list[UsageEvent] = []
    tokenledger.configure(
        database_url=database_url,
        env=env,
        config=load_config(config_path, env=env),
        clock=lambda: PINNED_AT,
        on_token_usage=seen.append,
        **extra,
    )
    return Library(ReplayServer.__new__(ReplayServer), env, database_url, seen)


@pytest.fixture
def library(tmp_path: Path, replay: ReplayServer) -> Iterator[Library]:
    reset()
    found = configure_library(tmp_path, replay.url, f"sqlite:///{tmp_path / 'ledger.db'}")
    found.replay = replay
    try:
        yield found
    finally:
        reset()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    url: str = request.getfixturevalue("postgres_database")
    yield url
    # The library's process-wide ledger must let go before the database is dropped.
    reset()
