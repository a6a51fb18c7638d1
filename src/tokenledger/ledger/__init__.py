"""The ledger: schema, migrations, writes and queries of usage events."""

from tokenledger.ledger._chats import ChatRecord, ChatStore, MessageRecord
from tokenledger.ledger._errors import (
    AmbiguousKeyError,
    InvalidUserError,
    KeyNotFoundError,
    LedgerClosedError,
    LedgerError,
    LedgerWriteError,
)
from tokenledger.ledger._event import EventStatus, UsageEvent, new_event_id
from tokenledger.ledger._keys import CreatedKey, KeyInfo, KeyRecord
from tokenledger.ledger._ledger import Ledger, open_ledger
from tokenledger.ledger._queries import GroupBy, Period, UsageTotal, period_bounds
from tokenledger.ledger._types import ExactDecimal, UTCDateTime
from tokenledger.ledger._writer import EventWriter

__all__ = [
    "AmbiguousKeyError",
    "ChatRecord",
    "ChatStore",
    "CreatedKey",
    "EventStatus",
    "EventWriter",
    "ExactDecimal",
    "GroupBy",
    "InvalidUserError",
    "KeyInfo",
    "KeyNotFoundError",
    "KeyRecord",
    "Ledger",
    "LedgerClosedError",
    "LedgerError",
    "LedgerWriteError",
    "MessageRecord",
    "Period",
    "UTCDateTime",
    "UsageEvent",
    "UsageTotal",
    "new_event_id",
    "open_ledger",
    "period_bounds",
]
