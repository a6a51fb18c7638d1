"""The public surface of tokenledger.ledger and how open_ledger finds its database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import tokenledger.ledger as ledger_package
from tokenledger.ledger import Ledger, open_ledger
from tokenledger.ledger._engine import resolve_url


def test_all_lists_exactly_the_public_names() -> None:
    public = {name for name in dir(ledger_package) if not name.startswith("_")}
    modules = {"annotations"}
    assert set(ledger_package.__all__) == public - modules
    for name in ledger_package.__all__:
        assert getattr(ledger_package, name) is not None


def test_url_from_argument_then_environment_then_local_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TOKENLEDGER_DATABASE_URL", raising=False)
    assert str(resolve_url(None)) == "sqlite:///tokenledger.db"

    monkeypatch.setenv("TOKENLEDGER_DATABASE_URL", "sqlite:///from-env.db")
    assert str(resolve_url(None)) == "sqlite:///from-env.db"
    assert str(resolve_url("sqlite:///given.db")) == "sqlite:///given.db"


def test_default_database_is_created_in_the_current_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TOKENLEDGER_DATABASE_URL", raising=False)
    with open_ledger() as ledger:
        assert ledger.list_keys() == []
    assert (tmp_path / "tokenledger.db").exists()


@pytest.mark.parametrize(
    "given",
    [
        "postgresql://u@127.0.0.1/db",
        "postgres://u@127.0.0.1/db",
        "postgresql+psycopg://u@127.0.0.1/db",
    ],
)
def test_postgres_urls_use_psycopg_3(given: str) -> None:
    assert resolve_url(given).drivername == "postgresql+psycopg"


def test_sqlite_connections_are_set_up_for_several_processes(tmp_path: Path) -> None:
    with open_ledger(f"sqlite:///{tmp_path / 'l.db'}") as ledger, ledger.engine.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert c.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert c.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
        assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_ledger_url_hides_the_password() -> None:
    engine = create_engine("postgresql+psycopg://u:secret@127.0.0.1/db")
    assert "secret" not in Ledger(engine).url
