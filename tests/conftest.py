"""Shared test set-up. Layer-specific fixtures live in each test folder's conftest.

PostgreSQL comes from $TOKENLEDGER_TEST_POSTGRES_URL, or the local server at
postgresql://postgres@127.0.0.1:5432/postgres when it answers. Each test that asks for
`postgres_database` gets a database of its own, dropped afterwards. With no server the
PostgreSQL cases are skipped, saying plainly that they did not run; with
TOKENLEDGER_REQUIRE_POSTGRES=1 (as CI sets it) they fail instead.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

FIXTURES = Path(__file__).parent / "fixtures"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def wire_fixtures() -> Path:
    return FIXTURES / "wire"


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
