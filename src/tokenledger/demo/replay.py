"""Replay recorded provider exchanges from a real HTTP server on loopback.

Recordings (the demo's in ./recordings, the tests' in tests/fixtures/wire) hold each
request's JSON body and the reply the provider gave. The server answers a request with
the reply of the recording whose conversation (messages, input, contents, system), model
and stream flag match, so an SDK or the gateway can be pointed at it as at the real
provider. It also serves a few
scripted faults, chosen by model name, for the failure tests.

Every request it receives is kept in `received` so tests can check what the upstream
saw (which key, which body).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

RECORDINGS = Path(__file__).parent / "recordings"
CONVERSATION_KEYS = ("messages", "input", "contents", "system", "systemInstruction")

# Scripted faults, chosen by the requested model name.
FAULT_500 = "replay-fault-500"
FAULT_SLOW_STREAM = "replay-fault-slow-stream"
FAULT_NO_USAGE_STREAM = "replay-fault-stream-without-usage"


@dataclass
class Exchange:
    file: str
    index: int
    endpoint: str
    model: str | None
    stream: bool
    fingerprint: str
    request: dict[str, Any]
    status: int
    content_type: str
    body: str


@dataclass
class Received:
    path: str
    query: str
    headers: dict[str, str]
    body: dict[str, Any]


def endpoint_of(path: str) -> str:
    """The part of a path that names the API, whatever base URL came before it."""
    for marker in ("/chat/completions", "/responses", "/messages"):
        if path.endswith(marker):
            return marker
    if ":streamGenerateContent" in path:
        return ":streamGenerateContent"
    if ":generateContent" in path:
        return ":generateContent"
    return path


def gemini_model(path: str) -> str | None:
    if "/models/" not in path:
        return None
    return path.split("/models/", 1)[1].split(":", 1)[0]


def fingerprint(body: dict[str, Any]) -> str:
    parts = {key: body[key] for key in CONVERSATION_KEYS if key in body}
    return json.dumps(parts, sort_keys=True)


def is_stream(endpoint: str, body: dict[str, Any]) -> bool:
    return endpoint == ":streamGenerateContent" or bool(body.get("stream"))


def load_exchanges(folder: Path = RECORDINGS) -> list[Exchange]:
    found: list[Exchange] = []
    for file in sorted(folder.glob("*.json")):
        for index, raw in enumerate(json.loads(file.read_text())["exchanges"]):
            found.append(_exchange(file.stem, index, raw))
    return found


def _exchange(file: str, index: int, raw: dict[str, Any]) -> Exchange:
    request, response = raw["request"], raw["response"]
    endpoint = endpoint_of(request["path"])
    body = request["body"]
    model = body.get("model") or gemini_model(request["path"])
    return Exchange(
        file=file,
        index=index,
        endpoint=endpoint,
        model=model,
        stream=is_stream(endpoint, body),
        fingerprint=fingerprint(body),
        request=request,
        status=response["status"],
        content_type=response["content_type"],
        body=response["body"],
    )


def sse_events(body: str) -> list[bytes]:
    """Split a recorded SSE body into its events, each sent as one network chunk."""
    events = [part + "\n\n" for part in body.split("\n\n") if part.strip()]
    return [event.encode() for event in events]


@dataclass
class ReplayApp:
    exchanges: list[Exchange] = field(default_factory=load_exchanges)
    received: list[Received] = field(default_factory=list)
    # Seconds between streamed events; a little delay makes streams really stream.
    event_delay_s: float = 0.0
    # Recordings to prefer, in order, when several answer the same request (a prompt
    # cache's first and second call look alike but their replies differ).
    preferred: list[tuple[str, int]] = field(default_factory=list)

    def prefer(self, file: str, index: int) -> None:
        self.preferred.append((file, index))

    def find(self, endpoint: str, model: str | None, body: dict[str, Any]) -> Exchange | None:
        key = (endpoint, model, is_stream(endpoint, body), fingerprint(body))
        matches = [
            e for e in self.exchanges if (e.endpoint, e.model, e.stream, e.fingerprint) == key
        ]
        for exchange in matches:
            if self.preferred and self.preferred[0] == (exchange.file, exchange.index):
                self.preferred.pop(0)
                return exchange
        return matches[0] if matches else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        raw = await _read_body(receive)
        body = json.loads(raw) if raw else {}
        self._remember(scope, body)
        path: str = scope["path"]
        endpoint = endpoint_of(path)
        model = body.get("model") or gemini_model(path)

        if model == FAULT_500:
            await _send_json(
                send, 500, {"error": {"message": "scripted failure", "type": "server_error"}}
            )
            return
        if model in (FAULT_SLOW_STREAM, FAULT_NO_USAGE_STREAM):
            await self._scripted_stream(send, model)
            return

        exchange = self.find(endpoint, model, body)
        if exchange is None:
            message = f"no recording for {endpoint} model={model}"
            await _send_json(send, 404, {"error": {"message": message, "type": "replay_miss"}})
            return
        await self._replay(send, exchange)

    def _remember(self, scope: Scope, body: dict[str, Any]) -> None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode()
        self.received.append(Received(scope["path"], query, headers, body))

    async def _replay(self, send: Send, exchange: Exchange) -> None:
        content_type = exchange.content_type.encode()
        await send(_start(exchange.status, content_type))
        if not exchange.content_type.startswith("text/event-stream"):
            await send({"type": "http.response.body", "body": exchange.body.encode()})
            return
        for event in sse_events(exchange.body):
            await send({"type": "http.response.body", "body": event, "more_body": True})
            await asyncio.sleep(self.event_delay_s)
        await send({"type": "http.response.body", "body": b""})

    async def _scripted_stream(self, send: Send, model: str) -> None:
        """A Chat Completions stream that is slow (for disconnects) or never reports usage."""
        await send(_start(200, b"text/event-stream"))
        count = 200 if model == FAULT_SLOW_STREAM else 3
        for number in range(count):
            chunk = {
                "id": "chatcmpl-scripted",
                "object": "chat.completion.chunk",
                "model": model,
                "choices": [{"index": 0, "delta": {"content": f"word{number} "}}],
            }
            data = b"data: " + json.dumps(chunk).encode() + b"\n\n"
            await send({"type": "http.response.body", "body": data, "more_body": True})
            await asyncio.sleep(0.05 if model == FAULT_SLOW_STREAM else 0)
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})


def _start(status: int, content_type: bytes) -> dict[str, Any]:
    return {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", content_type)],
    }


async def _send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    await send(_start(status, b"application/json"))
    await send({"type": "http.response.body", "body": json.dumps(payload).encode()})


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerThread:
    """Any ASGI app under uvicorn in a background thread on 127.0.0.1."""

    def __init__(self, app: Any, port: int = 0) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", log_config=None
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


class ReplayServer(ServerThread):
    """A ReplayApp served on loopback; use as a context manager."""

    def __init__(self, app: ReplayApp | None = None, port: int = 0) -> None:
        self.app = app or ReplayApp()
        super().__init__(self.app, port)

    def __enter__(self) -> ReplayServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    """Serve the recordings in the foreground (used by `tokenledger demo` style runs)."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    port = args.port or free_port()
    print(f"http://127.0.0.1:{port}", flush=True)
    uvicorn.run(ReplayApp(), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
