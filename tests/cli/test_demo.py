"""`tokenledger demo` and `python -m tokenledger.demo.replay`, run as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import run_module


def test_the_demo_leaves_no_temporary_folder(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()

    outcome = run_module("demo", cwd=tmp_path, env={"TMPDIR": str(temp)})

    assert outcome.code == 0, outcome.err
    assert "gpt-4.1-nano" in outcome.out
    assert "claude-haiku-4-5" in outcome.out
    assert list(temp.iterdir()) == []


def test_the_replay_module_runs_without_a_warning(tmp_path: Path) -> None:
    command = [sys.executable, "-X", "dev", "-m", "tokenledger.demo.replay"]
    env = {**os.environ, "PYTHONWARNINGS": "error::RuntimeWarning"}
    server = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        first_line = server.stdout.readline()
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=10)

    assert first_line.startswith("http://127.0.0.1:")
    assert "RuntimeWarning" not in errors


def test_importing_the_demo_package_does_not_import_the_replay() -> None:
    code = "import sys, tokenledger.demo; print('tokenledger.demo.replay' in sys.modules)"

    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert done.stdout.strip() == "False"
