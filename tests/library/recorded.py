"""How each recorded exchange is asked as a chat: model, prompt and options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tokenledger
from tests.gateway.conftest import EXPECTED, recorded_request
from tokenledger.demo.replay import gemini_model

ROWS = [(row["file"], row["index"]) for row in EXPECTED]


@dataclass
class Asked:
    model: str
    text: str
    stream: bool
    options: dict[str, Any]

    def chat(self, **more: Any) -> tokenledger.Chat:
        return tokenledger.chat(self.model, user="alice", **self.options, **more)


def asked(file: str, index: int) -> Asked:
    """The chat call whose request matches the recording, built from its body."""
    request = recorded_request(file, index)
    body: dict[str, Any] = request["body"]
    path: str = request["path"]
    options: dict[str, Any] = {}
    if path.endswith("/responses"):
        options["api"] = "responses"
    temperature = body.get("temperature", body.get("generationConfig", {}).get("temperature"))
    if temperature is not None:
        options["temperature"] = temperature
    system = body.get("system")
    if isinstance(system, list):
        options["system"] = system[0]["text"]
        options["cache_system"] = "cache_control" in system[0]
    model = str(body.get("model") or gemini_model(path))
    stream = bool(body.get("stream")) or ":streamGenerateContent" in path
    return Asked(model, _last_user_text(body), stream, options)


def _last_user_text(body: dict[str, Any]) -> str:
    turns: list[dict[str, Any]] = body.get("messages") or body.get("input") or body["contents"]
    content: Any = turns[-1].get("content", turns[-1].get("parts"))
    if isinstance(content, str):
        return content
    return str(content[0]["text"])
