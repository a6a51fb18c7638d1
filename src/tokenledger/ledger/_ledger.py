"""`Ledger`: the one object the faces use to store and read usage."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine

from tokenledger.ledger import _migrations, _queries
from tokenledger.ledger._engine import WRITE_OPTION, create_ledger_engine, resolve_url
from tokenledger.ledger._event import UsageEvent
from tokenledger.ledger._keys import (
    DEFAULT_CACHE_TTL_S,
    CreatedKey,
    KeyInfo,
    KeyRecord,
    KeyStore,
)
from tokenledger.ledger._queries import GroupBy, Period, UsageTotal
from tokenledger.ledger._rows import event_to_row
from tokenledger.ledger._schema import usage_events_table
from tokenledger.ledger._writer import EventWriter, SqliteInserter


def open_ledger(
    url: str | None = None,
    *,
    migrate: bool = True,
    key_cache_ttl_s: float = DEFAULT_CACHE_TTL_S,
) -> Ledger:
    """Open the ledger at `url`, else $TOKENLEDGER_DATABASE_URL, else
    sqlite:///tokenledger.db in the current folder.

    A new or empty database is created and migrated to the current schema; one that is
    current costs a single query. An older schema is migrated too, unless
    `migrate=False`, which raises `LedgerError` asking for `tokenledger db upgrade`.
    SQLite and PostgreSQL (`postgresql://`, driven by psycopg 3) are supported.
    """
    engine = create_ledger_engine(resolve_url(url))
    try:
        _migrations.ensure_current(engine, migrate=migrate)
    except BaseException:
        engine.dispose()
        raise
    return Ledger(engine, key_cache_ttl_s=key_cache_ttl_s)


class Ledger:
    """Usage events, users and gateway keys in one database. Thread-safe."""

    def __init__(self, engine: Engine, *, key_cache_ttl_s: float = DEFAULT_CACHE_TTL_S) -> None:
        self.engine = engine
        self._keys = KeyStore(engine, cache_ttl_s=key_cache_ttl_s)
        # SQLite: one committed insert through the DB-API costs half what Core does.
        sqlite = engine.dialect.name == "sqlite"
        self._inserter = SqliteInserter(engine) if sqlite else None

    @property
    def url(self) -> str:
        """The database URL with any password masked, fit for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def upgrade(self) -> None:
        """Migrate the schema to the newest revision (`tokenledger db upgrade`)."""
        _migrations.upgrade(self.engine)

    # Writes

    def record(self, event: UsageEvent) -> None:
        """Store one event and commit before returning. For the hot path of a server,
        use `writer()`, which shares commits between concurrent requests."""
        row = event_to_row(event)
        if self._inserter is not None:
            self._inserter.insert([row])
            return
        with self.engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                connection.execute(usage_events_table.insert(), row)

    def writer(self) -> EventWriter:
        """A new group-commit writer on its own thread; close it when done."""
        return EventWriter(self)

    # Keys

    def create_key(self, user: str) -> CreatedKey:
        """Issue a key to `user`, creating the user if new."""
        return self._keys.create_key(user)

    def verify_key(self, key: str) -> KeyInfo | None:
        """Who holds this key, or None if it is unknown or revoked (cached; see _keys)."""
        return self._keys.verify_key(key)

    def revoke_key(self, key_or_key_id_or_prefix: str) -> KeyRecord:
        return self._keys.revoke_key(key_or_key_id_or_prefix)

    def list_keys(self, user: str | None = None) -> list[KeyRecord]:
        return self._keys.list_keys(user)

    # Reads

    def iter_events(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        user: str | None = None,
    ) -> Iterator[UsageEvent]:
        """Events with since <= ts < until, oldest first, streamed in batches."""
        return _queries.iter_events(self.engine, since=since, until=until, user=user)

    def usage_totals(
        self,
        *,
        period: Period,
        by: GroupBy,
        user: str | None = None,
        now: datetime | None = None,
    ) -> list[UsageTotal]:
        """Totals for the UTC day or month containing `now`, or for all time."""
        since, until = _queries.period_bounds(period, now)
        return _queries.usage_totals(self.engine, by=by, since=since, until=until, user=user)

    def totals_between(
        self,
        *,
        by: GroupBy,
        since: datetime | None = None,
        until: datetime | None = None,
        user: str | None = None,
    ) -> list[UsageTotal]:
        """Totals for any [since, until) window, e.g. the last 30 days for a trend."""
        return _queries.usage_totals(self.engine, by=by, since=since, until=until, user=user)

    def spend(
        self, user: str | None, since: datetime | None = None, until: datetime | None = None
    ) -> Decimal:
        """Known spend in USD of `user` (everyone when None) in [since, until).

        Requests of unknown cost add nothing here; `unknown_cost_requests` tells how
        many there are (a budget may want to refuse when that is not zero).
        """
        return _queries.spend(self.engine, user=user, since=since, until=until)[0]

    def unknown_cost_requests(
        self, user: str | None, since: datetime | None = None, until: datetime | None = None
    ) -> int:
        return _queries.spend(self.engine, user=user, since=since, until=until)[1]

    def close(self) -> None:
        if self._inserter is not None:
            self._inserter.close()
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
