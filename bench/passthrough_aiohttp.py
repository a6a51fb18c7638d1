"""The same pass-through proxy as ``passthrough_asgi.py``, on aiohttp's own server.

One ``aiohttp.web`` route forwards ``POST /v1/...`` to ``$BENCH_UPSTREAM`` with one
shared ``aiohttp.ClientSession``; event streams are relayed chunk by chunk through a
``StreamResponse``, other bodies whole. No access log, uvloop as the event loop.

    BENCH_UPSTREAM=http://127.0.0.1:9100/v1 python bench/passthrough_aiohttp.py --port 9200
"""

from __future__ import annotations

import argparse
import os

import aiohttp
from aiohttp import web

UPSTREAM = os.environ.get("BENCH_UPSTREAM", "http://127.0.0.1:9100/v1").rstrip("/")
POOL_SIZE = int(os.environ.get("BENCH_POOL_SIZE", "100"))
UPSTREAM_KEY = os.environ.get("OPENAI_API_KEY", "sk-bench")
FORWARDED = ("Content-Type", "Accept", "OpenAI-Beta", "OpenAI-Organization")
RELAYED = ("Content-Type", "x-request-id", "openai-processing-ms")

SESSION = web.AppKey("session", aiohttp.ClientSession)


async def forward(request: web.Request) -> web.StreamResponse:
    body = await request.read()
    headers = {k: request.headers[k] for k in FORWARDED if k in request.headers}
    headers["Authorization"] = f"Bearer {UPSTREAM_KEY}"
    url = UPSTREAM + request.path[3:]

    session = request.app[SESSION]
    async with session.post(url, data=body, headers=headers) as upstream:
        reply = {k: upstream.headers[k] for k in RELAYED if k in upstream.headers}
        if upstream.content_type != "text/event-stream":
            content = await upstream.read()
            return web.Response(status=upstream.status, body=content, headers=reply)

        response = web.StreamResponse(status=upstream.status, headers=reply)
        await response.prepare(request)
        async for chunk in upstream.content.iter_any():
            await response.write(chunk)
        await response.write_eof()
        return response


async def client_session(app: web.Application):  # type: ignore[no-untyped-def]
    connector = aiohttp.TCPConnector(limit=POOL_SIZE, keepalive_timeout=60)
    app[SESSION] = aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=600, connect=10),
        auto_decompress=False,
        skip_auto_headers=("User-Agent",),
    )
    yield
    await app[SESSION].close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9200)
    args = parser.parse_args()

    import uvloop

    app = web.Application()
    app.cleanup_ctx.append(client_session)
    app.router.add_post("/v1/{tail:.*}", forward)
    web.run_app(
        app,
        host=args.host,
        port=args.port,
        access_log=None,
        print=None,
        loop=uvloop.new_event_loop(),
    )


if __name__ == "__main__":
    main()
