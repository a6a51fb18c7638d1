"""`tokenledger` commands. Each one parses its options, calls the core and prints."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from tokenledger.cli import _render
from tokenledger.config import Config, load_config
from tokenledger.errors import TokenLedgerError

if TYPE_CHECKING:
    from tokenledger.ledger import Ledger

app = typer.Typer(help="Exact token counts and costs for LLM traffic.", no_args_is_help=True)
keys_app = typer.Typer(help="Gateway keys: one per user or program.", no_args_is_help=True)
db_app = typer.Typer(help="The ledger database.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(db_app, name="db")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="TOKENLEDGER_DATABASE_URL",
        help="Ledger database: a URL such as postgresql://user@host/db or a SQLite file "
        "path; default ./tokenledger.db.",
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", envvar="TOKENLEDGER_CONFIG", help="Config file (TOML)."),
]

LOG_LEVELS = ("debug", "info", "warning", "error")

err = Console(stderr=True)


class CliError(Exception):
    """A mistake in what the user asked: one `error:` line on stderr, exit code 2."""


def main() -> None:
    try:
        app()
    except (CliError, TokenLedgerError) as error:
        _fail(str(error))
    except OperationalError as error:
        _fail(f"the ledger database failed: {_one_line(error.orig)}")
    except BrokenPipeError:
        # The reader went away (`tokenledger events | head`): stop quietly, and keep
        # Python from complaining when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except OSError as error:
        where = f": {error.filename}" if error.filename else ""
        _fail(f"{error.strerror or error}{where}")


def _fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True, highlight=False)
    sys.exit(2)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8787,
    db: DbOption = None,
    config: ConfigOption = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
    on_token_usage: Annotated[
        list[str] | None,
        typer.Option(
            "--on-token-usage",
            help="MODULE:FUNCTION called with each recorded usage event (repeatable).",
        ),
    ] = None,
) -> None:
    """Run the metering gateway (it forwards to the providers' public endpoints unless
    TOKENLEDGER_*_BASE_URL say otherwise)."""
    from tokenledger.gateway import serve as run_gateway
    from tokenledger.metering import Callbacks

    level = log_level.lower()
    _check_choice("--log-level", level, LOG_LEVELS)
    _configure_logging(level)
    loaded = load_config(config)
    callbacks = Callbacks(
        on_token_usage=[_import_callable(ref) for ref in on_token_usage or []]
    )
    # Opening the ledger here first reports a database that cannot be used in one line,
    # and migrates a new one before the server starts.
    _open_ledger(db).close()
    run_gateway(host=host, port=port, database_url=db, config=loaded, callbacks=callbacks)


def _import_callable(reference: str) -> Any:
    """`package.module:function` as the function, or a one-line error naming it."""
    import importlib

    module_name, _, name = reference.partition(":")
    try:
        found = getattr(importlib.import_module(module_name), name) if name else None
    except (ImportError, AttributeError) as error:
        raise CliError(f"cannot load callback {reference!r}: {error}") from error
    if not callable(found):
        raise CliError(f"callback {reference!r} must name a function as MODULE:FUNCTION")
    return found


@keys_app.command("create")
def keys_create(
    user: Annotated[str, typer.Option(help="Who the key's usage belongs to.")],
    db: DbOption = None,
) -> None:
    """Create a gateway key and print it alone on stdout (it is not shown again)."""
    with _open_ledger(db) as ledger:
        created = ledger.create_key(user)
    typer.echo(created.key)


@keys_app.command("revoke")
def keys_revoke(
    key: Annotated[str, typer.Argument(help="The key, its id, or its shown prefix.")],
    db: DbOption = None,
) -> None:
    """End a gateway key: requests with it get 401 from then on."""
    with _open_ledger(db) as ledger:
        ledger.revoke_key(key)
    err.print("revoked")


@keys_app.command("list")
def keys_list(
    user: Annotated[str | None, typer.Option(help="Only this user's keys.")] = None,
    db: DbOption = None,
) -> None:
    """List keys (prefixes only: the keys themselves are not stored)."""
    from rich.table import Table

    table = Table("id", "user", "prefix", "created", "revoked")
    with _open_ledger(db) as ledger:
        for info in ledger.list_keys(user):
            revoked = info.revoked_at.isoformat() if info.revoked_at else ""
            cells = (info.key_id, info.user, info.prefix, info.created_at.isoformat(), revoked)
            table.add_row(*(_render.table_cell(cell) for cell in cells))
    _table_console().print(table)


@app.command()
def usage(
    period: Annotated[str, typer.Option(help="today, month or all (UTC).")] = "today",
    by: Annotated[str, typer.Option(help="model, user, day or provider.")] = "model",
    user: Annotated[str | None, typer.Option(help="Only this user's usage.")] = None,
    format: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    db: DbOption = None,
) -> None:
    """Totals of tokens and cost, grouped. A cost is the known sum; `unknown cost
    requests` says how many requests it leaves out; a group with no known cost at all
    shows its cost as unknown."""
    _check_choice("--period", period, ("today", "month", "all"))
    _check_choice("--by", by, ("model", "user", "day", "provider"))
    _check_choice("--format", format, ("table", "json", "csv"))
    with _open_ledger(db) as ledger:
        totals = ledger.usage_totals(period=period, by=by, user=user)  # type: ignore[arg-type]
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
    with _open_ledger(db) as ledger:
        records = (_render.event_record(event) for event in ledger.iter_events(user=user))
        if format == "jsonl":
            lines = _render.jsonl(records)
        else:
            lines = _render.csv_lines(records, list(_render.EVENT_COLUMNS))
        for line in lines:
            typer.echo(line)


@app.command()
def prices(
    model: Annotated[str, typer.Argument(help="Model name as a request or reply names it.")],
    provider: Annotated[
        str | None,
        typer.Option(
            help="Upstream or provider, when ambiguous (default: as the gateway routes)."
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """What a model will be charged, and which price entry says so. Exits 1 when no
    price is known (its cost will be recorded as unknown)."""
    from tokenledger.catalog import explain_price
    from tokenledger.catalog._explain import known_providers, provider_known

    loaded = load_config(config)
    if provider is not None and not provider_known(provider, loaded):
        known = ", ".join(known_providers(loaded))
        raise CliError(f"unknown provider {provider!r}: use one of {known}")

    explanation = explain_price(
        model, provider=provider or _routed(model, loaded), config=loaded
    )
    for line in explanation.lines():
        typer.echo(line)
    if explanation.source == "unknown":
        raise typer.Exit(1)


def _routed(model: str, config: Config) -> str | None:
    """The upstream the gateway would send `model` to, guessing the route from the
    model's family as the library does; None when no upstream serves it."""
    from tokenledger.errors import UnknownModelError
    from tokenledger.library._routing import infer_protocol

    try:
        return config.route(infer_protocol(model), model).name
    except UnknownModelError:
        return None


