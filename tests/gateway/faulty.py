"""A misbehaving upstream for the fault tests: each model name is one misbehaviour."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from tokenledger.demo.replay import Receive, Scope, Send

USAGE = {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}


def chunk(model: str, text: str, usage: dict[str, Any] | None = None) -> bytes:
    choices = [] if usage else [{"index": 0, "delta": {"content": text}}]
    data = {"object": "chat.completion.chunk", "model": model, "choices": choices}
    if usage:
        data["usage"] = usage
    return b"data: " + json.dumps(data).encode() + b"\n\n"


class Aborted(Exception):
    """Raised mid-reply so the server drops the connection, as a broken upstream does."""


@dataclass
class FaultyUpstream:
    redirect_to: str = ""
    bodies: list[bytes] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        raw = await _read(receive)
        self.bodies.append(raw)
        path: str = scope["path"]
        model = json.loads(raw).get("model") or path.split("/models/")[-1].split(":")[0]
        await getattr(self, model.replace("-", "_"))(send, model)

    async def fault_redirect(self, send: Send, model: str) -> None:
        headers = [(b"location", self.redirect_to.encode())]
        await send({"type": "http.response.start", "status": 307, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def fault_broken_stream(self, send: Send, model: str) -> None:
        await _start(send, b"text/event-stream")
        for number in range(3):
            await _more(send, chunk(model, f"word{number} "))
        # Let the words reach the gateway before the connection drops.
        await asyncio.sleep(0.2)
        raise Aborted

    async def fault_broken_body(self, send: Send, model: str) -> None:
        await _start(send, b"application/json", length=5000)
        await _more(send, b'{"id": "x", "model": "')
        raise Aborted

    async def fault_error_event(self, send: Send, model: str) -> None:
        await _start(send, b"text/event-stream")
        await _more(send, chunk(model, "partial "))
        error = {"error": {"message": "overloaded", "type": "server_error"}}
        await _more(send, b"data: " + json.dumps(error).encode() + b"\n\n")
        await send({"type": "http.response.body", "body": b""})

    async def fault_huge_usage(self, send: Send, model: str) -> None:
        usage = {"prompt_tokens": 2**64, "completion_tokens": 3, "total_tokens": 2**64 + 3}
        body = {"object": "chat.completion", "model": model, "usage": usage, "choices": []}
        await _start(send, b"application/json")
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})

    async def fault_slow_whole(self, send: Send, model: str) -> None:
        await asyncio.sleep(3)
        body = {"object": "chat.completion", "model": model, "usage": USAGE, "choices": []}
        await _start(send, b"application/json")
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})

    async def fault_created(self, send: Send, model: str) -> None:
        # A 2xx other than 200 is still a reply the provider billed.
        body = {"object": "chat.completion", "model": model, "usage": USAGE, "choices": []}
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})

    async def fault_echo_stream(self, send: Send, model: str) -> None:
        await _start(send, b"text/event-stream")
        await _more(send, chunk(model, "hi"))
        await _more(send, chunk(model, "", USAGE))
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})

    async def fault_gemini_array_cut(self, send: Send, model: str) -> None:
        # The array form broken off after one element that carried running counts.
        first = {
            "candidates": [{"content": {"parts": [{"text": "Hel"}]}}],
            "usageMetadata": {"promptTokenCount": 1000, "candidatesTokenCount": 2000},
            "modelVersion": model,
        }
        await _start(send, b"application/json; charset=UTF-8")
        await _more(send, b"[" + json.dumps(first).encode() + b",")
        await asyncio.sleep(0.2)
        raise Aborted

    async def fault_gemini_array(self, send: Send, model: str) -> None:
        # streamGenerateContent without alt=sse: one JSON array, sent in pieces.
        parts = [
            {"candidates": [{"content": {"parts": [{"text": "Hel"}]}}], "modelVersion": model},
            {
                "candidates": [
                    {"content": {"parts": [{"text": "lo"}]}, "finishReason": "STOP"}
                ],
                "usageMetadata": {"promptTokenCount": 1000, "candidatesTokenCount": 2000},
                "modelVersion": model,
            },
        ]
        text = json.dumps(parts).encode()
        await _start(send, b"application/json; charset=UTF-8")
        middle = len(text) // 2
        await _more(send, text[:middle])
        await send({"type": "http.response.body", "body": text[middle:]})


async def _start(send: Send, content_type: bytes, length: int | None = None) -> None:
    headers = [(b"content-type", content_type)]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})


async def _more(send: Send, body: bytes) -> None:
    await send({"type": "http.response.body", "body": body, "more_body": True})


async def _read(receive: Receive) -> bytes:
    parts = []
    while True:
        message = await receive()
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(parts)
