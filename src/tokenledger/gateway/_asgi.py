"""The few ASGI types and send helpers the gateway needs, without a framework.

The gateway is a bare ASGI callable: a framework's routing and request objects cost
more per request than the whole metering does (see BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON_HEADERS = [(b"content-type", b"application/json")]


async def send_json(send: Send, status: int, payload: Any) -> None:
    await send_bytes(send, status, orjson.dumps(payload), JSON_HEADERS)


async def send_bytes(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    pass


async def read_body(receive: Receive, limit_bytes: int) -> bytes:
    first = await receive()
    body: bytes = first.get("body", b"")
    if not first.get("more_body"):
        if len(body) > limit_bytes:
            raise BodyTooLarge
        return body
    parts = [body]
    size = len(body)
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit_bytes:
            raise BodyTooLarge
        parts.append(chunk)
        if not message.get("more_body"):
            return b"".join(parts)
