"""Anthropic Messages: cumulative deltas, cache lifetimes, searches, iterations."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tokenledger.usage import Usage
from tokenledger.wire import AnthropicAdapter, StreamMeter

ADAPTER = AnthropicAdapter()
MODEL = "claude-sonnet-4-5-20250929"


def sse(*events: dict[str, Any]) -> bytes:
    out = b""
    for event in events:
        out += b"event: " + event["type"].encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"
    return out


def run(meter: StreamMeter, body: bytes) -> bytes:
    return (
        b"".join(meter.feed(body[i : i + 3]) for i in range(0, len(body), 3)) + meter.finish()
    )


def start(**usage: Any) -> dict[str, Any]:
    return {"type": "message_start", "message": {"model": MODEL, "usage": usage}}


def delta(**usage: Any) -> dict[str, Any]:
    return {"type": "message_delta", "delta": {"stop_reason": None}, "usage": usage}


def text(piece: str) -> dict[str, Any]:
    return {"type": "content_block_delta", "delta": {"type": "text_delta", "text": piece}}


STOP = {"type": "message_stop"}


def test_message_delta_replaces_and_a_second_one_wins() -> None:
    body = sse(
        start(input_tokens=20, cache_read_input_tokens=100, output_tokens=1),
        text("Hi"),
        {"type": "content_block_delta", "delta": {"type": "thinking_delta", "thinking": "hm"}},
        delta(output_tokens=30),
        text(" there"),
        delta(input_tokens=20, cache_read_input_tokens=100, output_tokens=55),
        STOP,
    )
    meter = ADAPTER.stream_meter()

    assert run(meter, body) == body
    assert meter.reading.usage == Usage(
        input_tokens=120, output_tokens=55, cache_read_tokens=100
    )
    assert meter.reading.text == "Hi there"
    assert meter.reading.model == MODEL
    assert meter.reading.complete


def test_counts_before_message_stop_are_not_final() -> None:
    meter = ADAPTER.stream_meter()

    run(meter, sse(start(input_tokens=5, output_tokens=1), delta(output_tokens=9)))

    assert meter.reading.usage == Usage(input_tokens=5, output_tokens=9)
    assert not meter.reading.complete


def test_cache_write_split_by_lifetime() -> None:
    usage = {
        "input_tokens": 10,
        "cache_creation_input_tokens": 3000,
        "cache_read_input_tokens": 0,
        "cache_creation": {
            "ephemeral_5m_input_tokens": 1000,
            "ephemeral_1h_input_tokens": 2000,
        },
        "output_tokens": 4,
    }

    reading = ADAPTER.read_response({"model": MODEL, "content": [], "usage": usage})

    assert reading.usage == Usage(
        input_tokens=3010, output_tokens=4, cache_write_tokens=3000, cache_write_1h_tokens=2000
    )
    assert reading.usage.cache_write_5m_tokens == 1000


def test_web_searches_thinking_and_service_tier() -> None:
    usage = {
        "input_tokens": 10,
        "output_tokens": 400,
        "output_tokens_details": {"thinking_tokens": 300},
        "server_tool_use": {"web_search_requests": 2},
        "service_tier": "priority",
    }

    reading = ADAPTER.read_response({"model": MODEL, "content": [], "usage": usage})

    assert reading.usage == Usage(
        input_tokens=10, output_tokens=400, reasoning_tokens=300, web_searches=2
    )
    assert reading.service_tier == "priority"


def test_iterations_are_summed_and_kept_with_their_models() -> None:
    usage = {
        "input_tokens": 50,
        "output_tokens": 70,
        "iterations": [
            {"type": "compaction", "input_tokens": 1000, "output_tokens": 200},
            {
                "type": "advisor_message",
                "model": "claude-opus-4-1-20250805",
                "input_tokens": 300,
                "cache_read_input_tokens": 100,
                "output_tokens": 20,
            },
            {"type": "message", "input_tokens": 50, "output_tokens": 70},
        ],
    }

    reading = ADAPTER.read_response({"model": MODEL, "content": [], "usage": usage})

    assert reading.usage == Usage(input_tokens=1450, output_tokens=290, cache_read_tokens=100)
    iterations = reading.extra["iterations"]
    assert [(item["type"], item["model"]) for item in iterations] == [
        ("compaction", MODEL),
        ("advisor_message", "claude-opus-4-1-20250805"),
        ("message", MODEL),
    ]
    assert Usage(**iterations[1]["usage"]) == Usage(
        input_tokens=400, output_tokens=20, cache_read_tokens=100
    )


@pytest.mark.parametrize(
    "usage",
    [
        {"input_tokens": -3, "output_tokens": 2},
        {"input_tokens": 3, "output_tokens": "2"},
        {"input_tokens": 3, "cache_creation": 7},
        {"input_tokens": 3, "iterations": ["x"]},
    ],
)
def test_malformed_usage_is_recorded_not_raised(usage: dict[str, Any]) -> None:
    meter = ADAPTER.stream_meter()

    forwarded = run(meter, sse(start(input_tokens=1), delta(**usage), STOP))
    reply = ADAPTER.read_response({"model": MODEL, "usage": usage})

    assert forwarded.endswith(b'message_stop"}\n\n')
    assert meter.reading.usage is None
    assert meter.reading.error is not None
    assert not meter.reading.complete
    assert reply.usage is None
    assert reply.error is not None


def test_error_event_mid_stream() -> None:
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    meter = ADAPTER.stream_meter()

    run(meter, sse(start(input_tokens=1), error))

    assert meter.reading.error == "Overloaded"


def test_request_text_covers_system_blocks_and_tools() -> None:
    body = {
        "system": [{"type": "text", "text": "be brief"}],
        "messages": [
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "let me look"},
                    {"type": "tool_use", "input": {"q": "x"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "content": [{"type": "text", "text": "found"}]},
                    {"type": "image", "source": {}},
                ],
            },
        ],
    }

    assert ADAPTER.request_text(body) == 'be brief\nhi\nlet me look\n{"q":"x"}\nfound'


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (402, "billing_error"),
        (403, "permission_error"),
        (404, "not_found_error"),
        (413, "request_too_large"),
        (422, "invalid_request_error"),
        (429, "rate_limit_error"),
        (500, "api_error"),
        (502, "api_error"),
        (504, "timeout_error"),
        (529, "overloaded_error"),
    ],
)
def test_error_body_has_anthropics_shape(status: int, kind: str) -> None:
    assert ADAPTER.error_body(status, "no") == {
        "type": "error",
        "error": {"type": kind, "message": "no"},
    }
