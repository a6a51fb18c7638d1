"""Per-event cost of the group-commit writer: `python tests/ledger/bench_writer.py [URL]`.

Not a test (pytest does not collect it). Without a URL it measures a temporary SQLite
file and, when it answers, the local PostgreSQL server in a scratch database.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import psycopg

from tokenledger.ledger import Ledger, UsageEvent, open_ledger
from tokenledger.usage import Usage

POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def _event() -> UsageEvent:
    return UsageEvent(
        provider="openai",
        api="openai-chat",
        usage=Usage(input_tokens=1200, output_tokens=300, cache_read_tokens=1000),
        cost_usd=Decimal("0.000123456789"),
        cost_source="catalog",
        user="bench",
        model="gpt-4.1-nano-2025-04-14",
    )


async def _concurrent(ledger: Ledger, events: int, in_flight: int) -> tuple[float, int]:
    writer = ledger.writer()
    started = time.perf_counter()
    for _ in range(events // in_flight):
        await asyncio.gather(*(writer.submit(_event()) for _ in range(in_flight)))
    elapsed = time.perf_counter() - started
    await writer.aclose()
    return elapsed, writer.commits


def measure(url: str) -> None:
    with open_ledger(url) as ledger:
        for in_flight in (1, 10, 100, 1000):
            events = 2000 if in_flight == 1 else 20_000
            elapsed, commits = asyncio.run(_concurrent(ledger, events, in_flight))
            print(
                f"  {in_flight:>5} in flight: {elapsed / events * 1e6:8.1f} us/event, "
                f"{events / commits:7.1f} events/commit, {events / elapsed:9.0f} events/s"
            )

        started = time.perf_counter()
        for _ in range(500):
            ledger.record(_event())
        print(f"  Ledger.record: {(time.perf_counter() - started) / 500 * 1e6:8.1f} us/event")


def main() -> None:
    if len(sys.argv) > 1:
        measure(sys.argv[1])
        return

    with tempfile.TemporaryDirectory() as folder:
        print("SQLite (WAL, synchronous=NORMAL)")
        measure(f"sqlite:///{Path(folder) / 'bench.db'}")

    name = f"tl_bench_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        print("PostgreSQL (local, psycopg 3)")
        measure(POSTGRES.rsplit("/", 1)[0] + "/" + name)
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
