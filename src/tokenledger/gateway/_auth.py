"""Where each SDK puts its key, and taking the gateway key out of a request."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode


def gateway_key(headers: Mapping[bytes, bytes], query: str) -> str | None:
    """The gateway key wherever the client's SDK sent it.

    OpenAI SDKs send `Authorization: Bearer`, Anthropic's `x-api-key`, Google's
    `x-goog-api-key` or, in older clients, a `key` query parameter.
    """
    bearer = headers.get(b"authorization")
    if bearer is not None and bearer[:7].lower() == b"bearer ":
        return bearer[7:].decode("latin-1").strip() or None
    for name in (b"x-api-key", b"x-goog-api-key"):
        value = headers.get(name)
        if value:
            return value.decode("latin-1").strip()
    if "=" in query:
        return dict(parse_qsl(query)).get("key")
    return None


def query_without_key(query: str) -> str:
    """The query string to send upstream: the gateway key must never reach it.

    Names are compared decoded, so `k%65y=` is caught as `key=` (the upstream's own
    parser would decode it so). A query without the key is passed on as it came.
    """
    if "=" not in query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    if all(name != "key" for name, _ in pairs):
        return query
    return urlencode([(name, value) for name, value in pairs if name != "key"])


def upstream_auth_headers(protocol: str, provider_key: str | None) -> dict[str, str]:
    if not provider_key:
        return {}
    if protocol == "anthropic":
        return {"x-api-key": provider_key}
    if protocol == "gemini":
        return {"x-goog-api-key": provider_key}
    return {"authorization": f"Bearer {provider_key}"}
