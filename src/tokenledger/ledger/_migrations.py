"""Bringing a database to the schema this code expects, with Alembic.

Opening a ledger costs one query when the schema is current: the version row is read
and compared with `HEAD_REVISION`, without loading the migration scripts.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from tokenledger.ledger._engine import WRITE_OPTION
from tokenledger.ledger._errors import LedgerError

logger = logging.getLogger("tokenledger.ledger")

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# The newest revision in migrations/versions; a test checks they agree.
HEAD_REVISION = "0003"

# Any constant shared by all tokenledger processes: it names the PostgreSQL advisory
# lock that lets only one process migrate at a time.
_PG_MIGRATION_LOCK = 0x746C_6D69


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    with engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:
            # No version table: a new, empty database.
            return None


def ensure_current(engine: Engine, *, migrate: bool) -> None:
    """Migrate to head unless already there; with `migrate=False`, refuse instead."""
    revision = current_revision(engine)
    if revision == HEAD_REVISION:
        return

    _check_known(revision)
    if not migrate:
        raise LedgerError(
            f"the ledger database is at schema revision {revision or 'none'} and this "
            f"tokenledger needs {HEAD_REVISION}: run `tokenledger db upgrade`"
        )
    upgrade(engine)


def upgrade(engine: Engine, revision: str = "head") -> None:
    _run(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, "downgrade", revision)


def _run(engine: Engine, direction: str, revision: str) -> None:
    # One transaction for the whole run, holding the write lock (SQLite) or an
    # advisory lock (PostgreSQL), so gateway workers starting together on a new
    # database take turns: the first migrates, the others find it done.
    with engine.connect() as connection:
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            _lock(connection)
            before = _revision_in(connection)
            getattr(command, direction)(_config(connection), revision)
            after = _revision_in(connection)

    if before != after:
        logger.info("ledger schema %s from %s to %s", direction, before, after)


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
        )


def _revision_in(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _config(connection: Connection | None = None) -> Config:
    # No alembic.ini: the scripts ship inside the package and are found by path.
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def script_head() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def _check_known(revision: str | None) -> None:
    if revision is None:
        return
    script = ScriptDirectory.from_config(_config())
    if revision not in {rev.revision for rev in script.walk_revisions()}:
        raise LedgerError(
            f"the ledger database is at schema revision {revision}, which this "
            "tokenledger does not know: it was migrated by a newer version; upgrade "
            "tokenledger"
        )
