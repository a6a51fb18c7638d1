"""The HTTP clients chats share, and turning a provider's error reply into words."""

from __future__ import annotations

import asyncio
import json
import threading
import weakref

import httpx

from tokenledger.library._settings import runtime

_lock = threading.Lock()
_sync_client: httpx.Client | None = None
# An AsyncClient's connections belong to the event loop that opened them.
_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def _timeout() -> httpx.Timeout:
    # No total limit: a long reply may stream for minutes; a silent socket fails.
    return httpx.Timeout(runtime().timeout_s, connect=10.0)


def sync_client() -> httpx.Client:
    global _sync_client
    with _lock:
        if _sync_client is None:
            _sync_client = httpx.Client(timeout=_timeout())
        return _sync_client


def async_client() -> httpx.AsyncClient:
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        client = httpx.AsyncClient(timeout=_timeout())
        _async_clients[loop] = client
    return client


def provider_message(raw: bytes) -> str:
    """The message in an OpenAI, Anthropic or Gemini error body, else the body's start."""
    try:
        body = json.loads(raw)
    except ValueError:
        return raw[:500].decode("utf-8", "replace") or "no error message"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return json.dumps(body)[:500]
