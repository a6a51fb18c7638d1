"""The wire layer: each provider API's request and reply shapes, and usage extraction.

`adapter_for_route` finds the adapter for a gateway route; `get_adapter` finds one by
the name stored in the ledger's `api` column; `adapter_for_protocol` finds one whose
error format a protocol's SDKs understand.
"""

from __future__ import annotations

from tokenledger.wire._base import JSON, Reading, StreamMeter, WireAdapter
from tokenledger.wire._sse import SseStreamMeter
from tokenledger.wire.anthropic import AnthropicAdapter
from tokenledger.wire.gemini import ROUTE as _GEMINI_ROUTE
from tokenledger.wire.gemini import GeminiAdapter
from tokenledger.wire.openai_chat import OpenAIChatAdapter
from tokenledger.wire.openai_responses import OpenAIResponsesAdapter

__all__ = [
    "JSON",
    "AnthropicAdapter",
    "GeminiAdapter",
    "OpenAIChatAdapter",
    "OpenAIResponsesAdapter",
    "Reading",
    "SseStreamMeter",
    "StreamMeter",
    "WireAdapter",
    "adapter_for_protocol",
    "adapter_for_route",
    "adapters",
    "get_adapter",
]

# Adapters hold no state, so one of each serves every request.
_BY_API: dict[str, WireAdapter] = {
    adapter.api: adapter
    for adapter in (
        OpenAIChatAdapter(),
        OpenAIResponsesAdapter(),
        AnthropicAdapter(),
        GeminiAdapter(),
    )
}

_BY_PATH: dict[str, WireAdapter] = {
    "/v1/chat/completions": _BY_API["openai-chat"],
    "/v1/responses": _BY_API["openai-responses"],
    "/v1/messages": _BY_API["anthropic-messages"],
}


def adapter_for_route(method: str, path: str) -> WireAdapter | None:
    """The adapter for a gateway route, or None when the route is not a metered one.

    `path` may carry a query string; it is ignored. Gemini is matched on `/v1beta/`
    (the SDK's default) and on `/v1/`.
    """
    if method.upper() != "POST":
        return None

    path = path.split("?", 1)[0]
    adapter = _BY_PATH.get(path)
    if adapter is None and _GEMINI_ROUTE.match(path):
        adapter = _BY_API["gemini"]
    return adapter


# The adapter whose error format stands for each protocol when no route picked one.
_BY_PROTOCOL: dict[str, WireAdapter] = {
    "openai": _BY_API["openai-chat"],
    "anthropic": _BY_API["anthropic-messages"],
    "gemini": _BY_API["gemini"],
}


def adapter_for_protocol(protocol: str) -> WireAdapter:
    """An adapter of the protocol ("openai", "anthropic", "gemini"), for error bodies."""
    try:
        return _BY_PROTOCOL[protocol]
    except KeyError:
        known = ", ".join(sorted(_BY_PROTOCOL))
        raise ValueError(
            f"unknown wire protocol {protocol!r}: expected one of {known}"
        ) from None


def get_adapter(api: str) -> WireAdapter:
    """The adapter whose `api` name is given (`openai-chat`, `anthropic-messages`, ...)."""
    try:
        return _BY_API[api]
    except KeyError:
        known = ", ".join(sorted(_BY_API))
        raise ValueError(f"unknown wire api {api!r}: expected one of {known}") from None


def adapters() -> tuple[WireAdapter, ...]:
    """Every adapter, one per API."""
    return tuple(_BY_API.values())
