"""SIGKILL under load: no completed reply goes unrecorded, no event is half-written."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.gateway.conftest import CONFIG_TOML, gateway_env, recorded_request
from tokenledger.demo.replay import ReplayServer, free_port
from tokenledger.ledger import open_ledger

LOAD_SECONDS = 2.0
WORKERS = 8


def run_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tokenledger", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout


def wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, "the gateway exited during start-up"
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("the gateway did not start")


def test_sigkill_under_load_loses_no_completed_reply(
    tmp_path: Path, replay: ReplayServer
) -> None:
    config_path = tmp_path / "tokenledger.toml"
    config_path.write_text(CONFIG_TOML.format(replay=replay.url, local="true"))
    database = tmp_path / "ledger.db"
    env = dict(os.environ) | gateway_env(replay.url, config_path)
    env["TOKENLEDGER_DATABASE_URL"] = f"sqlite:///{database}"

    key = run_cli(env, "keys", "create", "--user", "load").strip()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tokenledger",
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    completed: list[str] = []
    try:
        wait_healthy(url, process)
        completed = _load_then_kill(url, key, process)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)

    recorded = {
        event.id: event for event in open_ledger(env["TOKENLEDGER_DATABASE_URL"]).iter_events()
    }
    assert len(completed) >= 20, "the load should complete a fair number of replies first"
    missing = [event_id for event_id in completed if event_id not in recorded]
    assert missing == []
    for event in recorded.values():
        assert event.status in ("ok", "upstream_error", "client_cancelled")
        assert event.usage.total_tokens == event.usage.input_tokens + event.usage.output_tokens
        assert event.user == "load"
    with sqlite3.connect(database) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def _load_then_kill(url: str, key: str, process: subprocess.Popen[bytes]) -> list[str]:
    completed: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    bodies = [recorded_request("openai-chat-stream", i)["body"] for i in (0, 1)]

    def worker(number: int) -> None:
        with httpx.Client(headers={"authorization": f"Bearer {key}"}, timeout=10) as client:
            count = 0
            while not stop.is_set():
                event_id = _one_request(client, url, bodies[(number + count) % 2])
                count += 1
                if event_id:
                    with lock:
                        completed.append(event_id)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    time.sleep(LOAD_SECONDS)
    os.kill(process.pid, signal.SIGKILL)
    stop.set()
    for thread in threads:
        thread.join(timeout=20)
    return completed


def _one_request(client: httpx.Client, url: str, body: dict[str, object]) -> str | None:
    """The event id of a reply that arrived whole, or None if it was cut off."""
    try:
        with client.stream("POST", f"{url}/v1/chat/completions", json=body) as reply:
            data = reply.read()
            if reply.status_code != 200:
                return None
            if body.get("stream") and not data.endswith(b"data: [DONE]\n\n"):
                return None
            return reply.headers["x-tokenledger-event-id"]
    except httpx.TransportError:
        return None


def test_serve_calls_a_usage_callback_named_on_the_command_line(
    tmp_path: Path, replay: ReplayServer
) -> None:
    config_path = tmp_path / "tokenledger.toml"
    config_path.write_text(CONFIG_TOML.format(replay=replay.url, local="true"))
    hook_file = tmp_path / "hook.txt"
    env = dict(os.environ) | gateway_env(replay.url, config_path)
    env |= {
        "TOKENLEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "TOKENLEDGER_TEST_HOOK_FILE": str(hook_file),
    }
    key = run_cli(env, "keys", "create", "--user", "hooked").strip()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    hook = ["--on-token-usage", "tests.gateway.serve_hooks:record"]
    process = subprocess.Popen(
        [sys.executable, "-m", "tokenledger", "serve", "--port", str(port), *hook], env=env
    )
    try:
        wait_healthy(url, process)
        body = recorded_request("openai-chat-stream", 1)["body"]
        reply = httpx.post(
            f"{url}/v1/chat/completions", json=body, headers={"authorization": f"Bearer {key}"}
        )
        deadline = time.monotonic() + 10
        while not hook_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(timeout=10)

    event_id = reply.headers["x-tokenledger-event-id"]
    assert hook_file.read_text() == f"{event_id} 21 0.0000042\n"
