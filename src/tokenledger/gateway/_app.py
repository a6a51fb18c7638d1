"""`GatewayApp`: the ASGI application behind `tokenledger serve`.

It only parses and checks the request, asks the core (config, ledger, meter) what to
do, and hands the reply back; the metering itself lives in tokenledger.metering.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
import orjson

from tokenledger.config import Config, Upstream, load_config
from tokenledger.errors import UnknownModelError
from tokenledger.gateway._asgi import BodyTooLarge, Receive, Scope, Send, read_body, send_json
from tokenledger.gateway._auth import gateway_key, query_without_key, upstream_auth_headers
from tokenledger.gateway._errors import adapter_for_unknown_path, send_error
from tokenledger.gateway._forward import UpstreamCall
from tokenledger.ledger import EventWriter, Ledger, open_ledger
from tokenledger.metering import Callbacks, Meter, MeteredRequest
from tokenledger.policy import hooks, measure_text, window_at_risk
from tokenledger.wire import WireAdapter, adapter_for_route

log = logging.getLogger("tokenledger.gateway")

MAX_MODEL_CHARS = 200

# Client headers the providers act on; everything else, keys above all, stays here.
FORWARDED_HEADERS = (b"anthropic-version", b"anthropic-beta", b"openai-beta")


@dataclass
class GatewaySettings:
    database_url: str | None = None
    config: Config | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    # Requests carry images and long histories, but nothing sensible is larger.
    max_body_bytes: int = 32 * 1024 * 1024
    # Upstream connections kept open; a shared pool smaller than the concurrency
    # queues requests behind each other (see BENCHMARKS.md).
    upstream_pool_size: int = 512


class GatewayApp:
    def __init__(
        self,
        settings: GatewaySettings,
        callbacks: Callbacks | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.config = settings.config or load_config(env=settings.env)
        self.ledger: Ledger = open_ledger(settings.database_url)
        # Without callbacks of its own, the app fires those tokenledger.configure set.
        chosen = callbacks if callbacks is not None else hooks().callbacks
        self.meter = Meter(self.ledger, self.config, chosen, clock=clock)
        self._session: aiohttp.ClientSession | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def startup(self) -> None:
        _log_upstreams(self.config, self.settings.env)
        if self.meter.writer is None:
            self.meter.writer = EventWriter(self.ledger)
        if self._session is None:
            self._session = _client_session(self.settings.upstream_pool_size)

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self.meter.writer is not None:
            self.meter.writer.close()
            self.meter.writer = None

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if path == "/healthz":
            await send_json(send, 200, {"status": "ok"})
            return
        # A decoded path holding "?" or "#" was percent-encoded to smuggle a query or a
        # fragment past the routes into the upstream URL.
        adapter = (
            None if "?" in path or "#" in path else adapter_for_route(scope["method"], path)
        )
        if adapter is None:
            message = f"no route {scope['method']} {path}; see the README for the routes"
            await send_error(send, adapter_for_unknown_path(path), 404, message)
            return
        await self._proxy(adapter, scope, receive, send)

    async def _proxy(
        self, adapter: WireAdapter, scope: Scope, receive: Receive, send: Send
    ) -> None:
        headers = dict(scope["headers"])
        query = scope["query_string"].decode("latin-1")
        key = gateway_key(headers, query)
        holder = self.ledger.verify_key(key) if key else None
        if holder is None:
            message = (
                "missing or invalid gateway key; create one with `tokenledger keys create`"
            )
            await send_error(send, adapter, 401, message)
            return

        parsed = await self._json_body(adapter, receive, send)
        if parsed is None:
            return
        raw, body = parsed

        path: str = scope["path"]
        model = adapter.request_model(body, path)
        try:
            upstream = self.config.route(adapter.protocol, model)
        except UnknownModelError as error:
            await send_error(send, adapter, 404, str(error))
            return

        if model and await self._over_context(adapter, send, len(raw), body, model, upstream):
            return

        stream = adapter.wants_stream(body, path, query)
        upstream_body, hide = adapter.prepare_upstream_body(body) if stream else (body, False)
        payload = upstream_bytes(raw, body, upstream_body)
        request = MeteredRequest(
            adapter=adapter,
            upstream=upstream,
            model_requested=model,
            body=body,
            user=holder.user,
            key_id=holder.key_id,
            started_at=self.meter.clock(),
        )
        upstream_query = query_without_key(query)
        url = upstream.url_for(path) + (f"?{upstream_query}" if upstream_query else "")
        call = UpstreamCall(
            self.meter, self._client(), request, url, self._headers(headers, upstream)
        )
        await call.run(send, receive, payload, stream, hide)

    async def _over_context(
        self,
        adapter: WireAdapter,
        send: Send,
        body_bytes: int,
        body: dict[str, Any],
        model: str,
        upstream: Upstream,
    ) -> bool:
        """Refuse, unsent, a request that cannot fit in its model's context window."""
        window = window_at_risk(body_bytes, model, upstream.name)
        if window is None:
            return False
        text = adapter.request_text(body)
        # Counting a long prompt takes a while: not on the event loop.
        check = await asyncio.to_thread(measure_text, text, model, window)
        if not check.exceeded:
            return False
        await hooks().fire_limit_async(check)
        await send_error(send, adapter, 400, str(check.error()))
        return True

    async def _json_body(
        self, adapter: WireAdapter, receive: Receive, send: Send
    ) -> tuple[bytes, dict[str, Any]] | None:
        """The request's bytes and JSON object, or None after answering 4xx (nothing is
        forwarded)."""
        try:
            raw = await read_body(receive, self.settings.max_body_bytes)
        except BodyTooLarge:
            limit = self.settings.max_body_bytes
            await send_error(send, adapter, 413, f"request body is over {limit} bytes")
            return None
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            await send_error(send, adapter, 400, f"request body is not valid JSON: {error}")
            return None
        problem = _shape_problem(body)
        if problem:
            await send_error(send, adapter, 400, problem)
            return None
        return raw, body

    def _headers(self, client: Mapping[bytes, bytes], upstream: Any) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        for name in FORWARDED_HEADERS:
            value = client.get(name)
            if value is not None:
                headers[name.decode()] = value.decode("latin-1")
        provider_key = upstream.api_key(self.settings.env)
        headers.update(upstream_auth_headers(upstream.protocol, provider_key))
        return headers

    def _client(self) -> aiohttp.ClientSession:
        # Servers that skip the lifespan protocol still get a session, made on first use.
        if self._session is None:
            self._session = _client_session(self.settings.upstream_pool_size)
        if self.meter.writer is None:
            self.meter.writer = EventWriter(self.ledger)
        return self._session


