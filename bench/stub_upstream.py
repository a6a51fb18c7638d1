"""A cheap stand-in for an OpenAI-compatible upstream, for benchmarks only.

Serves ``POST /v1/chat/completions`` on loopback from a bare asyncio Protocol with
httptools parsing, so that the stub costs far less per request than any gateway it
sits behind. Non-streamed requests get one prebuilt Chat Completions body with usage.
Streamed requests (``"stream": true``) get eight content chunks, a usage chunk with
empty ``choices`` when ``stream_options.include_usage`` is set, then ``data: [DONE]``,
each event as its own HTTP chunk, spaced ``--chunk-interval-ms`` apart.

Two control routes let the harness steer and read the stub without restarting it:
``POST /bench/config`` with ``{"chunk_interval_ms": 1.0}`` changes the gap between
stream chunks, and ``GET /bench/stats`` returns how many connections were accepted
(a proxy whose pool churns opens many).

Requests on one connection are answered in order; pipelined requests that arrive
while a stream is still being written are not supported (no SDK pipelines).

    python bench/stub_upstream.py --port 9100 [--chunk-interval-ms 1]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httptools
import orjson

MODEL = "gpt-4o-mini-2024-07-18"
CREATED = 1_733_000_000
PROMPT_TOKENS = 25
CONTENT_PIECES = ["Token", "Ledger", " meters", " every", " call", " it", " forwards", "."]
COMPLETION_TOKENS = len(CONTENT_PIECES)


def _completion_body() -> bytes:
    return orjson.dumps(
        {
            "id": "chatcmpl-bench0001",
            "object": "chat.completion",
            "created": CREATED,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": "".join(CONTENT_PIECES),
                        "refusal": None,
                    },
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(),
            "service_tier": "default",
            "system_fingerprint": "fp_bench",
        }
    )


def _usage() -> dict[str, object]:
    return {
        "prompt_tokens": PROMPT_TOKENS,
        "completion_tokens": COMPLETION_TOKENS,
        "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _chunk(choices: list[object], usage: object = None) -> dict[str, object]:
    return {
        "id": "chatcmpl-bench0002",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL,
        "service_tier": "default",
        "system_fingerprint": "fp_bench",
        "choices": choices,
        "usage": usage,
    }


def _sse_events(include_usage: bool) -> list[bytes]:
    """The stream as HTTP/1.1 chunks, one SSE event per chunk, last one the terminator."""
    payloads = []
    for index, piece in enumerate(CONTENT_PIECES):
        delta: dict[str, object] = {"content": piece}
        if index == 0:
            delta["role"] = "assistant"
        finish = "stop" if index == len(CONTENT_PIECES) - 1 else None
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        payloads.append(_chunk([choice]))
    if include_usage:
        payloads.append(_chunk([], _usage()))

    events = [b"data: " + orjson.dumps(p) + b"\n\n" for p in payloads]
    events.append(b"data: [DONE]\n\n")
    framed = [b"%x\r\n%s\r\n" % (len(e), e) for e in events]
    framed[-1] += b"0\r\n\r\n"
    return framed


_COMPLETION = _completion_body()
_JSON_RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
    b"content-length: %d\r\nx-request-id: req_bench\r\n\r\n%s" % (len(_COMPLETION), _COMPLETION)
)
_SSE_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
    b"transfer-encoding: chunked\r\nx-request-id: req_bench\r\n\r\n"
)
_STREAMS = {flag: _sse_events(flag) for flag in (True, False)}
_NOT_FOUND = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"
_BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n"


class Settings:
    chunk_interval_s = 0.0
    connections = 0
    requests = 0


def _json_response(payload: dict[str, object]) -> bytes:
    body = orjson.dumps(payload)
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
    return head % len(body) + body


class StubProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        Settings.connections += 1

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            if self._transport is not None:
                self._transport.write(_BAD_REQUEST)
                self._transport.close()

    def on_url(self, url: bytes) -> None:
        self._url = url

    def on_message_begin(self) -> None:
        self._url = b""
        self._body = []

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        transport = self._transport
        if transport is None:
            return
        keep_alive = self._parser.should_keep_alive()
        if self._url != b"/v1/chat/completions":
            transport.write(self._control())
            self._finish(keep_alive)
            return
        Settings.requests += 1

        try:
            request = orjson.loads(b"".join(self._body))
        except orjson.JSONDecodeError:
            transport.write(_BAD_REQUEST)
            self._finish(keep_alive)
            return
        if not request.get("stream"):
            transport.write(_JSON_RESPONSE)
            self._finish(keep_alive)
            return

        options = request.get("stream_options") or {}
        events = _STREAMS[bool(options.get("include_usage"))]
        if Settings.chunk_interval_s <= 0:
            transport.write(_SSE_HEAD + b"".join(events))
            self._finish(keep_alive)
            return
        transport.write(_SSE_HEAD + events[0])
        self._send_later(events, 1, keep_alive)

    def _control(self) -> bytes:
        if self._url == b"/bench/config":
            config = orjson.loads(b"".join(self._body) or b"{}")
            Settings.chunk_interval_s = float(config.get("chunk_interval_ms", 0)) / 1000
        elif self._url != b"/bench/stats":
            return _NOT_FOUND
        return _json_response(
            {
                "chunk_interval_ms": Settings.chunk_interval_s * 1000,
                "connections": Settings.connections,
                "requests": Settings.requests,
            }
        )

    def _send_later(self, events: list[bytes], index: int, keep_alive: bool) -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(Settings.chunk_interval_s, self._send_next, events, index, keep_alive)

    def _send_next(self, events: list[bytes], index: int, keep_alive: bool) -> None:
        if self._transport is None:
            return
        self._transport.write(events[index])
        if index + 1 < len(events):
            self._send_later(events, index + 1, keep_alive)
        else:
            self._finish(keep_alive)

    def _finish(self, keep_alive: bool) -> None:
        if not keep_alive and self._transport is not None:
            self._transport.close()


async def serve(host: str, port: int, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        StubProtocol, host, port, backlog=1024, reuse_address=True
    )
    print(f"stub upstream on http://{host}:{port}/v1", flush=True)
    deadline = time.monotonic() + seconds
    async with server:
        # A bounded lifetime, so a forgotten stub cannot outlive a benchmark for long.
        while time.monotonic() < deadline:
            await asyncio.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--chunk-interval-ms", type=float, default=0.0)
    parser.add_argument(
        "--max-seconds", type=float, default=1800.0, help="exit after this long"
    )
    args = parser.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the stub serves loopback only")

    import uvloop

    Settings.chunk_interval_s = args.chunk_interval_ms / 1000
    uvloop.run(serve(args.host, args.port, args.max_seconds))


if __name__ == "__main__":
    main()
