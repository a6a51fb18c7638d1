"""Upstream clients alone, no server in front: CPU per request at concurrency 1 and 32.

Isolates the client's share of a gateway's cost. Needs a running stub upstream:

    python bench/stub_upstream.py --port 9100 &
    python bench/client_only.py --url http://127.0.0.1:9100/v1/chat/completions
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import resource
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

BODY = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
HEADERS = {"content-type": "application/json", "authorization": "Bearer sk-bench"}
CLIENTS = ("httpx", "httpx-tuned", "httpx2-tuned", "aiohttp")


async def open_client(kind: str, url: str) -> tuple[Callable[[], Awaitable[bytes]], object]:
    if kind == "aiohttp":
        import aiohttp

        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))

        async def post_aiohttp() -> bytes:
            async with session.post(url, data=BODY, headers=HEADERS) as response:
                return await response.read()

        return post_aiohttp, session.close

    httpx = importlib.import_module("httpx2" if kind.startswith("httpx2") else "httpx")
    limits = httpx.Limits(max_keepalive_connections=100) if "tuned" in kind else httpx.Limits()
    client = httpx.AsyncClient(limits=limits, trust_env=False)

    async def post_httpx() -> bytes:
        response = await client.post(url, content=BODY, headers=HEADERS)
        return bytes(response.content)

    return post_httpx, client.aclose


async def measure(kind: str, url: str, concurrency: int, requests: int) -> str:
    post, close = await open_client(kind, url)
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            await post()

    await asyncio.gather(*(one() for _ in range(200)))  # fill the pool first
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(requests)))
    wall_s = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    await close()  # type: ignore[operator]

    cpu_s = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return (
        f"| {kind} | {concurrency} | {requests / wall_s:,.0f} | {1000 * cpu_s / requests:.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("-n", "--requests", type=int, default=3000)
    args = parser.parse_args()
    if urlsplit(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("loopback only")

    import uvloop

    print("| client | concurrency | req/s | CPU ms/req |\n| --- | ---: | ---: | ---: |")
    for kind in CLIENTS:
        for concurrency in (1, 32):
            print(uvloop.run(measure(kind, args.url, concurrency, min(args.requests, 20_000))))


if __name__ == "__main__":
    main()
