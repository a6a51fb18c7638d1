"""OpenAI Chat Completions, and the servers that speak its dialect.

One adapter serves OpenAI and the OpenAI-compatible servers (DeepSeek, OpenRouter,
Mistral, Groq, Ollama, vLLM), because they share the shape and differ only in extras:

- DeepSeek reports its cache as `prompt_cache_hit_tokens` / `prompt_cache_miss_tokens`.
- OpenRouter reports its own charge as `usage.cost`, read as an exact Decimal.
- Groq puts stream usage in `x_groq.usage`; Mistral and DeepSeek put it on the last
  chunk that still has choices; OpenAI and vLLM send a last chunk whose `choices` is
  empty; Ollama sends that chunk only when asked.

`prompt_tokens` already includes the cached part and `completion_tokens` the reasoning
part, so they map straight onto the canonical input and output. Ollama reports no
reasoning count at all: none is recorded, and none is guessed from the text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from tokenledger.errors import InvalidUsageError
from tokenledger.usage import Usage
from tokenledger.wire._base import JSON, Reading, StreamMeter, WireAdapter
from tokenledger.wire._fields import (
    as_usage_object,
    content_text,
    count,
    dumps_text,
    items,
    join_texts,
    loads_exact,
    money,
    section,
    string,
)
from tokenledger.wire._sse import SseStreamMeter

_TEXT_PARTS = frozenset({"text", "input_text", "output_text"})

# OpenAI's `error.type` per HTTP status, as its API sends them; the SDKs pick their
# exception class from the status and show type and message.
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}
_ERROR_CODES = {401: "invalid_api_key", 429: "rate_limit_exceeded"}


def openai_error_body(status: int, message: str) -> JSON:
    """`{"error": {message, type, param, code}}`, the shape every OpenAI API uses."""
    fallback = "server_error" if status >= 500 else "invalid_request_error"
    kind = _ERROR_TYPES.get(status, fallback)
    return {
        "error": {
            "message": message,
            "type": kind,
            "param": None,
            "code": _ERROR_CODES.get(status),
        }
    }


def chat_usage(usage: Any) -> Usage:
    """Canonical counts from a Chat Completions `usage` object, in any dialect."""
    usage = as_usage_object(usage)
    prompt = section(usage, "prompt_tokens_details")
    completion = section(usage, "completion_tokens_details")

    input_tokens = count(usage, "prompt_tokens")
    cache_read = count(prompt, "cached_tokens")
    if "prompt_cache_hit_tokens" in usage:
        # DeepSeek's own field is the one it bills by; its `prompt_tokens` is hit + miss.
        cache_read = count(usage, "prompt_cache_hit_tokens")
        if usage.get("prompt_tokens") is None:
            input_tokens = cache_read + count(usage, "prompt_cache_miss_tokens")

    return Usage(
        input_tokens=input_tokens,
        output_tokens=count(usage, "completion_tokens"),
        cache_read_tokens=cache_read,
        cache_write_tokens=count(prompt, "cache_write_tokens"),
        reasoning_tokens=count(completion, "reasoning_tokens"),
        input_audio_tokens=count(prompt, "audio_tokens"),
        output_audio_tokens=count(completion, "audio_tokens"),
    )


def _usage_of(chunk: Mapping[str, Any]) -> Any:
    """Where this server put the usage: top level, or Groq's `x_groq`."""
    usage = chunk.get("usage")
    if usage is None:
        extra = chunk.get("x_groq")
        if isinstance(extra, dict):
            usage = extra.get("usage")
    return usage


def _apply_usage(reading: Reading, usage: Any) -> None:
    """Record counts (replacing earlier ones) and OpenRouter's cost; never raises."""
    try:
        reading.usage = chat_usage(usage)
    except InvalidUsageError as exc:
        reading.usage = None
        reading.error = f"malformed usage: {exc}"
        return

    try:
        reading.provider_cost_usd = money(usage.get("cost"))
    except InvalidUsageError as exc:
        # The counts are still right; only the provider's own figure is lost.
        reading.error = f"malformed usage.cost: {exc}"


def _error_message(value: Any) -> str:
    if isinstance(value, dict):
        message = value.get("message")
        if isinstance(message, str):
            return message
    return str(value)


class OpenAIChatStreamMeter(SseStreamMeter):
    """Meters a Chat Completions stream of `data: {chunk}` events ending in `[DONE]`."""

    def _on_event(self, name: bytes, data: bytearray) -> bool:
        if data.strip() == b"[DONE]":
            if self.reading.usage is not None:
                self.reading.complete = True
            return False

        chunk = loads_exact(data)
        if not isinstance(chunk, dict):
            self.reading.error = "stream chunk is not a JSON object"
            return False
        return self._read_chunk(chunk)

    def _read_chunk(self, chunk: JSON) -> bool:
        reading = self.reading
        self._saw_model(chunk.get("model"))
        if chunk.get("error"):
            reading.error = _error_message(chunk["error"])
        tier = string(chunk, "service_tier")
        if tier:
            reading.service_tier = tier

        choices = items(chunk, "choices")
        finished = False
        for choice in choices:
            if isinstance(choice, dict):
                delta = choice.get("delta")
                if isinstance(delta, dict):
                    reading.add_text(content_text(delta.get("content"), _TEXT_PARTS))
                finished = finished or choice.get("finish_reason") is not None

        usage = _usage_of(chunk)
        if usage is None:
            return False
        _apply_usage(reading, usage)
        if not choices or finished:
            reading.complete = reading.usage is not None
        # Hold back only a usage-only chunk: one that also has choices carries content.
        return self.hide_usage_event and not choices


class OpenAIChatAdapter(WireAdapter):
    """`POST /v1/chat/completions`."""

    api: ClassVar[str] = "openai-chat"
    protocol: ClassVar[str] = "openai"

    def prepare_upstream_body(self, body: JSON) -> tuple[JSON, bool]:
        """Ask for stream usage when the client did not, and hide that extra event."""
        if body.get("stream") is not True:
            return body, False

        options = body.get("stream_options")
        options = options if isinstance(options, dict) else {}
        if options.get("include_usage") is True:
            return body, False
        return {**body, "stream_options": {**options, "include_usage": True}}, True

    def read_response(self, body: JSON) -> Reading:
        reading = Reading(model=string(body, "model"))
        reading.service_tier = string(body, "service_tier")
        if body.get("error"):
            reading.error = _error_message(body["error"])

        texts: list[str] = []
        for choice in items(body, "choices"):
            message = choice.get("message") if isinstance(choice, dict) else None
            if isinstance(message, dict):
                texts.append(content_text(message.get("content"), _TEXT_PARTS))
        reading.text = "".join(texts)

        usage = _usage_of(body)
        if usage is not None:
            _apply_usage(reading, usage)
            reading.complete = reading.usage is not None
        return reading

    def stream_meter(self, *, hide_usage_event: bool = False) -> StreamMeter:
        return OpenAIChatStreamMeter(hide_usage_event=hide_usage_event)

    def error_body(self, status: int, message: str) -> JSON:
        return openai_error_body(status, message)

    def request_text(self, body: JSON) -> str:
        """System and user text, earlier replies, and tool call arguments."""
        pieces: list[str] = []
        for message in items(body, "messages"):
            if not isinstance(message, dict):
                continue
            pieces.append(content_text(message.get("content"), _TEXT_PARTS))
            for call in items(message, "tool_calls"):
                function = call.get("function") if isinstance(call, dict) else None
                if isinstance(function, dict):
                    pieces.append(dumps_text(function.get("arguments")))
        return join_texts(pieces)
