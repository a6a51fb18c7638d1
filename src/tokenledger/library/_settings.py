"""`configure` and the process-wide state the library runs on.

The state is built lazily: the config is read, and the ledger opened, on the first
chat or metered SDK call, so importing tokenledger costs nothing. A ledger is opened
only when a database URL was configured or `TOKENLEDGER_DATABASE_URL` is set; without
one, replies are still counted, priced and called back, but nothing is saved.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

from tokenledger.config import Config, load_config
from tokenledger.ledger import ChatStore, Ledger, open_ledger
from tokenledger.metering import Meter, UsageCallback
from tokenledger.policy import LimitCallback, hooks

DATABASE_URL_ENV = "TOKENLEDGER_DATABASE_URL"


@dataclass
class Runtime:
    """What every chat and metered client of this process shares."""

    database_url: str | None = None
    config: Config | None = None
    env: Mapping[str, str] | None = None
    clock: Callable[[], datetime] | None = None
    # Seconds an HTTP call may wait on the provider without a byte before failing.
    timeout_s: float = 600.0
    _ledger: Ledger | None = None
    _meter: Meter | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def environ(self) -> Mapping[str, str]:
        return os.environ if self.env is None else self.env

    def now(self) -> datetime:
        return self.clock() if self.clock is not None else datetime.now(UTC)

    def get_config(self) -> Config:
        if self.config is None:
            self.config = load_config(env=self.environ)
        return self.config

    def ledger(self) -> Ledger | None:
        """The configured ledger, opened (and migrated) on first use; None if none."""
        url = self.database_url or self.environ.get(DATABASE_URL_ENV)
        if not url:
            return None
        with self._lock:
            if self._ledger is None:
                self._ledger = open_ledger(url)
        return self._ledger

    def chat_store(self) -> ChatStore | None:
        ledger = self.ledger()
        return ChatStore(ledger.engine) if ledger is not None else None

    def meter(self) -> Meter:
        if self._meter is None:
            # Meter.event, the only part the library calls without a ledger, never
            # touches it: the library records through `ledger()` itself.
            ledger = self.ledger() or cast(Ledger, None)
            self._meter = Meter(ledger, self.get_config(), hooks().callbacks, clock=self.now)
        return self._meter

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
        self._ledger = None
        self._meter = None


_RUNTIME = Runtime()


def runtime() -> Runtime:
    return _RUNTIME


def configure(
    *,
    database_url: str | None = None,
    on_token_usage: UsageCallback | None = None,
    on_high_usage: UsageCallback | None = None,
    high_usage_tokens: int | None = None,
    on_token_limit_exceeded: LimitCallback | None = None,
    config: Config | None = None,
    env: Mapping[str, str] | None = None,
    clock: Callable[[], datetime] | None = None,
    timeout_s: float | None = None,
) -> None:
    """Set what the library (and gateway apps made later in this process) run with.

    Only the arguments given change; a callback given replaces the one set before.
    `on_token_usage` gets one `UsageEvent` per completed request, from chats, metered
    SDK clients and gateway apps alike; `on_high_usage` one per request whose total
    tokens exceed `high_usage_tokens`; `on_token_limit_exceeded` a `ContextCheck` for
    each request refused because it would not fit the model's context window. A
    callback may be plain or async; what it raises is logged, never passed on.
    `env` replaces `os.environ` for keys, base URLs and the config file (tests use it);
    `clock` pins the moment requests are priced at.
    """
    state = _RUNTIME
    if database_url is not None and database_url != state.database_url:
        state.close()
        state.database_url = database_url
    if config is not None or env is not None or clock is not None:
        state._meter = None
    state.config = config if config is not None else state.config
    state.env = env if env is not None else state.env
    state.clock = clock if clock is not None else state.clock
    state.timeout_s = timeout_s if timeout_s is not None else state.timeout_s
    _set_callbacks(on_token_usage, on_high_usage, high_usage_tokens, on_token_limit_exceeded)


def _set_callbacks(
    on_token_usage: UsageCallback | None,
    on_high_usage: UsageCallback | None,
    high_usage_tokens: int | None,
    on_token_limit_exceeded: LimitCallback | None,
) -> None:
    shared = hooks()
    if on_token_usage is not None:
        shared.callbacks.on_token_usage[:] = [on_token_usage]
    if on_high_usage is not None:
        shared.callbacks.on_high_usage[:] = [on_high_usage]
    if high_usage_tokens is not None:
        shared.callbacks.high_usage_tokens = high_usage_tokens
    if on_token_limit_exceeded is not None:
        shared.on_token_limit_exceeded[:] = [on_token_limit_exceeded]


def reset() -> None:
    """Forget everything `configure` set and close the ledger (tests use this)."""
    _RUNTIME.close()
    _RUNTIME.database_url = None
    _RUNTIME.config = None
    _RUNTIME.env = None
    _RUNTIME.clock = None
    _RUNTIME.timeout_s = 600.0
    hooks().clear()
