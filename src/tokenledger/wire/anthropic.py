"""Anthropic Messages (`POST /v1/messages`).

Anthropic's `input_tokens` leaves the cache out, so the canonical input is
`input_tokens + cache_creation_input_tokens + cache_read_input_tokens`. The cache write
is split by lifetime in `cache_creation` (the one-hour part is priced higher);
`server_tool_use.web_search_requests` counts billed web searches; thinking is in
`output_tokens_details.thinking_tokens` (older models report none).

A stream reports the input side in `message_start` and cumulative counts in each
`message_delta`: a delta replaces what came before, field by field, and a stream may
carry several.

When `usage.iterations` is present (server-side compaction, or an advisor model run
for the request), the bill is the sum over the iterations. Each one's model and counts
go to `Reading.extra["iterations"]` as `{"type", "model", "usage"}`, where `usage` maps
`USAGE_FIELDS` to counts (so `Usage(**item["usage"])` rebuilds it) and `model` is the
iteration's own model, or the reply's when it names none. Thinking and web searches
are reported only for the whole request and stay on the summed usage, not on any
iteration.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

from tokenledger.errors import InvalidUsageError
from tokenledger.usage import USAGE_FIELDS, Usage
from tokenledger.wire._base import JSON, Reading, StreamMeter, WireAdapter
from tokenledger.wire._fields import (
    as_usage_object,
    content_text,
    count,
    dumps_text,
    items,
    join_texts,
    loads_exact,
    section,
    string,
)
from tokenledger.wire._sse import SseStreamMeter

_TEXT = frozenset({"text"})

# Anthropic's `error.type` per HTTP status, from its API reference; other 4xx are
# sent as invalid_request_error and other 5xx as api_error.
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}

# Stream events that carry nothing the meter needs; they pass through unparsed.
_SKIPPED_EVENTS = frozenset({b"ping", b"content_block_start", b"content_block_stop"})


def _token_counts(usage: Mapping[str, Any]) -> Usage:
    """The token counts of one usage object (a whole request or one iteration)."""
    fresh = count(usage, "input_tokens")
    written = count(usage, "cache_creation_input_tokens")
    read = count(usage, "cache_read_input_tokens")
    lifetimes = section(usage, "cache_creation")
    return Usage(
        input_tokens=fresh + written + read,
        output_tokens=count(usage, "output_tokens"),
        cache_read_tokens=read,
        cache_write_tokens=written,
        cache_write_1h_tokens=count(lifetimes, "ephemeral_1h_input_tokens"),
    )


def _iterations(usage: Mapping[str, Any], model: str | None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for item in items(usage, "iterations"):
        if not isinstance(item, dict):
            raise InvalidUsageError(f"usage.iterations holds a {type(item).__name__}")
        counts = _token_counts(item)
        found.append(
            {
                "type": string(item, "type"),
                "model": string(item, "model") or model,
                "usage": {name: getattr(counts, name) for name in USAGE_FIELDS},
            }
        )
    return found


def messages_usage(usage: Any, model: str | None = None) -> tuple[Usage, list[dict[str, Any]]]:
    """Canonical counts from a Messages `usage` object, and its iterations if any."""
    usage = as_usage_object(usage)
    iterations = _iterations(usage, model)
    counts = _token_counts(usage)
    if iterations:
        counts = sum((Usage(**item["usage"]) for item in iterations), Usage())

    return (
        dataclasses.replace(
            counts,
            reasoning_tokens=count(section(usage, "output_tokens_details"), "thinking_tokens"),
            web_searches=count(section(usage, "server_tool_use"), "web_search_requests"),
        ),
        iterations,
    )


def _read_usage(reading: Reading, usage: Any) -> None:
    """Replace the reading's counts with these; a malformed object is recorded, not raised."""
    try:
        reading.usage, iterations = messages_usage(usage, reading.model)
    except InvalidUsageError as exc:
        reading.usage = None
        reading.error = f"malformed usage: {exc}"
        return

    if iterations:
        reading.extra["iterations"] = iterations
    if isinstance(usage, dict):
        reading.service_tier = string(usage, "service_tier") or reading.service_tier


