"""Gateway keys: stored only as a hash, verified through a cache, revoked."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from tokenledger.ledger import (
    AmbiguousKeyError,
    InvalidUserError,
    KeyInfo,
    KeyNotFoundError,
    Ledger,
    open_ledger,
)
from tokenledger.ledger._keys import hash_key


def _all_database_text(ledger: Ledger) -> str:
    metadata = MetaData()
    metadata.reflect(ledger.engine)
    with ledger.engine.connect() as connection:
        rows = [
            repr(tuple(row))
            for table in metadata.sorted_tables
            for row in connection.execute(select(table))
        ]
    return "\n".join(rows)


def _sqlite_file_bytes(ledger: Ledger) -> bytes:
    database = ledger.engine.url.database
    assert database is not None
    files = [Path(database), Path(database + "-wal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


def test_key_is_stored_only_as_its_hash(ledger: Ledger) -> None:
    created = ledger.create_key("alice")
    secret_part = created.key[12:]  # what follows the display prefix

    text = _all_database_text(ledger)
    assert created.key not in text
    assert secret_part not in text
    assert hash_key(created.key) in text
    if ledger.engine.dialect.name == "sqlite":
        raw = _sqlite_file_bytes(ledger)
        assert created.key.encode() not in raw
        assert secret_part.encode() not in raw


def test_key_shape_and_repr(ledger: Ledger) -> None:
    created = ledger.create_key("alice")
    assert created.key.startswith("tl-")
    assert len(created.key) >= 40
    assert created.key not in repr(created)


def test_verify(ledger: Ledger) -> None:
    created = ledger.create_key("alice")
    assert ledger.verify_key(created.key) == KeyInfo(key_id=created.key_id, user="alice")
    assert ledger.verify_key(created.key + "x") is None
    assert ledger.verify_key("") is None


def test_create_reuses_the_user(ledger: Ledger) -> None:
    first = ledger.create_key("alice")
    second = ledger.create_key("alice")
    ledger.create_key("bob")
    assert first.key != second.key
    assert [k.key_id for k in ledger.list_keys("alice")] == [first.key_id, second.key_id]
    assert {k.user for k in ledger.list_keys()} == {"alice", "bob"}


@pytest.mark.parametrize("how", ["key", "key_id", "prefix", "start_of_prefix"])
def test_revoke_takes_effect_at_once_in_process(ledger: Ledger, how: str) -> None:
    created = ledger.create_key("alice")
    other = ledger.create_key("alice")
    assert ledger.verify_key(created.key) is not None  # now cached

    ident = {
        "key": created.key,
        "key_id": created.key_id,
        "prefix": created.key[:12],
        "start_of_prefix": created.key[:10],
    }[how]
    record = ledger.revoke_key(ident)

    assert record.key_id == created.key_id
    assert record.revoked_at is not None
    assert not record.active
    assert ledger.verify_key(created.key) is None
    assert ledger.verify_key(other.key) is not None


def test_revoke_twice_keeps_the_first_time(ledger: Ledger) -> None:
    created = ledger.create_key("alice")
    first = ledger.revoke_key(created.key_id)
    assert ledger.revoke_key(created.key_id).revoked_at == first.revoked_at


def test_revoke_unknown_or_ambiguous(ledger: Ledger) -> None:
    ledger.create_key("alice")
    ledger.create_key("alice")
    with pytest.raises(KeyNotFoundError):
        ledger.revoke_key("no-such-id")
    with pytest.raises(AmbiguousKeyError):
        ledger.revoke_key("tl-")


def test_unknown_key_message_does_not_echo_the_key(ledger: Ledger) -> None:
    made_up = "tl-" + "s" * 43
    with pytest.raises(KeyNotFoundError) as raised:
        ledger.revoke_key(made_up)
    assert made_up not in str(raised.value)


def test_revoke_from_another_process_takes_effect_within_the_ttl(ledger_url: str) -> None:
    ttl_s = 0.3
    with (
        open_ledger(ledger_url, key_cache_ttl_s=ttl_s) as gateway,
        open_ledger(ledger_url) as cli,
    ):
        created = cli.create_key("alice")
        assert gateway.verify_key(created.key) is not None

        cli.revoke_key(created.key_id)
        assert gateway.verify_key(created.key) is not None  # still cached
        time.sleep(ttl_s + 0.05)
        assert gateway.verify_key(created.key) is None


def test_cached_verify_does_not_query(ledger: Ledger) -> None:
    from sqlalchemy import event

    created = ledger.create_key("alice")
    ledger.verify_key(created.key)
    statements: list[str] = []
    event.listen(ledger.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    for _ in range(100):
        ledger.verify_key(created.key)
    assert statements == []


@pytest.mark.parametrize("bad", ["", " alice", "alice ", "x" * 201])
def test_bad_user_names(ledger: Ledger, bad: str) -> None:
    with pytest.raises(InvalidUserError):
        ledger.create_key(bad)
