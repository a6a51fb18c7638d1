"""`TokenUsageMixin`: token and cost columns for people's own SQLAlchemy models."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from tokenledger.ledger import ExactDecimal
from tokenledger.library._message import Message


class TokenUsageMixin:
    """Adds the canonical counts and an exact cost to a declarative model.

        class Reply(Base, TokenUsageMixin):
            __tablename__ = "replies"
            id: Mapped[int] = mapped_column(primary_key=True)

        row = Reply(); row.fill_usage(chat.ask("Hello"))

    `cost_usd` is NULL when the price is unknown. On SQLite it is stored as exact
    decimal text, on PostgreSQL as NUMERIC: money is never a float.
    """

    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    total_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_read_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(Integer, default=0)
    reasoning_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)

    def fill_usage(self, message: Message) -> None:
        """Copy `message`'s counts and cost onto this row."""
        self.input_tokens = message.input_tokens
        self.output_tokens = message.output_tokens
        self.total_tokens = message.total_tokens
        self.cache_read_tokens = message.cache_read_tokens
        self.cache_write_tokens = message.cache_write_tokens
        self.reasoning_tokens = message.reasoning_tokens
        self.cost_usd = message.cost
