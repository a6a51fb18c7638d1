"""Every row of tests/fixtures/expected.json as a chat, streamed and not, sync and async.

The chat talks HTTP to a replay of the recorded exchanges; its request bodies must be
the recorded ones for the replay to answer, so these tests also pin each dialect.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from tests.gateway.conftest import expected_row
from tests.library.conftest import Library
from tests.library.recorded import ROWS, asked
from tokenledger import Chunk, Message
from tokenledger.ledger import UsageEvent

IDS = [f"{f}#{i}" for f, i in ROWS]


def assert_row(message: Message, row: dict[str, Any]) -> None:
    assert message.model == row["model"]
    assert message.input_tokens == row["input_tokens"]
    assert message.cache_read_tokens == row["cache_read_tokens"]
    assert message.cache_write_tokens == row["cache_write_tokens"]
    assert message.output_tokens == row["output_tokens"]
    assert message.reasoning_tokens == row["reasoning_tokens"]
    assert message.total_tokens == row["total_tokens"]
    assert message.cost == (None if row["cost_usd"] is None else Decimal(row["cost_usd"]))
    assert message.estimated is False


def assert_stream(chunks: list[Chunk], message: Message) -> None:
    assert chunks, "a streamed reply hands on at least one chunk"
    inputs = [c.input_tokens for c in chunks]
    outputs = [c.output_tokens for c in chunks]
    assert inputs == sorted(inputs)
    assert outputs == sorted(outputs)
    assert chunks[-1].estimated is False
    assert all(c.estimated for c in chunks[:-1])
    assert (chunks[-1].input_tokens, chunks[-1].output_tokens) == (
        message.input_tokens,
        message.output_tokens,
    )
    assert "".join(c.content for c in chunks) == message.content


def assert_event(event: UsageEvent, message: Message) -> None:
    assert event.id == message.event_id
    assert event.usage == message.usage
    assert event.cost_usd == message.cost
    assert event.user == "alice"
    assert event.source == "library"


@pytest.mark.parametrize(("file", "index"), ROWS, ids=IDS)
def test_chat_meters_every_recorded_row_exactly(
    library: Library, file: str, index: int
) -> None:
    call = asked(file, index)
    library.replay.app.prefer(file, index)
    chunks: list[Chunk] = []

    message = call.chat().ask(call.text, on_chunk=chunks.append if call.stream else None)

    assert_row(message, expected_row(file, index))
    if call.stream:
        assert_stream(chunks, message)
    [event] = library.events()
    assert_event(event, message)
    [called] = library.events_seen
    assert (called.id, called.usage, called.cost_usd) == (event.id, event.usage, event.cost_usd)
    assert getattr(called, "chat_id", None) is not None


@pytest.mark.parametrize(("file", "index"), ROWS, ids=IDS)
def test_async_chat_meters_every_recorded_row_exactly(
    library: Library, file: str, index: int
) -> None:
    call = asked(file, index)
    library.replay.app.prefer(file, index)
    chunks: list[Chunk] = []

    async def on_chunk(chunk: Chunk) -> None:
        chunks.append(chunk)

    async def run() -> Message:
        return await call.chat().aask(call.text, on_chunk=on_chunk if call.stream else None)

    message = asyncio.run(run())

    assert_row(message, expected_row(file, index))
    if call.stream:
        assert_stream(chunks, message)
    [event] = library.events()
    assert_event(event, message)


@pytest.mark.parametrize(
    ("streamed", "whole"),
    [
        (("openai-chat-stream", 0), ("openai-chat-stream", 1)),
        (("openai-responses-stream", 0), ("openai-responses-stream", 1)),
        (("anthropic-stream", 0), ("anthropic-stream", 1)),
        (("gemini-stream", 0), ("gemini-stream", 1)),
    ],
    ids=["openai-chat", "openai-responses", "anthropic", "gemini"],
)
def test_streamed_reply_has_the_counts_of_the_whole_one(
    library: Library, streamed: tuple[str, int], whole: tuple[str, int]
) -> None:
    call = asked(*whole)
    chunks: list[Chunk] = []

    library.replay.app.prefer(*streamed)
    from_stream = call.chat().ask(call.text, on_chunk=chunks.append)
    library.replay.app.prefer(*whole)
    from_whole = call.chat().ask(call.text)

    assert from_stream.usage == from_whole.usage
    assert from_stream.cost == from_whole.cost
    assert from_stream.content == from_whole.content


def test_cost_breakdown_adds_up_to_the_cost(library: Library) -> None:
    call = asked("anthropic-prompt-cache", 0)
    library.replay.app.prefer("anthropic-prompt-cache", 0)

    message = call.chat().ask(call.text)

    parts = message.cost_breakdown
    assert parts is not None
    assert parts.cache_write_usd > 0
    total = parts.input_usd + parts.cache_read_usd + parts.cache_write_usd + parts.output_usd
    assert total + parts.other_usd == message.cost
