"""The unmodified openai and anthropic SDKs, handed `tokenledger.httpx_client`.

Each recorded OpenAI and Anthropic exchange is replayed through the SDK and must give
the ledger event and callback a chat gives for the same exchange.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import anthropic
import openai
import pytest

import tokenledger
from tests.gateway.conftest import PROVIDER_KEY, expected_row, recorded_request
from tests.library.conftest import Library
from tests.library.recorded import ROWS, asked
from tokenledger.ledger import UsageEvent

SDK_ROWS = [(f, i) for f, i in ROWS if not f.startswith("gemini")]
IDS = [f"{f}#{i}" for f, i in SDK_ROWS]


def _base_url(library: Library, path: str) -> str:
    url = library.replay.url
    if path.startswith("/v1/") and not path.endswith("/messages"):
        return f"{url}/v1"
    if path.startswith("<OLLAMA_API_BASE>"):
        return f"{url}/ollama"
    return url


def call_sdk(library: Library, file: str, index: int) -> Any:
    request = recorded_request(file, index)
    body: dict[str, Any] = dict(request["body"])
    path: str = request["path"]
    base_url = _base_url(library, path)
    http_client = tokenledger.httpx_client(user="alice")
    if path.endswith("/messages"):
        client = anthropic.Anthropic(
            base_url=base_url, api_key=PROVIDER_KEY, http_client=http_client, max_retries=0
        )
        named = {
            k: body.pop(k)
            for k in ("model", "max_tokens", "messages", "stream", "system")
            if k in body
        }
        return _consume(client.messages.create(**named, extra_body=body))

    sdk = openai.OpenAI(
        base_url=base_url, api_key=PROVIDER_KEY, http_client=http_client, max_retries=0
    )
    if path.endswith("/responses"):
        return _consume(sdk.responses.create(**body))
    return _consume(sdk.chat.completions.create(**body))


def _consume(result: Any) -> Any:
    # SDK streams are iterators; replies are pydantic models, iterable over fields.
    if hasattr(result, "__next__"):
        return list(result)
    return result


def assert_matches(event: UsageEvent, row: dict[str, Any]) -> None:
    assert event.model == row["model"]
    assert event.usage.input_tokens == row["input_tokens"]
    assert event.usage.cache_read_tokens == row["cache_read_tokens"]
    assert event.usage.cache_write_tokens == row["cache_write_tokens"]
    assert event.usage.output_tokens == row["output_tokens"]
    assert event.usage.reasoning_tokens == row["reasoning_tokens"]
    expected = None if row["cost_usd"] is None else Decimal(row["cost_usd"])
    assert event.cost_usd == expected
    assert (event.estimated, event.status, event.user) == (False, "ok", "alice")


@pytest.mark.parametrize(("file", "index"), SDK_ROWS, ids=IDS)
def test_sdk_call_is_metered_like_a_chat(library: Library, file: str, index: int) -> None:
    library.replay.app.prefer(file, index)
    call_sdk(library, file, index)
    call = asked(file, index)
    library.replay.app.prefer(file, index)
    call.chat().ask(call.text, on_chunk=(lambda _: None) if call.stream else None)

    # Both events carry the pinned time, so the ledger's order is not theirs.
    stored = {event.id: event for event in library.events()}
    through_sdk, through_chat = (stored[event.id] for event in library.events_seen)
    assert_matches(through_sdk, expected_row(file, index))
    for field in ("provider", "api", "usage", "cost_usd", "model", "model_requested", "user"):
        assert getattr(through_sdk, field) == getattr(through_chat, field)
    assert len(stored) == 2


def test_sdk_return_values_are_unchanged(library: Library) -> None:
    library.replay.app.prefer("openai-chat-stream", 0)
    events = call_sdk(library, "openai-chat-stream", 0)
    library.replay.app.prefer("openai-chat-basic", 0)
    completion = call_sdk(library, "openai-chat-basic", 0)

    text = "".join(e.choices[0].delta.content or "" for e in events if e.choices)
    assert text == "1, 2, 3"
    assert events[-1].usage.completion_tokens == 7
    assert completion.choices[0].message.content == "4"
    assert completion.usage.prompt_tokens == 13


@pytest.mark.parametrize(
    ("file", "index"),
    [("openai-chat-stream", 0), ("openai-responses-stream", 1), ("anthropic-stream", 0)],
)
def test_async_sdk_client_meters_too(library: Library, file: str, index: int) -> None:
    request = recorded_request(file, index)
    body: dict[str, Any] = dict(request["body"])
    library.replay.app.prefer(file, index)

    async def run() -> None:
        http_client = tokenledger.async_httpx_client(user="alice")
        if file.startswith("anthropic"):
            client = anthropic.AsyncAnthropic(
                base_url=library.replay.url, api_key=PROVIDER_KEY, http_client=http_client
            )
            named = {k: body.pop(k) for k in ("model", "max_tokens", "messages", "stream")}
            result: Any = await client.messages.create(**named, extra_body=body)
        elif file.startswith("openai-responses"):
            sdk = openai.AsyncOpenAI(
                base_url=f"{library.replay.url}/v1",
                api_key=PROVIDER_KEY,
                http_client=http_client,
            )
            result = await sdk.responses.create(**body)
        else:
            sdk = openai.AsyncOpenAI(
                base_url=f"{library.replay.url}/v1",
                api_key=PROVIDER_KEY,
                http_client=http_client,
            )
            result = await sdk.chat.completions.create(**body)
        if hasattr(result, "__aiter__"):
            async for _ in result:
                pass
        await http_client.aclose()

    asyncio.run(run())

    [event] = library.events()
    assert_matches(event, expected_row(file, index))
    assert [e.id for e in library.events_seen] == [event.id]


def test_a_stream_closed_early_is_recorded_as_cancelled(library: Library) -> None:
    library.replay.app.prefer("openai-chat-stream", 0)
    body = dict(recorded_request("openai-chat-stream", 0)["body"])
    sdk = openai.OpenAI(
        base_url=f"{library.replay.url}/v1",
        api_key=PROVIDER_KEY,
        http_client=tokenledger.httpx_client(user="alice"),
    )

    stream: Any = sdk.chat.completions.create(**body)
    next(iter(stream))
    stream.close()

    [event] = library.events()
    assert event.status == "client_cancelled"
    assert event.estimated is True
