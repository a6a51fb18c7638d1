"""Chats and messages saved in the ledger, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

import tokenledger
from tests.library.conftest import Library, configure_library
from tests.library.recorded import asked
from tokenledger.demo.replay import ReplayServer
from tokenledger.ledger import Ledger, UsageEvent, open_ledger
from tokenledger.ledger._engine import create_ledger_engine, resolve_url
from tokenledger.ledger._migrations import HEAD_REVISION, current_revision, upgrade
from tokenledger.library import reset
from tokenledger.usage import Usage

READ_BACK = """
import json, sys, tokenledger
from tokenledger.library._settings import runtime
tokenledger.configure(database_url=sys.argv[1], env={"OPENAI_API_KEY": "unused"})
chat = tokenledger.resume_chat(sys.argv[2])
events = {e.id: e for e in runtime().ledger().iter_events()}
print(json.dumps({
    "roles": [m.role for m in chat.messages],
    "contents": [m.content for m in chat.messages],
    "total_tokens": chat.total_tokens,
    "cost": str(chat.cost),
    "event_totals": sum(events[m.event_id].usage.total_tokens for m in chat.messages
                        if m.event_id),
    "event_cost": str(sum(events[m.event_id].cost_usd for m in chat.messages if m.event_id)),
    "user": chat.user, "model": chat.model,
}))
"""


@pytest.fixture
def saved(tmp_path: Path, replay: ReplayServer, database_url: str) -> Library:
    reset()
    library = configure_library(tmp_path, replay.url, database_url)
    library.replay = replay
    return library


def _ask(
    library: Library, file: str, index: int, chat: tokenledger.Chat | None = None
) -> tokenledger.Chat:
    call = asked(file, index)
    library.replay.app.prefer(file, index)
    chat = chat or call.chat()
    chat.ask(call.text)
    return chat


def test_saved_chat_survives_a_restart(saved: Library) -> None:
    chat = _ask(saved, "anthropic-prompt-cache", 0)
    reset()

    out = subprocess.run(
        [sys.executable, "-c", READ_BACK, saved.database_url, chat.id],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    found = json.loads(out.stdout)

    assert found["roles"] == ["user", "assistant"]
    assert found["contents"] == ["Reply with exactly: OK", "OK"]
    assert found["total_tokens"] == 7365 == found["event_totals"]
    assert Decimal(found["cost"]) == Decimal("0.00921875") == Decimal(found["event_cost"])
    assert (found["user"], found["model"]) == ("alice", "claude-haiku-4-5-20251001")


def test_each_reply_links_to_its_event(saved: Library) -> None:
    chat = _ask(saved, "gemini-stream", 1)

    [event] = saved.events()
    reply = chat.messages[-1]
    assert reply.event_id == event.id
    assert reply.id is not None and chat.messages[0].id is not None
    assert chat.messages[0].event_id is None


def test_history_is_sent_back_and_a_failed_turn_is_not_kept(saved: Library) -> None:
    chat = _ask(saved, "anthropic-stream", 1)
    before = len(saved.replay.app.received)

    # The replay has no recording of a second turn: it answers 404, as a provider might.
    with pytest.raises(tokenledger.UpstreamError) as raised:
        chat.ask("And to 4?")

    sent = saved.replay.app.received[before].body["messages"]
    assert [(m["role"], m["content"][0]["text"]) for m in sent] == [
        ("user", "Count from 1 to 3"),
        ("assistant", "1\n2\n3"),
        ("user", "And to 4?"),
    ]
    assert raised.value.status == 404
    assert len(chat.messages) == 2
    statuses = sorted(e.status for e in saved.events())
    assert statuses == ["ok", "upstream_error"]


@pytest.mark.parametrize(
    ("file", "key", "expected"),
    [
        (
            "openai-chat-stream",
            "messages",
            [("user", "Count from 1 to 3"), ("assistant", "1, 2, 3")],
        ),
        (
            "openai-responses-stream",
            "input",
            [("user", "Count from 1 to 3"), ("assistant", "1, 2, 3")],
        ),
        ("gemini-stream", "contents", [("user", "Count from 1 to 3"), ("model", "1, 2, 3")]),
    ],
)
def test_each_api_gets_history_in_its_shape(
    saved: Library, file: str, key: str, expected: list[tuple[str, str]]
) -> None:
    chat = _ask(saved, file, 1)
    before = len(saved.replay.app.received)

    with pytest.raises(tokenledger.UpstreamError):
        chat.ask("Again")

    turns = saved.replay.app.received[before].body[key]
    shaped = [(t["role"], t.get("content") or t["parts"][0]["text"]) for t in turns]
    assert shaped == [*expected, ("user", "Again")]


def test_archived_messages_are_kept_flagged_and_not_sent(saved: Library) -> None:
    chat = _ask(saved, "openai-chat-stream", 1)
    chat.archive(chat.messages[0])
    chat.archive(chat.messages[1])
    # With the history archived the next turn is the recorded first one again.
    _ask(saved, "openai-chat-stream", 1, chat)

    resumed = tokenledger.resume_chat(chat.id)
    assert [m.archived for m in resumed.messages] == [True, True, False, False]
    assert resumed.total_tokens == 42
    assert resumed.cost == Decimal("0.0000084")


def test_migrating_a_0001_ledger_with_events_keeps_them(database_url: str) -> None:
    engine = create_ledger_engine(resolve_url(database_url))
    upgrade(engine, "0001")
    event = UsageEvent("openai", "openai-chat", Usage(3, 4), Decimal("0.000001"), "catalog")
    Ledger(engine).record(event)
    assert "chats" not in inspect(engine).get_table_names()

    with open_ledger(database_url) as ledger:
        assert current_revision(ledger.engine) == HEAD_REVISION == "0003"
        assert [e.id for e in ledger.iter_events()] == [event.id]
        assert {"chats", "messages"} <= set(inspect(ledger.engine).get_table_names())
    engine.dispose()


class _Base(DeclarativeBase):
    pass


class Reply(_Base, tokenledger.TokenUsageMixin):
    __tablename__ = "replies"
    id: Mapped[int] = mapped_column(primary_key=True)


def test_mixin_fills_columns_from_a_message(library: Library, tmp_path: Path) -> None:
    call = asked("openai-chat-basic", 0)
    message = call.chat().ask(call.text)
    engine = create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    _Base.metadata.create_all(engine)

    with Session(engine) as session:
        row = Reply()
        row.fill_usage(message)
        session.add(row)
        session.commit()
        stored = session.get(Reply, row.id)
        assert stored is not None
        assert (stored.input_tokens, stored.output_tokens, stored.reasoning_tokens) == (
            13,
            138,
            128,
        )
        assert stored.cost_usd == Decimal("0.00005585")
    engine.dispose()
