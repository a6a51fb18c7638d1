"""The group-commit writer: committed before submit returns, batched under load,
failures reach the submitters and the log."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest
from ledger_support import MakeEvent
from sqlalchemy import func, select, text

from tokenledger.ledger import LedgerClosedError, LedgerWriteError, open_ledger
from tokenledger.ledger._schema import usage_events_table


def _count(url: str) -> int:
    # A separate engine: what another process would see, so only committed rows.
    with open_ledger(url) as reader, reader.engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(usage_events_table)
            ).scalar_one()
        )


async def test_many_concurrent_submitters_are_committed_and_batched(
    ledger_url: str, make_event: MakeEvent
) -> None:
    count = 500
    with open_ledger(ledger_url) as ledger:
        writer = ledger.writer()
        events = [make_event() for _ in range(count)]
        await asyncio.gather(*(writer.submit(e) for e in events))

        assert _count(ledger_url) == count
        assert writer.commits < count  # events shared commits
        await writer.aclose()

        stored = {e.id for e in ledger.iter_events()}
        assert stored == {e.id for e in events}


async def test_each_submit_returns_after_its_commit(
    ledger_url: str, make_event: MakeEvent
) -> None:
    with open_ledger(ledger_url) as ledger:
        writer = ledger.writer()
        for expected in range(1, 4):
            await writer.submit(make_event())
            assert _count(ledger_url) == expected
        writer.close()


async def test_a_failed_write_reaches_its_submitter_and_the_log(
    ledger_url: str, make_event: MakeEvent, caplog: pytest.LogCaptureFixture
) -> None:
    with open_ledger(ledger_url) as ledger:
        duplicate = make_event()
        ledger.record(duplicate)
        writer = ledger.writer()
        good = [make_event() for _ in range(20)]

        with caplog.at_level(logging.ERROR, logger="tokenledger.ledger"):
            results = await asyncio.gather(
                *(writer.submit(e) for e in [*good[:10], duplicate, *good[10:]]),
                return_exceptions=True,
            )
        writer.close()

    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 1
    assert isinstance(failures[0], LedgerWriteError)
    assert failures[0].event_id == duplicate.id
    assert _count(ledger_url) == 21  # the good ones were not lost with the bad one
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert any(duplicate.id in r.getMessage() for r in errors)


async def test_every_submitter_hears_when_the_database_fails(
    ledger_url: str, make_event: MakeEvent
) -> None:
    with open_ledger(ledger_url) as ledger:
        with ledger.engine.begin() as connection:
            connection.execute(text("DROP TABLE usage_events"))
        writer = ledger.writer()
        results = await asyncio.gather(
            *(writer.submit(make_event()) for _ in range(5)), return_exceptions=True
        )
        writer.close()
    assert all(isinstance(r, LedgerWriteError) for r in results)


def test_sync_and_nowait_variants_from_threads(ledger_url: str, make_event: MakeEvent) -> None:
    with open_ledger(ledger_url) as ledger:
        writer = ledger.writer()

        def work() -> None:
            for _ in range(25):
                writer.submit_sync(make_event(), timeout=30)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        futures = [writer.submit_nowait(make_event()) for _ in range(50)]
        writer.close()  # drains what is queued

        assert all(f.done() and f.exception() is None for f in futures)
        assert _count(ledger_url) == 150


def test_submit_after_close_is_refused(ledger_url: str, make_event: MakeEvent) -> None:
    with open_ledger(ledger_url) as ledger:
        writer = ledger.writer()
        writer.close()
        writer.close()
        with pytest.raises(LedgerClosedError):
            writer.submit_nowait(make_event())


async def test_a_cancelled_wait_still_records(ledger_url: str, make_event: MakeEvent) -> None:
    with open_ledger(ledger_url) as ledger:
        writer = ledger.writer()
        task = asyncio.ensure_future(writer.submit(make_event()))
        await asyncio.sleep(0)  # let it queue the event and start waiting
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await writer.aclose()
    assert _count(ledger_url) == 1


async def test_a_busy_sqlite_file_hands_the_commit_to_the_thread(
    tmp_path: object, make_event: MakeEvent
) -> None:
    # Another process's write lock must neither stall the event loop nor lose the event:
    # the inline commit gives up at once and the writer thread waits for the lock.
    import sqlite3
    from pathlib import Path

    path = Path(str(tmp_path)) / "busy.db"
    url = f"sqlite:///{path}"
    ledger = open_ledger(url)
    writer = ledger.writer()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        submitted = asyncio.ensure_future(writer.submit(make_event()))
        await asyncio.sleep(0.2)
        assert not submitted.done()
        assert _count(url) == 0
        holder.execute("COMMIT")
        await asyncio.wait_for(submitted, timeout=10)
    finally:
        holder.close()
        writer.close()

    assert _count(url) == 1


async def test_async_submit_keeps_every_digit_of_a_cost(
    ledger_url: str, make_event: MakeEvent
) -> None:
    # The gateway's path (an async submit) must store money exactly as Ledger.record
    # does: no detour through a float on either engine.
    from decimal import Decimal

    cost = Decimal("0.12345678901234567890123")
    ledger = open_ledger(ledger_url)
    writer = ledger.writer()
    try:
        await writer.submit(make_event(cost_usd=cost))
    finally:
        writer.close()

    (event,) = list(ledger.iter_events())
    assert event.cost_usd == cost


async def test_async_submit_refuses_an_infinite_cost(
    ledger_url: str, make_event: MakeEvent
) -> None:
    from decimal import Decimal

    ledger = open_ledger(ledger_url)
    writer = ledger.writer()
    try:
        with pytest.raises(LedgerWriteError):
            await writer.submit(make_event(cost_usd=Decimal("Infinity")))
    finally:
        writer.close()
    assert list(ledger.iter_events()) == []
