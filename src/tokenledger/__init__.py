"""tokenledger: exact token counts and Decimal costs for LLM traffic."""

from tokenledger.catalog import count_tokens
from tokenledger.errors import (
    BudgetExceededError,
    ContextLimitExceededError,
    MissingKeyError,
    TokenLedgerError,
    UnknownModelError,
    UpstreamError,
)
from tokenledger.library import (
    Chat,
    ChatUsageEvent,
    Chunk,
    Message,
    TokenUsageMixin,
    async_httpx_client,
    chat,
    configure,
    httpx_client,
    resume_chat,
)
from tokenledger.policy import ContextCheck
from tokenledger.usage import Usage

__all__ = [
    "BudgetExceededError",
    "Chat",
    "ChatUsageEvent",
    "Chunk",
    "ContextCheck",
    "ContextLimitExceededError",
    "Message",
    "MissingKeyError",
    "TokenLedgerError",
    "TokenUsageMixin",
    "UnknownModelError",
    "UpstreamError",
    "Usage",
    "async_httpx_client",
    "chat",
    "configure",
    "count_tokens",
    "httpx_client",
    "resume_chat",
]
