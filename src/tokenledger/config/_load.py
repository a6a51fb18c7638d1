"""`load_config`: read the environment and the optional TOML file into a `Config`.

Prices are read with `tomllib`'s `parse_float=Decimal`, so `input_mtok = 0.15` is the
exact Decimal 0.15, never the float nearest to it; a price may also be written as a
string ("0.15") or a whole number. The file's keys are checked strictly: a misspelt
key stops start-up instead of being ignored, because an ignored price is a wrong bill.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, cast

from tokenledger.config._config import Config
from tokenledger.config._prices import ConfigPrice
from tokenledger.config._upstream import (
    PROTOCOLS,
    Protocol,
    Upstream,
    builtin_upstreams,
    check_base_url,
)
from tokenledger.errors import ConfigError

CONFIG_ENV = "TOKENLEDGER_CONFIG"

_TOP_KEYS = frozenset({"upstreams", "prices"})
_UPSTREAM_KEYS = frozenset({"protocol", "base_url", "key_env", "models", "local", "enabled"})
_PRICE_KEYS = frozenset(
    {"provider", "input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok"}
    | {"reasoning_mtok"}
)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def load_config(path: Path | str | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Build the config from `path`, else the file `TOKENLEDGER_CONFIG` names, else none.

    Without a file the config holds the built-in OpenAI, Anthropic and Gemini upstreams,
    pointed where the environment says. A file may change them (its `base_url` wins over
    the environment's, being the more specific statement), disable them with
    `enabled = false`, and add more. A bad file raises `ConfigError` naming the file,
    the key and what was expected.
    """
    source_env = os.environ if env is None else env
    upstreams = builtin_upstreams(source_env)

    chosen = _chosen_path(path, source_env)
    if chosen is None:
        return Config(upstreams=tuple(upstreams.values()))

    raw = _read(chosen)
    data = _parse(chosen, raw)
    return _FileReader(chosen).build(data, upstreams, _version(raw))


def _chosen_path(path: Path | str | None, env: Mapping[str, str]) -> Path | None:
    if path is not None and str(path) != "":
        return Path(path)
    from_env = env.get(CONFIG_ENV)
    return Path(from_env) if from_env else None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ConfigError(f"config file {path}: cannot be read ({error.strerror})") from error


def _parse(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        return tomllib.loads(raw.decode("utf-8"), parse_float=Decimal)
    except UnicodeDecodeError as error:
        raise ConfigError(f"config file {path}: expected UTF-8 text") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path}: not valid TOML: {error}") from error


def _version(raw: bytes) -> str:
    return f"config sha256:{hashlib.sha256(raw).hexdigest()[:12]}"


