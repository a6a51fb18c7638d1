"""The context guard: refuse a request that cannot fit in its model's context window.

The input is counted with `catalog.count_tokens` (exact for OpenAI models, a calibrated
estimate for the others) and compared with `catalog.context_window`. Only the input is
counted: the room the reply will need is not reserved, because most APIs cap the reply
at what is left and a caller's `max_tokens` is a ceiling, not a reservation. A model
whose window the price data does not know is never refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tokenledger.catalog import context_window, count_tokens
from tokenledger.errors import ContextLimitExceededError


@dataclass(frozen=True, slots=True)
class ContextCheck:
    """How a request measures against its model's window; what the limit hook receives."""

    model: str
    needed_tokens: int
    # None when the price data does not know the model's window.
    limit_tokens: int | None
    # False when `needed_tokens` is an estimate (every non-OpenAI model).
    exact: bool
    user: str | None = None
    chat_id: str | None = None

    @property
    def exceeded(self) -> bool:
        return self.limit_tokens is not None and self.needed_tokens > self.limit_tokens

    def error(self) -> ContextLimitExceededError:
        return ContextLimitExceededError(self.model, self.needed_tokens, self.limit_tokens or 0)


def measure_context(
    messages: Sequence[Mapping[str, Any]],
    model: str,
    *,
    provider: str | None = None,
    user: str | None = None,
    chat_id: str | None = None,
) -> ContextCheck:
    """Count `messages` (chat-shaped: role and content) against `model`'s window."""
    counted = count_tokens(messages, model)
    return ContextCheck(
        model=model,
        needed_tokens=counted.tokens,
        limit_tokens=context_window(model, provider),
        exact=counted.exact,
        user=user,
        chat_id=chat_id,
    )


def check_context(check: ContextCheck) -> None:
    """Raise `ContextLimitExceededError` when the request does not fit."""
    if check.exceeded:
        raise check.error()


# Below this many bytes a request body cannot fill even a small context window.
_SMALLEST_WINDOW_TOKENS = 4096


def window_at_risk(body_bytes: int, model: str, provider: str | None = None) -> int | None:
    """The model's window when a body of `body_bytes` might not fit it, else None.

    A token of byte-level BPE covers at least one byte of text, and the estimates for
    other families add at most about a fifth: a body of fewer bytes than half the
    window fits. That spares counting the tokens of every ordinary request.
    """
    if body_bytes * 2 < _SMALLEST_WINDOW_TOKENS:
        return None
    window = context_window(model, provider)
    if window is None or body_bytes * 2 < window:
        return None
    return window


def measure_text(text: str, model: str, window: int, user: str | None = None) -> ContextCheck:
    """Count a request's text (as `WireAdapter.request_text` gives it) against `window`."""
    counted = count_tokens(text, model)
    return ContextCheck(model, counted.tokens, window, counted.exact, user=user)
