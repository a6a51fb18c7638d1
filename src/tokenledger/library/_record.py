"""From a finished request to a usage event: priced, recorded, saved, called back.

Pricing and the event itself come from `tokenledger.metering.Meter.event`, the same
path the gateway takes. Recording here differs from `Meter.record` in one way on
purpose: callbacks have run when `ask` returns, so a caller can rely on them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from tokenledger.catalog import Cost, price_usage
from tokenledger.config import Upstream
from tokenledger.ledger import ChatRecord, ChatStore, EventStatus, MessageRecord
from tokenledger.library._message import ChatUsageEvent
from tokenledger.library._settings import runtime
from tokenledger.metering import MeteredRequest, fire_async, fire_sync, log_event
from tokenledger.policy import hooks
from tokenledger.wire import Reading, WireAdapter


def new_request(
    adapter: WireAdapter,
    upstream: Upstream,
    model: str | None,
    body: dict[str, Any],
    user: str | None,
) -> MeteredRequest:
    return MeteredRequest(
        adapter=adapter,
        upstream=upstream,
        model_requested=model,
        body=body,
        user=user,
        source="library",
        started_at=runtime().now(),
    )


def usage_event(
    request: MeteredRequest,
    reading: Reading,
    *,
    status: EventStatus,
    http_status: int | None,
    chat_id: str | None = None,
) -> ChatUsageEvent:
    event = runtime().meter().event(request, reading, status=status, http_status=http_status)
    return ChatUsageEvent.of(event, chat_id)


def pricing(
    request: MeteredRequest, reading: Reading, event: ChatUsageEvent
) -> Callable[[], Cost]:
    """Prices the event again, with the meter's arguments, for its breakdown."""
    upstream = request.upstream

    def price() -> Cost:
        return price_usage(
            event.usage,
            model=event.model,
            model_requested=request.model_requested,
            provider=upstream.name,
            at=request.started_at,
            provider_cost_usd=None if event.estimated else reading.provider_cost_usd,
            local=upstream.local,
            service_tier=reading.service_tier,
            config=runtime().get_config(),
        )

    return price


def record_sync(
    event: ChatUsageEvent,
    messages: Sequence[MessageRecord] = (),
    chat: ChatRecord | None = None,
) -> None:
    _store(event, messages, chat)
    log_event(event)
    callbacks = hooks().callbacks
    if callbacks:
        fire_sync(callbacks.for_event(event), event)


async def record_async(
    event: ChatUsageEvent,
    messages: Sequence[MessageRecord] = (),
    chat: ChatRecord | None = None,
) -> None:
    if runtime().ledger() is not None:
        await asyncio.to_thread(_store, event, messages, chat)
    log_event(event)
    callbacks = hooks().callbacks
    if callbacks:
        await fire_async(callbacks.for_event(event), event)


def _store(
    event: ChatUsageEvent, messages: Sequence[MessageRecord], chat: ChatRecord | None
) -> None:
    ledger = runtime().ledger()
    if ledger is None:
        return
    if chat is None and not messages:
        ledger.record(event)
        return
    # One transaction: the bill and the messages it paid for are saved together.
    ChatStore(ledger.engine).save_turn(event, chat, messages)
