"""Every row of tests/fixtures/expected.json, through the official SDKs and a real gateway.

The SDKs talk HTTP to the gateway, which talks HTTP to a replay of the recorded
provider exchanges; the ledger's event for each call must match the table exactly.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest

from tests.gateway.conftest import (
    EXPECTED,
    PROVIDER_KEY,
    Gateway,
    expected_row,
    recorded_request,
    start_gateway,
)
from tokenledger.demo.replay import ReplayServer
from tokenledger.ledger import UsageEvent

ROWS = [(row["file"], row["index"]) for row in EXPECTED]


def call_through_gateway(
    gateway: Gateway, file: str, index: int, replay: ReplayServer | None = None
) -> None:
    if replay is not None:
        replay.app.prefer(file, index)
    request = recorded_request(file, index)
    body: dict[str, Any] = dict(request["body"])
    path: str = request["path"]

    if path.endswith("/chat/completions"):
        _consume(_openai(gateway).chat.completions.create(**body))
    elif path.endswith("/responses"):
        _consume(_openai(gateway).responses.create(**body))
    elif path.endswith("/messages"):
        # The installed SDK's signature may lag the recorded request's fields: send
        # whatever it does not name as extra body, as the recording had it.
        named = {
            k: body.pop(k)
            for k in ("model", "max_tokens", "messages", "stream", "system")
            if k in body
        }
        _consume(_anthropic(gateway).messages.create(**named, extra_body=body, timeout=30))
    else:
        _gemini(gateway, path, request["query"], body)


def _openai(gateway: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=gateway.key, max_retries=0)


def _anthropic(gateway: Gateway) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)


def _gemini(gateway: Gateway, path: str, query: str, body: dict[str, Any]) -> None:
    # No Gemini SDK among the test dependencies: its wire protocol is plain HTTP.
    url = f"{gateway.url}{path}" + (f"?{query}" if query else "")
    reply = httpx.post(url, json=body, headers={"x-goog-api-key": gateway.key})
    assert reply.status_code == 200, reply.text


def _consume(result: Any) -> None:
    # A streamed result is an iterator of events; reading it to the end completes it.
    if hasattr(result, "__iter__") and not isinstance(result, dict | list):
        for _ in result:
            pass


def assert_matches(event: UsageEvent, row: dict[str, Any]) -> None:
    usage = event.usage
    assert event.model == row["model"]
    assert usage.input_tokens == row["input_tokens"]
    assert usage.cache_read_tokens == row["cache_read_tokens"]
    assert usage.cache_write_tokens == row["cache_write_tokens"]
    assert usage.output_tokens == row["output_tokens"]
    assert usage.reasoning_tokens == row["reasoning_tokens"]
    assert usage.total_tokens == row["total_tokens"]
    expected_cost = None if row["cost_usd"] is None else Decimal(row["cost_usd"])
    assert event.cost_usd == expected_cost
    assert event.estimated is False
    assert event.status == "ok"


@pytest.mark.parametrize(("file", "index"), ROWS, ids=[f"{f}#{i}" for f, i in ROWS])
def test_every_recorded_row_meters_exactly(
    tmp_path: Path, replay: ReplayServer, file: str, index: int
) -> None:
    # The table's Ollama rows have no local flag configured: their cost is unknown.
    app, server = start_gateway(tmp_path, replay.url, ollama_local=False)
    try:
        gateway = Gateway(server.url, app, app.ledger.create_key("alice").key, "alice")
        call_through_gateway(gateway, file, index, replay)
        events = gateway.events()
    finally:
        server.stop()

    assert len(events) == 1
    event = events[0]
    assert_matches(event, expected_row(file, index))
    assert event.user == "alice"
    assert event.model_requested == recorded_request(file, index)["body"].get(
        "model", "gemini-2.5-flash"
    )


def test_unknown_cost_is_flagged_not_zero(gateway: Gateway) -> None:
    call_through_gateway(gateway, "ollama-stream", 1)

    # The fixture gateway marks the Ollama upstream local: a cost of zero by that statement.
    event = gateway.last_event()
    assert event.cost_usd == Decimal(0)
    assert event.cost_source == "local"


def test_upstream_sees_provider_key_never_gateway_key(
    gateway: Gateway, replay: ReplayServer
) -> None:
    before = len(replay.app.received)
    call_through_gateway(gateway, "openai-chat-stream", 0)
    call_through_gateway(gateway, "anthropic-stream", 1)
    call_through_gateway(gateway, "gemini-stream", 1)

    seen = replay.app.received[before:]
    assert len(seen) == 3
    for received in seen:
        values = " ".join(received.headers.values()) + received.query
        assert gateway.key not in values
        assert PROVIDER_KEY in values


@pytest.mark.postgres
def test_a_gateway_on_postgresql_records_the_same_events(
    tmp_path: Path, replay: ReplayServer, postgres_database: str
) -> None:
    rows = [("openai-chat-stream", 0), ("anthropic-prompt-cache", 0), ("gemini-stream", 0)]
    app, server = start_gateway(tmp_path, replay.url, database_url=postgres_database)
    try:
        gateway = Gateway(server.url, app, app.ledger.create_key("erin").key, "erin")
        for file, index in rows:
            call_through_gateway(gateway, file, index, replay)
        events = gateway.events()
    finally:
        server.stop()
        app.ledger.close()

    assert len(events) == len(rows)
    by_model = {event.model: event for event in events}
    for file, index in rows:
        row = expected_row(file, index)
        assert_matches(by_model[row["model"]], row)
