"""`tokenledger demo`: a real gateway, a local stand-in upstream, recorded requests.

Nothing leaves the machine: the stand-in replays provider replies recorded earlier,
so someone without any provider key can watch requests get metered and priced.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx

from tokenledger.demo.replay import Exchange, ReplayServer, ServerThread
from tokenledger.gateway import GatewayApp, GatewaySettings
from tokenledger.ledger import UsageTotal, open_ledger


def run_demo(database_url: str | None = None) -> list[UsageTotal]:
    """Meter every demo recording through a gateway; return the usage totals by model."""
    folder = tempfile.mkdtemp(prefix="tokenledger-demo-")
    url = database_url or f"sqlite:///{Path(folder) / 'demo.db'}"
    with ReplayServer() as replay:
        env = _demo_env(replay.url)
        app = GatewayApp(GatewaySettings(database_url=url, env=env))
        gateway = ServerThread(app)
        gateway.start()
        try:
            key = app.ledger.create_key("demo").key
            for exchange in replay.app.exchanges:
                replay.app.prefer(exchange.file, exchange.index)
                _send(gateway.url, key, exchange)
        finally:
            gateway.stop()
    return open_ledger(url).usage_totals(period="all", by="model")


def _demo_env(replay_url: str) -> dict[str, str]:
    return {
        "TOKENLEDGER_OPENAI_BASE_URL": f"{replay_url}/v1",
        "TOKENLEDGER_ANTHROPIC_BASE_URL": replay_url,
        "TOKENLEDGER_GEMINI_BASE_URL": replay_url,
        "OPENAI_API_KEY": "demo-provider-key",
        "ANTHROPIC_API_KEY": "demo-provider-key",
        "GEMINI_API_KEY": "demo-provider-key",
    }


def _send(gateway_url: str, key: str, exchange: Exchange) -> None:
    request = exchange.request
    headers = {"authorization": f"Bearer {key}"}
    if request["path"].endswith("/messages"):
        headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
    elif ":" in request["path"]:
        headers = {"x-goog-api-key": key}
    query = f"?{request['query']}" if request["query"] else ""
    target = f"{gateway_url}{request['path']}{query}"
    with httpx.stream("POST", target, json=request["body"], headers=headers) as reply:
        reply.read()
