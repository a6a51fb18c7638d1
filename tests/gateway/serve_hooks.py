"""A usage callback for `tokenledger serve --on-token-usage` in the tests."""

from __future__ import annotations

import os

from tokenledger.ledger import UsageEvent


def record(event: UsageEvent) -> None:
    with open(os.environ["TOKENLEDGER_TEST_HOOK_FILE"], "a") as out:
        out.write(f"{event.id} {event.usage.total_tokens} {event.cost_usd}\n")
