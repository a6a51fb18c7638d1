"""User mistakes end in one `error:` line naming the bad value, exit code 2, no traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, Outcome, run_module


def assert_one_error_line(outcome: Outcome, *named: str) -> None:
    assert outcome.code == 2, outcome
    lines = outcome.err.splitlines()
    assert len(lines) == 1, outcome.err
    assert lines[0].startswith("error: ")
    for value in named:
        assert value in lines[0]
    assert "Traceback" not in outcome.err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("postgresql://u:secret@h:notaport/db", "postgresql://u:***@h:notaport/db"),
        ("://nothing", "://nothing"),
        ("foo://bar", "foo://bar"),
        ("mysql://u@localhost/db", "mysql://u@localhost/db"),
    ],
)
def test_a_database_url_that_cannot_be_used(cli: Cli, url: str, named: str) -> None:
    outcome = cli("usage", "--db", url)

    assert_one_error_line(outcome, named, "SQLite file path")
    assert "secret" not in outcome.err


def test_a_sqlite_file_in_a_missing_folder(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "missing" / "ledger.db"

    outcome = cli("keys", "list", "--db", str(path))

    assert_one_error_line(outcome, str(path), "folder exists")


def test_a_postgresql_port_with_nothing_listening(cli: Cli) -> None:
    port = free_port()

    outcome = cli("usage", "--db", f"postgresql://postgres@127.0.0.1:{port}/postgres")

    assert_one_error_line(outcome, f"127.0.0.1:{port}", "server is running")


def test_the_same_from_the_environment_variable(tmp_path: Path) -> None:
    env = {"TOKENLEDGER_DATABASE_URL": str(tmp_path / "missing" / "ledger.db")}

    outcome = run_module("events", cwd=tmp_path, env=env)

    assert_one_error_line(outcome, "missing/ledger.db")


def test_count_on_a_missing_file(cli: Cli, tmp_path: Path) -> None:
    outcome = cli("count", "--model", "gpt-4o", str(tmp_path / "nope.txt"))

    assert_one_error_line(outcome, "nope.txt", "No such file")


def test_count_on_a_folder(cli: Cli, tmp_path: Path) -> None:
    assert_one_error_line(cli("count", "--model", "gpt-4o", str(tmp_path)), str(tmp_path))


def test_count_on_a_binary_file(cli: Cli, tmp_path: Path) -> None:
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x01")

    outcome = cli("count", "--model", "gpt-4o", str(binary))

    assert_one_error_line(outcome, "image.png", "not UTF-8 text")


def test_count_still_counts_a_text_file(cli: Cli, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("Count from 1 to 3", encoding="utf-8")

    outcome = cli("count", "--model", "gpt-4o", str(text))

    assert outcome.code == 0
    assert outcome.out.strip().isdigit()


def test_serve_refuses_an_unknown_log_level(cli: Cli) -> None:
    assert_one_error_line(cli("serve", "--log-level", "verbose"), "'verbose'", "debug, info")


def test_choices_name_the_option(cli: Cli, tmp_path: Path) -> None:
    outcome = cli("usage", "--period", "week", "--db", str(tmp_path / "l.db"))

    assert_one_error_line(outcome, "--period", "'week'", "today, month, all")


@pytest.mark.parametrize("port", ["0", "65536", "-1"])
def test_serve_refuses_a_port_out_of_range(cli: Cli, port: str) -> None:
    outcome = cli("serve", f"--port={port}")

    assert outcome.code == 2
    assert "--port" in outcome.err
    assert "Traceback" not in outcome.err


def test_the_console_script_prints_no_traceback(tmp_path: Path) -> None:
    outcome = run_module("usage", "--db", "postgresql://u@h:port/db", cwd=tmp_path)

    assert_one_error_line(outcome, "postgresql://u@h:port/db")


def test_serve_with_a_callback_that_cannot_be_loaded_is_one_line(cli: Cli) -> None:
    result = cli("serve", "--on-token-usage", "no_such_module_here:record")

    assert result.code == 2
    assert "cannot load callback 'no_such_module_here:record'" in result.err