class AnthropicStreamMeter(SseStreamMeter):
    """Meters a Messages stream of named events."""

    def __init__(self, *, hide_usage_event: bool = False) -> None:
        super().__init__(hide_usage_event=hide_usage_event)
        # The usage fields seen so far, each as its latest event reported it.
        self._usage: JSON = {}

    def _on_event(self, name: bytes, data: bytearray) -> bool:
        if name in _SKIPPED_EVENTS:
            return False

        event = loads_exact(data)
        if not isinstance(event, dict):
            self.reading.error = "stream event is not a JSON object"
            return False

        kind = event.get("type")
        if kind == "content_block_delta":
            self._read_delta(event)
        elif kind == "message_start":
            self._read_start(event)
        elif kind == "message_delta":
            self._merge_usage(event.get("usage"))
        elif kind == "message_stop":
            self.reading.complete = self.reading.usage is not None
        elif kind == "error":
            self.reading.error = _error_message(event)
        return False

    def _read_delta(self, event: JSON) -> None:
        delta = event.get("delta")
        if isinstance(delta, dict) and delta.get("type") == "text_delta":
            text = delta.get("text")
            if isinstance(text, str):
                self.reading.add_text(text)

    def _read_start(self, event: JSON) -> None:
        message = event.get("message")
        if isinstance(message, dict):
            self._saw_model(message.get("model"))
            self._merge_usage(message.get("usage"))

    def _merge_usage(self, usage: Any) -> None:
        if usage is None:
            return
        if not isinstance(usage, dict):
            _read_usage(self.reading, usage)
            return

        # Cumulative: a later event's field replaces the earlier one, never adds to it.
        self._usage.update(usage)
        _read_usage(self.reading, self._usage)


def _error_message(body: Mapping[str, Any]) -> str:
    error = body.get("error")
    if isinstance(error, dict):
        return string(error, "message") or string(error, "type") or "error"
    return str(error)


def _block_text(block: Any) -> str:
    """The text a content block sends: text, tool input, or a tool result's content."""
    if isinstance(block, str):
        return block
    if not isinstance(block, dict):
        return ""

    kind = block.get("type")
    if kind == "text":
        return string(block, "text") or ""
    if kind == "tool_use":
        return dumps_text(block.get("input"))
    if kind == "tool_result":
        content = block.get("content")
        if isinstance(content, list):
            return join_texts([_block_text(part) for part in content])
        return content if isinstance(content, str) else ""
    return ""


class AnthropicAdapter(WireAdapter):
    """`POST /v1/messages`."""

    api: ClassVar[str] = "anthropic-messages"
    protocol: ClassVar[str] = "anthropic"

    def read_response(self, body: JSON) -> Reading:
        reading = Reading(model=string(body, "model"))
        reading.text = content_text(body.get("content"), _TEXT)
        if body.get("type") == "error":
            reading.error = _error_message(body)

        if body.get("usage") is not None:
            _read_usage(reading, body["usage"])
            reading.complete = reading.usage is not None
        return reading

    def stream_meter(self, *, hide_usage_event: bool = False) -> StreamMeter:
        # Messages streams always carry usage; there is no extra event to hide.
        return AnthropicStreamMeter(hide_usage_event=hide_usage_event)

    def error_body(self, status: int, message: str) -> JSON:
        """`{"type": "error", "error": {type, message}}` with Anthropic's type names."""
        fallback = "api_error" if status >= 500 else "invalid_request_error"
        kind = _ERROR_TYPES.get(status, fallback)
        return {"type": "error", "error": {"type": kind, "message": message}}

    def request_text(self, body: JSON) -> str:
        """The system prompt and every message's text, tool inputs and tool results."""
        system = body.get("system")
        pieces = [system if isinstance(system, str) else content_text(system, _TEXT)]

        for message in items(body, "messages"):
            content = message.get("content") if isinstance(message, dict) else None
            if isinstance(content, list):
                pieces.extend(_block_text(block) for block in content)
            elif isinstance(content, str):
                pieces.append(content)
        return join_texts(pieces)
