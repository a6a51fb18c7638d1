"""`Message`, `Chunk` and `ChatUsageEvent`: what a chat hands back and calls back."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from tokenledger.catalog import Cost, CostBreakdown
from tokenledger.ledger import MessageRecord, UsageEvent
from tokenledger.usage import Usage

Role = Literal["user", "assistant"]


@dataclass
class ChatUsageEvent(UsageEvent):
    """A `UsageEvent` that also names the chat it belongs to (None for SDK calls)."""

    chat_id: str | None = None

    @classmethod
    def of(cls, event: UsageEvent, chat_id: str | None) -> ChatUsageEvent:
        values = {f.name: getattr(event, f.name) for f in dataclasses.fields(UsageEvent)}
        return cls(**values, chat_id=chat_id)


@dataclass
class Message:
    """One message of a chat.

    A reply carries the provider's counts and the cost of the request that produced
    it (`cost` is None when no price is known: unknown, never zero). A user's message
    carries zero counts and no cost: what it cost is on the reply, whose input counts
    include it.
    """

    role: Role
    content: str
    model: str | None = None
    usage: Usage = field(default_factory=Usage)
    cost: Decimal | None = None
    # True when the counts are the library's estimate (the provider sent none).
    estimated: bool = False
    archived: bool = False
    event_id: str | None = None
    # The row id once saved in the ledger; None without a ledger.
    id: int | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Prices the reply on demand, so a caller who never asks pays nothing for it.
    _pricing: Callable[[], Cost] | None = field(default=None, repr=False, compare=False)

    @property
    def input_tokens(self) -> int:
        return self.usage.input_tokens

    @property
    def output_tokens(self) -> int:
        return self.usage.output_tokens

    @property
    def total_tokens(self) -> int:
        return self.usage.total_tokens

    @property
    def cache_read_tokens(self) -> int:
        return self.usage.cache_read_tokens

    @property
    def cache_write_tokens(self) -> int:
        return self.usage.cache_write_tokens

    @property
    def reasoning_tokens(self) -> int:
        return self.usage.reasoning_tokens

    @property
    def cost_breakdown(self) -> CostBreakdown | None:
        """Input, cache read, cache write, output and reasoning parts of `cost`; None
        when the cost is unknown or the provider reported only a total."""
        return self._pricing().breakdown if self._pricing is not None else None

    def to_record(self, chat_id: str) -> MessageRecord:
        return MessageRecord(
            chat_id=chat_id,
            role=self.role,
            content=self.content,
            usage=self.usage,
            cost_usd=self.cost,
            model=self.model,
            event_id=self.event_id,
            estimated=self.estimated,
            archived=self.archived,
            created_at=self.created_at,
        )

    @classmethod
    def from_record(cls, record: MessageRecord) -> Message:
        role: Role = "assistant" if record.role == "assistant" else "user"
        return cls(
            role=role,
            content=record.content,
            model=record.model,
            usage=record.usage,
            cost=record.cost_usd,
            estimated=record.estimated,
            archived=record.archived,
            event_id=record.event_id,
            id=record.id,
            created_at=record.created_at,
        )


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of a streamed reply, with the counts as known at that moment.

    `content` is the text new in this chunk. `input_tokens` and `output_tokens` are the
    counts so far; while `estimated` is true they are the library's own estimate (or
    the provider's partial counts), and once it turns false they are the provider's
    final counts.
    """

    content: str
    input_tokens: int
    output_tokens: int
    estimated: bool

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens
