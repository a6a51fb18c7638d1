"""`tokenledger` commands. Each one parses its options, calls the core and prints."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tokenledger.cli import _render
from tokenledger.config import load_config
from tokenledger.errors import TokenLedgerError

app = typer.Typer(help="Exact token counts and costs for LLM traffic.", no_args_is_help=True)
keys_app = typer.Typer(help="Gateway keys: one per user or program.", no_args_is_help=True)
db_app = typer.Typer(help="The ledger database.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(db_app, name="db")

DbOption = Annotated[
    str | None,
    typer.Option("--db", envvar="TOKENLEDGER_DATABASE_URL", help="Ledger database URL."),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", envvar="TOKENLEDGER_CONFIG", help="Config file (TOML)."),
]

err = Console(stderr=True)


def main() -> None:
    try:
        app()
    except TokenLedgerError as error:
        err.print(f"[red]error:[/red] {error}")
        sys.exit(2)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8787,
    db: DbOption = None,
    config: ConfigOption = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run the metering gateway."""
    from tokenledger.gateway import serve as run_gateway

    _configure_logging(log_level)
    run_gateway(host=host, port=port, database_url=db, config=load_config(config))


@keys_app.command("create")
def keys_create(
    user: Annotated[str, typer.Option(help="Who the key's usage belongs to.")],
    db: DbOption = None,
) -> None:
    """Create a gateway key and print it alone on stdout (it is not shown again)."""
    from tokenledger.ledger import open_ledger

    created = open_ledger(db).create_key(user)
    typer.echo(created.key)


@keys_app.command("revoke")
def keys_revoke(
    key: Annotated[str, typer.Argument(help="The key, its id, or its shown prefix.")],
    db: DbOption = None,
) -> None:
    """End a gateway key: requests with it get 401 from then on."""
    from tokenledger.ledger import open_ledger

    open_ledger(db).revoke_key(key)
    err.print("revoked")


@keys_app.command("list")
def keys_list(
    user: Annotated[str | None, typer.Option(help="Only this user's keys.")] = None,
    db: DbOption = None,
) -> None:
    """List keys (prefixes only: the keys themselves are not stored)."""
    from rich.table import Table

    from tokenledger.ledger import open_ledger

    table = Table("id", "user", "prefix", "created", "revoked")
    for info in open_ledger(db).list_keys(user):
        revoked = info.revoked_at.isoformat() if info.revoked_at else ""
        table.add_row(info.key_id, info.user, info.prefix, info.created_at.isoformat(), revoked)
    Console().print(table)


@app.command()
def usage(
    period: Annotated[str, typer.Option(help="today, month or all (UTC).")] = "today",
    by: Annotated[str, typer.Option(help="model, user, day or provider.")] = "model",
    user: Annotated[str | None, typer.Option(help="Only this user's usage.")] = None,
    format: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    db: DbOption = None,
) -> None:
    """Totals of tokens and cost, grouped."""
    from tokenledger.ledger import open_ledger

    _check_choice("--period", period, ("today", "month", "all"))
    _check_choice("--by", by, ("model", "user", "day", "provider"))
    _check_choice("--format", format, ("table", "json", "csv"))
    totals = open_ledger(db).usage_totals(period=period, by=by, user=user)  # type: ignore[arg-type]
    records = [_render.total_record(total, by) for total in totals]
    _print_records(records, format, [by, *_render.TOTAL_COLUMNS], f"usage {period} by {by}", by)


@app.command()
def events(
    format: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    user: Annotated[str | None, typer.Option(help="Only this user's events.")] = None,
    db: DbOption = None,
) -> None:
    """Every usage event, oldest first."""
    _check_choice("--format", format, ("jsonl", "csv"))
    _print_events(format, user, db)


@app.command()
def export(
    user: Annotated[str | None, typer.Option(help="Only this user's events.")] = None,
    db: DbOption = None,
) -> None:
    """Every usage event as CSV (for spreadsheets and billing)."""
    _print_events("csv", user, db)


def _print_events(format: str, user: str | None, db: str | None) -> None:
    from tokenledger.ledger import open_ledger

    records = (_render.event_record(event) for event in open_ledger(db).iter_events(user=user))
    if format == "jsonl":
        lines = _render.jsonl(records)
    else:
        lines = _render.csv_lines(records, list(_render.EVENT_COLUMNS))
    for line in lines:
        typer.echo(line)


@app.command()
def prices(
    model: Annotated[str, typer.Argument(help="Model name as a request or reply names it.")],
    provider: Annotated[str | None, typer.Option(help="Provider, when ambiguous.")] = None,
    config: ConfigOption = None,
) -> None:
    """What a model will be charged, and which price entry says so."""
    from tokenledger.catalog import explain_price

    explanation = explain_price(model, provider=provider, config=load_config(config))
    for line in explanation.lines():
        typer.echo(line)


@app.command()
def count(
    model: Annotated[str, typer.Option(help="The model whose tokenizer counts.")],
    file: Annotated[str, typer.Argument(help="A text file, or - for stdin.")] = "-",
) -> None:
    """Count the tokens of a text: exact for OpenAI models, an estimate otherwise."""
    from tokenledger.catalog import count_tokens

    text = sys.stdin.read() if file == "-" else Path(file).read_text()
    result = count_tokens(text, model)
    suffix = "" if result.exact else " (estimate)"
    typer.echo(f"{result.tokens}{suffix}")


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Migrate the ledger to the newest schema (every command also does this on use)."""
    from tokenledger.ledger import open_ledger

    open_ledger(db).upgrade()
    err.print("ledger is at the newest schema")


@app.command()
def demo(
    db: Annotated[
        str | None, typer.Option("--db", help="Ledger URL (default: a temporary file).")
    ] = None,
) -> None:
    """Send recorded requests through a real gateway to a local stand-in; no key needed."""
    from tokenledger.demo import run_demo

    records = [_render.total_record(total, "model") for total in run_demo(db)]
    _print_records(records, "table", [], "demo usage by model", "model")


def _print_records(
    records: list[dict[str, object]], format: str, columns: list[str], title: str, by: str
) -> None:
    if format == "json":
        typer.echo(_render.json_document(records))
    elif format == "csv":
        for line in _render.csv_lines(records, columns):
            typer.echo(line)
    else:
        # Piped output has no width of its own: give wide tables room rather than folding.
        console = Console()
        if not console.is_terminal:
            console = Console(width=200)
        console.print(_render.totals_table(records, by, title))


def _check_choice(option: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise typer.BadParameter(
            f"{value!r} is not one of {', '.join(choices)}", param_hint=option
        )


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
