"""`Upstream`: one provider the gateway forwards to, and the three built in ones."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal, get_args
from urllib.parse import urlsplit

from tokenledger.errors import ConfigError

Protocol = Literal["openai", "anthropic", "gemini"]
PROTOCOLS: tuple[str, ...] = get_args(Protocol)


@dataclass(frozen=True, slots=True)
class BuiltinUpstream:
    """Where a built-in upstream points unless the environment or the file says otherwise."""

    name: Protocol
    base_url_env: str
    default_base_url: str
    key_env: str


BUILTIN_UPSTREAMS: tuple[BuiltinUpstream, ...] = (
    BuiltinUpstream(
        "openai", "TOKENLEDGER_OPENAI_BASE_URL", "https://api.openai.com/v1", "OPENAI_API_KEY"
    ),
    BuiltinUpstream(
        "anthropic",
        "TOKENLEDGER_ANTHROPIC_BASE_URL",
        "https://api.anthropic.com",
        "ANTHROPIC_API_KEY",
    ),
    BuiltinUpstream(
        "gemini",
        "TOKENLEDGER_GEMINI_BASE_URL",
        "https://generativelanguage.googleapis.com",
        "GEMINI_API_KEY",
    ),
)


@dataclass(frozen=True, slots=True)
class Upstream:
    """A named provider: its wire protocol, where it lives and which models it serves.

    `models` holds exact names or shell-style globs (`deepseek-*`), matched without
    regard to case. `local` states the model runs on the user's own hardware, so its
    cost is zero by that statement.
    """

    name: str
    protocol: Protocol
    base_url: str
    key_env: str | None = None
    models: tuple[str, ...] = ()
    local: bool = False

    def serves(self, model: str) -> bool:
        """Whether one of this upstream's model patterns matches `model`."""
        lowered = model.lower()
        return any(fnmatchcase(lowered, pattern.lower()) for pattern in self.models)

    def url_for(self, route_path: str) -> str:
        """The upstream URL for a gateway route path such as `/v1/chat/completions`.

        An OpenAI-shaped base URL already carries its version (`https://api.openai.com/v1`,
        DeepSeek's `https://api.deepseek.com`, Ollama's `http://localhost:11434/v1`), as the
        OpenAI SDKs expect, so the gateway's `/v1` prefix is dropped before joining.
        Anthropic and Gemini base URLs are bare hosts, so the whole route path is kept.
        """
        path = route_path if route_path.startswith("/") else f"/{route_path}"
        if self.protocol == "openai" and (path == "/v1" or path.startswith("/v1/")):
            path = path[len("/v1") :]
        return self.base_url.rstrip("/") + path

    def api_key(self, env: Mapping[str, str] | None = None) -> str | None:
        """The key to send upstream; None when none is configured or its variable is empty."""
        if self.key_env is None:
            return None
        source = os.environ if env is None else env
        return source.get(self.key_env) or None


def check_base_url(value: str, where: str) -> str:
    """Reject a base URL an HTTP client could not use, naming where it came from."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{where}: expected an http:// or https:// URL, got {value!r}")
    return value


def builtin_upstreams(env: Mapping[str, str]) -> dict[str, Upstream]:
    """The OpenAI, Anthropic and Gemini upstreams as the environment defines them."""
    found: dict[str, Upstream] = {}
    for builtin in BUILTIN_UPSTREAMS:
        raw = env.get(builtin.base_url_env) or builtin.default_base_url
        base_url = check_base_url(raw, f"environment variable {builtin.base_url_env}")
        found[builtin.name] = Upstream(
            name=builtin.name,
            protocol=builtin.name,
            base_url=base_url,
            key_env=builtin.key_env,
        )
    return found
