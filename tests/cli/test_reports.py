"""usage, events, export and keys list: what names from clients and costs look like."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import orjson

from tests.cli.conftest import Cli, event, ledger_with
from tokenledger.cli import _render
from tokenledger.ledger import open_ledger
from tokenledger.usage import USAGE_FIELDS, Usage


def test_markup_in_names_is_shown_as_written(cli: Cli, tmp_path: Path) -> None:
    url = ledger_with(
        tmp_path / "l.db", event(model="[/bold]", user="[red]mallory"), event(model="[b]x")
    )

    by_model = cli("usage", "--period", "all", "--db", url)
    by_user = cli("usage", "--period", "all", "--by", "user", "--db", url)

    assert by_model.code == 0, by_model.err
    assert "[/bold]" in by_model.out
    assert "[b]x" in by_model.out
    assert "[red]mallory" in by_user.out


def test_keys_list_keeps_whole_timestamps_and_names_when_piped(
    cli: Cli, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    with open_ledger(url) as ledger:
        ledger.create_key("[bold]eve")
        key = ledger.list_keys()[0]

    outcome = cli("keys", "list", "--db", url)

    assert outcome.code == 0, outcome.err
    assert key.created_at.isoformat() in outcome.out
    assert "[bold]eve" in outcome.out
    assert "…" not in outcome.out


def test_a_group_with_no_known_cost_has_an_unknown_cost(cli: Cli, tmp_path: Path) -> None:
    unknown = {"cost_usd": None, "cost_source": "unknown"}
    url = ledger_with(
        tmp_path / "l.db",
        event(model="mystery", **unknown),
        event(model="mystery", **unknown),
        event(model="gpt-4.1-nano", cost_usd=Decimal("0.00015")),
        event(model="gpt-4.1-nano", **unknown),
    )

    as_json = orjson.loads(cli("usage", "--period", "all", "--format", "json", "--db", url).out)
    table = cli("usage", "--period", "all", "--db", url).out

    by_model = {row["model"]: row for row in as_json}
    assert by_model["mystery"]["cost_usd"] is None
    assert by_model["mystery"]["unknown_cost_requests"] == 2
    assert by_model["gpt-4.1-nano"]["cost_usd"] == "0.00015"
    assert by_model["gpt-4.1-nano"]["unknown_cost_requests"] == 1
    mystery_row = next(line for line in table.splitlines() if "mystery" in line)
    assert "unknown" in mystery_row


def test_money_is_plain_and_exact(tmp_path: Path, cli: Cli) -> None:
    url = ledger_with(
        tmp_path / "l.db",
        event(cost_usd=Decimal("1E-7")),
        event(cost_usd=Decimal("0.0000002")),
    )

    totals = orjson.loads(cli("usage", "--period", "all", "--format", "json", "--db", url).out)
    events = [orjson.loads(line) for line in cli("events", "--db", url).out.splitlines()]
    exported = list(csv.DictReader(io.StringIO(cli("export", "--db", url).out)))

    assert totals[0]["cost_usd"] == "0.0000003"
    assert [e["cost_usd"] for e in events] == ["0.0000001", "0.0000002"]
    assert [row["cost_usd"] for row in exported] == ["0.0000001", "0.0000002"]
    assert _render.money(Decimal("100.000")) == "100"
    assert _render.money(Decimal("0E-12")) == "0"


def test_jsonl_and_csv_have_the_same_columns_including_audio(cli: Cli, tmp_path: Path) -> None:
    usage = Usage(input_tokens=20, output_tokens=9, input_audio_tokens=7, output_audio_tokens=4)
    url = ledger_with(tmp_path / "l.db", event(usage=usage))

    record = orjson.loads(cli("events", "--db", url).out)
    exported = next(
        csv.DictReader(io.StringIO(cli("events", "--format", "csv", "--db", url).out))
    )

    assert tuple(record) == _render.EVENT_COLUMNS
    assert tuple(exported) == _render.EVENT_COLUMNS
    assert set(USAGE_FIELDS) <= set(_render.EVENT_COLUMNS)
    assert record["input_audio_tokens"] == 7
    assert exported["output_audio_tokens"] == "4"
    assert exported["total_tokens"] == "29"


def test_csv_defuses_formulas_in_names_and_writes_booleans(cli: Cli, tmp_path: Path) -> None:
    url = ledger_with(
        tmp_path / "l.db",
        event(user='=HYPERLINK("http://127.0.0.1/x")', model="+cmd", estimated=True),
        event(user="@sum", model="-2+3", estimated=False),
        event(user="\tx", model="plain"),
    )

    rows = list(csv.DictReader(io.StringIO(cli("export", "--db", url).out)))

    assert [row["user"] for row in rows] == [
        '\'=HYPERLINK("http://127.0.0.1/x")',
        "'@sum",
        "'\tx",
    ]
    assert [row["model"] for row in rows] == ["'+cmd", "'-2+3", "plain"]
    assert [row["estimated"] for row in rows] == ["true", "false", "false"]


def test_csv_leaves_numbers_of_ours_alone() -> None:
    assert _render.csv_cell(-1) == "-1"
    assert _render.csv_cell(-2.5) == "-2.5"
    assert _render.csv_cell(Decimal("-0.5")) == "-0.5"
    assert _render.csv_cell("-1") == "'-1"
    assert _render.csv_cell(None) == ""
    assert _render.csv_cell(["a", "b"]) == "a;b"


def test_usage_csv_by_user(cli: Cli, tmp_path: Path) -> None:
    url = ledger_with(tmp_path / "l.db", event(user="=1+1"))

    rows = list(
        csv.DictReader(
            io.StringIO(
                cli(
                    "usage", "--period", "all", "--by", "user", "--format", "csv", "--db", url
                ).out
            )
        )
    )

    assert rows[0]["user"] == "'=1+1"
    assert rows[0]["requests"] == "1"


def test_control_characters_in_names_are_shown_not_obeyed() -> None:
    from tokenledger.cli._render import table_cell

    assert table_cell("x\x1b[2Jred\nline").plain == "x\\x1b[2Jred\\nline"
