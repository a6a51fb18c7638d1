"""Forwarding one request upstream and metering its reply as it passes through.

A reply is recorded in the ledger before its last byte reaches the client: the bytes
after the provider's final counts (the end of the stream) are held back until the
event is committed, so a client that got a whole reply is never unrecorded.

Every way a call can end has one outcome: a whole reply is `ok`; an upstream error
status, an unreachable upstream, a body cut off or an error event inside a stream is
`upstream_error`; a client that goes away first is `client_cancelled`, and the
upstream call is closed at once so the provider stops generating.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from tokenledger.gateway._asgi import Receive, Send
from tokenledger.gateway._errors import send_error
from tokenledger.ledger import EventStatus
from tokenledger.metering import Meter, MeteredRequest
from tokenledger.wire import Reading, StreamMeter

log = logging.getLogger("tokenledger.gateway")

# Upstream reply headers a client's SDK acts on (retries, rate limits, request ids).
PASSED_HEADERS = frozenset(
    {"retry-after", "x-should-retry", "x-request-id", "request-id", "openai-processing-ms"}
)
PASSED_PREFIXES = ("x-ratelimit-", "anthropic-ratelimit-")

# Bytes held back after the final counts before the rest is let through anyway: a
# well-behaved stream ends within a few events, a misbehaving one must not stall.
MAX_HELD_BYTES = 64 * 1024

UPSTREAM_FAILURES = (aiohttp.ClientError, OSError, TimeoutError)


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

    async def run(
        self, send: Send, receive: Receive, body: bytes, stream: bool, hide: bool
    ) -> None:
        watch = _DisconnectWatch(receive)
        try:
            await self._exchange(send, watch, body, stream, hide)
        finally:
            watch.stop()

    async def _exchange(
        self, send: Send, watch: _DisconnectWatch, body: bytes, stream: bool, hide: bool
    ) -> None:
        opened = await watch.until_gone(self._post(body))
        if opened is None:
            await self._record(Reading(), "client_cancelled", 499)
            return
        response, error = opened
        if response is None:
            await self._unreachable(send, error)
            return

        async with response:
            content_type = response.headers.get("content-type", "")
            if _succeeded(response.status) and _streams(self.request, content_type, stream):
                await self._stream(send, watch, response, hide)
            else:
                await self._whole(send, watch, response)

    async def _post(
        self, body: bytes
    ) -> tuple[aiohttp.ClientResponse | None, BaseException | None]:
        try:
            # Redirects are not followed: the provider key must reach only the
            # configured upstream, never a host a reply points at.
            response = await self.session.post(
                self.url, data=body, headers=self.headers, allow_redirects=False
            )
        except UPSTREAM_FAILURES as error:
            return None, error
        return response, None

    async def _unreachable(self, send: Send, error: BaseException | None) -> None:
        name = self.request.upstream.name
        log.warning("upstream %s unreachable: %s", name, type(error).__name__)
        # A refused connection billed nothing; an upstream that took the request and
        # then went silent or away may have done (and billed) the work: estimated.
        reached = not isinstance(error, aiohttp.ClientConnectorError)
        await self._record(Reading(), "upstream_error", 502, produced=reached)
        message = f"the gateway could not reach upstream {name!r}; try again later"
        await send_error(send, self.request.adapter, 502, message, self.request.event_id)

    async def _whole(
        self, send: Send, watch: _DisconnectWatch, response: aiohttp.ClientResponse
    ) -> None:
        read = await watch.until_gone(_read_all(response))
        if read is None:
            response.close()
            await self._record(Reading(), "client_cancelled", 499)
            return
        payload, error = read
        if payload is None:
            await self._cut_off(send, error)
            return

        status = response.status
        ok = _succeeded(status)
        reading = self.request.adapter.read_response_bytes(payload) if ok else Reading()
        await self._record(reading, "ok" if ok else "upstream_error", status)
        await send(_start(status, response, self.request.event_id))
        await send({"type": "http.response.body", "body": payload})

    async def _cut_off(self, send: Send, error: BaseException | None) -> None:
        # The provider may have billed a reply it could not finish sending: estimated.
        name = self.request.upstream.name
        log.warning("upstream %s reply cut off: %s", name, type(error).__name__)
        await self._record(Reading(), "upstream_error", 502, produced=True)
        message = f"upstream {name!r} broke off its reply; try again later"
        await send_error(send, self.request.adapter, 502, message, self.request.event_id)

    async def _stream(
        self, send: Send, watch: _DisconnectWatch, response: aiohttp.ClientResponse, hide: bool
    ) -> None:
        meter = self.request.adapter.stream_meter(hide_usage_event=hide)
        await send(_start(response.status, response, self.request.event_id))
        outcome, held = await self._pump(send, watch, response, meter)
        held += meter.finish()
        broken = outcome == "upstream_error"
        reading = meter.reading
        if outcome == "ok" and reading.error and not reading.complete:
            # An error event inside a 200 stream (an overloaded provider) ended it; the
            # client's SDK reads that event and raises its own error.
            outcome = "upstream_error"
        await self._record(reading, outcome, response.status, produced=True)
        if outcome == "client_cancelled":
            return
        # After a broken upstream, returning without the final message makes the server
        # drop the connection: the client's SDK sees a broken stream, not a short one.
        await send({"type": "http.response.body", "body": held, "more_body": broken})

    async def _pump(
        self,
        send: Send,
        watch: _DisconnectWatch,
        response: aiohttp.ClientResponse,
        meter: StreamMeter,
    ) -> tuple[EventStatus, bytes]:
        """Pass chunks on as they come; hold back what follows the final counts."""
        held = b""
        watch.on_gone(response.close)
        if watch.gone:
            return "client_cancelled", held
        # A stream that is not server-sent events (Gemini's JSON array) says it is done
        # only when it ends, so its last byte so far is always kept back: the final one
        # then waits for the commit. SSE events must not wait: a client dispatches each
        # on its closing blank line.
        tail_held = not response.headers.get("content-type", "").startswith("text/event-stream")
        try:
            async for chunk in response.content.iter_any():
                out = meter.feed(chunk)
                if meter.reading.complete or tail_held:
                    held += out
                    if len(held) > (1 if tail_held else MAX_HELD_BYTES):
                        # Still keep the last byte back until the event is committed.
                        await _send_more(send, held[:-1])
                        held = held[-1:]
                elif out:
                    await _send_more(send, out)
        except UPSTREAM_FAILURES as error:
            if not watch.gone:
                log.warning("upstream stream broke: %s", type(error).__name__)
                return "upstream_error", held
        return ("client_cancelled" if watch.gone else "ok"), held

    async def _record(
        self, reading: Reading, outcome: EventStatus, http_status: int, produced: bool = False
    ) -> None:
        request = self.request
        if reading.complete and reading.usage is not None:
            event = self.meter.event(request, reading, status=outcome, http_status=http_status)
        else:
            # Counting tokens of a long prompt takes a while: not on the event loop.
            event = await asyncio.to_thread(
                self.meter.event,
                request,
                reading,
                status=outcome,
                http_status=http_status,
                produced=produced or outcome == "client_cancelled",
            )
        await self.meter.record(event)


def _succeeded(status: int) -> bool:
    return 200 <= status < 300


def _streams(request: MeteredRequest, content_type: str, stream_requested: bool) -> bool:
    if content_type.startswith("text/event-stream"):
        return True
    # Gemini's streamGenerateContent without alt=sse streams one JSON array; its meter
    # reads that form as it arrives.
    return stream_requested and request.adapter.protocol == "gemini"


async def _read_all(
    response: aiohttp.ClientResponse,
) -> tuple[bytes | None, BaseException | None]:
    try:
        return await response.read(), None
    except UPSTREAM_FAILURES as error:
        return None, error


async def _send_more(send: Send, body: bytes) -> None:
    await send({"type": "http.response.body", "body": body, "more_body": True})


class _DisconnectWatch:
    """Notices the client going away while the gateway waits on the upstream."""

    def __init__(self, receive: Receive) -> None:
        self.gone = False
        self._callbacks: list[Any] = []
        self._task = asyncio.ensure_future(_wait_disconnect(receive))
        self._task.add_done_callback(self._fire)

    def _fire(self, task: asyncio.Future[None]) -> None:
        if task.cancelled():
            return
        self.gone = True
        for callback in self._callbacks:
            callback()

    def on_gone(self, callback: Any) -> None:
        if self.gone:
            callback()
            return
        self._callbacks.append(callback)

    async def until_gone(self, work: Any) -> Any:
        """`work`'s result, or None if the client went away first (work is cancelled)."""
        job = asyncio.ensure_future(work)
        await asyncio.wait((job, self._task), return_when=asyncio.FIRST_COMPLETED)
        if job.done() and not self.gone:
            return job.result()
        if job.done():
            # The client left as the reply arrived: close it rather than read on.
            result = job.result()
            for item in result if isinstance(result, tuple) else (result,):
                if isinstance(item, aiohttp.ClientResponse):
                    item.close()
            return None
        job.cancel()
        return None

    def stop(self) -> None:
        self._task.remove_done_callback(self._fire)
        self._task.cancel()


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
            try:
                headers.append((lower.encode("latin-1"), value.encode("latin-1")))
            except UnicodeEncodeError:
                # HTTP header values are Latin-1; a value that is not is dropped, not
                # allowed to fail the reply.
                continue
    return {"type": "http.response.start", "status": status, "headers": headers}
