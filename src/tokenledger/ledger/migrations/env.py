"""Alembic environment for the ledger.

tokenledger runs migrations itself (`Ledger.upgrade`, `tokenledger db upgrade`) and
hands this script an open connection in a transaction it already holds, so the whole
upgrade commits or rolls back as one, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from tokenledger.ledger._schema import Base


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "run ledger migrations through tokenledger (tokenledger db upgrade), "
            "not the alembic command: they need the connection tokenledger opens"
        )

    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # Alembic assumes SQLite DDL is not transactional; it is, once BEGIN is sent,
        # which our engine does.
        transactional_ddl=True,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
