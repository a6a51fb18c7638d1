"""Migrations from an empty database, down to nothing and back, and agreement with the
models."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect

from tokenledger.ledger import LedgerError, open_ledger
from tokenledger.ledger._engine import create_ledger_engine, resolve_url
from tokenledger.ledger._migrations import (
    HEAD_REVISION,
    current_revision,
    downgrade,
    ensure_current,
    script_head,
    upgrade,
)
from tokenledger.ledger._schema import Base

TABLES = {"users", "api_keys", "usage_events", "chats", "messages"}


def _tables(engine: Any) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_head_constant_matches_the_scripts() -> None:
    assert script_head() == HEAD_REVISION


def test_upgrade_downgrade_upgrade_from_empty(ledger_url: str) -> None:
    engine = create_ledger_engine(resolve_url(ledger_url))
    assert current_revision(engine) is None

    upgrade(engine)
    assert current_revision(engine) == HEAD_REVISION
    assert _tables(engine) == TABLES

    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert _tables(engine) == set()

    upgrade(engine)
    assert _tables(engine) == TABLES
    engine.dispose()


def test_migrated_schema_matches_the_models(ledger_url: str) -> None:
    engine = create_ledger_engine(resolve_url(ledger_url))
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_indexes_for_time_user_and_model(ledger_url: str) -> None:
    engine = create_ledger_engine(resolve_url(ledger_url))
    upgrade(engine)
    indexes = {tuple(i["column_names"]) for i in inspect(engine).get_indexes("usage_events")}
    assert {("ts",), ("user_name", "ts"), ("model", "ts")} <= indexes
    engine.dispose()


def test_opening_a_current_database_costs_one_query(ledger_url: str) -> None:
    open_ledger(ledger_url).close()
    engine = create_ledger_engine(resolve_url(ledger_url))
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    ensure_current(engine, migrate=True)

    assert [s for s in statements if not s.startswith(("PRAGMA", "BEGIN"))] == [
        "SELECT version_num FROM alembic_version"
    ]
    engine.dispose()


def test_migrate_false_refuses_an_unmigrated_database(ledger_url: str) -> None:
    with pytest.raises(LedgerError, match="tokenledger db upgrade"):
        open_ledger(ledger_url, migrate=False)


def test_upgrade_is_idempotent(ledger: Any) -> None:
    ledger.upgrade()
    ledger.upgrade()
    assert current_revision(ledger.engine) == HEAD_REVISION
