"""Ledger fixtures: every ledger test runs on SQLite and on PostgreSQL.

PostgreSQL comes from $TOKENLEDGER_TEST_POSTGRES_URL, or the local server at
postgresql://postgres@127.0.0.1:5432/postgres when it answers. Each test gets its own
database, dropped afterwards. With no server the PostgreSQL cases are skipped, saying
so; with TOKENLEDGER_REQUIRE_POSTGRES=1 they fail instead.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from ledger_support import MakeEvent, make_test_event
from sqlalchemy.engine import make_url

from tokenledger.ledger import Ledger, open_ledger

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    url = os.environ.get("TOKENLEDGER_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL
    try:
        with psycopg.connect(_libpq_url(url), connect_timeout=3):
            pass
    except psycopg.Error as error:
        shown = make_url(url).render_as_string(hide_password=True)
        reason = (
            f"PostgreSQL tests did NOT run: no server answered at {shown} ({error}). "
            "Set TOKENLEDGER_TEST_POSTGRES_URL; TOKENLEDGER_REQUIRE_POSTGRES=1 makes this fail."
        )
        if os.environ.get("TOKENLEDGER_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return url


@pytest.fixture
def postgres_database(postgres_server: str) -> Iterator[str]:
    name = f"tl_test_{secrets.token_hex(6)}"
    admin = _libpq_url(postgres_server)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)

    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_database")
    return url


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    with open_ledger(ledger_url) as opened:
        yield opened


@pytest.fixture
def make_event() -> MakeEvent:
    return make_test_event
