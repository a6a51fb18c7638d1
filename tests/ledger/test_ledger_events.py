"""Storing and reading usage events: every field, exact money, unknown costs."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from ledger_support import T0, MakeEvent

from tokenledger.ledger import Ledger, UsageEvent
from tokenledger.usage import Usage

# The cheapest price in the catalog is around $0.005 per million tokens: one token
# costs $0.000000005, which a float column or a scale below 9 would round away.
ONE_TOKEN_USD = Decimal("0.000000005")


def test_every_field_round_trips(ledger: Ledger, make_event: MakeEvent) -> None:
    usage = Usage(
        input_tokens=1000,
        output_tokens=700,
        cache_read_tokens=300,
        cache_write_tokens=200,
        cache_write_1h_tokens=50,
        reasoning_tokens=400,
        input_audio_tokens=11,
        cache_audio_read_tokens=3,
        output_audio_tokens=7,
        web_searches=2,
    )
    event = make_event(
        usage=usage,
        cost_usd=Decimal("0.012345678901234567891"),
        cost_source="provider",
        key_id="0123456789abcdef",
        source="library",
        provider="anthropic",
        api="anthropic-messages",
        price_entry="anthropic/claude-sonnet-4",
        price_version="genai-prices 0.2.3",
        estimated=True,
        status="upstream_error",
        http_status=529,
        latency_ms=1234.5,
        flags=("cache_exceeds_input", "reasoning_exceeds_output"),
        ts=datetime(2025, 6, 30, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-2))),
    )
    ledger.record(event)

    (stored,) = ledger.iter_events()

    for field in fields(UsageEvent):
        assert getattr(stored, field.name) == getattr(event, field.name), field.name
    assert stored.ts.tzinfo == UTC
    assert stored.ts == datetime(2025, 7, 1, 1, 59, 59, 999999, tzinfo=UTC)


def test_defaults_round_trip(ledger: Ledger) -> None:
    event = UsageEvent(
        provider="gemini", api="gemini", usage=Usage(), cost_usd=None, cost_source="unknown"
    )
    ledger.record(event)
    assert list(ledger.iter_events()) == [event]


def test_one_token_cost_is_not_rounded(ledger: Ledger, make_event: MakeEvent) -> None:
    ledger.record(make_event(usage=Usage(input_tokens=1), cost_usd=ONE_TOKEN_USD))
    (stored,) = ledger.iter_events()
    assert stored.cost_usd == ONE_TOKEN_USD


def test_sum_of_stored_costs_equals_cost_of_summed_usage(
    ledger: Ledger, make_event: MakeEvent
) -> None:
    count = 1001
    for _ in range(count):
        ledger.record(make_event(usage=Usage(input_tokens=1), cost_usd=ONE_TOKEN_USD))

    summed_usage = sum((e.usage for e in ledger.iter_events()), Usage())
    price_per_token = Decimal("0.005") / Decimal(1_000_000)
    (total,) = ledger.usage_totals(period="all", by="model")

    assert total.cost_usd == summed_usage.input_tokens * price_per_token
    assert total.cost_usd == Decimal("0.000005005")
    assert ledger.spend("alice") == Decimal("0.000005005")


def test_sums_keep_every_digit(ledger: Ledger, make_event: MakeEvent) -> None:
    # 22 significant digits: beyond a double's 15-17, so a float sum would lose them.
    amounts = [Decimal("1000"), Decimal("0.000000000000000001"), Decimal("0.1"), Decimal("0.2")]
    for amount in amounts:
        ledger.record(make_event(cost_usd=amount))
    assert ledger.spend(None) == Decimal("1000.300000000000000001")


def test_unknown_cost_stays_null_and_is_counted(ledger: Ledger, make_event: MakeEvent) -> None:
    ledger.record(make_event(cost_usd=Decimal("0.5")))
    ledger.record(make_event(cost_usd=None, cost_source="unknown"))
    ledger.record(make_event(cost_usd=None, cost_source="unknown"))
    ledger.record(make_event(cost_usd=Decimal("0")))  # a local model: known to be free

    costs = sorted((e.cost_usd for e in ledger.iter_events()), key=lambda c: (c is None, c))
    assert costs == [Decimal("0"), Decimal("0.5"), None, None]

    (total,) = ledger.usage_totals(period="all", by="user")
    assert (total.cost_usd, total.unknown_cost_requests, total.requests) == (
        Decimal("0.5"),
        2,
        4,
    )
    assert ledger.unknown_cost_requests("alice") == 2


def test_all_unknown_sums_to_zero_known_and_counts(
    ledger: Ledger, make_event: MakeEvent
) -> None:
    ledger.record(make_event(cost_usd=None, cost_source="unknown"))
    (total,) = ledger.usage_totals(period="all", by="model")
    assert (total.cost_usd, total.unknown_cost_requests) == (Decimal(0), 1)


def test_float_cost_is_refused(ledger: Ledger, make_event: MakeEvent) -> None:
    with pytest.raises(TypeError, match="Decimal"):
        ledger.record(make_event(cost_usd=0.1))


def test_naive_timestamp_is_refused(ledger: Ledger, make_event: MakeEvent) -> None:
    with pytest.raises(ValueError, match="naive"):
        ledger.record(make_event(ts=datetime(2025, 1, 1)))


def test_iter_events_filters_and_orders(ledger: Ledger, make_event: MakeEvent) -> None:
    for hours, user in [(3, "bob"), (1, "alice"), (2, "alice"), (0, "bob")]:
        ledger.record(make_event(ts=T0 + timedelta(hours=hours), user=user))

    all_hours = [(e.ts - T0).seconds // 3600 for e in ledger.iter_events()]
    assert all_hours == [0, 1, 2, 3]

    window = ledger.iter_events(since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3))
    assert [(e.ts - T0).seconds // 3600 for e in window] == [1, 2]
    assert {e.user for e in ledger.iter_events(user="bob")} == {"bob"}
    assert len(list(ledger.iter_events(user="bob"))) == 2


def test_counts_beyond_32_bits_are_stored(ledger: Ledger, make_event: MakeEvent) -> None:
    # PostgreSQL's INTEGER stops at 2**31 - 1; the usage checks accept more than that.
    from tokenledger.usage import Usage

    usage = Usage(input_tokens=2**31 - 1, output_tokens=5)
    ledger.record(make_event(usage=usage))

    (event,) = list(ledger.iter_events())
    assert event.usage.total_tokens == 2**31 + 4


def test_a_turn_is_saved_whole_or_not_at_all(ledger: Ledger, make_event: MakeEvent) -> None:
    # The event (the bill) and the messages it paid for share one transaction: a message
    # that cannot be stored (no such chat) takes the event down with it.
    from sqlalchemy.exc import IntegrityError

    from tokenledger.ledger import ChatStore, MessageRecord

    orphan = MessageRecord(chat_id="no-such-chat", role="assistant", content="hi")

    with pytest.raises(IntegrityError):
        ChatStore(ledger.engine).save_turn(make_event(), None, [orphan])

    assert list(ledger.iter_events()) == []
