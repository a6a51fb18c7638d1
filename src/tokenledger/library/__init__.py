"""The library face: chats that count and price every reply, and SDK clients that do.

import tokenledger
tokenledger.configure(database_url="sqlite:///usage.db")
chat = tokenledger.chat("gpt-4.1-nano", user="alice")
reply = chat.ask("Count from 1 to 3")
reply.total_tokens, reply.cost
"""

from __future__ import annotations

from tokenledger.library._chat import Chat, OnChunk, resume_chat
from tokenledger.library._message import ChatUsageEvent, Chunk, Message
from tokenledger.library._mixin import TokenUsageMixin
from tokenledger.library._routing import Api
from tokenledger.library._settings import configure, reset
from tokenledger.library._transport import async_httpx_client, httpx_client, metering_transport

__all__ = [
    "Api",
    "Chat",
    "ChatUsageEvent",
    "Chunk",
    "Message",
    "OnChunk",
    "TokenUsageMixin",
    "async_httpx_client",
    "chat",
    "configure",
    "httpx_client",
    "metering_transport",
    "reset",
    "resume_chat",
]


def chat(
    model: str,
    *,
    user: str | None = None,
    provider: str | None = None,
    system: str | None = None,
    api: Api | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    cache_system: bool = False,
) -> Chat:
    """A new chat with `model` for `user`.

    The provider is the upstream named `provider`, else the first configured upstream
    whose models match, else OpenAI, Anthropic or Gemini by the model's family. `api`
    picks OpenAI's "chat" (Chat Completions, the default) or "responses". `base_url`
    and `api_key` override the upstream's; otherwise they come from the environment
    and the config file as for the gateway (a missing key raises `MissingKeyError`).
    `cache_system` marks an Anthropic system prompt for prompt caching.
    """
    return Chat(
        model,
        user=user,
        provider=provider,
        system=system,
        api=api,
        base_url=base_url,
        api_key=api_key,
        temperature=temperature,
        max_tokens=max_tokens,
        cache_system=cache_system,
    )
