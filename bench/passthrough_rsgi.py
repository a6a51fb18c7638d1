"""The pass-through proxy on granian's native RSGI interface, with an aiohttp client.

RSGI skips the ASGI message dictionaries: the body arrives as bytes from one await
and the reply goes out through ``response_bytes`` or a stream transport. This ties the
app to granian, so it is measured to learn what that lock-in would buy.

    BENCH_UPSTREAM=http://127.0.0.1:9100/v1 \\
        granian --interface rsgi --working-dir bench passthrough_rsgi:app
"""

from __future__ import annotations

import os
from typing import Any

import aiohttp

UPSTREAM = os.environ.get("BENCH_UPSTREAM", "http://127.0.0.1:9100/v1").rstrip("/")
POOL_SIZE = int(os.environ.get("BENCH_POOL_SIZE", "100"))
UPSTREAM_KEY = os.environ.get("OPENAI_API_KEY", "sk-bench")
FORWARDED = ("content-type", "accept", "openai-beta", "openai-organization")
RELAYED = ("Content-Type", "x-request-id", "openai-processing-ms")


class PassThrough:
    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Made on first use, inside the worker's running loop, as aiohttp requires.
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=POOL_SIZE, keepalive_timeout=60),
                timeout=aiohttp.ClientTimeout(total=600, connect=10),
                auto_decompress=False,
                skip_auto_headers=("User-Agent",),
            )
        return self._session

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        if scope.proto != "http" or scope.method != "POST" or not scope.path.startswith("/v1/"):
            proto.response_empty(404, [])
            return

        body = await proto()
        headers = {k: scope.headers.get(k) for k in FORWARDED if k in scope.headers}
        headers["authorization"] = f"Bearer {UPSTREAM_KEY}"
        url = UPSTREAM + scope.path[3:]

        async with self._client().post(url, data=body, headers=headers) as upstream:
            reply = [(k, upstream.headers[k]) for k in RELAYED if k in upstream.headers]
            if upstream.content_type != "text/event-stream":
                proto.response_bytes(upstream.status, reply, await upstream.read())
                return
            transport = proto.response_stream(upstream.status, reply)
            async for chunk in upstream.content.iter_any():
                await transport.send_bytes(chunk)


app = PassThrough()
