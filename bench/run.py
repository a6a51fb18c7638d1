"""Benchmark pass-through gateways against a local stub upstream; write BENCHMARKS.md.

    python bench/run.py                       # every candidate, results into BENCHMARKS.md
    python bench/run.py --targets gateway     # the real gateway (tokenledger serve)
    python bench/run.py --targets uvicorn-aiohttp,granian-aiohttp --rounds 3 --no-write
    python bench/run.py --list

Starts the stub upstream, then each target, each in its own process group on a free
loopback port; runs every load phase as a separate load-generator process; reads each
target's CPU time from /proc before and after a phase; kills every process it started.
Targets are measured in interleaved rounds so that a noisy neighbour hits all of them
alike, and each figure is the median over rounds. Only ratios within one run compare.

The results table is written between the two marker comments in BENCHMARKS.md (the
file's other text is kept), or the whole file is created when it has no markers.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
HOST = "127.0.0.1"
PATH = "/v1/chat/completions"
START_MARK = "<!-- bench:results:start -->"
END_MARK = "<!-- bench:results:end -->"
CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")

# Added-latency and cost targets the real gateway must meet (see BENCHMARKS.md).
GOAL_ADDED_P50_MS = 1.0
GOAL_ADDED_P99_MS = 5.0
GOAL_CPU_MS = 1.0
GOAL_CPU_STREAM_MS = 2.0
GOAL_RPS = 700

UVICORN_TUNED = [
    "--loop", "uvloop", "--http", "httptools", "--lifespan", "on",
    "--no-access-log", "--no-server-header", "--no-date-header",
    "--timeout-keep-alive", "75", "--backlog", "2048",
]  # fmt: skip
GRANIAN_TUNED = [
    "--loop", "uvloop", "--http", "1", "--workers", "1", "--runtime-threads", "1",
    "--no-ws", "--no-access-log", "--log-level", "warning",
]  # fmt: skip


@dataclass(frozen=True)
class Phase:
    name: str
    requests: int
    concurrency: int
    stream: bool
    gapped: bool = False  # the stub spaces stream chunks by --chunk-interval-ms
    max_seconds: float = 6.0  # a slow target sends fewer requests, not for longer


# Latency phases get a stream written back to back, so the figure is the proxy's own
# delay and not the stub's timer granularity; the CPU and pass-through phases get
# spaced chunks, as a real model sends them, so each chunk costs a read and a write.
PHASES = (
    Phase("c1", 1500, 1, False),
    Phase("c1-stream", 600, 1, True),
    Phase("c1-stream-gapped", 250, 1, True, gapped=True),
    Phase("c32", 6000, 32, False),
    Phase("c32-stream-gapped", 2500, 32, True, gapped=True),
)
WARMUPS = (
    Phase("warm", 600, 32, False, max_seconds=2),
    Phase("warm-stream", 200, 8, True, max_seconds=2),
)


@dataclass
class Target:
    name: str
    server: str
    client: str
    argv: Callable[[int, str], list[str]] = field(repr=False)
    env: dict[str, str] = field(default_factory=dict)
    needs_key: bool = False

    def command(self, port: int, upstream: str) -> list[str]:
        return self.argv(port, upstream)


def _uvicorn(flags: list[str]) -> Callable[[int, str], list[str]]:
    def argv(port: int, upstream: str) -> list[str]:
        return [sys.executable, "-m", "uvicorn", "passthrough_asgi:app", "--app-dir",
                str(BENCH_DIR), "--host", HOST, "--port", str(port), *flags]  # fmt: skip

    return argv


def _granian(interface: str, module: str) -> Callable[[int, str], list[str]]:
    def argv(port: int, upstream: str) -> list[str]:
        return [sys.executable, "-m", "granian", "--interface", interface, "--working-dir",
                str(BENCH_DIR), "--host", HOST, "--port", str(port), *GRANIAN_TUNED,
                f"{module}:app"]  # fmt: skip

    return argv


def _aiohttp_web(port: int, upstream: str) -> list[str]:
    return [sys.executable, str(BENCH_DIR / "passthrough_aiohttp.py"), "--port", str(port)]


def _gateway(port: int, upstream: str) -> list[str]:
    return [tokenledger_exe(), "serve", "--host", HOST, "--port", str(port)]


def tokenledger_exe() -> str:
    beside_python = Path(sys.executable).parent / "tokenledger"
    return shutil.which("tokenledger") or str(beside_python)


def _client_env(client: str) -> dict[str, str]:
    return {"BENCH_CLIENT": client}


TARGETS = {
    t.name: t
    for t in (
        Target("uvicorn-httpx", "uvicorn (tuned flags)", "httpx, default Limits",
               _uvicorn(UVICORN_TUNED), _client_env("httpx")),
        Target("uvicorn-httpx-tuned", "uvicorn (tuned flags)", "httpx, keep-alive 100",
               _uvicorn(UVICORN_TUNED), _client_env("httpx-tuned")),
        Target("uvicorn-httpx2-tuned", "uvicorn (tuned flags)", "httpx2, keep-alive 100",
               _uvicorn(UVICORN_TUNED), _client_env("httpx2-tuned")),
        Target("uvicorn-aiohttp", "uvicorn (tuned flags)", "aiohttp session",
               _uvicorn(UVICORN_TUNED), _client_env("aiohttp")),
        Target("uvicorn-aiohttp-defaults", "uvicorn (default flags)", "aiohttp session",
               _uvicorn([]), _client_env("aiohttp")),
        Target("granian-httpx-tuned", "granian ASGI", "httpx, keep-alive 100",
               _granian("asgi", "passthrough_asgi"), _client_env("httpx-tuned")),
        Target("granian-aiohttp", "granian ASGI", "aiohttp session",
               _granian("asgi", "passthrough_asgi"), _client_env("aiohttp")),
        Target("granian-rsgi-aiohttp", "granian RSGI", "aiohttp session",
               _granian("rsgi", "passthrough_rsgi")),
        Target("aiohttp-web", "aiohttp.web", "aiohttp session", _aiohttp_web),
        Target("gateway", "tokenledger serve", "(its own)", _gateway, needs_key=True),
    )
}  # fmt: skip
DEFAULT_TARGETS = [name for name in TARGETS if name != "gateway"]


@dataclass
class Running:
    target: Target
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    headers: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}{PATH}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start(argv: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(
            argv,
            cwd=REPO_DIR,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so workers die with it
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def wait_ready(
    process: subprocess.Popen[bytes], port: int, headers: list[str], log: Path, probe: bool
) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode}:\n{tail(log)}")
        with contextlib.suppress(OSError):
            if not probe:
                socket.create_connection((HOST, port), timeout=1).close()
                return
            if probe_once(port, headers) == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"not ready on port {port} after 30 s:\n{tail(log)}")


def probe_once(port: int, headers: list[str]) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        body = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
        extra = dict(h.split(": ", 1) for h in headers)
        conn.request("POST", PATH, body, {"content-type": "application/json", **extra})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def tail(path: Path, lines: int = 15) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def group_cpu_s(pgid: int) -> float:
    """User plus system CPU seconds of every live process in a process group."""
    ticks = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        # After the ")" that ends the command name: state is field 3, pgrp field 5,
        # utime field 14 and stime field 15 of proc(5).
        if int(fields[2]) == pgid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / CLOCK_TICKS_PER_S


def load(url: str, phase: Phase, headers: list[str], scale: float) -> dict[str, object]:
    requests = max(50, int(phase.requests * scale))
    argv = [sys.executable, str(BENCH_DIR / "loadgen.py"), "--url", url,
            "-n", str(requests), "-c", str(phase.concurrency),
            "--max-seconds", str(phase.max_seconds)]  # fmt: skip
    if phase.stream:
        argv.append("--stream")
    for header in headers:
        argv += ["--header", header]
    done = subprocess.run(argv, capture_output=True, check=False, timeout=90)
    if done.returncode != 0:
        raise RuntimeError(f"loadgen failed: {done.stderr.decode(errors='replace')[-2000:]}")
    result: dict[str, object] = json.loads(done.stdout)
    return result


def stub_control(
    port: int, path: str, payload: dict[str, object] | None = None
) -> dict[str, float]:
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        if payload is None:
            conn.request("GET", path)
        else:
            conn.request(
                "POST", path, json.dumps(payload), {"content-type": "application/json"}
            )
        response = conn.getresponse()
        result: dict[str, float] = json.loads(response.read())
        return result
    finally:
        conn.close()


def measure(
    target: Running, stub_port: int, interval_ms: float, scale: float
) -> dict[str, dict[str, object]]:
    for phase in WARMUPS:
        stub_control(stub_port, "/bench/config", {"chunk_interval_ms": 0})
        load(target.url, phase, target.headers, scale)
    results = {}
    pgid = target.process.pid
    for phase in PHASES:
        gap = interval_ms if phase.gapped else 0
        stub_before = stub_control(stub_port, "/bench/config", {"chunk_interval_ms": gap})
        cpu_before = group_cpu_s(pgid)
        result = load(target.url, phase, target.headers, scale)
        cpu_after = group_cpu_s(pgid)
        stub_after = stub_control(stub_port, "/bench/stats")

        done = int(result["requests"])  # type: ignore[call-overload]
        result["cpu_ms_per_req"] = 1000 * (cpu_after - cpu_before) / done if done else None
        # The direct target's own connections are the load generator's, not a pool's.
        opened = stub_after["connections"] - stub_before["connections"]
        result["upstream_connections"] = opened
        results[phase.name] = result
    return results


@contextlib.contextmanager
def started(
    names: list[str], workdir: Path, interval_ms: float
) -> Iterator[dict[str, Running]]:
    processes: list[subprocess.Popen[bytes]] = []
    try:
        stub_port = free_port()
        stub_log = workdir / "stub.log"
        stub = start([sys.executable, str(BENCH_DIR / "stub_upstream.py"), "--port",
                      str(stub_port), "--chunk-interval-ms", str(interval_ms),
                      "--max-seconds", "900"], {}, stub_log)  # fmt: skip
        processes.append(stub)
        wait_ready(stub, stub_port, [], stub_log, probe=True)
        upstream = f"http://{HOST}:{stub_port}/v1"
        direct = Target("direct", "stub upstream, no proxy", "-", lambda p, u: [])
        running = {"direct": Running(direct, stub, stub_port, stub_log)}

        for name in names:
            target = TARGETS[name]
            port = free_port()
            log = workdir / f"{name}.log"
            env = {**target.env, **gateway_env(upstream, workdir)}
            process = start(target.command(port, upstream), env, log)
            processes.append(process)
            headers: list[str] = []
            wait_ready(process, port, headers, log, probe=not target.needs_key)
            if target.needs_key:
                headers = [f"Authorization: Bearer {create_key(env)}"]
                wait_ready(process, port, headers, log, probe=True)
            running[name] = Running(target, process, port, log, headers)
            print(f"  started {name} on port {port}", file=sys.stderr)
        yield running
    finally:
        for process in reversed(processes):
            stop(process)


def gateway_env(upstream: str, workdir: Path) -> dict[str, str]:
    return {
        "BENCH_UPSTREAM": upstream,
        "TOKENLEDGER_OPENAI_BASE_URL": upstream,
        "OPENAI_API_KEY": "sk-bench",
        "TOKENLEDGER_DATABASE_URL": f"sqlite:///{workdir}/bench.db",
    }


def create_key(env: dict[str, str]) -> str:
    done = subprocess.run(
        [tokenledger_exe(), "keys", "create", "--user", "bench"],
        env={**os.environ, **env},
        cwd=REPO_DIR,
        capture_output=True,
        check=False,
        timeout=60,
    )
    key = done.stdout.decode().strip()
    if done.returncode != 0 or not key or "\n" in key:
        raise RuntimeError(
            f"keys create failed: {done.stderr.decode(errors='replace')[-2000:]}"
        )
    return key


def run_rounds(
    running: dict[str, Running], rounds: int, args: argparse.Namespace, deadline: float
) -> dict[str, list[dict[str, dict[str, object]]]]:
    stub_port = running["direct"].port
    samples: dict[str, list[dict[str, dict[str, object]]]] = {name: [] for name in running}
    for index in range(rounds):
        for name, target in running.items():
            if time.monotonic() > deadline and samples[name]:
                continue
            print(f"  round {index + 1}/{rounds}: {name}", file=sys.stderr)
            samples[name].append(measure(target, stub_port, args.chunk_interval_ms, args.scale))
    return samples


def median_of(rounds: list[dict[str, dict[str, object]]], phase: str, key: str) -> float | None:
    values = [r[phase][key] for r in rounds if r[phase].get(key) is not None]
    return statistics.median(values) if values else None  # type: ignore[type-var]


def summarize(
    samples: dict[str, list[dict[str, dict[str, object]]]],
) -> list[dict[str, object]]:
    direct = samples["direct"]
    rows = []
    for name, rounds in samples.items():
        row: dict[str, object] = {"name": name, "rounds": len(rounds)}
        for phase in PHASES:
            for key in ("p50_ms", "p99_ms", "first_byte_p50_ms", "rps", "cpu_ms_per_req",
                        "loadgen_cpu_ms_per_req", "upstream_connections"):  # fmt: skip
                row[f"{phase.name}:{key}"] = median_of(rounds, phase.name, key)
        for phase in ("c1", "c1-stream"):
            for key in ("p50_ms", "p99_ms"):
                base = median_of(direct, phase, key)
                row[f"{phase}:added_{key}"] = minus(row[f"{phase}:{key}"], base)
        row["errors"] = sum(
            int(r[p.name]["errors"])  # type: ignore[call-overload]
            for r in rounds
            for p in PHASES
        )
        rows.append(row)
    return rows


def minus(a: object, b: float | None) -> float | None:
    return None if not isinstance(a, float) or b is None else a - b


def meets_goals(row: dict[str, object]) -> bool:
    def worst(*keys: str) -> float:
        values = [row[k] for k in keys]
        if not all(isinstance(v, float) for v in values):
            return float("inf")
        return max(values)  # type: ignore[type-var,return-value]

    return (
        worst("c1:added_p50_ms", "c1-stream:added_p50_ms") < GOAL_ADDED_P50_MS
        and worst("c1:added_p99_ms", "c1-stream:added_p99_ms") < GOAL_ADDED_P99_MS
        and worst("c1:cpu_ms_per_req", "c32:cpu_ms_per_req") < GOAL_CPU_MS
        and worst("c1-stream-gapped:cpu_ms_per_req", "c32-stream-gapped:cpu_ms_per_req")
        < GOAL_CPU_STREAM_MS
        and -worst("c32:rps") <= -GOAL_RPS
        and row["errors"] == 0
    )


def fmt(value: object, digits: int = 2) -> str:
    if isinstance(value, float | int):
        return f"{value:,.0f}" if digits == 0 else f"{value:.{digits}f}"
    return "n/a"


def pair(row: dict[str, object], a: str, b: str) -> str:
    return f"{fmt(row[a])} / {fmt(row[b])}"


def label(name: str) -> tuple[str, str]:
    target = TARGETS.get(name)
    return (target.server, target.client) if target else ("none: the stub itself", "-")


def main_table(rows: list[dict[str, object]]) -> list[str]:
    lines = [
        "| target | server | client | added p50 / p99 ms, c1 | added p50 / p99 ms, c1 "
        "stream | req/s, c32 | CPU ms/req, c1 / c32 | CPU ms/req, spaced stream c1 / c32 "
        "| errors | meets goals |",
        "| --- | --- | --- | --- | --- | ---: | --- | --- | ---: | --- |",
    ]
    for row in rows:
        name = str(row["name"])
        server, client = label(name)
        direct = name == "direct"
        added = "-" if direct else pair(row, "c1:added_p50_ms", "c1:added_p99_ms")
        added_stream = (
            "-" if direct else pair(row, "c1-stream:added_p50_ms", "c1-stream:added_p99_ms")
        )
        stub = "stub " if direct else ""
        cpu = pair(row, "c1:cpu_ms_per_req", "c32:cpu_ms_per_req")
        cpu_stream = pair(
            row, "c1-stream-gapped:cpu_ms_per_req", "c32-stream-gapped:cpu_ms_per_req"
        )
        goals = "-" if direct else ("yes" if meets_goals(row) else "no")
        lines.append(
            f"| {name} | {server} | {client} | {added} | {added_stream} "
            f"| {fmt(row['c32:rps'], 0)} | {stub}{cpu} | {stub}{cpu_stream} "
            f"| {row['errors']} | {goals} |"
        )
    return lines


def checks_table(rows: list[dict[str, object]]) -> list[str]:
    lines = [
        "| target | p50 / p99 ms, c1 | p50 / p99 ms, c1 stream | first chunk / last byte p50 "
        "ms, spaced stream | req/s, c32 spaced stream | upstream connections opened, c32 |",
        "| --- | --- | --- | --- | ---: | ---: |",
    ]
    for row in rows:
        name = str(row["name"])
        opened = "-" if name == "direct" else fmt(row["c32:upstream_connections"], 0)
        lines.append(
            f"| {name} | {pair(row, 'c1:p50_ms', 'c1:p99_ms')} "
            f"| {pair(row, 'c1-stream:p50_ms', 'c1-stream:p99_ms')} "
            f"| {pair(row, 'c1-stream-gapped:first_byte_p50_ms', 'c1-stream-gapped:p50_ms')} "
            f"| {fmt(row['c32-stream-gapped:rps'], 0)} | {opened} |"
        )
    return lines


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {model}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def report(rows: list[dict[str, object]], args: argparse.Namespace, started_at: str) -> str:
    loadgen_cpu = max(
        (row[f"{p.name}:loadgen_cpu_ms_per_req"] for row in rows for p in PHASES
         if row[f"{p.name}:loadgen_cpu_ms_per_req"] is not None),
        default=None,
    )  # fmt: skip
    command = " ".join(["python bench/run.py", *args.argv_for_report])
    counts = ", ".join(
        f"{p.name} {max(50, int(p.requests * args.scale))} or {p.max_seconds:.0f} s"
        for p in PHASES
    )
    lines = [
        START_MARK,
        f"Command: `{command}`  ",
        f"Date: {started_at}  ",
        f"Machine: {machine()}  ",
        f"Rounds: {args.rounds}, figures are medians over rounds. Requests per phase: "
        f"{counts}. Spaced streams: {args.chunk_interval_ms} ms between chunks. Load "
        f"generator CPU: at most {fmt(loadgen_cpu, 3)} ms per request.",
        "",
        *main_table(rows),
        "",
        *checks_table(rows),
        "",
        "c1 is one connection sending one request at a time; c32 is 32 connections. A "
        "stream is 8 content chunks, a usage chunk and `[DONE]`: written back to back for "
        "the latency phases, spaced for the CPU and pass-through phases. Added latency is "
        "the target's percentile minus the stub's, both to the last byte. CPU is the "
        "target's process group, user plus system time from /proc, divided by requests; "
        "on the direct row it is the stub's own. Goals: added p50 < 1 ms and p99 < 5 ms at "
        "c1, CPU < 1 ms per request (spaced stream < 2 ms), >= 700 req/s at c32, no errors.",
        END_MARK,
    ]
    return "\n".join(lines) + "\n"


def write_report(path: Path, block: str) -> None:
    text = path.read_text() if path.exists() else ""
    if START_MARK in text and END_MARK in text:
        head, rest = text.split(START_MARK, 1)
        tail_text = rest.split(END_MARK, 1)[1]
        path.write_text(head + block.rstrip("\n") + tail_text)
    else:
        path.write_text("# Benchmarks\n\n" + block)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--targets", default=",".join(DEFAULT_TARGETS),
                        help="comma-separated names from --list, or 'all'")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply request counts")
    parser.add_argument("--chunk-interval-ms", type=float, default=1.0,
                        help="the stub's gap between stream chunks")  # fmt: skip
    parser.add_argument("--max-minutes", type=float, default=8.0,
                        help="start no new round after this long")  # fmt: skip
    parser.add_argument("--output", type=Path, default=REPO_DIR / "BENCHMARKS.md")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument("--json", type=Path, help="also write raw per-round results here")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    args = parser.parse_args(argv)
    args.argv_for_report = argv
    names = list(TARGETS) if args.targets == "all" else args.targets.split(",")
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        parser.error(f"unknown targets {unknown}; choose from {list(TARGETS)}")
    if not 1 <= args.rounds <= 10 or not 0.01 <= args.scale <= 10:
        parser.error("--rounds must be 1..10 and --scale 0.01..10")
    args.names = names
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.list:
        for target in TARGETS.values():
            print(f"{target.name:28} {target.server:26} {target.client}")
        return

    started_at = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    deadline = time.monotonic() + 60 * args.max_minutes
    with tempfile.TemporaryDirectory(prefix="tokenledger-bench-") as tmp:
        print(f"starting stub and {len(args.names)} targets", file=sys.stderr)
        with started(args.names, Path(tmp), args.chunk_interval_ms) as running:
            samples = run_rounds(running, args.rounds, args, deadline)
    if args.json:
        args.json.write_text(json.dumps(samples, indent=1))

    block = report(summarize(samples), args, started_at)
    print(block)
    if not args.no_write:
        write_report(args.output, block)
        print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
