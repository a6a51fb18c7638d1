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
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, Engine

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

    def __init__(self, ledger: _HasEngine | Engine, *, max_batch: int = MAX_BATCH) -> None:
        self._engine = ledger if isinstance(ledger, Engine) else ledger.engine
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending | object] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self.commits = 0  # transactions committed, for measurements and tests
        self._connection: Connection | None = None
        self._thread = threading.Thread(
            target=self._run, name="tokenledger-writer", daemon=True
        )
        self._thread.start()

    async def submit(self, event: UsageEvent) -> None:
        """Return once the event is committed; raise `LedgerWriteError` if it was not.

        Cancelling the wait does not withdraw the event: it is still written.
        """
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
