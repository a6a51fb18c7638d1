"""Bad input, bad keys and bad upstreams: each has a defined outcome, and loses nothing."""

from __future__ import annotations

import time
from pathlib import Path

import anthropic
import httpx
import openai
import pytest

from tests.gateway.conftest import Gateway, recorded_request, start_gateway
from tokenledger.demo.replay import FAULT_500, FAULT_SLOW_STREAM, ReplayServer, free_port

CHAT = "/v1/chat/completions"


def chat_body(model: str = "gpt-4.1-nano", stream: bool = False) -> dict[str, object]:
    return {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": stream}


def test_missing_key_is_401_in_each_protocol_and_not_forwarded(
    gateway: Gateway, replay: ReplayServer
) -> None:
    before = len(replay.app.received)

    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(
            base_url=f"{gateway.url}/v1", api_key="wrong", max_retries=0
        ).chat.completions.create(
            model="gpt-4.1-nano", messages=[{"role": "user", "content": "hi"}]
        )
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(
            base_url=gateway.url, api_key="wrong", max_retries=0
        ).messages.create(
            model="claude-haiku-4-5", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )
    gemini = httpx.post(
        f"{gateway.url}/v1beta/models/gemini-2.5-flash:generateContent", json={}
    )

    assert gemini.status_code == 401
    assert gemini.json()["error"]["status"] == "UNAUTHENTICATED"
    assert len(replay.app.received) == before
    assert gateway.events() == []


def test_revoked_key_is_refused(gateway: Gateway) -> None:
    gateway.app.ledger.revoke_key(gateway.key)

    reply = httpx.post(f"{gateway.url}{CHAT}", json=chat_body(), headers=_auth(gateway))

    assert reply.status_code == 401


@pytest.mark.parametrize(
    ("content", "status", "needle"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (b'{"model": 42, "messages": []}', 400, "model"),
        (b'{"model": "gpt-4.1-nano", "stream": "yes"}', 400, "stream"),
    ],
)
def test_malformed_requests_get_400_and_are_not_forwarded(
    gateway: Gateway, replay: ReplayServer, content: bytes, status: int, needle: str
) -> None:
    before = len(replay.app.received)

    reply = httpx.post(f"{gateway.url}{CHAT}", content=content, headers=_auth(gateway))

    assert reply.status_code == status
    assert needle in reply.json()["error"]["message"]
    assert len(replay.app.received) == before
    assert gateway.events() == []


def test_oversized_body_is_413(tmp_path: Path, replay: ReplayServer) -> None:
    app, server = start_gateway(tmp_path, replay.url, max_body_bytes=1000)
    try:
        key = app.ledger.create_key("bob").key
        body = chat_body() | {"messages": [{"role": "user", "content": "x" * 5000}]}
        reply = httpx.post(
            f"{server.url}{CHAT}", json=body, headers={"authorization": f"Bearer {key}"}
        )
    finally:
        server.stop()

    assert reply.status_code == 413
    assert "over 1000 bytes" in reply.json()["error"]["message"]


def test_unknown_route_is_404(gateway: Gateway) -> None:
    reply = httpx.post(f"{gateway.url}/v1/embeddings", json={}, headers=_auth(gateway))

    assert reply.status_code == 404
    assert "no route" in reply.json()["error"]["message"]


def test_upstream_error_passes_through_and_is_recorded(gateway: Gateway) -> None:
    reply = httpx.post(
        f"{gateway.url}{CHAT}", json=chat_body(FAULT_500), headers=_auth(gateway)
    )

    assert reply.status_code == 500
    assert reply.json() == {"error": {"message": "scripted failure", "type": "server_error"}}
    event = gateway.last_event()
    assert (event.status, event.http_status, event.usage.total_tokens) == (
        "upstream_error",
        500,
        0,
    )


def test_unreachable_upstream_is_502_and_recorded(tmp_path: Path) -> None:
    # Nothing listens on this loopback port.
    app, server = start_gateway(tmp_path, f"http://127.0.0.1:{free_port()}")
    try:
        key = app.ledger.create_key("carol").key
        reply = httpx.post(
            f"{server.url}{CHAT}", json=chat_body(), headers={"authorization": f"Bearer {key}"}
        )
        events = list(app.ledger.iter_events())
    finally:
        server.stop()

    assert reply.status_code == 502
    assert "could not reach upstream 'openai'" in reply.json()["error"]["message"]
    assert [(e.status, e.http_status, e.usage.total_tokens, e.user) for e in events] == [
        ("upstream_error", 502, 0, "carol")
    ]


def test_client_disconnect_mid_stream_records_what_was_produced(gateway: Gateway) -> None:
    body = chat_body(FAULT_SLOW_STREAM, stream=True)
    with httpx.stream(
        "POST", f"{gateway.url}{CHAT}", json=body, headers=_auth(gateway)
    ) as reply:
        chunks = reply.iter_bytes()
        first = next(chunks)
        # The first event arrived while upstream is still generating: nothing is buffered
        # whole, and nothing is recorded before the reply ends.
        assert b"word0" in first
        assert gateway.events() == []
        next(chunks)

    event = _wait_for_event(gateway)
    assert event.status == "client_cancelled"
    assert event.estimated is True
    assert event.usage.output_tokens > 0
    assert event.usage.input_tokens > 0


def test_stream_without_usage_request_hides_the_usage_chunk(gateway: Gateway) -> None:
    body = dict(recorded_request("openai-chat-stream", 0)["body"])
    del body["stream_options"]

    client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=gateway.key, max_retries=0)
    chunks = list(client.chat.completions.create(**body))

    assert all(chunk.usage is None for chunk in chunks)
    assert all(chunk.choices for chunk in chunks)
    event = gateway.last_event()
    assert (event.usage.input_tokens, event.usage.output_tokens, event.estimated) == (
        14,
        7,
        False,
    )


