"""Gemini: last chunk wins, modalities, grounding, the JSON array stream form."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tokenledger.usage import Usage
from tokenledger.wire import GeminiAdapter, StreamMeter

ADAPTER = GeminiAdapter()


def sse(*chunks: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + orjson.dumps(chunk) + b"\r\n\r\n" for chunk in chunks)


def chunk(text: str, usage: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}}
    candidate.update(extra)
    body: dict[str, Any] = {"candidates": [candidate], "modelVersion": "models/gemini-2.5-pro"}
    if usage is not None:
        body["usageMetadata"] = usage
    return body


def run(meter: StreamMeter, body: bytes) -> bytes:
    return (
        b"".join(meter.feed(body[i : i + 4]) for i in range(0, len(body), 4)) + meter.finish()
    )


def test_last_chunk_wins_and_a_count_missing_from_it_is_zero() -> None:
    body = sse(
        chunk(
            "a", {"promptTokenCount": 10, "candidatesTokenCount": 1, "thoughtsTokenCount": 50}
        ),
        chunk(
            "b",
            {"promptTokenCount": 10, "candidatesTokenCount": 7},
            finishReason="STOP",
        ),
    )
    meter = ADAPTER.stream_meter()

    assert run(meter, body) == body
    assert meter.reading.usage == Usage(input_tokens=10, output_tokens=7)
    assert meter.reading.model == "gemini-2.5-pro"
    assert meter.reading.text == "ab"
    assert meter.reading.complete


def test_counts_before_the_finish_reason_are_not_final() -> None:
    meter = ADAPTER.stream_meter()

    run(meter, sse(chunk("a", {"promptTokenCount": 3, "candidatesTokenCount": 1})))

    assert meter.reading.usage == Usage(input_tokens=3, output_tokens=1)
    assert not meter.reading.complete


def test_tool_use_prompt_cache_thoughts_and_audio() -> None:
    usage = {
        "promptTokenCount": 1000,
        "toolUsePromptTokenCount": 40,
        "cachedContentTokenCount": 600,
        "candidatesTokenCount": 90,
        "thoughtsTokenCount": 10,
        "promptTokensDetails": [
            {"modality": "TEXT", "tokenCount": 700},
            {"modality": "AUDIO", "tokenCount": 300},
        ],
        "toolUsePromptTokensDetails": [{"modality": "AUDIO", "tokenCount": 5}],
        "cacheTokensDetails": [{"modality": "AUDIO", "tokenCount": 200}],
        "candidatesTokensDetails": [{"modality": "AUDIO", "tokenCount": 80}],
    }

    reading = ADAPTER.read_response(chunk("x", usage, finishReason="STOP"))

    assert reading.usage == Usage(
        input_tokens=1040,
        output_tokens=100,
        cache_read_tokens=600,
        reasoning_tokens=10,
        input_audio_tokens=305,
        cache_audio_read_tokens=200,
        output_audio_tokens=80,
    )
    assert reading.complete


def test_thought_parts_are_not_output_text() -> None:
    reply = {
        "candidates": [
            {"content": {"parts": [{"text": "hmm", "thought": True}, {"text": "4"}]}}
        ],
        "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1},
    }

    assert ADAPTER.read_response(reply).text == "4"


def test_grounding_queries_count_as_web_searches_even_after_the_usage() -> None:
    grounding = {"webSearchQueries": ["weather paris", "weather lyon"]}
    body = sse(
        chunk("a", {"promptTokenCount": 5, "candidatesTokenCount": 2}),
        chunk("", groundingMetadata=grounding, finishReason="STOP"),
    )
    meter = ADAPTER.stream_meter()

    run(meter, body)

    assert meter.reading.usage == Usage(input_tokens=5, output_tokens=2, web_searches=2)
    assert meter.reading.complete


def test_json_array_stream_form_is_read_element_by_element() -> None:
    first = chunk("a", {"promptTokenCount": 4, "candidatesTokenCount": 1})
    last = chunk("b", {"promptTokenCount": 4, "candidatesTokenCount": 3}, finishReason="STOP")
    head = b"[" + orjson.dumps(first) + b"\n,\r\n"
    body = head + orjson.dumps(last) + b"]"
    meter = ADAPTER.stream_meter()

    forwarded = b"".join(meter.feed(head[i : i + 9]) for i in range(0, len(head), 9))
    assert meter.reading.usage == Usage(input_tokens=4, output_tokens=1)
    assert not meter.reading.complete

    rest = body[len(head) :]
    forwarded += b"".join(meter.feed(rest[i : i + 9]) for i in range(0, len(rest), 9))
    assert forwarded == body
    assert meter.finish() == b""
    assert meter.reading.usage == Usage(input_tokens=4, output_tokens=3)
    assert meter.reading.text == "ab"
    assert meter.reading.complete
    assert meter.reading.error is None


def test_a_cut_json_array_stream_is_recorded() -> None:
    meter = ADAPTER.stream_meter()

    meter.feed(b'  [{"candidates": []}, {"usa')
    meter.finish()

    assert meter.reading.usage is None
    assert meter.reading.error is not None


@pytest.mark.parametrize(
    "usage",
    [{"promptTokenCount": -1}, {"candidatesTokenCount": 2.0}, {"promptTokensDetails": {}}, [3]],
)
def test_malformed_usage_is_recorded_not_raised(usage: Any) -> None:
    body = sse(chunk("a", usage, finishReason="STOP"))
    meter = ADAPTER.stream_meter()

    assert run(meter, body) == body
    assert meter.reading.usage is None
    assert meter.reading.error is not None
    assert not meter.reading.complete


def test_model_comes_from_the_path() -> None:
    path = "/v1beta/models/gemini-2.5-flash:streamGenerateContent"

    assert ADAPTER.request_model({}, path) == "gemini-2.5-flash"
    assert ADAPTER.request_model({}, path + "?alt=sse") == "gemini-2.5-flash"
    assert ADAPTER.wants_stream({}, path, "alt=sse")
    assert not ADAPTER.wants_stream({}, "/v1beta/models/gemini-2.5-flash:generateContent", "")
    assert ADAPTER.request_model({}, "/v1beta/models/models%2Fgemini-2.0-flash:generateContent")


def test_request_text_covers_system_instruction_and_parts() -> None:
    body = {
        "systemInstruction": {"parts": [{"text": "be brief"}]},
        "contents": [
            {"role": "user", "parts": [{"text": "hi"}, {"inlineData": {"data": "..."}}]},
            {"role": "model", "parts": [{"text": "hello"}]},
        ],
    }

    assert ADAPTER.request_text(body) == "be brief\nhi\nhello"


def test_error_chunk_is_recorded() -> None:
    meter = ADAPTER.stream_meter()

    run(meter, sse({"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}))

    assert meter.reading.error == "overloaded"


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (400, "INVALID_ARGUMENT"),
        (401, "UNAUTHENTICATED"),
        (403, "PERMISSION_DENIED"),
        (404, "NOT_FOUND"),
        (429, "RESOURCE_EXHAUSTED"),
        (500, "INTERNAL"),
        (503, "UNAVAILABLE"),
        (504, "DEADLINE_EXCEEDED"),
    ],
)
def test_error_body_has_googles_shape(status: int, name: str) -> None:
    assert ADAPTER.error_body(status, "no") == {
        "error": {"code": status, "message": "no", "status": name}
    }
