"""Reading provider JSON defensively: counts, nested objects, text and money.

Providers send usage objects we do not control. Every count is checked here before any
arithmetic, because a sum can hide a bad part (-5 + 10 looks like a fine 5). A bad value
raises `InvalidUsageError`; the adapters turn that into `Reading.error` instead of
crashing the meter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from tokenledger.errors import InvalidUsageError

MAX_COST_USD = Decimal(1_000_000)


def count(obj: Mapping[str, Any], key: str) -> int:
    """A token count, 0 when the provider sent none (absent or null)."""
    value = obj.get(key)
    if value is None:
        return 0

    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidUsageError(f"{key} must be a whole number of tokens, got {value!r}")
    if value < 0:
        raise InvalidUsageError(f"{key} cannot be negative, got {value}")
    return value


def section(obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A nested object, empty when absent or null."""
    value = obj.get(key)
    if value is None:
        return {}

    if not isinstance(value, dict):
        raise InvalidUsageError(f"{key} must be an object, got {type(value).__name__}")
    return value


def items(obj: Mapping[str, Any], key: str) -> list[Any]:
    """A nested list, empty when absent, null or not a list (text is best effort)."""
    value = obj.get(key)
    return value if isinstance(value, list) else []


def as_usage_object(value: Any) -> Mapping[str, Any]:
    """The usage object itself, which must be a JSON object."""
    if not isinstance(value, dict):
        raise InvalidUsageError(f"usage must be an object, got {type(value).__name__}")
    return value


def string(obj: Mapping[str, Any], key: str) -> str | None:
    """A non-empty string, or None."""
    value = obj.get(key)
    return value if isinstance(value, str) and value else None


def money(value: Any) -> Decimal | None:
    """A provider-reported cost in USD as an exact Decimal.

    Exact only when the JSON was parsed with `loads_exact` (floats arrive as Decimal).
    A float from another parser is converted through its shortest repr, which matches
    the JSON text for any cost written with up to 17 significant digits.
    """
    if value is None or isinstance(value, bool):
        return None

    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidUsageError(f"cost must be a number, got {value!r}") from None

    if not amount.is_finite() or amount < 0:
        raise InvalidUsageError(f"cost must be a non-negative number, got {value!r}")
    # No single request costs a million dollars, and no price has thirty decimal
    # places: such a figure is a malformed reply, and storing it would skew every total.
    if amount > MAX_COST_USD or amount.as_tuple().exponent < -30:  # type: ignore[operator]
        raise InvalidUsageError(f"cost {value!r} is not a plausible price of one request")
    return amount


def loads_exact(raw: bytes | bytearray | str) -> Any:
    """Parse JSON, keeping any provider-reported cost exact.

    orjson is several times faster but turns every number with a fraction into a
    float, so documents that carry a `"cost"` key take the standard library's path
    with `parse_float=Decimal`. Token counts are integers either way.
    """
    has_cost = '"cost"' in raw if isinstance(raw, str) else b'"cost"' in raw
    if has_cost:
        return json.loads(raw, parse_float=Decimal)
    return orjson.loads(raw)


def content_text(content: Any, kinds: frozenset[str]) -> str:
    """The text of a message content that is a string or a list of typed parts.

    Parts whose `type` is not in `kinds` (images, reasoning, tool calls) add nothing.
    """
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""

    pieces: list[str] = []
    for part in content:
        if isinstance(part, dict) and part.get("type") in kinds:
            text = part.get("text")
            if isinstance(text, str):
                pieces.append(text)
    return "".join(pieces)


def dumps_text(value: Any) -> str:
    """JSON as text, for tool arguments and results that are counted as sent."""
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return ""


def join_texts(pieces: list[str]) -> str:
    return "\n".join(piece for piece in pieces if piece)
