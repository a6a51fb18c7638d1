"""Translation between `UsageEvent` values and `usage_events` rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import RowMapping

from tokenledger.catalog._cost import CostSource
from tokenledger.ledger._event import EventStatus, UsageEvent
from tokenledger.usage import USAGE_FIELDS, Usage


def event_to_row(event: UsageEvent) -> dict[str, Any]:
    """The column values for one event; raises on a value that cannot be stored."""
    if event.ts.tzinfo is None:
        raise ValueError(f"usage event {event.id} has a naive timestamp; use UTC")
    if event.cost_usd is not None and not isinstance(event.cost_usd, Decimal):
        raise TypeError(f"usage event {event.id}: cost_usd must be a Decimal or None")

    ts = event.ts.astimezone(UTC)
    return {
        "id": event.id,
        "ts": ts,
        "day": ts.date(),
        "user_name": event.user,
        "key_id": event.key_id,
        "source": event.source,
        "provider": event.provider,
        "api": event.api,
        "model_requested": event.model_requested,
        "model": event.model,
        **event.usage.as_dict(),
        "cost_usd": event.cost_usd,
        "cost_source": event.cost_source,
        "price_entry": event.price_entry,
        "price_version": event.price_version,
        "estimated": event.estimated,
        "status": event.status,
        "http_status": event.http_status,
        "latency_ms": event.latency_ms,
        "flags": ",".join(event.flags),
    }


def row_to_event(row: Mapping[str, Any] | RowMapping) -> UsageEvent:
    return UsageEvent(
        id=row["id"],
        ts=row["ts"],
        user=row["user_name"],
        key_id=row["key_id"],
        source=row["source"],
        provider=row["provider"],
        api=row["api"],
        model_requested=row["model_requested"],
        model=row["model"],
        usage=Usage(**{name: row[name] for name in USAGE_FIELDS}),
        cost_usd=row["cost_usd"],
        cost_source=cast(CostSource, row["cost_source"]),
        price_entry=row["price_entry"],
        price_version=row["price_version"],
        estimated=bool(row["estimated"]),
        status=cast(EventStatus, row["status"]),
        http_status=row["http_status"],
        latency_ms=row["latency_ms"],
        flags=tuple(row["flags"].split(",")) if row["flags"] else (),
    )
