"""The ledger: schema, migrations, writes and queries of usage events."""

from tokenledger.ledger._event import EventStatus, UsageEvent

__all__ = ["EventStatus", "UsageEvent"]
