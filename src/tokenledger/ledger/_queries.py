"""Reads of the ledger: event listings, totals by model, user, day or provider, spend.

Sums of money are done in SQL and exactly (`decimal_sum`); costs that are unknown
(NULL) are left out of a sum and counted beside it, never taken as zero.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import ColumnElement, Engine, Select, case, func, select

from tokenledger.ledger._event import UsageEvent
from tokenledger.ledger._rows import row_to_event
from tokenledger.ledger._schema import usage_events_table
from tokenledger.ledger._types import decimal_sum

Period = Literal["today", "month", "all"]
GroupBy = Literal["model", "user", "day", "provider"]

_events = usage_events_table.c


@dataclass(frozen=True, slots=True)
class UsageTotal:
    """Totals for one group. `key` is the model, user, provider or ISO day ("2025-06-30");
    None gathers events that did not name one (a library call with no user).

    `cost_usd` sums the known costs only; `unknown_cost_requests` says how many
    requests are missing from it, so a total is never silently short.
    """

    key: str | None
    requests: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    total_tokens: int
    cost_usd: Decimal
    unknown_cost_requests: int


def period_bounds(
    period: Period, now: datetime | None = None
) -> tuple[datetime | None, datetime | None]:
    """[since, until) in UTC for a named period containing `now` (default: the clock)."""
    current = _utc(now or datetime.now(UTC))
    if period == "all":
        return None, None

    midnight = current.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "today":
        return midnight, midnight + timedelta(days=1)
    if period == "month":
        start = midnight.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return start, following
    raise ValueError(f"unknown period {period!r}: use 'today', 'month' or 'all'")


def iter_events(
    engine: Engine,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    user: str | None = None,
    batch_size: int = 1000,
) -> Iterator[UsageEvent]:
    """Events with since <= ts < until, oldest first, read in batches (not all at once)."""
    query = _filtered(select(usage_events_table), since=since, until=until, user=user)
    query = query.order_by(_events.ts, _events.id)

    with engine.connect() as connection:
        result = connection.execution_options(yield_per=batch_size).execute(query)
        for row in result.mappings():
            yield row_to_event(row)


def usage_totals(
    engine: Engine,
    *,
    by: GroupBy,
    since: datetime | None = None,
    until: datetime | None = None,
    user: str | None = None,
) -> list[UsageTotal]:
    """Totals per group: by day oldest first; otherwise highest known cost first."""
    key = _group_key(by)
    query = _filtered(
        select(key.label("key"), *_aggregates()), since=since, until=until, user=user
    )
    query = query.group_by(key)

    with engine.connect() as connection:
        totals = [_total(row) for row in connection.execute(query).mappings()]

    if by == "day":
        return sorted(totals, key=lambda t: t.key or "")
    return sorted(totals, key=lambda t: (-t.cost_usd, -t.requests, t.key or ""))


def spend(
    engine: Engine,
    *,
    user: str | None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[Decimal, int]:
    """Known spend in USD and the number of requests of unknown cost, for one user (or
    everyone when `user` is None), since <= ts < until."""
    query = _filtered(
        select(decimal_sum(_events.cost_usd), _unknown_cost_count()),
        since=since,
        until=until,
        user=user,
    )
    with engine.connect() as connection:
        known, unknown = connection.execute(query).one()
    return (known if known is not None else Decimal(0)), int(unknown or 0)


def _filtered(
    query: Select[Any],
    *,
    since: datetime | None,
    until: datetime | None,
    user: str | None,
) -> Select[Any]:
    if since is not None:
        query = query.where(_events.ts >= _utc(since))
    if until is not None:
        query = query.where(_events.ts < _utc(until))
    if user is not None:
        query = query.where(_events.user_name == user)
    return query


def _group_key(by: GroupBy) -> ColumnElement[Any]:
    if by == "model":
        # The model that ran; the requested name when the reply did not say.
        return func.coalesce(_events.model, _events.model_requested)
    if by == "user":
        return _events.user_name
    if by == "day":
        return _events.day
    if by == "provider":
        return _events.provider
    raise ValueError(f"cannot group usage by {by!r}: use 'model', 'user', 'day' or 'provider'")


def _aggregates() -> list[ColumnElement[Any]]:
    summed = [
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "reasoning_tokens",
        "total_tokens",
    ]
    return [
        func.count().label("requests"),
        *[func.coalesce(func.sum(_events[name]), 0).label(name) for name in summed],
        decimal_sum(_events.cost_usd).label("cost_usd"),
        _unknown_cost_count().label("unknown_cost_requests"),
    ]


def _unknown_cost_count() -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((_events.cost_usd.is_(None), 1), else_=0)), 0)


def _total(row: Any) -> UsageTotal:
    key = row["key"]
    # PostgreSQL sums integers into NUMERIC (a Decimal); the counts are whole numbers.
    return UsageTotal(
        key=key.isoformat() if isinstance(key, date) else key,
        requests=int(row["requests"]),
        input_tokens=int(row["input_tokens"]),
        output_tokens=int(row["output_tokens"]),
        cache_read_tokens=int(row["cache_read_tokens"]),
        cache_write_tokens=int(row["cache_write_tokens"]),
        reasoning_tokens=int(row["reasoning_tokens"]),
        total_tokens=int(row["total_tokens"]),
        cost_usd=row["cost_usd"] if row["cost_usd"] is not None else Decimal(0),
        unknown_cost_requests=int(row["unknown_cost_requests"]),
    )


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} is a naive datetime: give a timezone (UTC)")
    return moment.astimezone(UTC)
