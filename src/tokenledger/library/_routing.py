"""Which upstream and wire API a chat talks to, and with which key."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Literal

from tokenledger.config import Config, Protocol, Upstream
from tokenledger.errors import MissingKeyError, UnknownModelError

Api = Literal["chat", "responses"]


def infer_protocol(model: str) -> Protocol:
    """The wire protocol a model's family speaks, from its name.

    Claude models speak Anthropic's, Gemini and Gemma Google's; every other name is
    taken to speak OpenAI's, which the OpenAI-compatible servers share.
    """
    lowered = model.lower()
    if "claude" in lowered:
        return "anthropic"
    if "gemini" in lowered or "gemma" in lowered:
        return "gemini"
    return "openai"


def resolve_upstream(
    config: Config, model: str, provider: str | None, base_url: str | None
) -> Upstream:
    """The named upstream, else the first configured one serving `model`, else the
    built-in upstream of the model family's protocol."""
    if provider is not None:
        upstream = config.upstream(provider)
        if upstream is None:
            names = ", ".join(u.name for u in config.upstreams)
            raise UnknownModelError(model, f"no upstream named {provider!r} (known: {names})")
    else:
        upstream = next((u for u in config.upstreams if u.serves(model)), None)
        upstream = upstream or config.route(infer_protocol(model), model)
    if base_url is not None:
        upstream = dataclasses.replace(upstream, base_url=base_url)
    return upstream


def adapter_api(upstream: Upstream, api: Api | None) -> str:
    """The wire adapter name (`openai-chat`, ...) for an upstream and the `api` asked."""
    if upstream.protocol == "openai":
        return "openai-responses" if api == "responses" else "openai-chat"
    if api is not None:
        raise ValueError(
            f"api={api!r} applies to OpenAI-protocol upstreams only; "
            f"{upstream.name!r} speaks {upstream.protocol}"
        )
    return "anthropic-messages" if upstream.protocol == "anthropic" else "gemini"


def provider_key(upstream: Upstream, env: Mapping[str, str], given: str | None) -> str | None:
    """The key to send: the one given, else the upstream's variable. A local upstream
    may go without one; any other raises `MissingKeyError` naming the variable."""
    key = given or upstream.api_key(env)
    if key is None and upstream.key_env is not None and not upstream.local:
        raise MissingKeyError(upstream.name, upstream.key_env)
    return key


def auth_headers(protocol: str, key: str | None) -> dict[str, str]:
    """Where each protocol's API takes its key, plus the headers it requires."""
    headers = {"content-type": "application/json"}
    if protocol == "anthropic":
        headers["anthropic-version"] = "2023-06-01"
        if key:
            headers["x-api-key"] = key
    elif protocol == "gemini":
        if key:
            headers["x-goog-api-key"] = key
    elif key:
        headers["authorization"] = f"Bearer {key}"
    return headers
