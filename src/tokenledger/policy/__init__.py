"""The policy layer: the context-limit guard and the hooks the faces share.

`check_context` refuses a request that would not fit in its model's context window
before it is sent. `hooks()` holds the callbacks `tokenledger.configure` sets, so the
library and a gateway app in the same process fire the same ones.
"""

from tokenledger.policy._context import (
    ContextCheck,
    check_context,
    measure_context,
    measure_text,
    window_at_risk,
)
from tokenledger.policy._hooks import Hooks, LimitCallback, hooks

__all__ = [
    "ContextCheck",
    "Hooks",
    "LimitCallback",
    "check_context",
    "hooks",
    "measure_context",
    "measure_text",
    "window_at_risk",
]
