"""A misbehaving upstream: every way a reply can go wrong has one recorded outcome."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.gateway.conftest import Gateway, start_gateway
from tests.gateway.faulty import FaultyUpstream
from tokenledger.demo.replay import ReplayApp, ReplayServer, ServerThread
from tokenledger.ledger import UsageEvent

EXTRA = """
[upstreams.faulty]
protocol = "openai"
base_url = "{faulty}/v1"
key_env = "OPENAI_API_KEY"
models = ["fault-*"]

[upstreams.faulty-gemini]
protocol = "gemini"
base_url = "{faulty}"
key_env = "GEMINI_API_KEY"
models = ["fault-*"]
"""
CHAT = "/v1/chat/completions"


@pytest.fixture
def bystander() -> Iterator[ReplayServer]:
    # Where a redirect points: it must never be called.
    with ReplayServer(ReplayApp(exchanges=[])) as server:
        yield server


@pytest.fixture
def faulty(bystander: ReplayServer) -> Iterator[tuple[FaultyUpstream, str]]:
    app = FaultyUpstream(redirect_to=f"{bystander.url}/v1/chat/completions")
    server = ServerThread(app)
    server.start()
    try:
        yield app, server.url
    finally:
        server.stop()


@pytest.fixture
def gw(
    tmp_path: Path, replay: ReplayServer, faulty: tuple[FaultyUpstream, str]
) -> Iterator[Gateway]:
    extra = EXTRA.format(faulty=faulty[1])
    app, server = start_gateway(tmp_path, replay.url, extra_config=extra)
    try:
        yield Gateway(server.url, app, app.ledger.create_key("dora").key, "dora")
    finally:
        server.stop()


def post(gw: Gateway, model: str, stream: bool = False, **extra: object) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": "hello there"}]}
    body |= {"stream": stream} | extra
    return httpx.post(
        f"{gw.url}{CHAT}", json=body, headers={"authorization": f"Bearer {gw.key}"}
    )


def only_event(gw: Gateway) -> UsageEvent:
    (event,) = gw.events()
    return event


def test_a_redirect_is_passed_back_not_followed(gw: Gateway, bystander: ReplayServer) -> None:
    reply = post(gw, "fault-redirect")

    assert reply.status_code == 307
    assert bystander.app.received == []
    event = only_event(gw)
    assert (event.status, event.cost_usd, event.cost_source) == (
        "upstream_error",
        0,
        "unbilled",
    )


def test_a_stream_broken_off_upstream_is_estimated_and_breaks_for_the_client(
    gw: Gateway,
) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        post(gw, "fault-broken-stream", stream=True)

    event = only_event(gw)
    assert (event.status, event.estimated) == ("upstream_error", True)
    assert event.usage.output_tokens > 0
    assert event.usage.input_tokens > 0


def test_a_whole_body_cut_off_is_502_and_estimated(gw: Gateway) -> None:
    reply = post(gw, "fault-broken-body")

    assert reply.status_code == 502
    assert "broke off its reply" in reply.json()["error"]["message"]
    event = only_event(gw)
    assert (event.status, event.http_status, event.estimated) == ("upstream_error", 502, True)


def test_an_error_event_inside_a_stream_is_an_upstream_error(gw: Gateway) -> None:
    reply = post(gw, "fault-error-event", stream=True)

    assert b"overloaded" in reply.content
    event = only_event(gw)
    assert (event.status, event.estimated) == ("upstream_error", True)


def test_absurd_counts_are_refused_and_the_reply_estimated_not_lost(gw: Gateway) -> None:
    reply = post(gw, "fault-huge-usage")

    assert reply.status_code == 200
    event = only_event(gw)
    assert event.estimated is True
    assert event.usage.input_tokens < 1_000


def test_a_client_gone_before_the_reply_is_recorded_as_cancelled(gw: Gateway) -> None:
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{gw.url}{CHAT}",
            json={"model": "fault-slow-whole", "messages": [{"role": "user", "content": "hi"}]},
            headers={"authorization": f"Bearer {gw.key}"},
            timeout=0.5,
        )

    event = _wait_for_one(gw)
    assert (event.status, event.estimated) == ("client_cancelled", True)


def test_gemini_stream_without_sse_is_metered_from_its_json_array(gw: Gateway) -> None:
    url = f"{gw.url}/v1beta/models/fault-gemini-array:streamGenerateContent"
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    reply = httpx.post(url, json=body, headers={"x-goog-api-key": gw.key})

    assert reply.status_code == 200
    assert reply.json()[1]["usageMetadata"]["promptTokenCount"] == 1000
    event = only_event(gw)
    assert (event.usage.input_tokens, event.usage.output_tokens) == (1000, 2000)
    assert event.estimated is False


def test_the_clients_own_bytes_go_upstream(
    gw: Gateway, faulty: tuple[FaultyUpstream, str]
) -> None:
    post(gw, "fault-huge-usage", seed=123456789012345678901234567890)

    assert b"123456789012345678901234567890" in faulty[0].bodies[-1]


def test_percent_encoded_query_in_the_path_is_no_route(gw: Gateway) -> None:
    reply = httpx.post(
        f"{gw.url}/v1/chat/completions%3Finjected=1",
        json={"model": "fault-huge-usage"},
        headers={"authorization": f"Bearer {gw.key}"},
    )

    assert reply.status_code == 404
    assert gw.events() == []


def test_an_overlong_model_name_is_400(gw: Gateway) -> None:
    reply = post(gw, "fault-" + "x" * 300)

    assert reply.status_code == 400
    assert "longer than 200" in reply.json()["error"]["message"]


def _wait_for_one(gw: Gateway) -> UsageEvent:
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        events = gw.events()
        if events:
            return events[0]
        time.sleep(0.05)
    raise AssertionError("no event was recorded")


def test_any_2xx_reply_is_metered(gw: Gateway) -> None:
    reply = post(gw, "fault-created")

    assert reply.status_code == 201
    event = only_event(gw)
    assert (event.status, event.usage.input_tokens, event.usage.output_tokens) == ("ok", 11, 3)
    assert event.estimated is False


def test_an_upstream_gone_after_taking_the_request_is_estimated_not_free(
    tmp_path: Path,
) -> None:
    import socket
    import threading

    # A server that reads the request, works a little, then closes without a word.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve_once() -> None:
        connection, _ = listener.accept()
        connection.recv(65536)
        threading.Event().wait(0.3)
        connection.close()

    thread = threading.Thread(target=serve_once, daemon=True)
    thread.start()
    app, server = start_gateway(tmp_path, f"http://127.0.0.1:{port}")
    try:
        key = app.ledger.create_key("finn").key
        body = {"model": "gpt-4.1-nano", "messages": [{"role": "user", "content": "hi"}]}
        reply = httpx.post(
            f"{server.url}{CHAT}", json=body, headers={"authorization": f"Bearer {key}"}
        )
        (event,) = list(app.ledger.iter_events())
    finally:
        server.stop()
        listener.close()

    assert reply.status_code == 502
    assert reply.headers["x-tokenledger-event-id"] == event.id
    assert (event.status, event.estimated, event.cost_source) == (
        "upstream_error",
        True,
        "catalog",
    )


def test_fields_the_gateway_adds_leave_the_clients_bytes_alone(
    gw: Gateway, faulty: tuple[FaultyUpstream, str]
) -> None:
    # A stream without include_usage gets stream_options spliced in, nothing re-encoded.
    post(gw, "fault-echo-stream", stream=True, seed=123456789012345678901234567890)

    sent = faulty[0].bodies[-1]
    assert b"123456789012345678901234567890" in sent
    assert b'"include_usage":true' in sent
    assert only_event(gw).estimated is False


def test_control_characters_in_a_model_name_are_400(gw: Gateway) -> None:
    reply = post(gw, "fault-x\u001b[2J")

    assert reply.status_code == 400
    assert gw.events() == []


def test_a_gemini_array_cut_off_keeps_the_counts_that_arrived(gw: Gateway) -> None:
    url = f"{gw.url}/v1beta/models/fault-gemini-array-cut:streamGenerateContent"
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}

    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(url, json=body, headers={"x-goog-api-key": gw.key})

    event = only_event(gw)
    assert (event.status, event.estimated) == ("upstream_error", True)
    assert (event.usage.input_tokens, event.usage.output_tokens) == (1000, 2000)