class _FileReader:
    """Checks one parsed file; every error names the file and the key's dotted path."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, expected: str, got: object) -> ConfigError:
        return ConfigError(f"config file {self.path}: {key}: expected {expected}, got {got!r}")

    def build(
        self, data: dict[str, Any], builtins: dict[str, Upstream], version: str
    ) -> Config:
        self.check_keys("the top level", data, _TOP_KEYS)

        upstreams = self.upstreams(self.table(data, "upstreams"), builtins)
        prices = self.prices(self.table(data, "prices"))
        return Config(upstreams=upstreams, prices=prices, version=version, path=self.path)

    def check_keys(self, where: str, table: Mapping[str, Any], allowed: frozenset[str]) -> None:
        for key in table:
            if key not in allowed:
                raise ConfigError(
                    f"config file {self.path}: unknown key {key!r} in {where}: "
                    f"expected one of {', '.join(sorted(allowed))}"
                )

    def table(self, data: Mapping[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, "a table", value)
        return cast(dict[str, Any], value)

    def upstreams(
        self, tables: dict[str, Any], builtins: dict[str, Upstream]
    ) -> tuple[Upstream, ...]:
        # Built-in ones first, then the file's in file order: routing takes the first match.
        found: dict[str, Upstream | None] = dict(builtins)
        for name, table in tables.items():
            where = f"upstreams.{name}"
            if not _NAME.fullmatch(name):
                raise self.fail(where, "a name of letters, digits, '_', '.' and '-'", name)
            if not isinstance(table, dict):
                raise self.fail(where, "a table", table)
            found[name] = self.upstream(where, name, cast(dict[str, Any], table), builtins)
        return tuple(upstream for upstream in found.values() if upstream is not None)

    def upstream(
        self, where: str, name: str, table: dict[str, Any], builtins: dict[str, Upstream]
    ) -> Upstream | None:
        self.check_keys(where, table, _UPSTREAM_KEYS)
        if not self.boolean(table, where, "enabled", True):
            return None

        base = builtins.get(name)
        protocol = self.protocol(table, where, base)
        local = self.boolean(table, where, "local", False)
        base_url = self.string(table, where, "base_url", base.base_url if base else None)
        return Upstream(
            name=name,
            protocol=protocol,
            base_url=check_base_url(base_url, f"config file {self.path}: {where}.base_url"),
            key_env=self.key_env(table, where, name, local, base),
            models=self.models(table, where),
            local=local,
        )

    def protocol(self, table: dict[str, Any], where: str, base: Upstream | None) -> Protocol:
        value = table.get("protocol", base.protocol if base else None)
        if value not in PROTOCOLS:
            raise self.fail(f"{where}.protocol", f"one of {', '.join(PROTOCOLS)}", value)
        if base is not None and value != base.protocol:
            expected = f"{base.protocol!r}, the protocol of the built-in upstream"
            raise self.fail(f"{where}.protocol", expected, value)
        return cast(Protocol, value)

    def key_env(
        self, table: dict[str, Any], where: str, name: str, local: bool, base: Upstream | None
    ) -> str | None:
        # The conventional variable (DEEPSEEK_API_KEY for "deepseek") saves a line for the
        # common case; a local model usually needs no key, and "" says "send none".
        if base is not None:
            default: str | None = base.key_env
        elif local:
            default = None
        else:
            default = re.sub(r"[^A-Z0-9]", "_", name.upper()) + "_API_KEY"
        if "key_env" not in table:
            return default
        return self.string(table, where, "key_env", None) or None

    def models(self, table: dict[str, Any], where: str) -> tuple[str, ...]:
        value = table.get("models", [])
        items = cast(list[object], value) if isinstance(value, list) else None
        if items is None or not all(isinstance(item, str) and item for item in items):
            raise self.fail(f"{where}.models", "a list of model names or globs", value)
        return tuple(cast(list[str], value))

    def string(self, table: dict[str, Any], where: str, key: str, default: str | None) -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}", "a string", value)
        return value

    def boolean(self, table: dict[str, Any], where: str, key: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{where}.{key}", "true or false", value)
        return value

    def prices(self, tables: dict[str, Any]) -> tuple[ConfigPrice, ...]:
        return tuple(self.price(model, table) for model, table in tables.items())

    def price(self, model: str, table: object) -> ConfigPrice:
        where = f'prices."{model}"'
        if not isinstance(table, dict):
            raise self.fail(where, "a table of prices per million tokens", table)
        entry = cast(dict[str, Any], table)
        self.check_keys(where, entry, _PRICE_KEYS)

        provider = entry.get("provider")
        if provider is not None and not (isinstance(provider, str) and provider):
            raise self.fail(f"{where}.provider", "an upstream name", provider)
        return ConfigPrice(
            model=model,
            provider=provider,
            input_mtok=self.required_money(entry, where, "input_mtok"),
            output_mtok=self.required_money(entry, where, "output_mtok"),
            cache_read_mtok=self.money(entry, where, "cache_read_mtok"),
            cache_write_mtok=self.money(entry, where, "cache_write_mtok"),
            reasoning_mtok=self.money(entry, where, "reasoning_mtok"),
        )

    def required_money(self, entry: dict[str, Any], where: str, key: str) -> Decimal:
        value = self.money(entry, where, key)
        if value is None:
            raise self.fail(f"{where}.{key}", "a price in USD per million tokens", None)
        return value

    def money(self, entry: dict[str, Any], where: str, key: str) -> Decimal | None:
        raw = entry.get(key)
        if raw is None:
            return None
        price = _decimal(raw)
        if price is None or not price.is_finite() or price < 0:
            raise self.fail(
                f"{where}.{key}", "a non-negative price in USD per million tokens", raw
            )
        return price


def _decimal(raw: object) -> Decimal | None:
    # bool is an int to Python but never a price.
    if isinstance(raw, bool):
        return None
    if isinstance(raw, Decimal | int):
        return Decimal(raw)
    if isinstance(raw, str):
        try:
            return Decimal(raw.strip())
        except InvalidOperation:
            return None
    return None
