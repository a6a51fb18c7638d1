"""What every wire adapter offers, so that a provider is one module.

An adapter knows one HTTP API's shapes: where the model is named, whether a request
streams, how usage is reported in a whole reply and in a stream, and what its error
bodies look like. It knows nothing of prices or storage.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from tokenledger.usage import Usage
from tokenledger.wire._fields import loads_exact, string

JSON = dict[str, Any]


@dataclass
class Reading:
    """What a reply said about itself, as far as it has been read."""

    # None until the provider has reported counts; a stream may fill it in parts.
    usage: Usage | None = None
    # The model that ran, as the reply names it (often a dated snapshot of the request's).
    model: str | None = None
    # A cost the provider reported itself (OpenRouter's usage.cost); it wins over ours.
    provider_cost_usd: Decimal | None = None
    service_tier: str | None = None
    # The visible text produced so far, for estimates and for the library's messages.
    text: str = ""
    # True once the provider's final counts have arrived.
    complete: bool = False
    # Provider-reported problems in the body of a 200 reply (a stream's error event).
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def new_text(self, cursor: int) -> tuple[str, int]:
        """The text added since `cursor`, and the cursor to pass next time (start at 0)."""
        text = self.text
        return text[cursor:], len(text)


class StreamMeter(ABC):
    """Follows one streamed reply chunk by chunk, in the order bytes arrive.

    `feed` takes raw bytes from upstream and returns the bytes to pass on to the
    client: complete events only, so a partial event waits for its end. `finish`
    returns whatever was still held back once upstream has closed.
    """

    reading: Reading

    @abstractmethod
    def feed(self, data: bytes) -> bytes: ...

    @abstractmethod
    def finish(self) -> bytes: ...


class WireAdapter(ABC):
    """One provider HTTP API."""

    # A stable name stored in the ledger's `api` column.
    api: ClassVar[str]
    # Which error format and key header the API uses: "openai", "anthropic" or "gemini".
    protocol: ClassVar[str]

    def request_model(self, body: JSON, path: str) -> str | None:
        """The model a request asks for: its `model` field (Gemini names it in the path)."""
        return string(body, "model")

    def wants_stream(self, body: JSON, path: str, query: str) -> bool:
        """Whether the reply will stream: `"stream": true` (Gemini says so in the path)."""
        return body.get("stream") is True

    def prepare_upstream_body(self, body: JSON) -> tuple[JSON, bool]:
        """The body to send upstream, and whether the client must not see an extra
        usage-only event we asked for on its behalf."""
        return body, False

    @abstractmethod
    def read_response(self, body: JSON) -> Reading: ...

    def read_response_bytes(self, raw: bytes) -> Reading:
        """Read a whole reply from its raw body; never raises on a bad body.

        Prefer this to `read_response` when the bytes are at hand: a provider-reported
        cost is then parsed from the JSON text as an exact Decimal, never via float.
        """
        try:
            body = loads_exact(raw)
        except ValueError as exc:
            return Reading(error=f"reply body is not JSON: {exc}")

        if not isinstance(body, dict):
            return Reading(error=f"reply body is a JSON {type(body).__name__}, not an object")
        return self.read_response(body)

    @abstractmethod
    def stream_meter(self, *, hide_usage_event: bool = False) -> StreamMeter: ...

    @abstractmethod
    def error_body(self, status: int, message: str) -> JSON:
        """An error in this API's own format, so its SDKs raise their usual errors."""

    @abstractmethod
    def request_text(self, body: JSON) -> str:
        """All the text a request sends, for counting its input before it is sent."""
