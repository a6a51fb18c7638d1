"""The registry finds adapters by gateway route and by stored API name."""

from __future__ import annotations

import pytest

import tokenledger.wire as wire
from tokenledger.wire import adapter_for_protocol, adapter_for_route, adapters, get_adapter


@pytest.mark.parametrize(
    ("method", "path", "api"),
    [
        ("POST", "/v1/chat/completions", "openai-chat"),
        ("post", "/v1/chat/completions?x=1", "openai-chat"),
        ("POST", "/v1/responses", "openai-responses"),
        ("POST", "/v1/messages", "anthropic-messages"),
        ("POST", "/v1beta/models/gemini-2.5-flash:generateContent", "gemini"),
        ("POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", "gemini"),
        ("POST", "/v1/models/gemini-2.5-flash:generateContent", "gemini"),
    ],
)
def test_metered_routes(method: str, path: str, api: str) -> None:
    adapter = adapter_for_route(method, path)

    assert adapter is not None
    assert adapter.api == api


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/chat/completions"),
        ("POST", "/v1/models"),
        ("POST", "/v1/messages/count_tokens"),
        ("POST", "/v1beta/models/gemini-2.5-flash:countTokens"),
        ("POST", "/v1beta/models/gemini-2.5-flash:embedContent"),
    ],
)
def test_other_routes_are_not_metered(method: str, path: str) -> None:
    assert adapter_for_route(method, path) is None


def test_every_adapter_is_found_by_its_name() -> None:
    found = {adapter.api: adapter.protocol for adapter in adapters()}

    assert found == {
        "openai-chat": "openai",
        "openai-responses": "openai",
        "anthropic-messages": "anthropic",
        "gemini": "gemini",
    }
    assert all(get_adapter(adapter.api) is adapter for adapter in adapters())


def test_an_unknown_name_says_which_exist() -> None:
    with pytest.raises(ValueError, match="openai-chat"):
        get_adapter("cohere")
    with pytest.raises(ValueError, match="anthropic"):
        adapter_for_protocol("cohere")


@pytest.mark.parametrize("protocol", ["openai", "anthropic", "gemini"])
def test_each_protocol_has_an_adapter_for_its_errors(protocol: str) -> None:
    assert adapter_for_protocol(protocol).protocol == protocol


def test_exported_names_are_what_the_package_offers() -> None:
    offered = {
        name
        for name, value in vars(wire).items()
        if not name.startswith("_")
        and name != "annotations"
        and not isinstance(value, type(wire))
    }

    assert set(wire.__all__) == offered
