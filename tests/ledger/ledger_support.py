"""Helpers shared by the ledger tests (a plain module: conftest names collide across
test folders)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tokenledger.ledger import UsageEvent
from tokenledger.usage import Usage

T0 = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)

MakeEvent = Callable[..., UsageEvent]


def make_test_event(**overrides: Any) -> UsageEvent:
    values: dict[str, Any] = {
        "provider": "openai",
        "api": "openai-chat",
        "usage": Usage(input_tokens=10, output_tokens=5),
        "cost_usd": Decimal("0.000001"),
        "cost_source": "catalog",
        "user": "alice",
        "model_requested": "gpt-4.1-nano",
        "model": "gpt-4.1-nano-2025-04-14",
        "ts": T0,
    }
    values.update(overrides)
    return UsageEvent(**values)
