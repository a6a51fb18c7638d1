"""Errors the ledger raises on purpose, all under `TokenLedgerError`."""

from __future__ import annotations

from tokenledger.errors import TokenLedgerError


class LedgerError(TokenLedgerError):
    """Something went wrong storing or reading the ledger."""


class LedgerWriteError(LedgerError):
    """A usage event could not be committed; the cause is chained as `__cause__`."""

    def __init__(self, event_id: str, reason: str) -> None:
        self.event_id = event_id
        super().__init__(
            f"usage event {event_id} was not recorded: {reason}; check that the database "
            "is reachable and writable (see the 'tokenledger.ledger' error log)"
        )


class LedgerClosedError(LedgerError):
    """The writer or ledger was closed before the call."""


class KeyNotFoundError(LedgerError, LookupError):
    """No gateway key matches the key, key id or prefix given."""


class AmbiguousKeyError(LedgerError, LookupError):
    """A key prefix matches more than one key."""


class InvalidUserError(LedgerError, ValueError):
    """A user name that cannot be stored (empty or padded with spaces)."""
