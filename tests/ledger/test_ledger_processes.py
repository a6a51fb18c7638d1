"""Two processes writing one SQLite file at once, as gateway workers do."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tokenledger.ledger import open_ledger

WORKER = textwrap.dedent(
    """
    import asyncio, sys, time
    from decimal import Decimal
    from tokenledger.ledger import UsageEvent, open_ledger
    from tokenledger.usage import Usage

    url, start_at, name = sys.argv[1], float(sys.argv[2]), sys.argv[3]

    def event():
        return UsageEvent(provider="openai", api="openai-chat", user=name,
                          usage=Usage(input_tokens=1), cost_usd=Decimal("0.000000005"),
                          cost_source="catalog")

    async def main():
        ledger = open_ledger(url)
        writer = ledger.writer()
        time.sleep(max(0.0, start_at - time.time()))
        for _ in range(10):
            await asyncio.gather(*(writer.submit(event()) for _ in range(20)))
            ledger.record(event())
        await writer.aclose()
        ledger.create_key(name)
        ledger.close()

    asyncio.run(main())
    """
)


def test_two_processes_share_one_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    start_at = str(time.time() + 3)  # both start writing together, after migrating
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, start_at, name],
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("alice", "bob")
    ]
    outcomes = [(w.wait(timeout=60), w.communicate()[1][-3000:]) for w in workers]
    assert [code for code, _ in outcomes] == [0, 0], outcomes

    with open_ledger(url) as ledger:
        totals = {t.key: t for t in ledger.usage_totals(period="all", by="user")}
        assert {key: t.requests for key, t in totals.items()} == {"alice": 210, "bob": 210}
        assert ledger.spend(None) == 420 * ledger.spend("alice") / 210
        assert {k.user for k in ledger.list_keys()} == {"alice", "bob"}