@app.command()
def count(
    model: Annotated[str, typer.Option(help="The model whose tokenizer counts.")],
    file: Annotated[str, typer.Argument(help="A UTF-8 text file, or - for stdin.")] = "-",
) -> None:
    """Count the tokens of a text: exact for OpenAI models, an estimate otherwise."""
    from tokenledger.catalog import count_tokens

    result = count_tokens(_read_text(file), model)
    suffix = "" if result.exact else " (estimate)"
    typer.echo(f"{result.tokens}{suffix}")


def _read_text(file: str) -> str:
    shown = "stdin" if file == "-" else repr(file)
    try:
        return sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise CliError(
            f"{shown} is not UTF-8 text (byte {error.start}): give a text file"
        ) from error
    except OSError as error:
        raise CliError(
            f"cannot read {shown}: {error.strerror or error}; give a readable text file, "
            "or - for stdin"
        ) from error


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Migrate the ledger to the newest schema (every command also does this on use)."""
    with _open_ledger(db) as ledger:
        ledger.upgrade()
    err.print("ledger is at the newest schema")


@app.command()
def demo(
    db: Annotated[
        str | None, typer.Option("--db", help="Ledger URL or file (default: a temporary file).")
    ] = None,
) -> None:
    """Send recorded requests through a real gateway to a local stand-in; no key needed."""
    from tokenledger.demo import run_demo

    if db is not None:
        _open_ledger(db).close()
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
        _table_console().print(_render.totals_table(records, by, title))


def _table_console() -> Console:
    # Piped output has no width of its own: give wide tables room rather than folding
    # or cutting cells (timestamps, costs).
    console = Console()
    return console if console.is_terminal else Console(width=200)


def _open_ledger(db: str | None) -> Ledger:
    """The ledger at `db`; one that cannot be used becomes one line naming it."""
    from tokenledger.ledger import open_ledger

    try:
        return open_ledger(db)
    except (NoSuchModuleError, ModuleNotFoundError) as error:
        # A dialect SQLAlchemy does not know, or one whose driver is not installed.
        raise CliError(
            f"cannot use ledger database {_shown_database(db)}: {_one_line(error)}; give a "
            "postgresql:// or sqlite:// URL, or a SQLite file path"
        ) from error
    except ArgumentError as error:
        # resolve_url names the URL it could not parse.
        raise CliError(
            f"{_one_line(error)}; give a URL such as postgresql://user@host/db or a SQLite "
            "file path"
        ) from error
    except OperationalError as error:
        raise CliError(
            f"cannot open ledger database {_shown_database(db)}: {_one_line(error.orig)}; "
            f"{_database_advice(db)}"
        ) from error
    except DBAPIError as error:
        # The driver refused the URL's options (a non-numeric connect_timeout, say).
        raise CliError(
            f"cannot open ledger database {_shown_database(db)}: {_one_line(error.orig)}"
        ) from error


def _shown_database(db: str | None) -> str:
    from tokenledger.ledger._engine import resolve_url

    url = resolve_url(db)
    if url.get_backend_name() == "sqlite":
        return repr(url.database or ":memory:")
    # A password may also ride in the query (?password=...): hide it there too.
    query = {k: ("***" if k.lower() == "password" else v) for k, v in url.query.items()}
    return url.set(query=query).render_as_string(hide_password=True)


def _database_advice(db: str | None) -> str:
    from tokenledger.ledger._engine import resolve_url

    if resolve_url(db).get_backend_name() == "sqlite":
        return "check that its folder exists and can be written"
    return "check that the server is running and the host, port, user and database are right"


def _one_line(error: object) -> str:
    # Driver messages span lines (psycopg adds a hint line); an error here is one line.
    return " ".join(str(error).split())


def _check_choice(option: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise CliError(f"{option} {value!r} is not one of {', '.join(choices)}")


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Alembic narrates every migration step at INFO; a new ledger is not news.
    logging.getLogger("alembic").setLevel(logging.WARNING)
