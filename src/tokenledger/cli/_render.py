"""Turning ledger rows into JSON lines, CSV and Rich tables. No ledger access here.

Records keep typed values (Decimal money, bool, lists); each format writes them its
own way, so JSON and CSV cannot disagree about a cost.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal
from operator import attrgetter
from typing import Any

import orjson
from rich.table import Table
from rich.text import Text

from tokenledger.ledger import UsageEvent, UsageTotal
from tokenledger.usage import USAGE_FIELDS

# Every column of `events` and `export`, as the UsageEvent attribute it comes from: the
# one list both the JSON keys and the CSV header are made from.
_EVENT_ATTRIBUTES = (
    "id",
    "ts",
    "user",
    "source",
    "provider",
    "api",
    "model_requested",
    "model",
    *(f"usage.{name}" for name in (*USAGE_FIELDS, "total_tokens")),
    "cost_usd",
    "cost_source",
    "price_entry",
    "price_version",
    "estimated",
    "status",
    "http_status",
    "latency_ms",
    "flags",
)
_EVENT_GETTERS = tuple(
    (attribute.rpartition(".")[2], attrgetter(attribute)) for attribute in _EVENT_ATTRIBUTES
)
EVENT_COLUMNS = tuple(column for column, _ in _EVENT_GETTERS)

TOTAL_COLUMNS = (
    "requests",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "total_tokens",
    "cost_usd",
    "unknown_cost_requests",
)

# A spreadsheet takes a cell starting with one of these as a formula (OWASP, "CSV
# Injection"); names come from clients, so such a cell is written with a leading '.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def event_record(event: UsageEvent) -> dict[str, Any]:
    record = {column: get(event) for column, get in _EVENT_GETTERS}
    record["ts"] = event.ts.isoformat()
    record["flags"] = list(event.flags)
    return record


def total_record(total: UsageTotal, by: str) -> dict[str, Any]:
    record: dict[str, Any] = {by: total.key}
    for column in TOTAL_COLUMNS:
        record[column] = getattr(total, column)
    if total.requests and total.unknown_cost_requests == total.requests:
        # Nothing in the group had a known cost: its sum is unknown, not zero.
        record["cost_usd"] = None
    return record


def money(value: Decimal) -> str:
    """A cost in plain decimal notation, exactly, without trailing zeros: "0.00015"."""
    normal = value.normalize()
    # normalize() turns 0.000 into 0E-3 and 100 into 1E+2; "f" writes both plainly.
    return format(normal, "f")


def _json_default(value: Any) -> Any:
    # A decimal string keeps every digit; JSON numbers would pass through floats.
    if isinstance(value, Decimal):
        return money(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def jsonl(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    for record in records:
        yield orjson.dumps(record, default=_json_default).decode()


def json_document(records: list[dict[str, Any]]) -> str:
    return orjson.dumps(records, default=_json_default, option=orjson.OPT_INDENT_2).decode()


def csv_lines(records: Iterable[dict[str, Any]], columns: list[str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for record in records:
        writer.writerow({key: csv_cell(value) for key, value in record.items()})
        yield buffer.getvalue().rstrip("\r\n")
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue().rstrip("\r\n")


def csv_cell(value: Any) -> str:
    """One CSV cell: booleans as true/false, money exact, names safe from formulas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        value = ";".join(str(item) for item in value)
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def table_cell(value: Any) -> Text:
    """A table cell shown as is: names from clients may hold Rich markup like [bold]."""
    if value is None:
        return Text("unknown")
    if isinstance(value, Decimal):
        return Text(money(value))
    # Control characters (a terminal escape in a model name) are shown, not obeyed.
    text = str(value)
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return Text(text)


def totals_table(records: list[dict[str, Any]], by: str, title: str) -> Table:
    table = Table(title=Text(title))
    table.add_column(by)
    for column in TOTAL_COLUMNS:
        table.add_column(column.replace("_tokens", "").replace("_", " "), justify="right")
    for record in records:
        cells = [Text("(none)") if record[by] is None else table_cell(record[by])]
        cells.extend(table_cell(record[column]) for column in TOTAL_COLUMNS)
        table.add_row(*cells)
    return table
