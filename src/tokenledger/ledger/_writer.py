"""`EventWriter`: group commit of usage events from one background thread.

The gateway awaits `submit` before it sends the last byte of a reply, so a client
that received a whole reply was recorded. Waiting for a commit per request would make
the disk the limit on requests per second; instead the thread commits everything that
queued up while the previous commit ran, in one transaction. Under load many events
share a commit; when idle, an event is committed alone at once (no timer, no delay).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from tokenledger.ledger._engine import WRITE_OPTION
from tokenledger.ledger._errors import LedgerClosedError, LedgerWriteError
from tokenledger.ledger._event import UsageEvent
from tokenledger.ledger._rows import event_to_row
from tokenledger.ledger._schema import usage_events_table

logger = logging.getLogger("tokenledger.ledger")

# Bounds one transaction so a burst after a stall does not become one huge commit.
MAX_BATCH = 2000


@dataclass(slots=True)
class _Pending:
    row: dict[str, Any]
    done: Future[None]
    # False when the submitter stopped waiting (cancelled) before the write began:
    # the event is written all the same, only nobody is told.
    notify: bool = True

    def succeed(self) -> None:
        if self.notify:
            self.done.set_result(None)

    def fail(self, error: BaseException) -> None:
        if self.notify:
            self.done.set_exception(error)


_STOP = object()


class _HasEngine(Protocol):
    """A `Ledger` (not imported here: the ledger module imports this one)."""

    @property
    def engine(self) -> Engine: ...


class EventWriter:
    """Commits usage events in batches on a thread with its own database connection.

    Failures are never silent: each failed event is logged at error level on the
    "tokenledger.ledger" logger and its submitter gets a `LedgerWriteError`. When a
    batch fails, its events are retried one by one, so one bad event fails alone.

    Known shortcoming: a failed event is not kept anywhere else (no spool file); it
    is lost unless the submitter acts on the error. The writer needs a database that
    other connections share, so an in-memory SQLite URL does not work with it.
    """

    def __init__(
        self, ledger: _HasEngine | Engine, *, max_batch: int = MAX_BATCH, inline: bool = True
    ) -> None:
        self._engine = ledger if isinstance(ledger, Engine) else ledger.engine
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending | object] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self.commits = 0  # transactions committed, for measurements and tests
        self._connection: Connection | None = None
        # SQLite commits cost less than handing the event to a thread and back, so
        # async submitters write on their own loop and use the thread only when the
        # file is busy (see _InlineSqlite). A network database always uses the thread.
        sqlite = self._engine.dialect.name == "sqlite"
        self._inline = _InlineSqlite(self) if sqlite and inline else None
        self._thread = threading.Thread(
            target=self._run, name="tokenledger-writer", daemon=True
        )
        self._thread.start()

    async def submit(self, event: UsageEvent) -> None:
        """Return once the event is committed; raise `LedgerWriteError` if it was not.

        Cancelling the wait does not withdraw the event: it is still written.
        """
        if self._inline is not None:
            await self._inline.submit(event)
            return
        await asyncio.wrap_future(self.submit_nowait(event))

    def submit_sync(self, event: UsageEvent, timeout: float | None = None) -> None:
        """Block until the event is committed (for code without an event loop)."""
        self.submit_nowait(event).result(timeout)

    def submit_nowait(self, event: UsageEvent) -> Future[None]:
        """Queue the event; the future completes when it is committed or has failed.

        A failure is logged even if nobody looks at the future.
        """
        # Converting here, on the caller's side, reports a bad value to its submitter
        # at once and keeps the writer thread's work to the database alone.
        pending = _Pending(row=event_to_row(event), done=Future())
        with self._lock:
            if self._closed:
                raise LedgerClosedError("the event writer is closed; open a new one")
            self._queue.put(pending)
        return pending.done

    def close(self, timeout: float | None = None) -> None:
        """Commit what is queued, then stop the thread. Safe to call twice."""
        if self._inline is not None:
            self._inline.close()
        with self._lock:
            if not self._closed:
                self._closed = True
                self._queue.put(_STOP)
        self._thread.join(timeout)

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)

    def __enter__(self) -> EventWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self) -> None:
        stopping = False
        try:
            while not stopping:
                batch, stopping = self._take_batch()
                if batch:
                    self._commit(batch)
        finally:
            if self._connection is not None:
                self._connection.close()

    def _take_batch(self) -> tuple[list[_Pending], bool]:
        # Block for the first item, then take whatever else is already waiting.
        batch: list[_Pending] = []
        item = self._queue.get()
        while True:
            if item is _STOP:
                return batch, True
            assert isinstance(item, _Pending)
            # After this a cancel cannot race with our setting the result.
            item.notify = item.done.set_running_or_notify_cancel()
            batch.append(item)
            if len(batch) >= self._max_batch:
                return batch, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, False

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            self._insert(batch)
        except Exception as error:
            if len(batch) == 1:
                self._fail(batch[0], error)
                return
            logger.warning("a batch of %d usage events failed; retrying one by one", len(batch))
            for pending in batch:
                self._commit([pending])
            return

        for pending in batch:
            pending.succeed()

    def _insert(self, batch: list[_Pending]) -> None:
        connection = self._connect()
        try:
            with connection.begin():
                # Core executemany, not the ORM unit of work: no identity map, and
                # PostgreSQL gets multi-row INSERTs.
                connection.execute(usage_events_table.insert(), [p.row for p in batch])
        except BaseException:
            # After a lost connection, this lets the next attempt reconnect.
            if connection.invalidated:
                connection.rollback()
            raise
        self.commits += 1

    def _connect(self) -> Connection:
        # Opened on first use, by this thread, and kept: one connection for all writes.
        if self._connection is None:
            connection = self._engine.connect()
            self._connection = connection.execution_options(**{WRITE_OPTION: True})
        return self._connection

    def _fail(self, pending: _Pending, error: Exception) -> None:
        event_id = pending.row["id"]
        logger.error(
            "usage event %s was not recorded: %s: %s",
            event_id,
            type(error).__name__,
            _short(error),
        )
        failure = LedgerWriteError(event_id, type(error).__name__)
        failure.__cause__ = error
        pending.fail(failure)


def _short(error: Exception) -> str:
    # SQLAlchemy errors carry the statement and parameters; the first line is enough
    # and keeps row values out of the log.
    return str(error).splitlines()[0][:300] if str(error) else ""


class _InlineSqlite:
    """Group commit on the submitters' own event loop, for SQLite files.

    Every event submitted during one turn of the loop is written in one transaction
    scheduled with `call_soon`, so concurrent requests still share a commit. The
    transaction starts with a busy timeout of zero: when another process holds the
    file's write lock, the batch goes to the writer thread (which waits for the
    lock) instead of stalling the loop.
    """

    def __init__(self, writer: EventWriter) -> None:
        self._writer = writer
        self._pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._inserter = SqliteInserter(writer._engine, busy_timeout_ms=0)
        self._flush_scheduled = False

    async def submit(self, event: UsageEvent) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._pending.append((event_to_row(event), done))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        # Shielded: a cancelled submitter's event is written all the same.
        await asyncio.shield(done)

    def _flush(self) -> None:
        self._flush_scheduled = False
        batch, self._pending = self._pending, []
        try:
            self._inserter.insert([row for row, _ in batch])
            self._writer.commits += 1
        except (OperationalError, sqlite3.OperationalError) as error:
            logger.info("ledger file busy (%s); committing on the writer thread", _short(error))
            self._hand_over(batch)
            return
        except Exception as error:
            self._fail(batch, error)
            return
        for _, done in batch:
            if not done.done():
                done.set_result(None)

    def _hand_over(self, batch: list[tuple[dict[str, Any], asyncio.Future[None]]]) -> None:
        for row, done in batch:
            pending = _Pending(row=row, done=Future())
            self._writer._queue.put(pending)
            _chain(pending.done, done)

    def _fail(
        self, batch: list[tuple[dict[str, Any], asyncio.Future[None]]], error: Exception
    ) -> None:
        # One bad row fails the transaction: retry one by one on the thread, which
        # reports each failure to its own submitter.
        logger.warning(
            "inline ledger write failed (%s); retrying on the writer thread", _short(error)
        )
        self._hand_over(batch)

    def close(self) -> None:
        self._inserter.close()


class SqliteInserter:
    """Inserts usage events into a SQLite file through the DB-API connection.

    It binds values with the column types' own processors, so it stores exactly what
    a Core insert stores, at half the cost per event. Each thread gets its own
    connection (sqlite3 connections are not shared across threads).
    """

    def __init__(self, engine: Engine, *, busy_timeout_ms: int | None = None) -> None:
        self._engine = engine
        self._busy_timeout_ms = busy_timeout_ms
        self._statement = _RawInsert(engine)
        self._local = threading.local()
        self._opened: list[Connection] = []
        self._lock = threading.Lock()

    def insert(self, rows: list[dict[str, Any]]) -> None:
        raw = self._raw_connection()
        values = [self._statement.values(row) for row in rows]
        raw.execute("BEGIN IMMEDIATE")
        try:
            raw.executemany(self._statement.sql, values)
            raw.execute("COMMIT")
        except BaseException:
            raw.execute("ROLLBACK")
            raise

    def _raw_connection(self) -> Any:
        raw = getattr(self._local, "raw", None)
        if raw is None:
            connection = self._engine.connect()
            raw = connection.connection.driver_connection
            assert raw is not None
            if self._busy_timeout_ms is not None:
                raw.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}")
            self._local.raw = raw
            with self._lock:
                self._opened.append(connection)
        return raw

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            if self._busy_timeout_ms is None:
                connection.close()
            else:
                # Its busy timeout was changed: discard it rather than hand it back to
                # the pool, where another caller would expect the engine's timeout.
                connection.invalidate()
        self._local = threading.local()


class _RawInsert:
    """An INSERT of usage events as plain SQL, with each column's bind processor."""

    def __init__(self, engine: Engine) -> None:
        columns = list(usage_events_table.columns)
        names = ", ".join(column.name for column in columns)
        marks = ", ".join("?" for _ in columns)
        self.sql = f"INSERT INTO {usage_events_table.name} ({names}) VALUES ({marks})"
        self._columns = [
            (
                column.key,
                column.type.dialect_impl(engine.dialect).bind_processor(engine.dialect),
            )
            for column in columns
        ]

    def values(self, row: dict[str, Any]) -> tuple[Any, ...]:
        out = []
        for key, process in self._columns:
            value = row.get(key)
            out.append(value if process is None or value is None else process(value))
        return tuple(out)


def _chain(source: Future[None], target: asyncio.Future[None]) -> None:
    loop = target.get_loop()

    def copy(result: Future[None]) -> None:
        error = result.exception()
        if target.done():
            return
        if error is None:
            target.set_result(None)
        else:
            target.set_exception(error)

    source.add_done_callback(lambda result: loop.call_soon_threadsafe(copy, result))