def upstream_bytes(raw: bytes, body: dict[str, Any], upstream_body: dict[str, Any]) -> bytes:
    """The client's own bytes, with any fields the gateway added spliced in front.

    A JSON round trip would alter what the provider should see as sent (integers past
    64 bits become floats), so the body is re-encoded only when a field it had changed.
    """
    if upstream_body is body:
        return raw
    added = {name: value for name, value in upstream_body.items() if name not in body}
    kept = all(upstream_body.get(name) is value for name, value in body.items())
    opening = raw.lstrip()
    if added and kept and body and opening.startswith(b"{"):
        return b"{" + orjson.dumps(added)[1:-1] + b"," + opening[1:]
    return orjson.dumps(upstream_body)


def _log_upstreams(config: Config, env: Mapping[str, str]) -> None:
    """Say where requests will go and which upstreams lack a key, before any does."""
    for upstream in config.upstreams:
        has_key = bool(upstream.api_key(env))
        log.info(
            "upstream %s (%s) at %s, key %s",
            upstream.name,
            upstream.protocol,
            upstream.base_url,
            "set" if has_key else "not set",
        )
        if not has_key and not upstream.local and upstream.key_env:
            log.warning(
                "upstream %s has no key: set %s, or its requests will be refused upstream",
                upstream.name,
                upstream.key_env,
            )


def _shape_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    model = body.get("model")
    if model is not None and (not isinstance(model, str) or not model):
        return "`model` must be a non-empty string"
    if model is not None and len(model) > MAX_MODEL_CHARS:
        return f"`model` is longer than {MAX_MODEL_CHARS} characters"
    if model is not None and not model.isprintable():
        return "`model` must not contain control characters"
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        return "`stream` must be true or false"
    return None


def _client_session(pool_size: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=pool_size, limit_per_host=pool_size)
    # No total timeout: a long generation may stream for many minutes; a silent
    # socket for ten is a dead upstream.
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=600)
    return aiohttp.ClientSession(connector=connector, timeout=timeout, auto_decompress=True)


def create_app(
    database_url: str | None = None,
    config: Config | None = None,
    env: Mapping[str, str] | None = None,
    callbacks: Callbacks | None = None,
) -> GatewayApp:
    settings = GatewaySettings(database_url=database_url, config=config)
    if env is not None:
        settings.env = env
    return GatewayApp(settings, callbacks)