def test_event_id_header_names_the_ledger_event(gateway: Gateway) -> None:
    body = dict(recorded_request("openai-chat-stream", 1)["body"])
    reply = httpx.post(f"{gateway.url}{CHAT}", json=body, headers=_auth(gateway))

    assert reply.status_code == 200
    assert reply.headers["x-tokenledger-event-id"] == gateway.last_event().id


def _auth(gateway: Gateway) -> dict[str, str]:
    return {"authorization": f"Bearer {gateway.key}"}


def _wait_for_event(gateway: Gateway, timeout_s: float = 10.0) -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        events = gateway.events()
        if events:
            return events[-1]
        time.sleep(0.05)
    raise AssertionError("no event was recorded")


def test_a_request_over_the_context_window_is_refused_unsent(
    gateway: Gateway, replay: ReplayServer
) -> None:
    from tokenledger.policy import ContextCheck, hooks

    seen: list[ContextCheck] = []
    hooks().on_token_limit_exceeded.append(seen.append)
    before = len(replay.app.received)
    # deepseek-chat holds 64,000 tokens; this is about 80,000.
    body = chat_body("deepseek-chat") | {
        "messages": [{"role": "user", "content": "word " * 80_000}]
    }
    try:
        reply = httpx.post(f"{gateway.url}{CHAT}", json=body, headers=_auth(gateway))
    finally:
        hooks().on_token_limit_exceeded.remove(seen.append)

    assert reply.status_code == 400
    assert "holds 64000 tokens" in reply.json()["error"]["message"]
    assert len(replay.app.received) == before
    assert [(check.model, check.limit_tokens) for check in seen] == [("deepseek-chat", 64000)]
    assert seen[0].needed_tokens > 64000
    assert gateway.events() == []


def test_a_percent_encoded_key_parameter_never_reaches_the_upstream(
    gateway: Gateway, replay: ReplayServer
) -> None:
    request = recorded_request("gemini-stream", 1)
    url = f"{gateway.url}{request['path']}?k%65y={gateway.key}"

    reply = httpx.post(url, json=request["body"], headers={"x-goog-api-key": gateway.key})

    assert reply.status_code == 200
    assert gateway.key not in replay.app.received[-1].query
