"""Chat Completions and its dialects: the wire facts the recordings do not show."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
import pytest

from tokenledger.usage import Usage
from tokenledger.wire import OpenAIChatAdapter, StreamMeter

ADAPTER = OpenAIChatAdapter()


def sse(*chunks: Any) -> bytes:
    return b"".join(b"data: " + orjson.dumps(chunk) + b"\n\n" for chunk in chunks)


def chunk(content: str | None = None, *, model: str = "m", **extra: Any) -> dict[str, Any]:
    choices = [] if content is None else [{"index": 0, "delta": {"content": content}}]
    return {"object": "chat.completion.chunk", "model": model, "choices": choices, **extra}


def run(meter: StreamMeter, body: bytes) -> bytes:
    return (
        b"".join(meter.feed(body[i : i + 5]) for i in range(0, len(body), 5)) + meter.finish()
    )


def test_empty_first_model_name_is_skipped() -> None:
    # Azure's first chunk names "" and carries prompt filter results, no choices.
    body = sse(
        chunk(model="", prompt_filter_results=[]), chunk("Hi", model="gpt-4o-2024-08-06")
    )
    meter = ADAPTER.stream_meter(hide_usage_event=True)

    assert run(meter, body) == body
    assert meter.reading.model == "gpt-4o-2024-08-06"
    assert meter.reading.usage is None
    assert not meter.reading.complete


def test_usage_on_a_chunk_with_choices_counts_and_is_forwarded() -> None:
    # Mistral's last chunk has both its finish reason and the usage.
    last = chunk("!", usage={"prompt_tokens": 5, "completion_tokens": 2})
    last["choices"][0]["finish_reason"] = "stop"
    body = sse(chunk("Hi"), last) + b"data: [DONE]\n\n"
    meter = ADAPTER.stream_meter(hide_usage_event=True)

    assert run(meter, body) == body
    assert meter.reading.usage == Usage(input_tokens=5, output_tokens=2)
    assert meter.reading.text == "Hi!"
    assert meter.reading.complete


def test_groq_usage_in_x_groq() -> None:
    last = chunk(
        "", x_groq={"id": "req", "usage": {"prompt_tokens": 9, "completion_tokens": 4}}
    )
    last["choices"][0]["finish_reason"] = "stop"
    meter = ADAPTER.stream_meter()

    run(meter, sse(chunk("a"), last))

    assert meter.reading.usage == Usage(input_tokens=9, output_tokens=4)
    assert meter.reading.complete


def test_usage_reported_on_every_chunk_keeps_the_last() -> None:
    # vLLM's continuous usage stats are cumulative, like a final report each time.
    body = sse(
        chunk("a", usage={"prompt_tokens": 3, "completion_tokens": 1}),
        chunk("b", usage={"prompt_tokens": 3, "completion_tokens": 2}),
        chunk(None, usage={"prompt_tokens": 3, "completion_tokens": 2}),
    )
    meter = ADAPTER.stream_meter()

    run(meter, body)

    assert meter.reading.usage == Usage(input_tokens=3, output_tokens=2)


def test_openrouter_cost_is_an_exact_decimal_from_the_text() -> None:
    usage = b'{"prompt_tokens":10,"completion_tokens":5,"cost":0.000012345678901234567891}'
    body = (
        b'data: {"model":"openai/gpt-4o","choices":[{"delta":{"content":"x"}}]}\n\n'
        b'data: {"model":"openai/gpt-4o","choices":[],"usage":' + usage + b"}\n\n"
        b"data: [DONE]\n\n"
    )
    meter = ADAPTER.stream_meter()

    run(meter, body)
    reply = ADAPTER.read_response_bytes(b'{"model":"m","choices":[],"usage":' + usage + b"}")

    assert meter.reading.provider_cost_usd == Decimal("0.000012345678901234567891")
    assert reply.provider_cost_usd == Decimal("0.000012345678901234567891")
    assert meter.reading.complete


def test_deepseek_cache_hit_counts_as_cache_read() -> None:
    usage = {
        "prompt_tokens": 100,
        "completion_tokens": 7,
        "prompt_tokens_details": {"cached_tokens": 64},
        "prompt_cache_hit_tokens": 64,
        "prompt_cache_miss_tokens": 36,
    }

    reading = ADAPTER.read_response(
        {"model": "deepseek-v4-flash", "choices": [], "usage": usage}
    )

    assert reading.usage == Usage(input_tokens=100, output_tokens=7, cache_read_tokens=64)


def test_deepseek_without_prompt_tokens_adds_hit_and_miss() -> None:
    usage = {
        "completion_tokens": 1,
        "prompt_cache_hit_tokens": 8,
        "prompt_cache_miss_tokens": 2,
    }

    reading = ADAPTER.read_response({"choices": [], "usage": usage})

    assert reading.usage == Usage(input_tokens=10, output_tokens=1, cache_read_tokens=8)


def test_audio_reasoning_and_cache_details() -> None:
    usage = {
        "prompt_tokens": 50,
        "completion_tokens": 40,
        "prompt_tokens_details": {"cached_tokens": 10, "audio_tokens": 20},
        "completion_tokens_details": {"reasoning_tokens": 5, "audio_tokens": 30},
    }

    reading = ADAPTER.read_response({"model": "gpt-4o-audio", "choices": [], "usage": usage})

    assert reading.usage == Usage(
        input_tokens=50,
        output_tokens=40,
        cache_read_tokens=10,
        reasoning_tokens=5,
        input_audio_tokens=20,
        output_audio_tokens=30,
    )


@pytest.mark.parametrize(
    "usage",
    [
        {"prompt_tokens": -1, "completion_tokens": 2},
        {"prompt_tokens": 1.5, "completion_tokens": 2},
        {"prompt_tokens": "12", "completion_tokens": 2},
        {"prompt_tokens": True, "completion_tokens": 2},
        {"prompt_tokens": 3, "prompt_tokens_details": [1, 2]},
        [1, 2],
        "lots",
    ],
)
def test_malformed_usage_is_recorded_not_raised(usage: Any) -> None:
    body = sse(chunk("a"), chunk(None, usage=usage)) + b"data: [DONE]\n\n"
    meter = ADAPTER.stream_meter(hide_usage_event=True)

    forwarded = run(meter, body)
    reply = ADAPTER.read_response({"choices": [], "usage": usage})

    assert meter.reading.usage is None
    assert meter.reading.error is not None
    assert not meter.reading.complete
    assert forwarded.endswith(b"data: [DONE]\n\n")
    assert reply.usage is None
    assert reply.error is not None


def test_malformed_cost_keeps_the_counts() -> None:
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "cost": "free"}

    reading = ADAPTER.read_response({"choices": [], "usage": usage})

    assert reading.usage == Usage(input_tokens=1, output_tokens=1)
    assert reading.provider_cost_usd is None
    assert reading.error is not None


def test_an_error_chunk_mid_stream_is_recorded() -> None:
    meter = ADAPTER.stream_meter()

    run(meter, sse(chunk("a"), {"error": {"message": "server overloaded", "type": "x"}}))

    assert meter.reading.error == "server overloaded"


def test_a_chunk_that_is_not_json_is_recorded_and_forwarded() -> None:
    meter = ADAPTER.stream_meter()

    assert run(meter, b"data: {oops\n\n") == b"data: {oops\n\n"
    assert meter.reading.error is not None


def test_reasoning_text_is_not_output_text() -> None:
    body = sse(
        {"model": "qwen3", "choices": [{"delta": {"content": "", "reasoning": "hmm"}}]},
        {"model": "qwen3", "choices": [{"delta": {"reasoning_content": "so"}}]},
        {
            "model": "qwen3",
            "choices": [{"delta": {"content": [{"type": "text", "text": "4"}]}}],
        },
    )
    meter = ADAPTER.stream_meter()

    run(meter, body)

    assert meter.reading.text == "4"


def test_prepare_upstream_body_asks_for_usage_and_hides_it() -> None:
    body = {"model": "m", "stream": True, "stream_options": {"include_obfuscation": False}}

    sent, hide = ADAPTER.prepare_upstream_body(body)

    assert hide
    assert sent["stream_options"] == {"include_obfuscation": False, "include_usage": True}
    assert body["stream_options"] == {"include_obfuscation": False}


@pytest.mark.parametrize(
    "body",
    [
        {"model": "m", "stream": True, "stream_options": {"include_usage": True}},
        {"model": "m", "stream": False},
        {"model": "m"},
    ],
)
def test_prepare_upstream_body_leaves_other_requests_alone(body: dict[str, Any]) -> None:
    assert ADAPTER.prepare_upstream_body(body) == (body, False)


def test_request_text_covers_system_parts_and_tool_calls() -> None:
    body = {
        "messages": [
            {"role": "system", "content": "be brief"},
            {
                "role": "user",
                "content": [{"type": "text", "text": "hello"}, {"type": "image_url"}],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"function": {"name": "f", "arguments": '{"x": 1}'}}],
            },
            {"role": "tool", "content": "result"},
        ]
    }

    assert ADAPTER.request_text(body) == 'be brief\nhello\n{"x": 1}\nresult'


@pytest.mark.parametrize(
    ("status", "kind", "code"),
    [
        (400, "invalid_request_error", None),
        (401, "invalid_request_error", "invalid_api_key"),
        (404, "invalid_request_error", None),
        (429, "rate_limit_error", "rate_limit_exceeded"),
        (500, "server_error", None),
        (503, "server_error", None),
    ],
)
def test_error_body_has_openais_shape(status: int, kind: str, code: str | None) -> None:
    assert ADAPTER.error_body(status, "no") == {
        "error": {"message": "no", "type": kind, "param": None, "code": code}
    }
