"""Gateway errors in each protocol's own format, so every SDK raises its usual error."""

from __future__ import annotations

import orjson

from tokenledger.gateway._asgi import JSON_HEADERS, Send, send_bytes
from tokenledger.wire import WireAdapter, adapter_for_protocol


async def send_error(
    send: Send,
    adapter: WireAdapter | None,
    status: int,
    message: str,
    event_id: str | None = None,
) -> None:
    """An error reply; `event_id` names the ledger event when one was recorded."""
    adapter = adapter or adapter_for_protocol("openai")
    body = orjson.dumps(adapter.error_body(status, message))
    headers = list(JSON_HEADERS)
    if event_id is not None:
        headers.append((b"x-tokenledger-event-id", event_id.encode()))
    await send_bytes(send, status, body, headers)


def adapter_for_unknown_path(path: str) -> WireAdapter:
    """Pick the error format of the SDK most likely to have asked."""
    if path.startswith("/v1beta"):
        return adapter_for_protocol("gemini")
    if path.startswith("/v1/messages"):
        return adapter_for_protocol("anthropic")
    return adapter_for_protocol("openai")
