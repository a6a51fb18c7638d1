"""Gateway errors in each protocol's own format, so every SDK raises its usual error."""

from __future__ import annotations

from tokenledger.gateway._asgi import Send, send_json
from tokenledger.wire import WireAdapter, adapter_for_protocol


async def send_error(
    send: Send, adapter: WireAdapter | None, status: int, message: str
) -> None:
    adapter = adapter or adapter_for_protocol("openai")
    await send_json(send, status, adapter.error_body(status, message))


def adapter_for_unknown_path(path: str) -> WireAdapter:
    """Pick the error format of the SDK most likely to have asked."""
    if path.startswith("/v1beta"):
        return adapter_for_protocol("gemini")
    if path.startswith("/v1/messages"):
        return adapter_for_protocol("anthropic")
    return adapter_for_protocol("openai")
