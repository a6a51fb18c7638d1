"""`Config`: the upstreams and prices one gateway or library process runs with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tokenledger.config._prices import ConfigPrice
from tokenledger.config._upstream import PROTOCOLS, Upstream
from tokenledger.errors import UnknownModelError


@dataclass(frozen=True, slots=True)
class Config:
    """What the environment and the optional config file say, checked and frozen.

    `upstreams` keeps file order after the built-in ones, because routing takes the
    first match. `version` is "config sha256:" and the first 12 hex digits of the
    file's SHA-256, so a cost can name the exact file that priced it; it is None when
    no file was read.
    """

    upstreams: tuple[Upstream, ...]
    prices: tuple[ConfigPrice, ...] = ()
    version: str | None = None
    path: Path | None = None

    def upstream(self, name: str) -> Upstream | None:
        """The upstream called `name`, or None when there is none (or it is disabled)."""
        return next((upstream for upstream in self.upstreams if upstream.name == name), None)

    def route(self, protocol: str, model: str | None) -> Upstream:
        """The upstream a request for `model` on the `protocol` routes goes to.

        The first upstream of that protocol whose model patterns match wins, in the order
        of `upstreams`. When none matches, or the request names no model, it goes to the
        built-in upstream of that protocol (the one named "openai", "anthropic" or
        "gemini"). When the file disabled that one (`enabled = false`) and no pattern
        matches, the model is unknown: `UnknownModelError`, which the gateway answers
        with a 404 in the protocol's error format.
        """
        if protocol not in PROTOCOLS:
            expected = ", ".join(PROTOCOLS)
            raise ValueError(f"protocol must be one of {expected}, got {protocol!r}")

        if model:
            for upstream in self.upstreams:
                if upstream.protocol == protocol and upstream.serves(model):
                    return upstream

        default = self.upstream(protocol)
        if default is not None and default.protocol == protocol:
            return default

        raise UnknownModelError(
            model or "",
            f"no {protocol} upstream serves it and the built-in {protocol!r} upstream is "
            "disabled; add the model to an upstream's `models` in the config file",
        )

    def price_for(self, model: str, provider: str | None = None) -> ConfigPrice | None:
        """The first price entry, in file order, that matches `model` served by `provider`."""
        return next((price for price in self.prices if price.matches(model, provider)), None)
