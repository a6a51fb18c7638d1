"""The ledger's tables as SQLAlchemy typed models.

The migrations in `migrations/versions` create exactly these tables; a test compares
the two so they cannot drift apart.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tokenledger.ledger._types import ExactDecimal, UTCDateTime


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("name", name="uq_users_name"),)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Hex SHA-256 of the key; the key itself is never stored (see `_keys.hash_key`).
    key_hash: Mapped[str] = mapped_column(String(64))
    # The first characters of the key, so a person can tell their keys apart.
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),)


class TokenCounts:
    """Every canonical count of `Usage` plus its total, for the tables that keep them
    (64-bit: PostgreSQL's INTEGER stops at 2**31 - 1)."""

    input_tokens: Mapped[int] = mapped_column(BigInteger)
    output_tokens: Mapped[int] = mapped_column(BigInteger)
    cache_read_tokens: Mapped[int] = mapped_column(BigInteger)
    cache_write_tokens: Mapped[int] = mapped_column(BigInteger)
    cache_write_1h_tokens: Mapped[int] = mapped_column(BigInteger)
    reasoning_tokens: Mapped[int] = mapped_column(BigInteger)
    input_audio_tokens: Mapped[int] = mapped_column(BigInteger)
    cache_audio_read_tokens: Mapped[int] = mapped_column(BigInteger)
    output_audio_tokens: Mapped[int] = mapped_column(BigInteger)
    web_searches: Mapped[int] = mapped_column(BigInteger)
    total_tokens: Mapped[int] = mapped_column(BigInteger)


class UsageEventRow(TokenCounts, Base):
    """One metered request. Columns follow `UsageEvent`; `day` and `total_tokens` are
    derived at write time so reports can group and sum without per-engine SQL.

    `user_name` is the name, not a foreign key: reports group by it with no join, and a
    library event may name a user the gateway never issued a key to. `key_id` is not a
    foreign key either: the row is the bill, and a bill is never refused for a missing
    key row.
    """

    __tablename__ = "usage_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime())
    day: Mapped[date] = mapped_column(Date)  # the UTC date of ts
    user_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(64))
    api: Mapped[str] = mapped_column(String(64))
    model_requested: Mapped[str | None] = mapped_column(String(200), nullable=True)
    model: Mapped[str | None] = mapped_column(String(200), nullable=True)

    # NULL when no price was known: unknown is never zero.
    cost_usd: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    cost_source: Mapped[str] = mapped_column(String(16))
    price_entry: Mapped[str | None] = mapped_column(String(200), nullable=True)
    price_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    estimated: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(32))
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    flags: Mapped[str] = mapped_column(Text)  # Usage.anomalies, comma-separated

    __table_args__ = (
        Index("ix_usage_events_ts", "ts"),
        Index("ix_usage_events_user_name_ts", "user_name", "ts"),
        Index("ix_usage_events_model_ts", "model", "ts"),
    )


class ChatRow(Base):
    """A library chat: who talks to which model, and since when (see `_chats`)."""

    __tablename__ = "chats"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    model: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(64))
    api: Mapped[str] = mapped_column(String(64))
    system: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_chats_user_name_created_at", "user_name", "created_at"),)


class MessageRow(TokenCounts, Base):
    """One message of a chat, in order of `id`. A reply carries the counts and cost of
    the request that produced it and links to that request's usage event; a user's
    message carries zeros and no event. Archived messages are kept but not sent."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[str] = mapped_column(ForeignKey("chats.id"))
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Not a foreign key, like usage_events.key_id: the event table is the bill and
    # stays free of constraints from the tables that point into it.
    event_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)

    cost_usd: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    estimated: Mapped[bool] = mapped_column(Boolean)
    archived: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_messages_chat_id_id", "chat_id", "id"),)


# Declarative classes expose __table__ as a FromClause; these are Tables.
users_table = cast(Table, UserRow.__table__)
api_keys_table = cast(Table, ApiKeyRow.__table__)
usage_events_table = cast(Table, UsageEventRow.__table__)
chats_table = cast(Table, ChatRow.__table__)
messages_table = cast(Table, MessageRow.__table__)
