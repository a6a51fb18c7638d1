"""Usage callbacks (library and gateway alike), the high-usage hook, the context guard
and the errors a chat raises."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

import tokenledger
from tests.gateway.conftest import start_gateway
from tests.library.conftest import Library
from tests.library.recorded import asked
from tokenledger.demo.replay import FAULT_500, ReplayServer
from tokenledger.ledger import UsageEvent
from tokenledger.policy import ContextCheck


def _ask(library: Library, file: str, index: int) -> tokenledger.Message:
    call = asked(file, index)
    library.replay.app.prefer(file, index)
    return call.chat().ask(call.text)


def test_a_failing_callback_is_logged_and_the_reply_kept(
    library: Library, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: UsageEvent) -> None:
        raise RuntimeError("callback bug")

    tokenledger.configure(on_token_usage=broken)
    with caplog.at_level(logging.ERROR):
        message = _ask(library, "openai-chat-stream", 1)

    assert message.content == "1, 2, 3"
    assert len(library.events()) == 1
    assert "callback bug" in caplog.text


def test_async_callbacks_run_before_ask_returns(library: Library) -> None:
    seen: list[str | None] = []

    async def remember(event: UsageEvent) -> None:
        seen.append(getattr(event, "chat_id", None))

    tokenledger.configure(on_token_usage=remember)
    call = asked("gemini-stream", 1)
    chat = call.chat()
    chat.ask(call.text)

    assert seen == [chat.id]


def test_high_usage_fires_above_the_threshold_only(library: Library) -> None:
    high: list[int] = []
    tokenledger.configure(
        high_usage_tokens=100, on_high_usage=lambda e: high.append(e.usage.total_tokens)
    )

    _ask(library, "openai-chat-stream", 1)  # 21 tokens
    _ask(library, "openai-chat-basic", 0)  # 151 tokens

    assert high == [151]
    assert len(library.events_seen) == 2


def test_a_gateway_app_in_the_process_fires_the_configured_callbacks(
    library: Library, tmp_path: Path, replay: ReplayServer
) -> None:
    app, server = start_gateway(tmp_path, replay.url)
    try:
        key = app.ledger.create_key("bob").key
        body = {"contents": [{"role": "user", "parts": [{"text": "Count from 1 to 3"}]}]}
        url = f"{server.url}/v1beta/models/gemini-2.5-flash:generateContent"
        reply = httpx.post(url, json=body, headers={"x-goog-api-key": key}, timeout=30)
        assert reply.status_code == 200
    finally:
        server.stop()

    [event] = library.events_seen
    assert (event.user, event.source, event.usage.total_tokens) == ("bob", "gateway", 36)


def test_a_request_past_the_context_window_is_refused_unsent(library: Library) -> None:
    refused: list[ContextCheck] = []
    tokenledger.configure(on_token_limit_exceeded=refused.append)
    chat = tokenledger.chat("gpt-4.1-nano", user="alice")
    before = len(library.replay.app.received)

    with pytest.raises(tokenledger.ContextLimitExceededError) as raised:
        chat.ask("word " * 1_100_000)

    [check] = refused
    assert check.limit_tokens == raised.value.limit_tokens
    assert check.needed_tokens == raised.value.needed_tokens > check.limit_tokens
    assert (check.user, check.chat_id, check.exact) == ("alice", chat.id, True)
    assert len(library.replay.app.received) == before
    assert library.events() == [] and chat.messages == []


def test_a_missing_key_names_its_variable(library: Library) -> None:
    del library.env["ANTHROPIC_API_KEY"]
    chat = tokenledger.chat("claude-haiku-4-5-20251001")

    with pytest.raises(tokenledger.MissingKeyError, match="ANTHROPIC_API_KEY"):
        chat.ask("Hello")


def test_an_upstream_error_carries_status_and_message(library: Library) -> None:
    chat = tokenledger.chat(FAULT_500, provider="openai")

    with pytest.raises(tokenledger.UpstreamError) as raised:
        chat.ask("Hello")

    assert (raised.value.status, raised.value.provider_message) == (500, "scripted failure")
    [event] = library.events()
    assert (event.status, event.http_status, event.usage.total_tokens) == (
        "upstream_error",
        500,
        0,
    )


def test_provider_is_inferred_from_model_and_config(library: Library) -> None:
    assert tokenledger.chat("claude-haiku-4-5").upstream.name == "anthropic"
    assert tokenledger.chat("gemini-2.5-flash").upstream.name == "gemini"
    assert tokenledger.chat("deepseek-chat").upstream.name == "deepseek"
    assert tokenledger.chat("gpt-4.1-nano").adapter.api == "openai-chat"
    assert tokenledger.chat("gpt-4.1-nano", api="responses").adapter.api == "openai-responses"
    with pytest.raises(tokenledger.UnknownModelError, match="nowhere"):
        tokenledger.chat("gpt-4.1-nano", provider="nowhere")


def test_count_tokens_is_exported() -> None:
    assert tokenledger.count_tokens("Count from 1 to 3", "gpt-4.1-nano").tokens == 7


def test_the_exported_names_are_what_the_package_offers() -> None:
    for name in tokenledger.__all__:
        assert getattr(tokenledger, name) is not None
    assert {"chat", "configure", "httpx_client", "count_tokens", "Message"} <= set(
        tokenledger.__all__
    )
