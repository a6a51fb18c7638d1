"""The process-wide hooks: usage callbacks and the context-limit callback.

One `Hooks` value per process. `tokenledger.configure` changes it in place, so every
meter built on `hooks().callbacks` (the library's and, by default, a gateway app's)
sees callbacks configured later too.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tokenledger.metering import Callbacks

if TYPE_CHECKING:
    from tokenledger.policy._context import ContextCheck

log = logging.getLogger("tokenledger.policy")

LimitCallback = Callable[["ContextCheck"], Awaitable[None] | None]


@dataclass
class Hooks:
    callbacks: Callbacks = field(default_factory=Callbacks)
    on_token_limit_exceeded: list[LimitCallback] = field(default_factory=list)

    def clear(self) -> None:
        self.callbacks.on_token_usage.clear()
        self.callbacks.on_high_usage.clear()
        self.callbacks.high_usage_tokens = None
        self.on_token_limit_exceeded.clear()

    def fire_limit_sync(self, check: ContextCheck) -> None:
        for callback in self.on_token_limit_exceeded:
            try:
                result = callback(check)
                if inspect.isawaitable(result):
                    asyncio.run(_await(result))
            except Exception:
                log.exception("limit callback %s failed; the refusal stands", _name(callback))

    async def fire_limit_async(self, check: ContextCheck) -> None:
        for callback in self.on_token_limit_exceeded:
            try:
                result = callback(check)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("limit callback %s failed; the refusal stands", _name(callback))


_HOOKS = Hooks()


def hooks() -> Hooks:
    """The process's hooks (one shared value, changed in place by `configure`)."""
    return _HOOKS


async def _await(awaitable: Awaitable[Any]) -> None:
    await awaitable


def _name(callback: object) -> str:
    return getattr(callback, "__qualname__", repr(callback))
