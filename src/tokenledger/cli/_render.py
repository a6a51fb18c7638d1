"""Turning ledger rows into JSON lines, CSV and Rich tables. No ledger access here."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import orjson
from rich.table import Table

from tokenledger.ledger import UsageEvent, UsageTotal

EVENT_COLUMNS = (
    "id",
    "ts",
    "user",
    "source",
    "provider",
    "api",
    "model_requested",
    "model",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "reasoning_tokens",
    "total_tokens",
    "web_searches",
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


def event_record(event: UsageEvent) -> dict[str, Any]:
    usage = event.usage
    return {
        "id": event.id,
        "ts": event.ts.isoformat(),
        "user": event.user,
        "source": event.source,
        "provider": event.provider,
        "api": event.api,
        "model_requested": event.model_requested,
        "model": event.model,
        **usage.as_dict(),
        "cost_usd": _money(event.cost_usd),
        "cost_source": event.cost_source,
        "price_entry": event.price_entry,
        "price_version": event.price_version,
        "estimated": event.estimated,
        "status": event.status,
        "http_status": event.http_status,
        "latency_ms": event.latency_ms,
        "flags": list(event.flags),
    }


def total_record(total: UsageTotal, by: str) -> dict[str, Any]:
    record: dict[str, Any] = {by: total.key}
    for column in TOTAL_COLUMNS:
        record[column] = getattr(total, column)
    record["cost_usd"] = _money(total.cost_usd)
    return record


def _money(value: Decimal | None) -> str | None:
    # A decimal string keeps every digit; JSON numbers would pass through floats.
    return None if value is None else format(value, "f")


def jsonl(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    for record in records:
        yield orjson.dumps(record).decode()


def json_document(records: list[dict[str, Any]]) -> str:
    return orjson.dumps(records, option=orjson.OPT_INDENT_2).decode()


def csv_lines(records: Iterable[dict[str, Any]], columns: list[str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for record in records:
        writer.writerow({key: _csv_cell(value) for key, value in record.items()})
        yield buffer.getvalue().rstrip("\r\n")
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue().rstrip("\r\n")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return value


def totals_table(records: list[dict[str, Any]], by: str, title: str) -> Table:
    table = Table(title=title)
    table.add_column(by)
    for column in TOTAL_COLUMNS:
        table.add_column(column.replace("_tokens", "").replace("_", " "), justify="right")
    for record in records:
        cells = [str(record[by])]
        for column in TOTAL_COLUMNS:
            value = record[column]
            cells.append("unknown" if value is None else str(value))
        table.add_row(*cells)
    return table
