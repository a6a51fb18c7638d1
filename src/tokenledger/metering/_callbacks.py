"""Callbacks fired after a request is recorded.

A callback may be a plain or an async function. Whatever it raises is logged and
swallowed: a broken callback must never break or lose the reply it is told about.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tokenledger.ledger import UsageEvent

log = logging.getLogger("tokenledger.metering")

UsageCallback = Callable[[UsageEvent], Awaitable[None] | None]


@dataclass
class Callbacks:
    on_token_usage: list[UsageCallback] = field(default_factory=list)
    on_high_usage: list[UsageCallback] = field(default_factory=list)
    # Total tokens of one request above which on_high_usage fires; None turns it off.
    high_usage_tokens: int | None = None

    def __bool__(self) -> bool:
        return bool(self.on_token_usage or self.on_high_usage)

    def for_event(self, event: UsageEvent) -> list[UsageCallback]:
        chosen = list(self.on_token_usage)
        limit = self.high_usage_tokens
        if limit is not None and event.usage.total_tokens > limit:
            chosen.extend(self.on_high_usage)
        return chosen


def fire_sync(callbacks: list[UsageCallback], event: UsageEvent) -> None:
    """Call each callback; an async one is run to completion on a private loop."""
    for callback in callbacks:
        try:
            result = callback(event)
            if inspect.isawaitable(result):
                asyncio.run(_await(result))
        except Exception:
            log.exception("usage callback %s failed; the reply is unaffected", _name(callback))


async def fire_async(callbacks: list[UsageCallback], event: UsageEvent) -> None:
    for callback in callbacks:
        try:
            result = callback(event)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("usage callback %s failed; the reply is unaffected", _name(callback))


async def _await(awaitable: Awaitable[Any]) -> None:
    await awaitable


def _name(callback: object) -> str:
    return getattr(callback, "__qualname__", repr(callback))
