"""Every recorded exchange meters to the counts in expected.json, however it arrives."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from tokenledger.wire import Reading, StreamMeter, WireAdapter, get_adapter

FIXTURES = Path(__file__).parents[1] / "fixtures"
EXPECTED: list[dict[str, Any]] = json.loads((FIXTURES / "expected.json").read_text())

API_BY_PREFIX = {
    "openai-chat": "openai-chat",
    "openai-responses": "openai-responses",
    "anthropic": "anthropic-messages",
    "gemini": "gemini",
    "deepseek": "openai-chat",
    "ollama": "openai-chat",
}

# The visible text of each recorded reply: reasoning and thinking text are left out.
TEXTS = {
    "openai-chat-basic": "4",
    "openai-chat-stream": "1, 2, 3",
    "openai-responses-basic": "4",
    "openai-responses-stream": "1, 2, 3",
    "anthropic-stream": "1\n2\n3",
    "anthropic-prompt-cache": "OK",
    "gemini-stream": "1, 2, 3",
    "deepseek-stream": "1, 2, 3.",
    "ollama-stream": "1, 2, 3",
}

COUNT_KEYS = (
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "total_tokens",
)


def adapter_for(row: dict[str, Any]) -> WireAdapter:
    prefix = next(key for key in API_BY_PREFIX if row["file"].startswith(key))
    return get_adapter(API_BY_PREFIX[prefix])


def exchange(row: dict[str, Any]) -> dict[str, Any]:
    recording = json.loads((FIXTURES / "wire" / f"{row['file']}.json").read_text())
    found: dict[str, Any] = recording["exchanges"][row["index"]]
    return found


def is_stream(row: dict[str, Any]) -> bool:
    return "event-stream" in exchange(row)["response"]["content_type"]


def body_of(row: dict[str, Any]) -> bytes:
    text: str = exchange(row)["response"]["body"]
    return text.encode()


def whole(body: bytes) -> list[bytes]:
    return [body]


def bytewise(body: bytes) -> list[bytes]:
    return [body[i : i + 1] for i in range(len(body))]


def random_splits(seed: int) -> Callable[[bytes], list[bytes]]:
    def split(body: bytes) -> list[bytes]:
        rng = random.Random(seed)
        cuts = sorted(rng.sample(range(1, len(body)), min(len(body) - 1, rng.randint(1, 40))))
        return [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]

    return split


SPLITTERS = [
    pytest.param(whole, id="whole"),
    pytest.param(bytewise, id="bytewise"),
    *(pytest.param(random_splits(seed), id=f"random{seed}") for seed in range(5)),
]


def run(meter: StreamMeter, pieces: list[bytes]) -> bytes:
    forwarded = b"".join(meter.feed(piece) for piece in pieces)
    return forwarded + meter.finish()


def assert_matches(reading: Reading, row: dict[str, Any]) -> None:
    assert reading.error is None
    assert reading.model == row["model"]
    assert reading.usage is not None
    counts = reading.usage.as_dict()
    assert {key: counts[key] for key in COUNT_KEYS} == {key: row[key] for key in COUNT_KEYS}
    assert reading.complete


def rows(*, stream: bool) -> list[Any]:
    return [
        pytest.param(row, id=f"{row['file']}-{row['index']}")
        for row in EXPECTED
        if is_stream(row) == stream
    ]


@pytest.mark.parametrize("row", rows(stream=False))
def test_whole_reply_meters_exactly(row: dict[str, Any]) -> None:
    adapter = adapter_for(row)
    body = body_of(row)

    reading = adapter.read_response_bytes(body)

    assert_matches(reading, row)
    assert reading.text == TEXTS[row["file"]]
    assert adapter.read_response(orjson.loads(body)) == reading


@pytest.mark.parametrize("split", SPLITTERS)
@pytest.mark.parametrize("row", rows(stream=True))
def test_stream_meters_exactly_however_split(
    row: dict[str, Any], split: Callable[[bytes], list[bytes]]
) -> None:
    body = body_of(row)
    meter = adapter_for(row).stream_meter()

    forwarded = run(meter, split(body))

    assert forwarded == body
    assert_matches(meter.reading, row)
    if row["file"] in TEXTS:
        assert meter.reading.text == TEXTS[row["file"]]


def sent_texts(value: Any) -> list[str]:
    """Every string a request sends as `text` or `content`, wherever it sits."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("text", "content", "system") and isinstance(item, str):
                found.append(item)
            else:
                found.extend(sent_texts(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(sent_texts(item))
    return found


@pytest.mark.parametrize("row", [*rows(stream=True), *rows(stream=False)])
def test_request_side_is_read(row: dict[str, Any]) -> None:
    adapter = adapter_for(row)
    request = exchange(row)["request"]
    path = request["path"].replace("<OLLAMA_API_BASE>", "/v1")
    text = adapter.request_text(request["body"])

    assert adapter.wants_stream(request["body"], path, request["query"] or "") == is_stream(row)
    requested = adapter.request_model(request["body"], path)
    assert requested == request["body"].get("model", "gemini-2.5-flash")
    assert sent_texts(request["body"])
    assert all(piece in text for piece in sent_texts(request["body"]))


def usage_only_event(body: bytes) -> bytes:
    """The one event of an OpenAI-style stream whose choices are empty and has usage."""
    events = [event + b"\n\n" for event in body.split(b"\n\n") if event]
    found = [e for e in events if b'"choices":[]' in e and b'"usage":{' in e]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize("split", SPLITTERS)
@pytest.mark.parametrize("name", ["openai-chat-stream", "ollama-stream"])
def test_hidden_usage_event_is_the_only_thing_removed(
    name: str, split: Callable[[bytes], list[bytes]]
) -> None:
    row = next(row for row in EXPECTED if row["file"] == name and row["index"] == 0)
    body = body_of(row)
    meter = adapter_for(row).stream_meter(hide_usage_event=True)

    forwarded = run(meter, split(body))

    assert forwarded == body.replace(usage_only_event(body), b"")
    assert forwarded.endswith(b"data: [DONE]\n\n")
    assert_matches(meter.reading, row)


def test_usage_on_a_chunk_with_choices_is_forwarded_even_when_hiding() -> None:
    # DeepSeek puts its usage on the last chunk that still has a choice.
    row = next(row for row in EXPECTED if row["file"] == "deepseek-stream")
    body = body_of(row)
    meter = adapter_for(row).stream_meter(hide_usage_event=True)

    assert run(meter, [body]) == body
    assert_matches(meter.reading, row)
