"""`count_tokens`: exact counts for OpenAI models, calibrated estimates for the rest.

OpenAI models are counted with their own tokenizer (see `_encodings`). A list of chat
messages also pays the chat format's overhead, as OpenAI documents it for the
gpt-3.5-turbo, gpt-4, gpt-4o and later chat models: 3 tokens per message, 1 more for a
message with a `name`, and 3 that prime the reply. Every string value of a message is
counted, its role included. This reproduces the 14 `prompt_tokens` the recorded
gpt-4.1-nano exchanges report.

The reasoning models (gpt-5 and the o-series) format chats differently and OpenAI
does not document how: the recorded gpt-5-nano exchange reports 13 tokens where the
rule above gives 14. Their message counts use 2 tokens per message, which matches that
one-message recording, and are flagged `exact=False` because nothing recorded shows
how the overhead grows with more messages. Their plain-text counts are exact.

Other families (Claude, Gemini, DeepSeek, local models) keep their tokenizers to
themselves, so their count is an estimate, flagged `exact=False`: the o200k_base count
of the message text times a per-family factor, plus a per-message overhead. Both were
fitted to the recorded exchanges in `tests/fixtures/wire/` (request text against the
`input_tokens` the reply reports):

- Claude: factor 1.194, 7 tokens per message (system prompt included). The ~7.3k-token
  prompt-cache request estimates 7,363 against 7,361 reported (+0.03%); the short
  request 15 against 15.
- Gemini: factor 1.0, 1 token per message: 8 against 8 and 13 against 13.
- Others: factor 1.0, 4 tokens per message, fitted to DeepSeek: 11 against 11; Ollama's
  qwen3 reports 17 and is estimated at 11 (-35%), because its chat template adds more.

These errors are measured on the very prompts the constants were fitted to, and those
are few and English: the error on other languages and on code has not been measured
and will be larger. Use the estimate to guard context limits with a margin, never to
bill. Images, audio and tool calls inside messages are counted as their JSON text,
which makes even an OpenAI count inexact.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import tiktoken.model

from tokenledger.catalog._encodings import ENCODING_NAMES, get_encoding

# Chat format overhead OpenAI documents for its chat models.
_TOKENS_PER_MESSAGE = 3
_REASONING_TOKENS_PER_MESSAGE = 2
_REASONING_PREFIXES = ("gpt-5", "o1", "o3", "o4")
_TOKENS_PER_NAME = 1
_REPLY_PRIMING_TOKENS = 3

_ESTIMATE_ENCODING = "o200k_base"


@dataclass(frozen=True, slots=True)
class TokenCount:
    """How many tokens a text or a list of messages is, and whether that is exact.

    `encoding` names the tokenizer of an exact count; it is None for an estimate.
    """

    tokens: int
    exact: bool
    encoding: str | None


@dataclass(frozen=True, slots=True)
class _Calibration:
    factor: float
    per_message: int


_CLAUDE = _Calibration(factor=1.194, per_message=7)
_GEMINI = _Calibration(factor=1.0, per_message=1)
_OTHER = _Calibration(factor=1.0, per_message=4)


def count_tokens(text_or_messages: str | Sequence[Mapping[str, Any]], model: str) -> TokenCount:
    """Count the tokens `model` would read for a text or a list of chat messages."""
    encoding = encoding_for_model(model)
    if encoding is None:
        return _estimate(text_or_messages, _calibration(model))

    if isinstance(text_or_messages, str):
        tokens = len(get_encoding(encoding).encode_ordinary(text_or_messages))
        return TokenCount(tokens, True, encoding)
    return _count_messages(text_or_messages, encoding, _is_reasoning(model))


def encoding_for_model(model: str) -> str | None:
    """The tokenizer an OpenAI model uses, when it is one we can load offline.

    tiktoken's own model table decides (gpt-4o, gpt-4.1, gpt-4.5, gpt-5 and the o-series
    use o200k_base; gpt-4 and gpt-3.5 cl100k_base). A routing prefix such as
    "openai/" is ignored.
    """
    name = model.rsplit("/", 1)[-1].strip().lower()
    try:
        encoding = tiktoken.model.encoding_name_for_model(name)
    except KeyError:
        return None
    return encoding if encoding in ENCODING_NAMES else None


def _is_reasoning(model: str) -> bool:
    return model.rsplit("/", 1)[-1].lower().startswith(_REASONING_PREFIXES)


def _count_messages(
    messages: Sequence[Mapping[str, Any]], encoding_name: str, reasoning: bool
) -> TokenCount:
    encoding = get_encoding(encoding_name)
    per_message = _REASONING_TOKENS_PER_MESSAGE if reasoning else _TOKENS_PER_MESSAGE
    tokens = _REPLY_PRIMING_TOKENS
    exact = not reasoning
    for message in messages:
        tokens += per_message
        for key, value in message.items():
            text, plain = _value_text(value)
            tokens += len(encoding.encode_ordinary(text))
            exact = exact and plain
            if key == "name":
                tokens += _TOKENS_PER_NAME
    return TokenCount(tokens, exact, encoding_name)


def _value_text(value: Any) -> tuple[str, bool]:
    """The text a message value is counted as, and whether that count is exact."""
    if isinstance(value, str):
        return value, True
    if isinstance(value, list) and all(_is_text_part(part) for part in value):
        return "".join(str(part["text"]) for part in value), True
    # Images, audio and tool calls are billed by rules of their own.
    return json.dumps(value, ensure_ascii=False), False


def _is_text_part(part: object) -> bool:
    return isinstance(part, Mapping) and part.get("type") == "text" and "text" in part


def _calibration(model: str) -> _Calibration:
    lowered = model.lower()
    if "claude" in lowered:
        return _CLAUDE
    if "gemini" in lowered or "gemma" in lowered:
        return _GEMINI
    return _OTHER


def _estimate(
    text_or_messages: str | Sequence[Mapping[str, Any]], calibration: _Calibration
) -> TokenCount:
    encoding = get_encoding(_ESTIMATE_ENCODING)
    if isinstance(text_or_messages, str):
        texts, overhead = [text_or_messages], 0
    else:
        texts = [text for message in text_or_messages for text in _message_texts(message)]
        overhead = calibration.per_message * len(text_or_messages)

    base = sum(len(encoding.encode_ordinary(text)) for text in texts)
    tokens = round(base * calibration.factor) + overhead
    return TokenCount(tokens, False, None)


def _message_texts(message: Mapping[str, Any]) -> list[str]:
    """The text of an OpenAI, Anthropic or Gemini message: content, parts and name."""
    texts: list[str] = []
    for key in ("content", "parts", "name"):
        value = message.get(key)
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, list):
            texts.extend(_part_text(part) for part in value)
    return texts


def _part_text(part: object) -> str:
    if isinstance(part, Mapping) and isinstance(part.get("text"), str):
        return str(part["text"])
    if isinstance(part, str):
        return part
    return json.dumps(part, ensure_ascii=False)
