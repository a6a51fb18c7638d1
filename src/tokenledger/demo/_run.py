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
    """Meter every demo recording through a gateway; return the usage totals by model.

    Without `database_url` the ledger is a file in a temporary folder, removed on return.
    """
    if database_url is not None:
        return _run(database_url)
    with tempfile.TemporaryDirectory(prefix="tokenledger-demo-") as folder:
        return _run(f"sqlite:///{Path(folder) / 'demo.db'}")


def _run(url: str) -> list[UsageTotal]:
    with ReplayServer() as replay:
        app = GatewayApp(GatewaySettings(database_url=url, env=_demo_env(replay.url)))
        gateway = ServerThread(app)
        try:
            gateway.start()
            key = app.ledger.create_key("demo").key
            for exchange in replay.app.exchanges:
                replay.app.prefer(exchange.file, exchange.index)
                _send(gateway.url, key, exchange)
        finally:
            gateway.stop()
            # Every connection must be closed before the temporary folder goes: SQLite
            # folds its -wal and -shm files back into the database on the last close.
            app.ledger.close()
    with open_ledger(url) as ledger:
        return ledger.usage_totals(period="all", by="model")


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
