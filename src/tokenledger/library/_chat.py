"""`Chat`: a conversation with one model, metered request by request.

A chat talks to the provider directly over HTTP, in the API's own shape (see
`_dialects`), and reads each reply with the same wire adapter the gateway uses, so a
reply is counted and priced the same whichever face carried it. The sync and async
methods share every step except the I/O.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import orjson

from tokenledger.config import Upstream
from tokenledger.errors import UpstreamError
from tokenledger.ledger import ChatRecord, EventStatus, LedgerError, MessageRecord, new_event_id
from tokenledger.library import _record
from tokenledger.library._dialects import Options, Turn, build_body, route_path
from tokenledger.library._estimate import RunningCount
from tokenledger.library._http import async_client, provider_message, sync_client
from tokenledger.library._message import ChatUsageEvent, Chunk, Message
from tokenledger.library._routing import (
    Api,
    adapter_api,
    auth_headers,
    provider_key,
    resolve_upstream,
)
from tokenledger.library._settings import runtime
from tokenledger.metering import MeteredRequest
from tokenledger.policy import ContextCheck, check_context, hooks, measure_context
from tokenledger.wire import Reading, StreamMeter, WireAdapter, get_adapter

OnChunk = Callable[[Chunk], Awaitable[None] | None]


@dataclass
class _Call:
    """One request, ready to send."""

    text: str
    url: str
    headers: dict[str, str]
    content: bytes
    request: MeteredRequest
    check: ContextCheck
    stream: bool


@dataclass
class _Outcome:
    reading: Reading
    http_status: int | None = None
    error: UpstreamError | None = None
    cancelled: bool = False
    chunks: list[Chunk] = field(default_factory=list)


class Chat:
    """A conversation with `model`, attributed to `user`.

    `messages` is the whole history, archived messages included; what is sent is the
    history without them. With a ledger configured the chat and each message are
    saved as each reply completes.
    """

    def __init__(
        self,
        model: str,
        *,
        user: str | None = None,
        provider: str | None = None,
        system: str | None = None,
        api: Api | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        cache_system: bool = False,
        chat_id: str | None = None,
        messages: list[Message] | None = None,
    ) -> None:
        state = runtime()
        self.model = model
        self.user = user
        self.system = system
        self.upstream: Upstream = resolve_upstream(
            state.get_config(), model, provider, base_url
        )
        self.adapter: WireAdapter = get_adapter(adapter_api(self.upstream, api))
        self.options = Options(temperature, max_tokens, cache_system)
        self.id = chat_id or new_event_id()
        self.messages: list[Message] = list(messages or [])
        self._api_key = api_key
        # A resumed chat is in the ledger already.
        self._saved = chat_id is not None

    # Totals

    @property
    def input_tokens(self) -> int:
        return sum(m.input_tokens for m in self.messages)

    @property
    def output_tokens(self) -> int:
        return sum(m.output_tokens for m in self.messages)

    @property
    def total_tokens(self) -> int:
        return sum(m.total_tokens for m in self.messages)

    @property
    def cost(self) -> Decimal | None:
        """What the chat's replies cost, archived ones included (they were paid for);
        None when any reply's cost is unknown, since the total is then unknown too."""
        costs = [m.cost for m in self.messages if m.role == "assistant"]
        if any(cost is None for cost in costs):
            return None
        return sum((cost for cost in costs if cost is not None), Decimal(0))

    # Asking

    def ask(self, text: str, on_chunk: Callable[[Chunk], None] | None = None) -> Message:
        """Send `text` with the history; stream when `on_chunk` is given.

        Raises `ContextLimitExceededError` (nothing sent) when the history would not fit
        the model's window, and `UpstreamError` when the provider answers with an error.
        """
        call = self._prepare(text, stream=on_chunk is not None)
        outcome = self._stream(call, on_chunk) if call.stream else self._whole(call)
        event, reply, records = self._settle(call, outcome)
        _record.record_sync(event, records, self._unsaved())
        return self._deliver(outcome, reply, records)

    async def aask(self, text: str, on_chunk: OnChunk | None = None) -> Message:
        """`ask`, for asyncio; `on_chunk` may be a plain or an async function."""
        call = self._prepare(text, stream=on_chunk is not None)
        outcome = await (self._astream(call, on_chunk) if call.stream else self._awhole(call))
        event, reply, records = self._settle(call, outcome)
        await _record.record_async(event, records, self._unsaved())
        return self._deliver(outcome, reply, records)

    def archive(self, message: Message) -> None:
        """Keep `message` (in `messages` and the ledger) but stop sending it."""
        message.archived = True
        store = runtime().chat_store()
        if store is not None and message.id is not None:
            store.set_archived(message.id)

    # Steps

    def _prepare(self, text: str, *, stream: bool) -> _Call:
        turns: list[Turn] = [(m.role, m.content) for m in self.messages if not m.archived]
        turns.append(("user", text))
        check = self._check_context(turns)

        body = build_body(
            self.adapter.api, self.model, self.system, turns, stream, self.options
        )
        path = route_path(self.adapter.api, self.model, stream)
        request = _record.new_request(self.adapter, self.upstream, self.model, body, self.user)
        # Looked up per request, so reading a resumed chat needs no key.
        key = provider_key(self.upstream, runtime().environ, self._api_key)
        headers = auth_headers(self.upstream.protocol, key)
        url = self.upstream.url_for(path)
        return _Call(text, url, headers, orjson.dumps(body), request, check, stream)

    def _check_context(self, turns: list[Turn]) -> ContextCheck:
        shaped = [{"role": "system", "content": self.system}] if self.system else []
        shaped += [{"role": role, "content": content} for role, content in turns]
        check = measure_context(
            shaped, self.model, provider=self.upstream.name, user=self.user, chat_id=self.id
        )
        if check.exceeded:
            hooks().fire_limit_sync(check)
            check_context(check)
        return check

    def _whole(self, call: _Call) -> _Outcome:
        try:
            response = sync_client().post(call.url, content=call.content, headers=call.headers)
        except httpx.HTTPError as error:
            return self._unreachable(error)
        return self._read_whole(response.status_code, response.content)

    async def _awhole(self, call: _Call) -> _Outcome:
        try:
            response = await async_client().post(
                call.url, content=call.content, headers=call.headers
            )
        except httpx.HTTPError as error:
            return self._unreachable(error)
        return self._read_whole(response.status_code, response.content)

    def _read_whole(self, status: int, raw: bytes) -> _Outcome:
        if status != 200:
            error = UpstreamError(status, provider_message(raw), provider=self.upstream.name)
            return _Outcome(Reading(), status, error)
        return _Outcome(self.adapter.read_response_bytes(raw), status)

    def _unreachable(self, error: httpx.HTTPError) -> _Outcome:
        message = f"could not reach {self.upstream.name}: {type(error).__name__}"
        return _Outcome(
            Reading(), None, UpstreamError(502, message, provider=self.upstream.name)
        )

    def _stream(self, call: _Call, on_chunk: Callable[[Chunk], None] | None) -> _Outcome:
        meter = self.adapter.stream_meter()
        counter = RunningCount(self.model, call.check.needed_tokens)
        outcome = _Outcome(meter.reading, 200)
        try:
            with sync_client().stream(
                "POST", call.url, content=call.content, headers=call.headers
            ) as response:
                if response.status_code != 200:
                    return self._read_whole(response.status_code, response.read())
                for data in response.iter_bytes():
                    self._emit_sync(meter, data, counter, on_chunk)
                self._emit_sync(meter, None, counter, on_chunk)
        except httpx.HTTPError as error:
            outcome.error = self._unreachable(error).error
        except BaseException:
            # The caller's on_chunk raised, or the caller was interrupted: the request
            # still happened and is recorded before the error goes on.
            outcome.cancelled = True
            self._conclude_cancelled(call, outcome)
            raise
        return outcome

    async def _astream(self, call: _Call, on_chunk: OnChunk | None) -> _Outcome:
        meter = self.adapter.stream_meter()
        counter = RunningCount(self.model, call.check.needed_tokens)
        outcome = _Outcome(meter.reading, 200)
        try:
            async with async_client().stream(
                "POST", call.url, content=call.content, headers=call.headers
            ) as response:
                if response.status_code != 200:
                    return self._read_whole(response.status_code, await response.aread())
                async for data in response.aiter_bytes():
                    await self._emit_async(meter, data, counter, on_chunk)
                await self._emit_async(meter, None, counter, on_chunk)
        except httpx.HTTPError as error:
            outcome.error = self._unreachable(error).error
        except BaseException:
            outcome.cancelled = True
            await self._aconclude_cancelled(call, outcome)
            raise
        return outcome

    @staticmethod
    def _feed(meter: StreamMeter, data: bytes | None, counter: RunningCount) -> Chunk | None:
        # None means upstream closed: release whatever the meter still holds.
        if data is None:
            meter.finish()
        else:
            meter.feed(data)
        return counter.chunk(meter.reading)

    def _emit_sync(
        self,
        meter: StreamMeter,
        data: bytes | None,
        counter: RunningCount,
        on_chunk: Callable[[Chunk], None] | None,
    ) -> None:
        chunk = self._feed(meter, data, counter)
        if chunk is not None and on_chunk is not None:
            on_chunk(chunk)

    async def _emit_async(
        self,
        meter: StreamMeter,
        data: bytes | None,
        counter: RunningCount,
        on_chunk: OnChunk | None,
    ) -> None:
        chunk = self._feed(meter, data, counter)
        if chunk is not None and on_chunk is not None:
            result = on_chunk(chunk)
            if inspect.isawaitable(result):
                await result

    def _settle(
        self, call: _Call, outcome: _Outcome
    ) -> tuple[ChatUsageEvent, Message | None, list[MessageRecord]]:
        """The usage event, the reply and the rows to save (none when it failed)."""
        reading = outcome.reading
        status: EventStatus = "ok"
        if outcome.error is not None:
            status = "upstream_error"
        elif outcome.cancelled:
            status = "client_cancelled"
        event = _record.usage_event(
            call.request,
            reading,
            status=status,
            http_status=outcome.http_status,
            chat_id=self.id,
        )
        if status != "ok" or reading.error is not None:
            return event, None, []

        asked = Message("user", call.text, created_at=call.request.started_at)
        reply = Message(
            "assistant",
            reading.text,
            model=event.model or self.model,
            usage=event.usage,
            cost=event.cost_usd,
            estimated=event.estimated,
            event_id=event.id,
            _pricing=_record.pricing(call.request, reading, event),
        )
        records = [asked.to_record(self.id), reply.to_record(self.id)]
        return event, reply, records

    def _deliver(
        self, outcome: _Outcome, reply: Message | None, records: list[MessageRecord]
    ) -> Message:
        if outcome.error is not None:
            raise outcome.error
        if reply is None:
            # A 200 reply whose stream or body reported an error of its own.
            message = outcome.reading.error or "the reply could not be read"
            raise UpstreamError(200, message, provider=self.upstream.name)

        asked = Message("user", records[0].content, created_at=records[0].created_at)
        asked.id, reply.id = records[0].id, records[1].id
        self.messages += [asked, reply]
        return reply

    def _unsaved(self) -> ChatRecord | None:
        """The chat's own row, the first time it is to be saved."""
        if self._saved:
            return None
        self._saved = runtime().ledger() is not None
        return ChatRecord(
            id=self.id,
            user=self.user,
            model=self.model,
            provider=self.upstream.name,
            api=self.adapter.api,
            system=self.system,
            created_at=runtime().now(),
        )

    def _conclude_cancelled(self, call: _Call, outcome: _Outcome) -> None:
        event, _, _ = self._settle(call, outcome)
        _record.record_sync(event, [], self._unsaved())

    async def _aconclude_cancelled(self, call: _Call, outcome: _Outcome) -> None:
        event, _, _ = self._settle(call, outcome)
        await _record.record_async(event, [], self._unsaved())


def resume_chat(chat_id: str, **options: Any) -> Chat:
    """A chat saved in the configured ledger, with its history, ready to go on.

    `options` are `Chat`'s keyword arguments that are not saved (api_key, base_url,
    temperature, max_tokens, cache_system).
    """
    store = runtime().chat_store()
    if store is None:
        raise LedgerError(
            "no ledger is configured: call tokenledger.configure(database_url=...) or set "
            "TOKENLEDGER_DATABASE_URL to resume a saved chat"
        )
    found, records = store.load(chat_id)
    api: Api | None = "responses" if found.api == "openai-responses" else None
    return Chat(
        found.model,
        user=found.user,
        provider=found.provider,
        system=found.system,
        api=api,
        chat_id=found.id,
        messages=[Message.from_record(record) for record in records],
        **options,
    )
