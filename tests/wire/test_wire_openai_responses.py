"""OpenAI Responses: final events other than completed, cache writes, web searches."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tokenledger.usage import Usage
from tokenledger.wire import OpenAIResponsesAdapter, StreamMeter

ADAPTER = OpenAIResponsesAdapter()

USAGE = {
    "input_tokens": 2000,
    "input_tokens_details": {"cached_tokens": 1024, "cache_write_tokens": 512},
    "output_tokens": 300,
    "output_tokens_details": {"reasoning_tokens": 200},
}


def sse(*events: dict[str, Any], named: bool = True) -> bytes:
    out = b""
    for event in events:
        name = b"event: " + event["type"].encode() + b"\n" if named else b""
        out += name + b"data: " + orjson.dumps(event) + b"\n\n"
    return out


def run(meter: StreamMeter, body: bytes) -> bytes:
    return (
        b"".join(meter.feed(body[i : i + 7]) for i in range(0, len(body), 7)) + meter.finish()
    )


def stream(final: str, response: dict[str, Any], *, named: bool = True) -> bytes:
    started = {"model": "gpt-5-2025-08-07", "usage": None, "service_tier": "auto"}
    return sse(
        {"type": "response.created", "response": started},
        {"type": "response.reasoning_summary_text.delta", "delta": "thinking"},
        {"type": "response.output_text.delta", "delta": "Hel"},
        {"type": "response.output_text.delta", "delta": "lo"},
        {"type": final, "response": {"model": "gpt-5-2025-08-07", **response}},
        named=named,
    )


EXPECTED = Usage(
    input_tokens=2000,
    output_tokens=300,
    cache_read_tokens=1024,
    cache_write_tokens=512,
    reasoning_tokens=200,
)


@pytest.mark.parametrize("named", [True, False])
@pytest.mark.parametrize("final", ["response.completed", "response.incomplete"])
def test_final_event_carries_usage(final: str, named: bool) -> None:
    body = stream(final, {"usage": USAGE, "service_tier": "priority"}, named=named)
    meter = ADAPTER.stream_meter()

    assert run(meter, body) == body
    assert meter.reading.usage == EXPECTED
    assert meter.reading.model == "gpt-5-2025-08-07"
    assert meter.reading.text == "Hello"
    assert meter.reading.service_tier == "priority"
    assert meter.reading.complete


def test_failed_response_records_its_error_and_usage() -> None:
    response = {"usage": USAGE, "error": {"code": "server_error", "message": "it broke"}}
    meter = ADAPTER.stream_meter()

    run(meter, stream("response.failed", response))

    assert meter.reading.error == "it broke"
    assert meter.reading.usage == EXPECTED


def test_no_usage_before_the_final_event() -> None:
    meter = ADAPTER.stream_meter()

    run(meter, stream("response.completed", {"usage": USAGE})[:-40])

    assert meter.reading.usage is None
    assert not meter.reading.complete


def test_web_searches_from_tool_usage_or_output_items() -> None:
    reported = {"usage": USAGE, "tool_usage": {"web_search": {"num_requests": 3}}}
    listed = {
        "usage": USAGE,
        "output": [{"type": "web_search_call"}, {"type": "web_search_call"}, {"type": "x"}],
    }

    usage_reported = ADAPTER.read_response(reported).usage
    usage_listed = ADAPTER.read_response(listed).usage

    assert usage_reported is not None
    assert usage_reported.web_searches == 3
    assert usage_listed is not None
    assert usage_listed.web_searches == 2


def test_malformed_usage_is_recorded() -> None:
    meter = ADAPTER.stream_meter()

    run(meter, stream("response.completed", {"usage": {"input_tokens": -4}}))

    assert meter.reading.usage is None
    assert meter.reading.error is not None
    assert not meter.reading.complete


def test_error_event_is_recorded() -> None:
    meter = ADAPTER.stream_meter()

    run(meter, sse({"type": "error", "code": "rate_limit", "message": "slow down"}))

    assert meter.reading.error == "slow down"


def test_request_text_covers_instructions_input_and_tool_results() -> None:
    body = {
        "instructions": "be brief",
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "hi"}]},
            {"type": "function_call", "arguments": '{"q": 1}'},
            {"type": "function_call_output", "output": "42"},
            {"role": "user", "content": "thanks"},
        ],
    }

    assert ADAPTER.request_text(body) == 'be brief\nhi\n{"q": 1}\n42\nthanks'
    assert ADAPTER.request_text({"input": "just this"}) == "just this"
