"""`UsageEvent`: one metered request, the row every report is built from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from tokenledger.catalog._cost import CostSource
from tokenledger.usage import Usage

EventStatus = Literal["ok", "upstream_error", "client_cancelled"]


def new_event_id() -> str:
    return uuid.uuid4().hex


@dataclass
class UsageEvent:
    provider: str  # upstream name: "openai", "anthropic", "gemini", "deepseek", ...
    api: str  # wire adapter name: "openai-chat", "openai-responses", ...
    usage: Usage
    cost_usd: Decimal | None
    cost_source: CostSource
    user: str | None = None
    model_requested: str | None = None
    model: str | None = None  # the model that ran, when the reply said
    price_entry: str | None = None
    price_version: str | None = None
    estimated: bool = False  # True when the counts are ours, not the provider's
    status: EventStatus = "ok"
    http_status: int | None = None
    latency_ms: float | None = None
    # Anomalies in the reported counts (Usage.anomalies), comma-separated when stored.
    flags: tuple[str, ...] = ()
    key_id: str | None = None
    source: str = "gateway"  # or "library"
    id: str = field(default_factory=new_event_id)
    ts: datetime = field(default_factory=lambda: datetime.now(UTC))
