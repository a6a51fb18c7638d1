"""Forwarding one request upstream and metering its reply as it passes through.

A reply is recorded in the ledger before its last byte reaches the client: the bytes
after the provider's final counts (the end of the stream) are held back until the
event is committed, so a client that got a whole reply is never unrecorded.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import orjson

from tokenledger.gateway._asgi import Receive, Send
from tokenledger.gateway._errors import send_error
from tokenledger.ledger import EventStatus
from tokenledger.metering import Meter, MeteredRequest
from tokenledger.wire import Reading

log = logging.getLogger("tokenledger.gateway")

# Upstream reply headers a client's SDK acts on (retries, rate limits, request ids).
PASSED_HEADERS = frozenset(
    {"retry-after", "x-should-retry", "x-request-id", "request-id", "openai-processing-ms"}
)
PASSED_PREFIXES = ("x-ratelimit-", "anthropic-ratelimit-")


class UpstreamCall:
    """One request on its way to the provider and back."""

    def __init__(
        self,
        meter: Meter,
        session: aiohttp.ClientSession,
        request: MeteredRequest,
        url: str,
        headers: dict[str, str],
    ) -> None:
        self.meter = meter
        self.session = session
        self.request = request
        self.url = url
        self.headers = headers

    async def run(self, send: Send, receive: Receive, body: dict[str, Any], hide: bool) -> None:
        try:
            response = await self.session.post(
                self.url, data=orjson.dumps(body), headers=self.headers
            )
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            await self._unreachable(send, error)
            return

        async with response:
            content_type = response.headers.get("content-type", "")
            if response.status == 200 and content_type.startswith("text/event-stream"):
                await self._stream(send, receive, response, hide)
            else:
                await self._whole(send, response)

    async def _unreachable(self, send: Send, error: BaseException) -> None:
        name = self.request.upstream.name
        log.warning("upstream %s unreachable: %s", name, type(error).__name__)
        await self._record(Reading(), "upstream_error", 502)
        message = f"the gateway could not reach upstream {name!r}; try again later"
        await send_error(send, self.request.adapter, 502, message)

    async def _whole(self, send: Send, response: aiohttp.ClientResponse) -> None:
        payload = await response.read()
        status = response.status
        reading = (
            self.request.adapter.read_response_bytes(payload) if status == 200 else Reading()
        )
        outcome: EventStatus = "ok" if status == 200 else "upstream_error"
        await self._record(reading, outcome, status)
        await send(_start(status, response, self.request.event_id))
        await send({"type": "http.response.body", "body": payload})

    async def _stream(
        self, send: Send, receive: Receive, response: aiohttp.ClientResponse, hide: bool
    ) -> None:
        meter = self.request.adapter.stream_meter(hide_usage_event=hide)
        await send(_start(200, response, self.request.event_id))
        outcome, held = await self._pump(send, receive, response, meter)
        held += meter.finish()
        await self._record(meter.reading, outcome, 200)
        if outcome != "client_cancelled":
            await send({"type": "http.response.body", "body": held})

    async def _pump(
        self, send: Send, receive: Receive, response: aiohttp.ClientResponse, meter: Any
    ) -> tuple[EventStatus, bytes]:
        """Pass chunks on as they come; hold back what follows the final counts.

        When the client goes away, the upstream reply is closed at once (the provider
        stops generating, and billing, soon after) and the loop ends.
        """
        held = b""
        gone = asyncio.Event()
        watcher = asyncio.ensure_future(_wait_disconnect(receive))

        def on_disconnect(task: asyncio.Future[None]) -> None:
            if not task.cancelled():
                gone.set()
                response.close()

        watcher.add_done_callback(on_disconnect)
        try:
            async for chunk in response.content.iter_any():
                out = meter.feed(chunk)
                if meter.reading.complete:
                    held += out
                elif out:
                    await send({"type": "http.response.body", "body": out, "more_body": True})
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            if not gone.is_set():
                log.warning("upstream stream broke: %s", type(error).__name__)
                return "upstream_error", held
        finally:
            watcher.remove_done_callback(on_disconnect)
            watcher.cancel()
        return ("client_cancelled" if gone.is_set() else "ok"), held

    async def _record(self, reading: Reading, outcome: EventStatus, http_status: int) -> None:
        event = self.meter.event(self.request, reading, status=outcome, http_status=http_status)
        await self.meter.record(event)


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


def _start(status: int, response: aiohttp.ClientResponse, event_id: str) -> dict[str, Any]:
    # The event id lets a client find its request in the ledger (and audit its bill).
    headers = [(b"x-tokenledger-event-id", event_id.encode())]
    for name, value in response.headers.items():
        lower = name.lower()
        if (
            lower == "content-type"
            or lower in PASSED_HEADERS
            or lower.startswith(PASSED_PREFIXES)
        ):
            headers.append((lower.encode("latin-1"), value.encode("latin-1")))
    return {"type": "http.response.start", "status": status, "headers": headers}
