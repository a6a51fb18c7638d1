"""A light HTTP/1.1 load generator for the gateway benchmarks.

Opens ``--concurrency`` keep-alive connections (before the clock starts), then sends
``--requests`` Chat Completions requests through them, each connection one request at
a time. A raw asyncio Protocol with the httptools parser keeps the client's own cost
per request small; it reports that cost so a reader can check it does not dominate.

Latency is measured from writing the request to the last byte of the response; for
streams the time to the first body byte is reported too, which shows whether a proxy
passes chunks on as they arrive. Prints one JSON object on stdout.

    python bench/loadgen.py --url http://127.0.0.1:9100/v1/chat/completions -n 2000 -c 1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from urllib.parse import urlsplit

import httptools

MESSAGES = [
    {"role": "system", "content": "You are a terse assistant."},
    {"role": "user", "content": "Say something about metering LLM traffic."},
]


def request_bytes(host: str, port: int, path: str, stream: bool, headers: list[str]) -> bytes:
    payload: dict[str, object] = {"model": "gpt-4o-mini", "messages": MESSAGES}
    if stream:
        payload["stream"] = True
        payload["stream_options"] = {"include_usage": True}
    body = json.dumps(payload, separators=(",", ":")).encode()
    lines = [
        f"POST {path} HTTP/1.1",
        f"host: {host}:{port}",
        "content-type: application/json",
        "accept: application/json",
        f"content-length: {len(body)}",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class ClientProtocol(asyncio.Protocol):
    """One keep-alive connection; ``send`` resolves when a whole response is in."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[tuple[float, float | None, int, bytes]] | None = None
        self._first_body: float | None = None
        self._body: list[bytes] = []
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ConnectionError("connection closed mid-response"))

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if self._waiter is not None and not self._waiter.done():
                self._waiter.set_exception(exc)

    def on_message_begin(self) -> None:
        self._first_body = None
        self._body = []

    def on_body(self, body: bytes) -> None:
        if self._first_body is None:
            self._first_body = time.perf_counter()
        self._body.append(body)

    def on_message_complete(self) -> None:
        if not self._parser.should_keep_alive():
            self.closed = True
        if self._waiter is not None and not self._waiter.done():
            status = self._parser.get_status_code()
            result = (time.perf_counter(), self._first_body, status, b"".join(self._body))
            self._waiter.set_result(result)

    def send(self, raw: bytes) -> asyncio.Future[tuple[float, float | None, int, bytes]]:
        assert self._transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(raw)
        return self._waiter

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def looks_complete(body: bytes, stream: bool) -> bool:
    if stream:
        # Eight content events, one usage event, then [DONE].
        return body.count(b"data: ") == 10 and body.endswith(b"data: [DONE]\n\n")
    return b'"usage"' in body and b'"choices"' in body


async def run(args: argparse.Namespace) -> dict[str, object]:
    url = urlsplit(args.url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    raw = request_bytes(host, port, url.path, args.stream, args.header)
    loop = asyncio.get_running_loop()

    async def connect() -> ClientProtocol:
        _, proto = await loop.create_connection(ClientProtocol, host, port)
        return proto

    conns = [await connect() for _ in range(args.concurrency)]
    latencies: list[float] = []
    first_bytes: list[float] = []
    errors: list[str] = []
    remaining = args.requests
    deadline = time.perf_counter() + args.max_seconds

    async def worker(index: int) -> None:
        nonlocal remaining
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            conn = conns[index]
            if conn.closed:
                conn = conns[index] = await connect()
            start = time.perf_counter()
            try:
                end, first, status, body = await asyncio.wait_for(conn.send(raw), 30)
            except (TimeoutError, OSError, httptools.HttpParserError) as exc:
                errors.append(type(exc).__name__)
                conn.close()
                conns[index] = await connect()
                continue
            if status != 200 or not looks_complete(body, args.stream):
                errors.append(f"status {status}, {len(body)} bytes")
                continue
            latencies.append(end - start)
            if first is not None:
                first_bytes.append(first - start)

    usage_before = resource.getrusage(resource.RUSAGE_SELF)
    wall_start = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(args.concurrency)))
    wall = time.perf_counter() - wall_start
    usage_after = resource.getrusage(resource.RUSAGE_SELF)
    for conn in conns:
        conn.close()

    cpu_s = (usage_after.ru_utime - usage_before.ru_utime) + (
        usage_after.ru_stime - usage_before.ru_stime
    )
    done = len(latencies)
    return {
        "requests": done,
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
        "concurrency": args.concurrency,
        "stream": args.stream,
        "wall_s": wall,
        "rps": done / wall if wall > 0 else 0.0,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "mean_ms": 1000 * sum(latencies) / done if done else None,
        "first_byte_p50_ms": percentile(first_bytes, 50),
        "loadgen_cpu_ms_per_req": 1000 * cpu_s / done if done else None,
    }


def percentile(samples_s: list[float], pct: float) -> float | None:
    """Nearest-rank percentile, in milliseconds."""
    if not samples_s:
        return None
    ordered = sorted(samples_s)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return 1000 * ordered[rank]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("-n", "--requests", type=int, default=1000)
    parser.add_argument("-c", "--concurrency", type=int, default=1)
    parser.add_argument("--stream", action="store_true")
    parser.add_argument("--header", action="append", default=[], help="'name: value'")
    parser.add_argument("--max-seconds", type=float, default=60.0)
    args = parser.parse_args()
    host = urlsplit(args.url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the load generator targets loopback only")
    if args.requests > 1_000_000:
        parser.error("--requests is capped at 1,000,000")

    import uvloop

    result = uvloop.run(run(args))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
