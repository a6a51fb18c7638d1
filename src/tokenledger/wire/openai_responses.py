"""OpenAI Responses (`POST /v1/responses`).

Usage is `input_tokens` (cached part in `input_tokens_details.cached_tokens`, cache
writes in `cache_write_tokens` where the API reports them) and `output_tokens`
(reasoning part in `output_tokens_details.reasoning_tokens`). A stream carries it once,
in the final `response.completed`, `response.incomplete` or `response.failed` event.
Web searches are counted from `tool_usage.web_search.num_requests`, or else from the
`web_search_call` items of the output.
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
    section,
    string,
)
from tokenledger.wire._sse import SseStreamMeter
from tokenledger.wire.openai_chat import openai_error_body

_INPUT_PARTS = frozenset({"input_text", "output_text", "text"})
_OUTPUT_PARTS = frozenset({"output_text"})
_FINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})
# The events a meter reads; all others pass through without being parsed at all.
_READ_EVENTS = _FINAL_EVENTS | {
    "response.created",
    "response.in_progress",
    "response.output_text.delta",
    "error",
}


def _web_searches(response: Mapping[str, Any]) -> int:
    tool_usage = section(response, "tool_usage")
    if "web_search" in tool_usage:
        return count(section(tool_usage, "web_search"), "num_requests")

    kinds = [item.get("type") for item in items(response, "output") if isinstance(item, dict)]
    return kinds.count("web_search_call")


def responses_usage(response: Mapping[str, Any]) -> Usage:
    """Canonical counts from a whole `response` object (usage plus its tool calls)."""
    usage = as_usage_object(response.get("usage"))
    input_details = section(usage, "input_tokens_details")
    output_details = section(usage, "output_tokens_details")
    return Usage(
        input_tokens=count(usage, "input_tokens"),
        output_tokens=count(usage, "output_tokens"),
        cache_read_tokens=count(input_details, "cached_tokens"),
        cache_write_tokens=count(input_details, "cache_write_tokens"),
        reasoning_tokens=count(output_details, "reasoning_tokens"),
        web_searches=_web_searches(response),
    )


def _output_text(response: Mapping[str, Any]) -> str:
    texts: list[str] = []
    for item in items(response, "output"):
        if isinstance(item, dict) and item.get("type") == "message":
            texts.append(content_text(item.get("content"), _OUTPUT_PARTS))
    return "".join(texts)


def _read_final(reading: Reading, response: Mapping[str, Any]) -> None:
    """Fill a reading from a finished `response` object: model, tier, error, usage."""
    reading.model = reading.model or string(response, "model")
    reading.service_tier = string(response, "service_tier") or reading.service_tier
    error = response.get("error")
    if isinstance(error, dict):
        reading.error = string(error, "message") or str(error)

    if response.get("usage") is None:
        return
    try:
        reading.usage = responses_usage(response)
        reading.complete = True
    except InvalidUsageError as exc:
        reading.usage = None
        reading.error = f"malformed usage: {exc}"


class OpenAIResponsesStreamMeter(SseStreamMeter):
    """Meters a Responses stream of typed events."""

    def _on_event(self, name: bytes, data: bytearray) -> bool:
        kind = name.decode("ascii", errors="replace")
        if kind and kind not in _READ_EVENTS:
            return False

        event = loads_exact(data)
        if not isinstance(event, dict):
            self.reading.error = "stream event is not a JSON object"
            return False
        kind = kind or str(event.get("type", ""))

        if kind == "response.output_text.delta":
            delta = event.get("delta")
            if isinstance(delta, str):
                self.reading.add_text(delta)
        elif kind == "error":
            self.reading.error = string(event, "message") or str(event)
        else:
            self._read_response_event(kind, event)
        return False

    def _read_response_event(self, kind: str, event: JSON) -> None:
        response = event.get("response")
        if not isinstance(response, dict):
            return

        self._saw_model(response.get("model"))
        if kind in _FINAL_EVENTS:
            _read_final(self.reading, response)


class OpenAIResponsesAdapter(WireAdapter):
    """`POST /v1/responses`."""

    api: ClassVar[str] = "openai-responses"
    protocol: ClassVar[str] = "openai"

    def read_response(self, body: JSON) -> Reading:
        reading = Reading(text=_output_text(body))
        _read_final(reading, body)
        return reading

    def stream_meter(self, *, hide_usage_event: bool = False) -> StreamMeter:
        # Responses streams always end with their usage; there is nothing to hide.
        return OpenAIResponsesStreamMeter(hide_usage_event=hide_usage_event)

    def error_body(self, status: int, message: str) -> JSON:
        return openai_error_body(status, message)

    def request_text(self, body: JSON) -> str:
        """Instructions, input messages, and tool calls and results sent back."""
        pieces = [string(body, "instructions") or ""]
        given = body.get("input")
        if isinstance(given, str):
            pieces.append(given)

        for item in given if isinstance(given, list) else []:
            if not isinstance(item, dict):
                continue
            pieces.append(content_text(item.get("content"), _INPUT_PARTS))
            if item.get("type") == "function_call":
                pieces.append(dumps_text(item.get("arguments")))
            elif item.get("type") == "function_call_output":
                pieces.append(dumps_text(item.get("output")))
        return join_texts(pieces)
