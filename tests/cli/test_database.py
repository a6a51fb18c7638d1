"""`--db` and TOKENLEDGER_DATABASE_URL: a URL or a plain SQLite file path."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, run_module
from tests.cli.test_errors import free_port
from tokenledger.ledger import open_ledger
from tokenledger.ledger._engine import resolve_url


@pytest.mark.parametrize(
    ("given", "database"),
    [
        ("ledger.db", "ledger.db"),
        ("/var/lib/tl/ledger.db", "/var/lib/tl/ledger.db"),
        ("sqlite:///ledger.db", "ledger.db"),
        ("team:2025.db", "team:2025.db"),
    ],
)
def test_a_path_without_a_scheme_is_a_sqlite_file(given: str, database: str) -> None:
    url = resolve_url(given)

    assert url.get_backend_name() == "sqlite"
    assert url.database == database


def test_keys_create_with_a_plain_path(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"

    created = cli("keys", "create", "--user", "alice", "--db", str(path))

    assert created.code == 0
    with open_ledger(str(path)) as ledger:
        assert [key.user for key in ledger.list_keys()] == ["alice"]


def test_the_environment_variable_takes_a_plain_path(tmp_path: Path) -> None:
    env = {"TOKENLEDGER_DATABASE_URL": "team.db"}

    outcome = run_module("keys", "create", "--user", "bob", cwd=tmp_path, env=env)

    assert outcome.code == 0, outcome.err
    assert outcome.out.startswith("tl-")
    assert (tmp_path / "team.db").exists()


def test_help_says_what_db_takes(cli: Cli) -> None:
    outcome = cli("usage", "--help")

    assert "SQLite file" in outcome.out
    assert "postgresql://" in outcome.out


def test_serve_does_not_narrate_migrations(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "tokenledger", "serve", "--port", str(port)]
    command += ["--db", str(tmp_path / "new.db")]
    server = subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stderr is not None
        seen = ""
        deadline = time.monotonic() + 30
        while "Uvicorn running" not in seen and time.monotonic() < deadline:
            line = server.stderr.readline()
            if not line:
                break
            seen += line
    finally:
        server.terminate()
        server.wait(timeout=10)

    assert "Uvicorn running" in seen
    assert "upgrade from None" in seen  # our own line about the new ledger stays
    assert "alembic" not in seen


def test_a_password_in_the_url_query_is_hidden_and_bad_options_are_one_line(
    cli: Cli,
) -> None:
    url = "postgresql://postgres@127.0.0.1:5432/x?connect_timeout=abc&password=HUNTER2"

    result = cli("usage", "--db", url)

    assert result.code == 2
    assert "HUNTER2" not in result.err
    assert "connect_timeout" in result.err
    assert "Traceback" not in result.err
