"""A minimal pass-through proxy as a bare ASGI app, to compare servers and clients.

No framework and no metering: the app reads the request body, forwards it to
``$BENCH_UPSTREAM`` (a base URL ending in ``/v1``) with one shared upstream client,
and relays the reply. Event streams are relayed chunk by chunk as they arrive; other
bodies are read whole and sent with a Content-Length. The upstream client is chosen by
``$BENCH_CLIENT``:

- ``httpx``: ``httpx.AsyncClient()`` with its default pool limits
- ``httpx-tuned``: ``httpx.AsyncClient`` with keep-alive room for every connection
- ``httpx2-tuned``: the same, on the ``httpx2`` fork (same API)
- ``aiohttp``: one ``aiohttp.ClientSession`` on one ``TCPConnector``

Serve it with uvicorn or granian, e.g.
``uvicorn passthrough_asgi:app --app-dir bench --no-access-log``.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

UPSTREAM = os.environ.get("BENCH_UPSTREAM", "http://127.0.0.1:9100/v1").rstrip("/")
CLIENT = os.environ.get("BENCH_CLIENT", "httpx-tuned")
POOL_SIZE = int(os.environ.get("BENCH_POOL_SIZE", "100"))
UPSTREAM_KEY = os.environ.get("OPENAI_API_KEY", "sk-bench")
# Only these request headers go upstream; the caller's Authorization is replaced.
FORWARDED = {b"content-type", b"accept", b"openai-beta", b"openai-organization"}
# Only these reply headers come back; framing headers are the server's business.
RELAYED = {"content-type", "x-request-id", "openai-processing-ms"}


class HttpxForwarder:
    def __init__(self, tuned: bool, fork: bool = False) -> None:
        import importlib

        httpx = importlib.import_module("httpx2" if fork else "httpx")

        if tuned:
            # Keep-alive room for every pooled connection: with the default of 20
            # idle slots, 32 concurrent callers close and reopen 12 sockets per round.
            limits = httpx.Limits(
                max_connections=POOL_SIZE,
                max_keepalive_connections=POOL_SIZE,
                keepalive_expiry=60,
            )
        else:
            limits = httpx.Limits()
        self._client = httpx.AsyncClient(
            limits=limits, timeout=httpx.Timeout(600, connect=10), trust_env=False
        )

    async def forward(
        self, path: str, headers: dict[str, str], body: bytes, send: Send
    ) -> None:
        request = self._client.build_request(
            "POST", UPSTREAM + path, headers=headers, content=body
        )
        response = await self._client.send(request, stream=True)
        try:
            reply = [
                (k.encode(), v.encode()) for k, v in response.headers.items() if k in RELAYED
            ]
            if response.headers.get("content-type", "").startswith("text/event-stream"):
                await send(
                    {
                        "type": "http.response.start",
                        "status": response.status_code,
                        "headers": reply,
                    }
                )
                async for chunk in response.aiter_raw():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
                return

            content = await response.aread()
            reply.append((b"content-length", str(len(content)).encode()))
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": reply,
                }
            )
            await send({"type": "http.response.body", "body": content})
        finally:
            await response.aclose()

    async def close(self) -> None:
        await self._client.aclose()


class AiohttpForwarder:
    def __init__(self) -> None:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=POOL_SIZE, keepalive_timeout=60)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=600, connect=10),
            auto_decompress=False,
            skip_auto_headers=("User-Agent",),
        )

    async def forward(
        self, path: str, headers: dict[str, str], body: bytes, send: Send
    ) -> None:
        async with self._session.post(UPSTREAM + path, data=body, headers=headers) as response:
            reply = [
                (k.encode(), v.encode())
                for k, v in response.headers.items()
                if k.lower() in RELAYED
            ]
            if response.content_type == "text/event-stream":
                await send(
                    {"type": "http.response.start", "status": response.status, "headers": reply}
                )
                async for chunk in response.content.iter_any():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
                return

            content = await response.read()
            reply.append((b"content-length", str(len(content)).encode()))
            await send(
                {"type": "http.response.start", "status": response.status, "headers": reply}
            )
            await send({"type": "http.response.body", "body": content})

    async def close(self) -> None:
        await self._session.close()


def make_forwarder() -> HttpxForwarder | AiohttpForwarder:
    if CLIENT == "aiohttp":
        return AiohttpForwarder()
    if CLIENT in ("httpx", "httpx-tuned", "httpx2-tuned"):
        return HttpxForwarder(tuned=CLIENT != "httpx", fork=CLIENT == "httpx2-tuned")
    raise SystemExit(
        f"unknown BENCH_CLIENT {CLIENT!r}: use httpx, httpx-tuned, httpx2-tuned or aiohttp"
    )


_forwarder: HttpxForwarder | AiohttpForwarder | None = None


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    global _forwarder
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    if scope["type"] != "http":
        return
    if scope["method"] != "POST" or not scope["path"].startswith("/v1/"):
        await send(
            {
                "type": "http.response.start",
                "status": 404,
                "headers": [(b"content-length", b"0")],
            }
        )
        await send({"type": "http.response.body", "body": b""})
        return

    body = await read_body(receive)
    headers = {k.decode(): v.decode() for k, v in scope["headers"] if k in FORWARDED}
    headers["authorization"] = f"Bearer {UPSTREAM_KEY}"
    if _forwarder is None:
        # Servers run without lifespan still get one shared client, made on first use.
        _forwarder = make_forwarder()
    await _forwarder.forward(scope["path"][3:], headers, body, send)


async def read_body(receive: Receive) -> bytes:
    message = await receive()
    body = message.get("body", b"")
    if not message.get("more_body"):
        return body  # the usual case: the whole body in one message, no copy
    parts = [body]
    while message.get("more_body"):
        message = await receive()
        parts.append(message.get("body", b""))
    return b"".join(parts)


async def lifespan(receive: Receive, send: Send) -> None:
    global _forwarder
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            _forwarder = make_forwarder()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if _forwarder is not None:
                await _forwarder.close()
            await send({"type": "lifespan.shutdown.complete"})
            return
