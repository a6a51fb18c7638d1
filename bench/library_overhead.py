"""What the library adds to one call over the bare SDK call, against a local stub.

Starts `bench/stub_upstream.py` on loopback, then times the same Chat Completions
request (non-streamed and streamed) made by the official `openai` SDK with its own
client, with `tokenledger.httpx_client`, with that client and a SQLite ledger, and by
`tokenledger.chat` itself. Modes take turns round by round so drift hits all alike.
Reports the median wall and CPU time per call and the difference to the bare SDK, and
appends (or replaces) the "## Library overhead" section at the end of BENCHMARKS.md.

    python bench/library_overhead.py [--calls 2000] [--no-write]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import openai

import tokenledger
from tokenledger.library import reset

ROOT = Path(__file__).parents[1]
MESSAGES = [{"role": "user", "content": "Say something about metering."}]
MODEL = "gpt-4o-mini"
HEADING = "## Library overhead"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_stub(port: int) -> subprocess.Popen[bytes]:
    stub = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "stub_upstream.py"), "--port", str(port)],
        stdout=subprocess.PIPE,
    )
    assert stub.stdout is not None
    stub.stdout.readline()  # the stub prints its URL once it listens
    return stub


def sdk_call(client: openai.OpenAI, stream: bool) -> Callable[[], object]:
    # The SDK's overloads want literal types; the benchmark passes plain values.
    create: Any = client.chat.completions.create
    extra: dict[str, Any] = {"stream": True, "stream_options": {"include_usage": True}}

    def call() -> object:
        if stream:
            return list(create(model=MODEL, messages=MESSAGES, **extra))
        return create(model=MODEL, messages=MESSAGES)

    return call


def chat_call(stream: bool) -> Callable[[], object]:
    def call() -> object:
        chat = tokenledger.chat(MODEL, user="bench")
        return chat.ask(
            "Say something about metering.", on_chunk=(lambda _: None) if stream else None
        )

    return call


def time_modes(
    modes: dict[str, Callable[[], object]], calls: int
) -> dict[str, tuple[float, float]]:
    wall: dict[str, list[float]] = {name: [] for name in modes}
    cpu: dict[str, list[float]] = {name: [] for name in modes}
    for call in modes.values():  # warm up connections, tokenizers and price data
        for _ in range(50):
            call()
    for _ in range(calls):
        for name, call in modes.items():
            started_wall, started_cpu = time.perf_counter(), time.process_time()
            call()
            wall[name].append(time.perf_counter() - started_wall)
            cpu[name].append(time.process_time() - started_cpu)
    return {
        n: (statistics.median(wall[n]) * 1e3, statistics.median(cpu[n]) * 1e3) for n in modes
    }


def build_modes(base_url: str, stream: bool, ledger: bool) -> dict[str, Callable[[], object]]:
    bare = openai.OpenAI(base_url=base_url, api_key="sk-bench", http_client=httpx2.Client())
    metered = openai.OpenAI(
        base_url=base_url,
        api_key="sk-bench",
        http_client=tokenledger.httpx_client(user="bench"),
    )
    suffix = " + SQLite ledger" if ledger else ""
    return {
        "bare SDK": sdk_call(bare, stream),
        f"SDK + httpx_client{suffix}": sdk_call(metered, stream),
        f"tokenledger.chat{suffix}": chat_call(stream),
    }


def run_phase(
    base_url: str, ledger_url: str | None, calls: int
) -> dict[bool, dict[str, tuple[float, float]]]:
    """Both request kinds, with or without a ledger configured for the whole phase."""
    reset()
    env = {"TOKENLEDGER_OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": "sk-bench"}
    tokenledger.configure(env=env, database_url=ledger_url)
    return {
        stream: time_modes(build_modes(base_url, stream, ledger_url is not None), calls)
        for stream in (False, True)
    }


def render(results: dict[tuple[bool, bool], dict[str, tuple[float, float]]], calls: int) -> str:
    lines = [
        HEADING,
        "",
        f"`python bench/library_overhead.py`: {calls} calls per mode against",
        "`bench/stub_upstream.py` on loopback, modes interleaved, median per call.",
        "Overhead is the mode's median minus the bare SDK's timed in the same phase",
        "(target: under 0.5 ms). Each `tokenledger.chat` call makes a new chat, so with a",
        "ledger it commits three times: the event, the chat row and its two messages.",
        "",
        "| request | mode | wall ms | CPU ms | wall overhead ms | CPU overhead ms |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for (stream, _), rows in results.items():
        bare_wall, bare_cpu = rows["bare SDK"]
        for name, (wall, cpu) in rows.items():
            kind = "streamed" if stream else "whole"
            lines.append(
                f"| {kind} | {name} | {wall:.3f} | {cpu:.3f} | {wall - bare_wall:+.3f} | "
                f"{cpu - bare_cpu:+.3f} |"
            )
    return "\n".join(lines) + "\n"


def write(section: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else ""
    if HEADING in text:
        text = text[: text.index(HEADING)]
    path.write_text(text.rstrip("\n") + "\n\n" + section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    port = free_port()
    stub = start_stub(port)
    base_url = f"http://127.0.0.1:{port}/v1"
    folder = tempfile.mkdtemp(prefix="tl-bench-")
    try:
        results: dict[tuple[bool, bool], dict[str, tuple[float, float]]] = {}
        for ledger_url in (None, f"sqlite:///{folder}/ledger.db"):
            for stream, rows in run_phase(base_url, ledger_url, args.calls).items():
                results[(stream, ledger_url is not None)] = rows
    finally:
        reset()
        stub.terminate()
        stub.wait()
    section = render(results, args.calls)
    print(section)
    if not args.no_write:
        write(section)


if __name__ == "__main__":
    main()
