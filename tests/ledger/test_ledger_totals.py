"""Totals by model, user, day and provider over UTC periods, with a pinned clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from ledger_support import MakeEvent

from tokenledger.ledger import Ledger, period_bounds
from tokenledger.usage import Usage

NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def filled(ledger: Ledger, make_event: MakeEvent) -> Ledger:
    rows = [
        # (when, user, model, provider, cost)
        (NOW - timedelta(hours=1), "alice", "gpt-5", "openai", Decimal("0.10")),
        (NOW - timedelta(hours=2), "alice", "claude", "anthropic", Decimal("0.30")),
        (NOW - timedelta(hours=3), "bob", "gpt-5", "openai", None),
        (NOW - timedelta(days=1), "bob", "gpt-5", "openai", Decimal("1.00")),  # June 29
        (NOW - timedelta(days=40), "alice", "gpt-5", "openai", Decimal("5.00")),  # May
    ]
    for when, user, model, provider, cost in rows:
        ledger.record(
            make_event(
                ts=when,
                user=user,
                model=model,
                provider=provider,
                cost_usd=cost,
                cost_source="catalog" if cost is not None else "unknown",
                usage=Usage(
                    input_tokens=100,
                    output_tokens=10,
                    cache_read_tokens=40,
                    cache_write_tokens=5,
                    reasoning_tokens=3,
                ),
            )
        )
    return ledger


def _by_key(ledger: Ledger, **kwargs: object) -> dict[str | None, tuple[int, Decimal, int]]:
    totals = ledger.usage_totals(now=NOW, **kwargs)  # type: ignore[arg-type]
    return {t.key: (t.requests, t.cost_usd, t.unknown_cost_requests) for t in totals}


def test_today_by_model(filled: Ledger) -> None:
    assert _by_key(filled, period="today", by="model") == {
        "claude": (1, Decimal("0.30"), 0),
        "gpt-5": (2, Decimal("0.10"), 1),
    }


def test_month_by_user(filled: Ledger) -> None:
    assert _by_key(filled, period="month", by="user") == {
        "alice": (2, Decimal("0.40"), 0),
        "bob": (2, Decimal("1.00"), 1),
    }


def test_all_by_provider(filled: Ledger) -> None:
    assert _by_key(filled, period="all", by="provider") == {
        "openai": (4, Decimal("6.10"), 1),
        "anthropic": (1, Decimal("0.30"), 0),
    }


def test_by_day_is_in_date_order(filled: Ledger) -> None:
    totals = filled.usage_totals(period="all", by="day", now=NOW)
    assert [(t.key, t.requests) for t in totals] == [
        ("2025-05-21", 1),
        ("2025-06-29", 1),
        ("2025-06-30", 3),
    ]


def test_token_sums(filled: Ledger) -> None:
    (total,) = filled.usage_totals(period="today", by="user", user="bob", now=NOW)
    assert (total.input_tokens, total.output_tokens, total.total_tokens) == (100, 10, 110)
    assert (total.cache_read_tokens, total.cache_write_tokens, total.reasoning_tokens) == (
        40,
        5,
        3,
    )


def test_a_user_sees_only_their_own(filled: Ledger) -> None:
    assert set(_by_key(filled, period="all", by="model", user="bob")) == {"gpt-5"}
    assert _by_key(filled, period="all", by="user", user="bob") == {
        "bob": (2, Decimal("1.00"), 1)
    }


def test_costliest_group_first(filled: Ledger) -> None:
    totals = filled.usage_totals(period="all", by="user", now=NOW)
    assert [t.key for t in totals] == ["alice", "bob"]


def test_spend_since(filled: Ledger) -> None:
    since, _ = period_bounds("month", NOW)
    assert filled.spend("alice", since) == Decimal("0.40")
    assert filled.spend(None, since) == Decimal("1.40")
    assert filled.spend("carol", since) == Decimal(0)
    assert filled.unknown_cost_requests("bob", since) == 1


def test_model_falls_back_to_requested_name(ledger: Ledger, make_event: MakeEvent) -> None:
    ledger.record(make_event(model=None, model_requested="my-model", ts=NOW))
    assert set(_by_key(ledger, period="today", by="model")) == {"my-model"}


def test_event_without_user_groups_under_none(ledger: Ledger, make_event: MakeEvent) -> None:
    ledger.record(make_event(user=None, ts=NOW))
    assert set(_by_key(ledger, period="today", by="user")) == {None}


@pytest.mark.parametrize(
    ("period", "now", "since", "until"),
    [
        ("today", NOW, datetime(2025, 6, 30, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC)),
        ("month", NOW, datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC)),
        (
            "month",
            datetime(2025, 12, 31, 23, 59, tzinfo=UTC),
            datetime(2025, 12, 1, tzinfo=UTC),
            datetime(2026, 1, 1, tzinfo=UTC),
        ),
        ("all", NOW, None, None),
    ],
)
def test_period_bounds_are_utc(
    period: str, now: datetime, since: datetime | None, until: datetime | None
) -> None:
    assert period_bounds(period, now) == (since, until)  # type: ignore[arg-type]


def test_period_bounds_convert_local_now_to_utc() -> None:
    # 01:00 on July 1st at UTC+2 is still June 30th in UTC.
    from datetime import timezone

    local = datetime(2025, 7, 1, 1, 0, tzinfo=timezone(timedelta(hours=2)))
    assert period_bounds("today", local)[0] == datetime(2025, 6, 30, tzinfo=UTC)


def test_period_boundaries_include_start_and_exclude_end(
    ledger: Ledger, make_event: MakeEvent
) -> None:
    ledger.record(make_event(ts=datetime(2025, 6, 30, tzinfo=UTC)))
    ledger.record(make_event(ts=datetime(2025, 7, 1, tzinfo=UTC)))
    assert _by_key(ledger, period="today", by="user")["alice"][0] == 1
