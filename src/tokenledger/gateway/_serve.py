"""Running the gateway under an HTTP server (chosen by measurement: BENCHMARKS.md)."""

from __future__ import annotations

from typing import Any

import uvicorn

from tokenledger.config import Config
from tokenledger.gateway._app import GatewayApp, GatewaySettings
from tokenledger.metering import Callbacks


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8787,
    database_url: str | None = None,
    config: Config | None = None,
    callbacks: Callbacks | None = None,
) -> None:
    """Serve until interrupted. Without `callbacks`, those `tokenledger.configure` set."""
    chosen = callbacks if callbacks else None
    app = GatewayApp(GatewaySettings(database_url=database_url, config=config), chosen)
    uvicorn.run(app, **server_options(host, port))


def server_options(host: str, port: int) -> dict[str, Any]:
    """uvicorn's settings for the gateway; the benchmark measured each of these."""
    return {
        "host": host,
        "port": port,
        "loop": "uvloop",
        "http": "httptools",
        "lifespan": "on",
        "access_log": False,
        "server_header": False,
        "date_header": False,
        # Logging is set up by the CLI; uvicorn must not replace it.
        "log_config": None,
    }
