"""`httpx_client`: hand the official SDKs a client that meters every call.

`OpenAI(http_client=tokenledger.httpx_client(user="alice"))` (or `Anthropic(...)`)
sends each request through `MeteringTransport`, which recognises the provider API by
the route, reads the reply as it flows to the SDK, and records it when the body is
finished or closed: counted, priced, saved and called back as a chat's reply is. The
SDK gets the very bytes the provider sent (a stream's events are passed on whole,
never altered), so its return values are unchanged.

Two things the transport does change, both on the request: it asks the provider for
an uncompressed reply (`accept-encoding: identity`), so the bytes it reads are the
bytes it meters, at the price of more bytes on the wire for large JSON replies; and
it does not add `stream_options.include_usage` to Chat Completions streams, so such a
stream sent without it is recorded with the library's estimate, flagged `estimated`.
"""

from __future__ import annotations

import functools
import importlib
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

import httpx

from tokenledger.config import Protocol, Upstream
from tokenledger.errors import UnknownModelError
from tokenledger.ledger import EventStatus
from tokenledger.library import _record
from tokenledger.library._message import ChatUsageEvent
from tokenledger.library._routing import infer_protocol
from tokenledger.library._settings import runtime
from tokenledger.metering import MeteredRequest
from tokenledger.wire import Reading, StreamMeter, WireAdapter, get_adapter
from tokenledger.wire.gemini import model_from_path

log = logging.getLogger("tokenledger.library")

# Route endings of the metered APIs, whatever base URL precedes them.
_ENDINGS = (
    ("/chat/completions", "openai-chat"),
    ("/responses", "openai-responses"),
    ("/messages", "anthropic-messages"),
    (":generateContent", "gemini"),
    (":streamGenerateContent", "gemini"),
)


def adapter_for_url(method: str, path: str) -> WireAdapter | None:
    if method.upper() != "POST":
        return None
    for ending, api in _ENDINGS:
        if path.endswith(ending):
            return get_adapter(api)
    return None


class _Tap:
    """Follows one reply's bytes and records the request once, when they end."""

    def __init__(self, adapter: WireAdapter, request: MeteredRequest, response: Any):
        self.adapter = adapter
        self.request = request
        self.status = response.status_code
        content_type = response.headers.get("content-type", "")
        self.streaming = self.status == 200 and content_type.startswith("text/event-stream")
        self.meter: StreamMeter | None = adapter.stream_meter() if self.streaming else None
        self.body = bytearray()
        self.done = False
        self.finished = False

    def feed(self, data: bytes) -> None:
        if self.meter is not None:
            self.meter.feed(data)
        else:
            self.body += data

    def event(self) -> ChatUsageEvent:
        """The event, built once; `finished` says whether the body was read to its end."""
        self.done = True
        reading, status = self._outcome()
        return _record.usage_event(
            self.request, reading, status=status, http_status=self.status
        )

    def _outcome(self) -> tuple[Reading, EventStatus]:
        if self.status != 200:
            return Reading(), "upstream_error"
        if self.meter is not None:
            self.meter.finish()
            reading = self.meter.reading
        else:
            reading = self.adapter.read_response_bytes(bytes(self.body))
        # SDKs stop reading at the stream's end marker and close without draining
        # the last bytes: a reply whose final counts arrived is complete all the same.
        whole = self.finished or reading.complete
        return reading, "ok" if whole else "client_cancelled"


