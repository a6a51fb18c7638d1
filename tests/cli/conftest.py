"""CLI fixtures: the real `main` run in this process, or `python -m tokenledger` run as a
child process, against SQLite files in a temporary folder."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from tokenledger.cli import main
from tokenledger.ledger import UsageEvent, open_ledger
from tokenledger.usage import Usage


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.delenv("TOKENLEDGER_DATABASE_URL", raising=False)
    monkeypatch.delenv("TOKENLEDGER_CONFIG", raising=False)
    return Cli(capsys, monkeypatch)


class Cli:
    """Runs `tokenledger ARGS` through the console script's own `main`."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
        self._capsys = capsys
        self._monkeypatch = monkeypatch

    def __call__(self, *args: str) -> Outcome:
        self._capsys.readouterr()
        self._monkeypatch.setattr(sys, "argv", ["tokenledger", *args])
        with pytest.raises(SystemExit) as exited:
            main()
        captured = self._capsys.readouterr()
        code = exited.value.code
        return Outcome(code if isinstance(code, int) else 1, captured.out, captured.err)


def run_module(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Outcome:
    """`python -m tokenledger ARGS` in a child process, as a user would run it."""
    child_env = {
        key: value for key, value in os.environ.items() if not key.startswith("TOKENLEDGER_")
    }
    child_env.update(env or {})
    done = subprocess.run(
        [sys.executable, "-m", "tokenledger", *args],
        cwd=cwd,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


def event(**overrides: object) -> UsageEvent:
    fields: dict[str, object] = {
        "provider": "openai",
        "api": "openai-chat",
        "usage": Usage(input_tokens=10, output_tokens=5),
        "cost_usd": Decimal("0.00015"),
        "cost_source": "catalog",
        "user": "alice",
        "model": "gpt-4.1-nano",
    }
    fields.update(overrides)
    return UsageEvent(**fields)  # type: ignore[arg-type]


def ledger_with(path: Path, *events: UsageEvent) -> str:
    """A SQLite ledger file holding `events`; its URL."""
    url = f"sqlite:///{path}"
    with open_ledger(url) as ledger:
        for item in events:
            ledger.record(item)
    return url
