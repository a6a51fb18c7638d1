"""`Meter`: from a reply's reading to a priced, recorded usage event."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tokenledger.catalog import Cost, count_tokens, price_usage
from tokenledger.config import Config, Upstream
from tokenledger.ledger import EventStatus, EventWriter, Ledger, UsageEvent, new_event_id
from tokenledger.metering._callbacks import Callbacks, fire_async, fire_sync
from tokenledger.usage import Usage
from tokenledger.wire import Reading, WireAdapter

log = logging.getLogger("tokenledger.metering")


@dataclass
class MeteredRequest:
    """What is known of a request before its reply arrives."""

    adapter: WireAdapter
    upstream: Upstream
    model_requested: str | None
    body: dict[str, Any]
    user: str | None = None
    key_id: str | None = None
    source: str = "gateway"
    # The moment the request was made: it is priced as of then (prices change by the
    # hour for some providers and by the date for all). The faces set it from the
    # meter's clock, which tests pin.
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    started_s: float = field(default_factory=time.perf_counter)
    # Known before the reply so the gateway can hand it to the client in a header.
    event_id: str = field(default_factory=new_event_id)


class Meter:
    """Prices readings, writes events to the ledger and fires the callbacks."""

    def __init__(
        self,
        ledger: Ledger,
        config: Config,
        callbacks: Callbacks | None = None,
        writer: EventWriter | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.clock = clock or _utc_now
        self.ledger = ledger
        self.config = config
        self.callbacks = callbacks or Callbacks()
        self.writer = writer
        self._background: set[asyncio.Task[None]] = set()

    def event(
        self,
        request: MeteredRequest,
        reading: Reading,
        *,
        status: EventStatus,
        http_status: int | None,
        produced: bool = False,
    ) -> UsageEvent:
        """The event for a reply as read so far.

        `produced` says the provider may have generated (and billed) output that gave
        no counts, as when a stream breaks off: the counts are then estimated rather
        than recorded as zero.
        """
        usage, estimated = self._usage(request, reading, status, produced)
        model = _clip(reading.model)
        if status == "upstream_error" and not estimated and usage == _NOTHING:
            cost = Cost(total_usd=_ZERO_USD, source="unbilled")
        else:
            cost = price_usage(
                usage,
                model=model,
                model_requested=request.model_requested,
                provider=request.upstream.name,
                at=request.started_at,
                provider_cost_usd=None if estimated else reading.provider_cost_usd,
                local=request.upstream.local,
                service_tier=reading.service_tier,
                config=self.config,
            )
        return UsageEvent(
            provider=request.upstream.name,
            api=request.adapter.api,
            usage=usage,
            cost_usd=cost.total_usd,
            cost_source=cost.source,
            user=request.user,
            model_requested=_clip(request.model_requested),
            model=model,
            price_entry=cost.price_entry,
            price_version=cost.price_version,
            estimated=estimated,
            status=status,
            http_status=http_status,
            latency_ms=(time.perf_counter() - request.started_s) * 1000.0,
            flags=usage.anomalies,
            key_id=request.key_id,
            source=request.source,
            ts=request.started_at,
            id=request.event_id,
        )

    def _usage(
        self, request: MeteredRequest, reading: Reading, status: EventStatus, produced: bool
    ) -> tuple[Usage, bool]:
        """The provider's counts when they came; otherwise our own estimate.

        An upstream that refused the call or could not be reached bills nothing, so
        that records zero rather than a guess.
        """
        if reading.complete and reading.usage is not None:
            return reading.usage, False
        refused = status == "upstream_error" and not produced
        if refused and not reading.text and reading.usage is None:
            return _NOTHING, False
        return self._estimate(request, reading), True

    def _estimate(self, request: MeteredRequest, reading: Reading) -> Usage:
        model = reading.model or request.model_requested or ""
        partial = reading.usage or Usage()
        input_tokens = partial.input_tokens
        if input_tokens == 0:
            text = request.adapter.request_text(request.body)
            input_tokens = count_tokens(text, model).tokens
        output_tokens = max(partial.output_tokens, count_tokens(reading.text, model).tokens)
        return Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_read_tokens=partial.cache_read_tokens,
            cache_write_tokens=partial.cache_write_tokens,
            cache_write_1h_tokens=partial.cache_write_1h_tokens,
        )

    async def record(self, event: UsageEvent) -> None:
        """Commit the event (returns once it is durable), then fire callbacks apart."""
        if self.writer is not None:
            await self.writer.submit(event)
        else:
            await asyncio.to_thread(self.ledger.record, event)
        log_event(event)
        chosen = self.callbacks.for_event(event) if self.callbacks else []
        if chosen:
            task = asyncio.create_task(fire_async(chosen, event))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def record_sync(self, event: UsageEvent) -> None:
        self.ledger.record(event)
        log_event(event)
        if self.callbacks:
            fire_sync(self.callbacks.for_event(event), event)


# Model names come from clients and replies; the ledger keeps this many characters.
MAX_MODEL_CHARS = 200
_NOTHING = Usage()
_ZERO_USD = Decimal(0)


def _clip(name: str | None) -> str | None:
    return name[:MAX_MODEL_CHARS] if name else None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def log_event(event: UsageEvent) -> None:
    """One info line per metered request: counts and cost, never prompt text or keys."""
    if not log.isEnabledFor(logging.INFO):
        return
    log.info(
        # %r: names come from clients, and a newline in one must not forge a log line.
        "metered %s %s user=%r model=%r in=%d out=%d cost_usd=%s status=%s",
        event.provider,
        event.api,
        event.user,
        event.model or event.model_requested,
        event.usage.input_tokens,
        event.usage.output_tokens,
        event.cost_usd if event.cost_usd is not None else "unknown",
        event.status,
    )
