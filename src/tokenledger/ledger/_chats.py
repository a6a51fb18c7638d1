"""Saving and reading library chats and their messages.

A chat's rows live in the same database as the usage events, so a reply links to the
event that billed it. Writes commit before returning, like `Ledger.record`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, RowMapping, select, update

from tokenledger.ledger._engine import WRITE_OPTION
from tokenledger.ledger._errors import LedgerError
from tokenledger.ledger._event import UsageEvent
from tokenledger.ledger._rows import event_to_row
from tokenledger.ledger._schema import chats_table, messages_table, usage_events_table
from tokenledger.usage import USAGE_FIELDS, Usage


@dataclass(frozen=True, slots=True)
class ChatRecord:
    id: str
    user: str | None
    model: str
    provider: str
    api: str
    system: str | None
    created_at: datetime


@dataclass(slots=True)
class MessageRecord:
    """One stored message; `id` is None until it is saved."""

    chat_id: str
    role: str
    content: str
    usage: Usage = field(default_factory=Usage)
    cost_usd: Decimal | None = None
    model: str | None = None
    event_id: str | None = None
    estimated: bool = False
    archived: bool = False
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: int | None = None


class ChatStore:
    """Chats and messages in the ledger's database. Thread-safe, like the engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_chat(self, chat: ChatRecord) -> None:
        with self._writing() as connection:
            connection.execute(chats_table.insert(), _chat_row(chat))

    def add_messages(self, messages: Sequence[MessageRecord]) -> None:
        """Save messages in order, in one transaction, and set their ids."""
        with self._writing() as connection:
            _insert_messages(connection, messages)

    def save_turn(
        self,
        event: UsageEvent,
        chat: ChatRecord | None,
        messages: Sequence[MessageRecord],
    ) -> None:
        """A request's usage event with the chat (when new) and messages it produced,
        in one transaction: a crash leaves all of them or none."""
        with self._writing() as connection:
            connection.execute(usage_events_table.insert(), event_to_row(event))
            if chat is not None:
                connection.execute(chats_table.insert(), _chat_row(chat))
            _insert_messages(connection, messages)

    def set_archived(self, message_id: int, archived: bool = True) -> None:
        statement = (
            update(messages_table)
            .where(messages_table.c.id == message_id)
            .values(archived=archived)
        )
        with self._writing() as connection:
            connection.execute(statement)

    def load(self, chat_id: str) -> tuple[ChatRecord, list[MessageRecord]]:
        """A chat and all its messages, archived ones included, oldest first."""
        with self.engine.connect() as connection:
            found = (
                connection.execute(select(chats_table).where(chats_table.c.id == chat_id))
                .mappings()
                .first()
            )
            if found is None:
                raise LedgerError(f"no chat with id {chat_id!r} in the ledger at {self._url}")
            rows = connection.execute(
                select(messages_table)
                .where(messages_table.c.chat_id == chat_id)
                .order_by(messages_table.c.id)
            ).mappings()
            messages = [_message_record(row) for row in rows]
        return _chat_record(found), messages

    @property
    def _url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def _writing(self) -> Any:
        return _Writing(self.engine)


class _Writing:
    """A connection inside one write transaction (BEGIN IMMEDIATE on SQLite)."""

    def __init__(self, engine: Engine) -> None:
        self._connection = engine.connect()
        self._connection.execution_options(**{WRITE_OPTION: True})

    def __enter__(self) -> Any:
        self._transaction = self._connection.begin()
        return self._connection

    def __exit__(self, kind: object, *rest: object) -> None:
        try:
            if kind is None:
                self._transaction.commit()
            else:
                self._transaction.rollback()
        finally:
            self._connection.close()


def _chat_row(chat: ChatRecord) -> dict[str, Any]:
    return {
        "id": chat.id,
        "user_name": chat.user,
        "model": chat.model,
        "provider": chat.provider,
        "api": chat.api,
        "system": chat.system,
        "created_at": chat.created_at,
    }


def _insert_messages(connection: Any, messages: Sequence[MessageRecord]) -> None:
    for message in messages:
        result = connection.execute(messages_table.insert(), _message_row(message))
        message.id = int(result.inserted_primary_key[0])


def _message_row(message: MessageRecord) -> dict[str, Any]:
    return {
        "chat_id": message.chat_id,
        "role": message.role,
        "content": message.content,
        "model": message.model,
        "event_id": message.event_id,
        **message.usage.as_dict(),
        "cost_usd": message.cost_usd,
        "estimated": message.estimated,
        "archived": message.archived,
        "created_at": message.created_at,
    }


def _message_record(row: RowMapping) -> MessageRecord:
    return MessageRecord(
        chat_id=row["chat_id"],
        role=row["role"],
        content=row["content"],
        usage=Usage(**{name: row[name] for name in USAGE_FIELDS}),
        cost_usd=row["cost_usd"],
        model=row["model"],
        event_id=row["event_id"],
        estimated=bool(row["estimated"]),
        archived=bool(row["archived"]),
        created_at=row["created_at"],
        id=row["id"],
    )


def _chat_record(row: RowMapping) -> ChatRecord:
    return ChatRecord(
        id=row["id"],
        user=row["user_name"],
        model=row["model"],
        provider=row["provider"],
        api=row["api"],
        system=row["system"],
        created_at=row["created_at"],
    )