@functools.cache
def _classes(module: Any) -> tuple[type[Any], type[Any]]:
    """The sync and async transports for one httpx flavour.

    Current openai and anthropic SDKs run on `httpx2`, a fork of `httpx` that refuses
    `httpx` objects; older ones on `httpx`. Both check that a reply's body stream
    subclasses their own byte-stream classes, so the classes are made per flavour.
    """

    class SyncBody(module.SyncByteStream):  # type: ignore[misc]
        def __init__(self, inner: Any, tap: _Tap) -> None:
            self.inner = inner
            self.tap = tap

        def __iter__(self) -> Iterator[bytes]:
            for data in self.inner.iter_raw():
                self.tap.feed(data)
                yield data
            self.tap.finished = True

        def close(self) -> None:
            try:
                self.inner.close()
            finally:
                if not self.tap.done:
                    _record.record_sync(self.tap.event())

    class AsyncBody(module.AsyncByteStream):  # type: ignore[misc]
        def __init__(self, inner: Any, tap: _Tap) -> None:
            self.inner = inner
            self.tap = tap

        async def __aiter__(self) -> AsyncIterator[bytes]:
            async for data in self.inner.aiter_raw():
                self.tap.feed(data)
                yield data
            self.tap.finished = True

        async def aclose(self) -> None:
            try:
                await self.inner.aclose()
            finally:
                if not self.tap.done:
                    await _record.record_async(self.tap.event())

    class Transport(module.BaseTransport):  # type: ignore[misc]
        """Wraps a transport; requests to a metered route are recorded, others pass."""

        def __init__(self, inner: Any = None, user: str | None = None) -> None:
            self.inner = inner or module.HTTPTransport()
            self.user = user

        def handle_request(self, request: Any) -> Any:
            metered = _metered(request, self.user)
            if metered is None:
                return self.inner.handle_request(request)

            _ask_identity(request)
            response = self.inner.handle_request(request)
            tap = _Tap(metered.adapter, metered, response)
            return _wrap(module, response, SyncBody(response, tap))

        def close(self) -> None:
            self.inner.close()

    class AsyncTransport(module.AsyncBaseTransport):  # type: ignore[misc]
        """The asyncio twin of the sync transport."""

        def __init__(self, inner: Any = None, user: str | None = None) -> None:
            self.inner = inner or module.AsyncHTTPTransport()
            self.user = user

        async def handle_async_request(self, request: Any) -> Any:
            metered = _metered(request, self.user)
            if metered is None:
                return await self.inner.handle_async_request(request)

            _ask_identity(request)
            response = await self.inner.handle_async_request(request)
            tap = _Tap(metered.adapter, metered, response)
            return _wrap(module, response, AsyncBody(response, tap))

        async def aclose(self) -> None:
            await self.inner.aclose()

    return Transport, AsyncTransport


def _metered(request: Any, user: str | None) -> MeteredRequest | None:
    adapter = adapter_for_url(request.method, request.url.path)
    if adapter is None:
        return None
    try:
        body = json.loads(request.read() or b"{}")
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    model = adapter.request_model(body, request.url.path) or model_from_path(request.url.path)
    upstream = _upstream_for(request, adapter, model)
    return _record.new_request(adapter, upstream, model, body, user)


def _upstream_for(request: Any, adapter: WireAdapter, model: str | None) -> Upstream:
    """The configured upstream whose base URL the request goes to (the longest such
    URL wins: an Ollama under `/ollama` of a host another upstream also serves); else
    the one the model routes to; else an upstream named for the model's family."""
    url = str(request.url)
    config = runtime().get_config()
    matching = [
        upstream
        for upstream in config.upstreams
        if upstream.protocol == adapter.protocol
        and url.startswith(upstream.base_url.rstrip("/") + "/")
    ]
    if matching:
        return max(matching, key=lambda upstream: len(upstream.base_url.rstrip("/")))
    try:
        return config.route(adapter.protocol, model)
    except UnknownModelError:
        protocol = cast(Protocol, adapter.protocol)
        return Upstream(name=infer_protocol(model or ""), protocol=protocol, base_url=url)


def _ask_identity(request: Any) -> None:
    request.headers["accept-encoding"] = "identity"


def _wrap(module: Any, response: Any, stream: Any) -> Any:
    return module.Response(
        status_code=response.status_code,
        headers=response.headers,
        stream=stream,
        extensions=response.extensions,
    )


def _flavour(module: Any) -> Any:
    """The httpx flavour asked for, else `httpx2` when installed (current SDKs)."""
    if module is not None:
        return module
    try:
        return importlib.import_module("httpx2")
    except ImportError:
        return httpx


def metering_transport(user: str | None = None, module: Any = None) -> Any:
    """A metering transport of the given httpx flavour, to wrap in a client of your own."""
    return _classes(_flavour(module))[0](user=user)


def httpx_client(user: str | None = None, *, module: Any = None, **options: Any) -> Any:
    """A client for an official SDK's `http_client=`, metering every call.

    The client is an `httpx2.Client` when `httpx2` is installed (what current openai
    and anthropic SDKs require), else an `httpx.Client`; pass `module=httpx` (or
    `httpx2`) to choose. `options` go to the client (timeouts, limits); the SDK sets
    the base URL and the key.
    """
    flavour = _flavour(module)
    options.setdefault("timeout", flavour.Timeout(600.0, connect=10.0))
    return flavour.Client(transport=_classes(flavour)[0](user=user), **options)


def async_httpx_client(user: str | None = None, *, module: Any = None, **options: Any) -> Any:
    """The async twin of `httpx_client`, for `AsyncOpenAI` and `AsyncAnthropic`."""
    flavour = _flavour(module)
    options.setdefault("timeout", flavour.Timeout(600.0, connect=10.0))
    return flavour.AsyncClient(transport=_classes(flavour)[1](user=user), **options)
