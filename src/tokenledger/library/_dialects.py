"""How each API wants a conversation: the request body and the route for one turn.

The history is a list of `(role, text)` turns with role "user" or "assistant"; each
dialect renders it, with the system prompt, the way its API expects it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]
Turn = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Options:
    """Generation settings a chat passes on; None leaves the API's default."""

    temperature: float | None = None
    max_tokens: int | None = None
    # Anthropic: mark the system prompt cacheable (Anthropic's prompt caching).
    cache_system: bool = False


# Anthropic requires max_tokens; this is room for a long answer on every current model.
ANTHROPIC_DEFAULT_MAX_TOKENS = 8192


def build_body(
    api: str, model: str, system: str | None, turns: Sequence[Turn], stream: bool, opts: Options
) -> JSON:
    if api == "openai-chat":
        return _openai_chat(model, system, turns, stream, opts)
    if api == "openai-responses":
        return _openai_responses(model, system, turns, stream, opts)
    if api == "anthropic-messages":
        return _anthropic(model, system, turns, stream, opts)
    return _gemini(system, turns, opts)


def route_path(api: str, model: str, stream: bool) -> str:
    """The route, as the gateway names it; `Upstream.url_for` makes it a URL."""
    if api == "openai-chat":
        return "/v1/chat/completions"
    if api == "openai-responses":
        return "/v1/responses"
    if api == "anthropic-messages":
        return "/v1/messages"
    if stream:
        return f"/v1beta/models/{model}:streamGenerateContent?alt=sse"
    return f"/v1beta/models/{model}:generateContent"


def _openai_chat(
    model: str, system: str | None, turns: Sequence[Turn], stream: bool, opts: Options
) -> JSON:
    messages = [{"role": "system", "content": system}] if system else []
    messages += [{"role": role, "content": text} for role, text in turns]
    body: JSON = {"model": model, "messages": messages, "stream": stream}
    if stream:
        # Without it, Chat Completions streams carry no usage at all.
        body["stream_options"] = {"include_usage": True}
    _put(body, "temperature", opts.temperature)
    _put(body, "max_completion_tokens", opts.max_tokens)
    return body


def _openai_responses(
    model: str, system: str | None, turns: Sequence[Turn], stream: bool, opts: Options
) -> JSON:
    # store=False: the chat keeps and resends its own history, so nothing needs to be
    # kept on OpenAI's side.
    body: JSON = {
        "model": model,
        "input": [{"role": role, "content": text} for role, text in turns],
        "stream": stream,
        "store": False,
    }
    _put(body, "instructions", system)
    _put(body, "temperature", opts.temperature)
    _put(body, "max_output_tokens", opts.max_tokens)
    return body


def _anthropic(
    model: str, system: str | None, turns: Sequence[Turn], stream: bool, opts: Options
) -> JSON:
    body: JSON = {
        "model": model,
        "messages": [
            {"role": role, "content": [{"type": "text", "text": text}]} for role, text in turns
        ],
        "stream": stream,
        "max_tokens": opts.max_tokens or ANTHROPIC_DEFAULT_MAX_TOKENS,
    }
    if system and opts.cache_system:
        block = {"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}
        body["system"] = [block]
    elif system:
        body["system"] = system
    _put(body, "temperature", opts.temperature)
    return body


def _gemini(system: str | None, turns: Sequence[Turn], opts: Options) -> JSON:
    # Gemini calls the assistant "model".
    contents = [
        {"role": "model" if role == "assistant" else "user", "parts": [{"text": text}]}
        for role, text in turns
    ]
    body: JSON = {"contents": contents}
    if system:
        body["systemInstruction"] = {"parts": [{"text": system}]}
    config: JSON = {}
    _put(config, "temperature", opts.temperature)
    _put(config, "maxOutputTokens", opts.max_tokens)
    if config:
        body["generationConfig"] = config
    return body


def _put(body: JSON, key: str, value: object) -> None:
    if value is not None:
        body[key] = value
