"""Engines for the ledger: URL defaults, driver choice and SQLite connection set-up."""

from __future__ import annotations

import os
import re
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from tokenledger.ledger._types import register_sqlite_functions

DATABASE_URL_ENV = "TOKENLEDGER_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///tokenledger.db"

# Several gateway worker processes may share one SQLite file; a writer waits this long
# for another's write lock before giving up with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 10_000

# Execution option that makes a SQLite transaction start with BEGIN IMMEDIATE.
WRITE_OPTION = "tokenledger_write"

# The password of user:password@host, hidden from messages about a URL.
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@/]*@")


def resolve_url(url: str | None) -> URL:
    """The argument, else $TOKENLEDGER_DATABASE_URL, else a SQLite file here.

    A value without `://` is a SQLite file path (`ledger.db`, `/var/lib/tl/ledger.db`),
    so a plain path works where a URL is asked for. `postgresql://` and `postgres://`
    mean psycopg 3, the driver we ship with. A URL that cannot be parsed raises
    SQLAlchemy's `ArgumentError`, naming the URL.
    """
    text = url or os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL
    if "://" not in text:
        return URL.create("sqlite", database=os.path.expanduser(text))

    try:
        parsed = make_url(text)
    except (ArgumentError, ValueError) as error:
        # make_url raises ValueError, not ArgumentError, for a port that is not a number,
        # and names the URL in neither.
        shown = _PASSWORD.sub(r"\1***@", text)
        raise ArgumentError(f"could not parse database URL {shown!r}: {error}") from error
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def create_ledger_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(url)


def _sqlite_engine(url: URL) -> Engine:
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when a transaction begins: the
    # module's legacy mode skips BEGIN before DDL and SELECT, which breaks transactional
    # migrations (SQLAlchemy's SQLite docs, "Transactions with SQLite").
    dbapi_connection.isolation_level = None

    cursor = dbapi_connection.cursor()
    # WAL lets readers (reports, the dashboard) run while a gateway writes; with WAL,
    # synchronous=NORMAL is durable against a crash of the process, and loses at most
    # the last commits on a power loss, which the SQLite docs call the usual trade.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()

    register_sqlite_functions(dbapi_connection)


def _on_sqlite_begin(connection: Any) -> None:
    # A write that starts as a reader and then writes can fail at once with SQLITE_BUSY
    # (busy_timeout does not help then) if another process wrote in between; taking
    # the write lock up front makes it wait its turn instead.
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
